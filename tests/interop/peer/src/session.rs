//! Establishing a real roam-core session in either role, with our hello
//! metadata, an acceptor for inbound virtual connections, and a handle on
//! the session task so scenarios can tell when it ended.

use roam_core::{
    AcceptedConnection, ConnectionAcceptor, ConnectionHandle, Driver, SessionError, SessionHandle,
    SessionKeepaliveConfig, acceptor, initiator,
};
use roam_types::{ConnectionId, ConnectionSettings, Metadata, MetadataEntry, Parity};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::out;
use crate::service::{InteropClient, InteropDispatcher, InteropService};
use crate::transport::{Received, Stream, sniffing_link};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Initiator,
    Acceptor,
}

/// What to do with inbound ConnectionOpen.
#[derive(Clone)]
pub enum OpenPolicy {
    /// Accept when metadata has want=accept (and serve Interop on it),
    /// reject otherwise with [reason=policy].
    ByWant,
    /// Accept everything and serve Interop on it.
    AcceptAll,
    /// Accept everything but attach no driver: hand the connection over
    /// (for proxy_connections).
    HandOver(mpsc::UnboundedSender<(String, ConnectionHandle)>),
}

pub struct PolicyAcceptor {
    policy: OpenPolicy,
    seen: mpsc::UnboundedSender<ConnectionId>,
}

impl ConnectionAcceptor for PolicyAcceptor {
    fn accept(
        &self,
        conn_id: ConnectionId,
        peer_settings: &ConnectionSettings,
        metadata: &[MetadataEntry],
    ) -> Result<AcceptedConnection, Metadata<'static>> {
        let parity = if peer_settings.parity == Parity::Odd { "odd" } else { "even" };
        out::event(format!(
            "INBOUND_OPEN conn={} parity={parity} max={} {}",
            conn_id.0,
            peer_settings.max_concurrent_requests,
            out::metadata(metadata)
        ));
        let _ = self.seen.send(conn_id);
        if matches!(self.policy, OpenPolicy::ByWant) && out::string_value(metadata, "want") != Some("accept") {
            return Err(out::md1("reason", "policy"));
        }
        // The accepter takes the other parity on the new connection.
        let settings = ConnectionSettings { parity: peer_settings.parity.other(), max_concurrent_requests: 64 };
        let side = out::string_value(metadata, "proxy-side").unwrap_or("").to_string();
        let policy = self.policy.clone();
        Ok(AcceptedConnection {
            settings,
            metadata: out::md1("accepted-by", "roam-rust"),
            setup: Box::new(move |handle| match policy {
                OpenPolicy::HandOver(tx) => {
                    let _ = tx.send((side, handle));
                }
                _ => serve_connection(handle),
            }),
        })
    }
}

/// Runs the Interop service on a connection (no caller: it stays open
/// until someone closes it).
pub fn serve_connection(handle: ConnectionHandle) {
    let mut driver = Driver::new(handle, InteropDispatcher::new(InteropService));
    tokio::spawn(async move { driver.run().await });
}

pub struct Established {
    pub client: InteropClient,
    pub handle: SessionHandle,
    /// Finishes when the session's run loop ends.
    pub task: JoinHandle<()>,
    pub received: Received,
    pub inbound: mpsc::UnboundedReceiver<ConnectionId>,
}

pub struct Options {
    pub policy: OpenPolicy,
    pub keepalive: Option<SessionKeepaliveConfig>,
}

impl Default for Options {
    fn default() -> Self {
        Options { policy: OpenPolicy::ByWant, keepalive: None }
    }
}

pub fn hello_metadata() -> Metadata<'static> {
    let mut md = out::md1("peer", "roam-rust");
    md.extend(out::md1("roam-version", "7.3.0"));
    md
}

pub async fn establish(role: Role, stream: Stream, opts: Options) -> Result<Established, SessionError> {
    let (link, received) = sniffing_link(stream);
    let (seen_tx, inbound) = mpsc::unbounded_channel();
    let accept = PolicyAcceptor { policy: opts.policy, seen: seen_tx };
    let (task_tx, task_rx) = tokio::sync::oneshot::channel::<JoinHandle<()>>();
    let spawn = move |fut| {
        let _ = task_tx.send(tokio::spawn(fut));
    };
    let dispatcher = InteropDispatcher::new(InteropService);
    let (client, handle) = match role {
        Role::Initiator => {
            let mut b = initiator(link).metadata(hello_metadata()).on_connection(accept).spawn_fn(spawn);
            if let Some(k) = opts.keepalive {
                b = b.keepalive(k);
            }
            b.establish::<InteropClient>(dispatcher).await?
        }
        Role::Acceptor => {
            let mut b = acceptor(link).metadata(hello_metadata()).on_connection(accept).spawn_fn(spawn);
            if let Some(k) = opts.keepalive {
                b = b.keepalive(k);
            }
            b.establish::<InteropClient>(dispatcher).await?
        }
    };
    let task = task_rx.await.expect("the session task is spawned by establish");
    Ok(Established { client, handle, task, received, inbound })
}

/// Prints PEER_HELLO from the first frame the session received.
pub fn print_peer_hello(received: &Received) {
    let bytes = received.lock().unwrap().first().cloned();
    let Some(bytes) = bytes else {
        out::line("PEER_HELLO missing");
        return;
    };
    match crate::raw::decode(&bytes) {
        Ok(m) => match &m.payload {
            roam_types::MessagePayload::Hello(h) => out::line(format!(
                "PEER_HELLO version={} parity={} max={} {}",
                h.version,
                if h.connection_settings.parity == Parity::Odd { "odd" } else { "even" },
                h.connection_settings.max_concurrent_requests,
                out::metadata(&h.metadata)
            )),
            roam_types::MessagePayload::HelloYourself(h) => out::line(format!(
                "PEER_HELLO version=- parity={} max={} {}",
                if h.connection_settings.parity == Parity::Odd { "odd" } else { "even" },
                h.connection_settings.max_concurrent_requests,
                out::metadata(&h.metadata)
            )),
            other => out::line(format!("PEER_HELLO unexpected={}", crate::raw::kind_name(other))),
        },
        Err(e) => out::line(format!("PEER_HELLO undecodable={}", out::word(&e))),
    }
}

/// The metadata of the ConnectionReject received for `conn`, decoded from
/// the frame itself. roam-core 7.3.0's SessionError::Rejected cannot be
/// trusted for this: handle_inbound_reject copies metadata entries that
/// borrow from the received frame, which is freed right after, so the
/// strings it carries dangle (seen Rust to Rust as "md=   on:s:policy:0").
pub fn received_reject_metadata(received: &Received, conn: u64) -> Option<String> {
    let frames = received.lock().unwrap();
    frames.iter().rev().find_map(|bytes| {
        let m = crate::raw::decode(bytes).ok()?;
        match &m.payload {
            roam_types::MessagePayload::ConnectionReject(r) if m.connection_id.0 == conn => {
                Some(out::metadata(&r.metadata))
            }
            _ => None,
        }
    })
}
