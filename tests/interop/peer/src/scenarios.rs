//! The scenarios (see SCENARIOS.md): what the reference peer does, and what
//! it checks, in each. Each returns Err(reason) if it saw something wrong.

use std::time::Duration;

use roam::Caller;
use roam_core::{Driver, SessionError, SessionKeepaliveConfig, proxy_connections};
use roam_types::{
    ConnectionId, ConnectionOpen, ConnectionSettings, Hello, HelloYourself, Message, MessagePayload,
    Metadata, Parity, RoamError,
};

use crate::out;
use crate::raw;
use crate::service::{InteropClient, InteropDispatcher, InteropService, MathError};
use crate::session::{self, Established, OpenPolicy, Options, Role};
use crate::transport::{Listener, Stream};

pub struct Config {
    pub role: Role,
    pub scenario: String,
}

/// Where the session's transport comes from.
pub enum Endpoint {
    Connected(Stream),
    Listening(Listener),
}

impl Endpoint {
    async fn stream(self) -> Result<Stream, String> {
        match self {
            Endpoint::Connected(s) => Ok(s),
            Endpoint::Listening(l) => l.accept().await,
        }
    }
}

pub async fn run(cfg: &Config, endpoint: Endpoint) -> Result<(), String> {
    match cfg.scenario.as_str() {
        "handshake" => handshake(cfg, endpoint.stream().await?).await,
        "version-mismatch" => version_mismatch(cfg, endpoint.stream().await?).await,
        "open-accept-reject" => open_accept_reject(cfg, endpoint.stream().await?).await,
        "wrong-parity" => serve_until_end(cfg, endpoint.stream().await?, OpenPolicy::AcceptAll, None).await,
        "wrong-parity-raw" => wrong_parity_raw(cfg, endpoint.stream().await?).await,
        "close" => close(cfg, endpoint.stream().await?).await,
        "root-liveness" => root_liveness(cfg, endpoint.stream().await?).await,
        "keepalive" => keepalive(cfg, endpoint.stream().await?).await,
        "idle" | "serve" => serve_until_end(cfg, endpoint.stream().await?, OpenPolicy::AcceptAll, None).await,
        "call" => call(cfg, endpoint.stream().await?).await,
        "proxy" => match endpoint {
            Endpoint::Listening(l) => proxy(l).await,
            Endpoint::Connected(_) => Err("proxy needs --listen".into()),
        },
        other => Err(format!("unknown scenario {other}")),
    }
}

fn own_parity(role: Role) -> Parity {
    // The C initiator uses odd ids; the acceptor takes the other.
    if role == Role::Initiator { Parity::Odd } else { Parity::Even }
}

fn settings(parity: Parity) -> ConnectionSettings {
    ConnectionSettings { parity, max_concurrent_requests: 64 }
}

fn describe(e: &SessionError) -> String {
    match e {
        SessionError::Rejected(md) => format!("rejected {}", out::metadata(md)),
        other => other.to_string(),
    }
}

async fn establish(cfg: &Config, stream: Stream, opts: Options) -> Result<Established, String> {
    match session::establish(cfg.role, stream, opts).await {
        Ok(s) => {
            out::line("HANDSHAKE ok");
            session::print_peer_hello(&s.received);
            Ok(s)
        }
        Err(e) => {
            out::line(format!("HANDSHAKE_FAILED reason={}", out::word(&describe(&e))));
            Err(format!("handshake failed: {}", describe(&e)))
        }
    }
}

/// Waits until the C side ends the session.
async fn session_end(task: tokio::task::JoinHandle<()>) {
    let _ = task.await;
    out::line("SESSION_ENDED");
}

async fn handshake(cfg: &Config, stream: Stream) -> Result<(), String> {
    let s = establish(cfg, stream, Options::default()).await?;
    let _root = s.client;  // holding the root keeps the session up
    session_end(s.task).await;
    Ok(())
}

async fn serve_until_end(
    cfg: &Config,
    stream: Stream,
    policy: OpenPolicy,
    keepalive: Option<SessionKeepaliveConfig>,
) -> Result<(), String> {
    let s = establish(cfg, stream, Options { policy, keepalive }).await?;
    let _root = s.client;
    session_end(s.task).await;
    Ok(())
}

async fn version_mismatch(cfg: &Config, mut stream: Stream) -> Result<(), String> {
    if cfg.role == Role::Acceptor {
        // The C initiator claims version 8: roam-core must refuse.
        return match session::establish(cfg.role, stream, Options::default()).await {
            Ok(_) => Err("a handshake with version 8 succeeded".into()),
            Err(e) => {
                out::line(format!("HANDSHAKE_FAILED reason={}", out::word(&describe(&e))));
                Ok(())
            }
        };
    }
    // As initiator, roam-core always says 7: say 6 by hand.
    let hello = Message {
        connection_id: ConnectionId(0),
        payload: MessagePayload::Hello(Hello {
            version: 6,
            connection_settings: settings(Parity::Odd),
            metadata: session::hello_metadata(),
        }),
    };
    raw::send(&mut stream, &hello).await?;
    while let Some(frame) = raw::recv(&mut stream).await? {
        out::line(format!("RECEIVED hex={}", out::hex(&frame)));
        if let Ok(m) = raw::decode(&frame) {
            if let MessagePayload::ProtocolError(e) = &m.payload {
                out::line(format!("RECEIVED_PROTOCOL_ERROR description={}", out::word(e.description)));
            }
        }
    }
    out::line("EOF");
    Ok(())
}

async fn open_accept_reject(cfg: &Config, stream: Stream) -> Result<(), String> {
    let mut s = establish(cfg, stream, Options::default()).await?;
    let own = settings(own_parity(cfg.role));
    let mut problems = Vec::new();
    let first_id = match s.handle.open_connection(own.clone(), out::md1("want", "accept")).await {
        Ok(h) => {
            let id = h.connection_id().0;
            out::line(format!("OPEN_ACCEPTED conn={id}"));
            session::serve_connection(h);
            id
        }
        Err(e) => {
            out::line(format!("OPEN_FAILED {}", out::word(&describe(&e))));
            problems.push("first open not accepted");
            if own.parity == Parity::Odd { 1 } else { 2 }
        }
    };
    // Ids follow our parity: the second open is the next one.
    let second_id = first_id + 2;
    match s.handle.open_connection(own, out::md1("want", "reject")).await {
        Err(SessionError::Rejected(_dangling)) => {
            let md = session::received_reject_metadata(&s.received, second_id).unwrap_or_else(|| "md=?".into());
            out::line(format!("OPEN_REJECTED conn={second_id} {md}"));
            if md != "md=reason:s:policy:0" {
                problems.push("reject metadata lacks reason=policy");
            }
        }
        Ok(h) => {
            out::line(format!("OPEN_ACCEPTED conn={}", h.connection_id().0));
            problems.push("second open accepted");
        }
        Err(e) => {
            out::line(format!("OPEN_FAILED {}", out::word(&describe(&e))));
            problems.push("second open failed");
        }
    }
    // The C side opens two on us (the acceptor prints INBOUND_OPEN).
    for _ in 0..2 {
        if s.inbound.recv().await.is_none() {
            problems.push("fewer than two inbound opens");
        }
    }
    let _root = s.client;
    session_end(s.task).await;
    if problems.is_empty() { Ok(()) } else { Err(problems.join(",")) }
}

async fn wrong_parity_raw(cfg: &Config, mut stream: Stream) -> Result<(), String> {
    // The handshake by hand.
    let mine = if cfg.role == Role::Initiator {
        raw::send(&mut stream, &Message {
            connection_id: ConnectionId(0),
            payload: MessagePayload::Hello(Hello {
                version: 7,
                connection_settings: settings(Parity::Odd),
                metadata: session::hello_metadata(),
            }),
        })
        .await?;
        let frame = raw::recv(&mut stream).await?.ok_or("EOF before HelloYourself")?;
        match raw::decode(&frame)?.payload {
            MessagePayload::HelloYourself(_) => {}
            other => return Err(format!("expected HelloYourself, got {}", raw::kind_name(&other))),
        }
        Parity::Odd
    } else {
        let frame = raw::recv(&mut stream).await?.ok_or("EOF before Hello")?;
        let theirs = match raw::decode(&frame)?.payload {
            MessagePayload::Hello(h) => h.connection_settings.parity,
            other => return Err(format!("expected Hello, got {}", raw::kind_name(&other))),
        };
        raw::send(&mut stream, &Message {
            connection_id: ConnectionId(0),
            payload: MessagePayload::HelloYourself(HelloYourself {
                connection_settings: settings(theirs.other()),
                metadata: session::hello_metadata(),
            }),
        })
        .await?;
        theirs.other()
    };
    out::line("HANDSHAKE ok");
    let (good, wrong) = if mine == Parity::Odd { (1u64, 2u64) } else { (2, 1) };
    for id in [wrong, good, good] {
        raw::send(&mut stream, &Message {
            connection_id: ConnectionId(id),
            payload: MessagePayload::ConnectionOpen(ConnectionOpen {
                connection_settings: settings(mine),
                metadata: Metadata::new(),
            }),
        })
        .await?;
    }
    let mut answers: Vec<(u64, &'static str)> = Vec::new();
    while answers.len() < 3 {
        let frame = raw::recv(&mut stream).await?.ok_or("EOF before three answers")?;
        let m = raw::decode(&frame)?;
        let (kind, md) = match &m.payload {
            MessagePayload::ConnectionAccept(a) => ("ConnectionAccept", out::metadata(&a.metadata)),
            MessagePayload::ConnectionReject(r) => ("ConnectionReject", out::metadata(&r.metadata)),
            other => (raw::kind_name(other), String::from("md=")),
        };
        out::line(format!("RECEIVED conn={} kind={kind} {md}", m.connection_id.0));
        if kind == "ConnectionAccept" || kind == "ConnectionReject" {
            answers.push((m.connection_id.0, kind));
        }
    }
    while raw::recv(&mut stream).await?.is_some() {}
    out::line("EOF");
    let wrong_rejected = answers.iter().any(|&(id, k)| id == wrong && k == "ConnectionReject");
    let good_answers: Vec<&str> = answers.iter().filter(|(id, _)| *id == good).map(|(_, k)| *k).collect();
    // First the open itself (accepted by the C side), then the duplicate: rejected.
    if wrong_rejected && good_answers == ["ConnectionAccept", "ConnectionReject"] {
        Ok(())
    } else {
        Err(format!("wrong_parity_rejected={wrong_rejected} good_answers={good_answers:?}"))
    }
}

/// A connection we opened, with a driver and a caller keeping it open.
struct Opened {
    id: ConnectionId,
    caller: roam_core::DriverCaller,
}

async fn open_live(s: &Established, role: Role) -> Result<Opened, String> {
    let h = s
        .handle
        .open_connection(settings(own_parity(role)), out::md1("want", "accept"))
        .await
        .map_err(|e| format!("open: {}", describe(&e)))?;
    let id = h.connection_id();
    let mut driver = Driver::new(h, InteropDispatcher::new(InteropService));
    let caller = driver.caller();
    tokio::spawn(async move { driver.run().await });
    Ok(Opened { id, caller })
}

async fn close(cfg: &Config, stream: Stream) -> Result<(), String> {
    let s = establish(cfg, stream, Options::default()).await?;
    let first = open_live(&s, cfg.role).await?;
    first.caller.closed().await;  // the C side closes it
    out::line(format!("CLOSED_BY_PEER conn={}", first.id.0));
    let second = open_live(&s, cfg.role).await?;
    tokio::time::sleep(Duration::from_millis(50)).await;
    s.handle
        .close_connection(second.id, out::md1("bye", "rust"))
        .await
        .map_err(|e| format!("close: {}", describe(&e)))?;
    out::line(format!("CLOSED_LOCAL conn={}", second.id.0));
    let _keep = (first, second);
    let _root = s.client;
    session_end(s.task).await;
    Ok(())
}

async fn root_liveness(cfg: &Config, stream: Stream) -> Result<(), String> {
    let s = establish(cfg, stream, Options::default()).await?;
    let opened = open_live(&s, cfg.role).await?;
    drop(s.client);  // the last root caller: root closed internally
    out::line("ROOT_DROPPED");
    tokio::time::sleep(Duration::from_millis(200)).await;
    if s.task.is_finished() {
        return Err("the session ended while a virtual connection was alive".into());
    }
    let id = opened.id;
    drop(opened);  // the last caller of the virtual connection: it closes
    out::line(format!("VIRTUAL_CLOSED conn={}", id.0));
    // With no root and no virtual connection, roam-core ends the session.
    tokio::time::timeout(Duration::from_secs(5), session_end(s.task))
        .await
        .map_err(|_| "the session did not end by itself".to_string())
}

async fn keepalive(cfg: &Config, stream: Stream) -> Result<(), String> {
    let k = SessionKeepaliveConfig {
        ping_interval: Duration::from_millis(50),
        pong_timeout: Duration::from_millis(500),
    };
    let s = establish(cfg, stream, Options { policy: OpenPolicy::ByWant, keepalive: Some(k) }).await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    if s.task.is_finished() {
        return Err("keepalive_died".into());
    }
    out::line("KEEPALIVE_SURVIVED");
    let _root = s.client;
    session_end(s.task).await;
    Ok(())
}

/// Calls the C side's Interop server.
async fn call(cfg: &Config, stream: Stream) -> Result<(), String> {
    let s = establish(cfg, stream, Options { policy: OpenPolicy::AcceptAll, keepalive: None }).await?;
    let client: InteropClient = s.client;
    let mut problems: Vec<String> = Vec::new();
    let mut report = |method: &str, ok: bool, result: String| {
        out::line(format!("CALL method={method} result={}", out::word(&result)));
        if !ok {
            problems.push(method.to_string());
        }
    };

    let r = client.echo("hello from rust".to_string()).await;
    report("echo", matches!(&r, Ok(v) if v == "hello from rust"), format!("{r:?}"));
    let r = client.add(40, 2).await;
    report("add", matches!(r, Ok(42)), format!("{r:?}"));
    let r = client.divide(7, 0).await;
    report("divide", matches!(r, Err(RoamError::User(MathError::DivisionByZero))), format!("{r:?}"));
    let r = client.divide(84, 2).await;
    report("divide", matches!(r, Ok(42)), format!("{r:?}"));

    let (tx, rx) = roam::channel::<i32>();
    tokio::spawn(async move {
        for n in 1..=100 {
            if tx.send(n).await.is_err() {
                break;
            }
        }
        let _ = tx.close(Default::default()).await;
    });
    let r = client.sum(rx).await;
    report("sum", matches!(r, Ok(5050)), r.map(|v| v.to_string()).unwrap_or_else(|e| format!("{e:?}")));

    let (tx, mut rx) = roam::channel::<i32>();
    let collector = tokio::spawn(async move {
        let mut got = Vec::new();
        while let Ok(Some(n)) = rx.recv().await {
            got.push(*n);
        }
        got
    });
    let r = client.generate(40, tx).await;
    let got = collector.await.unwrap_or_default();
    report(
        "generate",
        r.is_ok() && got == (0..40).collect::<Vec<i32>>(),
        format!("{r:?}:{}_items", got.len()),
    );

    let mut set = tokio::task::JoinSet::new();
    for i in 0..200 {
        let c = client.clone();
        set.spawn(async move { (i, c.echo(format!("concurrent-{i}")).await) });
    }
    let mut good = 0;
    while let Some(joined) = set.join_next().await {
        if let Ok((i, Ok(v))) = joined {
            good += (v == format!("concurrent-{i}")) as usize;
        }
    }
    report("echo_x200", good == 200, format!("{good}_of_200"));

    // Done: letting go of the root ends the session (nothing else is open).
    drop(client);
    let _ = tokio::time::timeout(Duration::from_secs(5), session_end(s.task)).await;
    if problems.is_empty() { Ok(()) } else { Err(problems.join(",")) }
}

/// Accepts two sessions and splices one connection of each with
/// roam-core's proxy_connections.
async fn proxy(listener: Listener) -> Result<(), String> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let cfg = Config { role: Role::Acceptor, scenario: "proxy".into() };
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let stream = listener.accept().await?;
        let s = establish(&cfg, stream, Options { policy: OpenPolicy::HandOver(tx.clone()), keepalive: None }).await?;
        sessions.push(s);
    }
    let (mut caller, mut server) = (None, None);
    while caller.is_none() || server.is_none() {
        let (side, handle) = rx.recv().await.ok_or("connections never arrived")?;
        match side.as_str() {
            "caller" => caller = Some(handle),
            "server" => server = Some(handle),
            other => return Err(format!("unexpected proxy-side {other}")),
        }
    }
    out::line("PROXY_STARTED");
    proxy_connections(caller.unwrap(), server.unwrap()).await;
    out::line("PROXY_ENDED");
    for s in sessions {
        let _root = s.client;
        session_end(s.task).await;
    }
    Ok(())
}
