//! The Rust side of libroam's benchmark (bench/):
//!   `bench-call`: makes N echo calls with C in flight and prints
//!   `BENCH calls=N seconds=S` (S = the wall time of the calls alone,
//!   handshake excluded);
//!   `bench-serve`: serves Interop (echo, sum, ...) on every session it
//!   accepts, every virtual connection accepted, quietly, until killed.

use std::time::Instant;

use crate::service::InteropClient;
use crate::session::{self, OpenPolicy, Options, Role};
use crate::transport;

pub async fn call(addr: &str, calls: usize, concurrency: usize) -> Result<(), String> {
    let stream = transport::connect(&transport::parse_addr(addr)?).await?;
    let s = session::establish(Role::Initiator, stream, Options::default())
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let client: InteropClient = s.client;
    let payload = "0123456789abcdef".to_string();
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    let mut issued = 0usize;
    let mut done = 0usize;
    while done < calls {
        while issued < calls && set.len() < concurrency {
            let c = client.clone();
            let p = payload.clone();
            set.spawn(async move { c.echo(p).await });
            issued += 1;
        }
        match set.join_next().await {
            Some(Ok(Ok(v))) if v.len() == 16 => done += 1,
            other => return Err(format!("call failed: {other:?}")),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    crate::out::line(format!("BENCH calls={calls} seconds={seconds:.6}"));
    drop(client);
    let _ = s.task.await;
    Ok(())
}

/// bench-serve: every stream accepted becomes a session (acceptor) serving
/// Interop on its root and on every virtual connection, for as long as the
/// counterpart keeps it.
pub async fn serve(addr: &str) -> Result<(), String> {
    let listener = transport::Listener::bind(&transport::parse_addr(addr)?).await?;
    loop {
        let stream = listener.accept().await?;
        // Local: the handshake's future is not Send (the sessions run on this
        // one thread, as libroam's single runtime does).
        tokio::task::spawn_local(async move {
            let opts = Options { policy: OpenPolicy::AcceptAll, keepalive: None };
            if let Ok(s) = session::establish(Role::Acceptor, stream, opts).await {
                let _root = s.client; // held: the session lasts until the counterpart ends it
                let _ = s.task.await;
            }
        });
    }
}
