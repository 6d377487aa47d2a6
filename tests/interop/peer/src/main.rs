//! roam-interop-peer: the Rust reference implementation (the published roam
//! 7.3.0 crates) as the other end of libroam's interop tests.
//!
//!   roam-interop-peer vectors --out DIR      golden wire vectors
//!   roam-interop-peer method-ids             the Interop service's method ids
//!   roam-interop-peer method-ids-testbed     Testbed's and the signature lab's ids
//!   roam-interop-peer blake3                 BLAKE3 of the test-vector inputs
//!   roam-interop-peer postcard-values        facet-postcard encodings of a fixed list
//!   roam-interop-peer bench-call --connect ADDR --calls N --concurrency C
//!   roam-interop-peer bench-serve ADDR                 quiet Interop server, every session
//!   roam-interop-peer run --role initiator|acceptor (--connect ADDR | --listen ADDR)
//!                         --scenario NAME [--timeout-ms N]
//!   roam-interop-peer serve-testbed ADDR [--timeout-ms N]   serves spec-proto's Testbed
//!   roam-interop-peer call-testbed ADDR [--timeout-ms N]    calls every Testbed method
//!
//! ADDR is tcp:HOST:PORT or unix:PATH. Output protocol: see SCENARIOS.md.

mod bench;
mod out;
mod postcard_values;
mod raw;
mod scenarios;
mod service;
mod session;
mod signatures;
mod testbed;
mod transport;
mod vectors;

use std::process::ExitCode;
use std::time::Duration;

use scenarios::{Config, Endpoint};
use session::Role;

fn usage() -> ExitCode {
    eprintln!(
        "usage: roam-interop-peer vectors --out DIR\n       roam-interop-peer method-ids\n       \
         roam-interop-peer run --role initiator|acceptor (--connect ADDR | --listen ADDR) \
         --scenario NAME [--timeout-ms N]\n       \
         roam-interop-peer serve-testbed ADDR [--timeout-ms N]\n       \
         roam-interop-peer call-testbed ADDR [--timeout-ms N]"
    );
    ExitCode::from(64)
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("vectors") => {
            let Some(dir) = flag(&args, "--out") else { return usage() };
            match vectors::write_all(std::path::Path::new(dir)) {
                Ok(n) => {
                    eprintln!("wrote {n} vectors to {dir}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("roam-interop-peer: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("method-ids") => {
            service::print_method_ids();
            ExitCode::SUCCESS
        }
        Some("method-ids-testbed") => {
            signatures::print_method_ids();
            ExitCode::SUCCESS
        }
        Some("blake3") => {
            signatures::print_blake3();
            ExitCode::SUCCESS
        }
        Some("postcard-values") => {
            postcard_values::print();
            ExitCode::SUCCESS
        }
        Some("run") => run(&args[2..]),
        Some("bench-call") => bench_call(&args[2..]),
        Some("bench-serve") => bench_serve(&args[2..]),
        Some(cmd @ ("serve-testbed" | "call-testbed")) => testbed(cmd, &args[2..]),
        _ => usage(),
    }
}

fn run(args: &[String]) -> ExitCode {
    let role = match flag(args, "--role") {
        Some("initiator") => Role::Initiator,
        Some("acceptor") => Role::Acceptor,
        _ => return usage(),
    };
    let Some(scenario) = flag(args, "--scenario") else { return usage() };
    let timeout_ms: u64 = flag(args, "--timeout-ms").and_then(|t| t.parse().ok()).unwrap_or(20_000);
    let cfg = Config { role, scenario: scenario.to_string() };
    let rt = runtime();
    rt.block_on(async move {
        let work = async {
            let endpoint = if let Some(addr) = flag(args, "--listen") {
                Endpoint::Listening(transport::Listener::bind(&transport::parse_addr(addr)?).await?)
            } else if let Some(addr) = flag(args, "--connect") {
                Endpoint::Connected(transport::connect(&transport::parse_addr(addr)?).await?)
            } else {
                return Err("need --listen or --connect".to_string());
            };
            scenarios::run(&cfg, endpoint).await
        };
        result_line(tokio::time::timeout(Duration::from_millis(timeout_ms), work).await)
    })
}

/// The single-threaded tokio runtime every subcommand runs on.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime")
}

/// The RESULT line a run ends with, and its exit code: 0 ok, 1 failed, 2 timed out.
fn result_line(outcome: Result<Result<(), String>, tokio::time::error::Elapsed>) -> ExitCode {
    match outcome {
        Ok(Ok(())) => {
            out::line("RESULT ok");
            ExitCode::SUCCESS
        }
        Ok(Err(reason)) => {
            out::line(format!("RESULT fail {}", out::word(&reason)));
            ExitCode::FAILURE
        }
        Err(_) => {
            out::line("RESULT fail timeout");
            ExitCode::from(2)
        }
    }
}

/// bench-serve ADDR: quiet, every session, until killed, on the
/// current-thread runtime (one core, as libroam's single runtime).
fn bench_serve(args: &[String]) -> ExitCode {
    let Some(addr) = args.first() else { return usage() };
    out::set_quiet();
    let rt = runtime();
    let local = tokio::task::LocalSet::new();
    match rt.block_on(local.run_until(bench::serve(addr))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("roam-interop-peer: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench_call(args: &[String]) -> ExitCode {
    let Some(addr) = flag(args, "--connect") else { return usage() };
    let calls: usize = flag(args, "--calls").and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let concurrency: usize = flag(args, "--concurrency").and_then(|v| v.parse().ok()).unwrap_or(1);
    let rt = runtime();
    match rt.block_on(bench::call(addr, calls, concurrency)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("roam-interop-peer: {e}");
            ExitCode::FAILURE
        }
    }
}

/// serve-testbed / call-testbed ADDR [--timeout-ms N]: the last line is
/// `RESULT ok` (exit 0), `RESULT fail <reason>` (1) or `RESULT fail timeout` (2).
fn testbed(cmd: &str, args: &[String]) -> ExitCode {
    let Some(addr) = args.first().filter(|a| !a.starts_with("--")) else { return usage() };
    let default_ms = if cmd == "serve-testbed" { 60_000 } else { 100_000 };
    let timeout_ms: u64 = flag(args, "--timeout-ms").and_then(|t| t.parse().ok()).unwrap_or(default_ms);
    let rt = runtime();
    rt.block_on(async move {
        let work = async {
            if cmd == "serve-testbed" { testbed::serve(addr).await } else { testbed::call(addr).await }
        };
        result_line(tokio::time::timeout(Duration::from_millis(timeout_ms), work).await)
    })
}
