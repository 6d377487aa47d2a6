//! Addresses (`tcp:HOST:PORT`, `unix:PATH`), listening and connecting, and
//! the stream link the roam session runs on, wrapped so that every link
//! payload received is kept: the first is the counterpart's Hello or
//! HelloYourself, and some scenarios check raw frames roam-core's API does
//! not expose faithfully.

use std::sync::{Arc, Mutex};

use roam_stream::StreamLink;
use roam_types::{Backing, Link, LinkRx};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

pub enum Addr {
    Tcp(String),
    Unix(String),
}

pub fn parse_addr(text: &str) -> Result<Addr, String> {
    if let Some(rest) = text.strip_prefix("tcp:") {
        Ok(Addr::Tcp(rest.to_string()))
    } else if let Some(rest) = text.strip_prefix("unix:") {
        Ok(Addr::Unix(rest.to_string()))
    } else {
        Err(format!("address must be tcp:HOST:PORT or unix:PATH, not {text}"))
    }
}

pub enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, String),
}

/// A connected byte stream of either kind.
pub struct Stream {
    pub reader: Box<dyn AsyncRead + Send + Unpin>,
    pub writer: Box<dyn AsyncWrite + Send + Unpin>,
}

impl Listener {
    /// Binds and prints `LISTENING <addr>` (port 0 resolved).
    pub async fn bind(addr: &Addr) -> Result<Self, String> {
        match addr {
            Addr::Tcp(hostport) => {
                let l = TcpListener::bind(hostport).await.map_err(|e| format!("bind {hostport}: {e}"))?;
                let local = l.local_addr().map_err(|e| e.to_string())?;
                crate::out::line(format!("LISTENING tcp:{local}"));
                Ok(Listener::Tcp(l))
            }
            Addr::Unix(path) => {
                let _ = std::fs::remove_file(path);
                let l = UnixListener::bind(path).map_err(|e| format!("bind {path}: {e}"))?;
                crate::out::line(format!("LISTENING unix:{path}"));
                Ok(Listener::Unix(l, path.clone()))
            }
        }
    }

    pub async fn accept(&self) -> Result<Stream, String> {
        match self {
            Listener::Tcp(l) => {
                let (s, _) = l.accept().await.map_err(|e| e.to_string())?;
                s.set_nodelay(true).ok();
                Ok(split_tcp(s))
            }
            Listener::Unix(l, _) => {
                let (s, _) = l.accept().await.map_err(|e| e.to_string())?;
                Ok(split_unix(s))
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn split_tcp(s: TcpStream) -> Stream {
    let (r, w) = s.into_split();
    Stream { reader: Box::new(r), writer: Box::new(w) }
}

fn split_unix(s: UnixStream) -> Stream {
    let (r, w) = s.into_split();
    Stream { reader: Box::new(r), writer: Box::new(w) }
}

pub async fn connect(addr: &Addr) -> Result<Stream, String> {
    match addr {
        Addr::Tcp(hostport) => {
            let s = TcpStream::connect(hostport).await.map_err(|e| format!("connect {hostport}: {e}"))?;
            s.set_nodelay(true).ok();
            Ok(split_tcp(s))
        }
        Addr::Unix(path) => {
            let s = UnixStream::connect(path).await.map_err(|e| format!("connect {path}: {e}"))?;
            Ok(split_unix(s))
        }
    }
}

/// Every link payload the session received, in order.
pub type Received = Arc<Mutex<Vec<Vec<u8>>>>;

/// roam-stream's StreamLink over the stream, with the first payload kept.
pub fn sniffing_link(
    stream: Stream,
) -> (SniffLink<StreamLink<Box<dyn AsyncRead + Send + Unpin>, Box<dyn AsyncWrite + Send + Unpin>>>, Received) {
    let received: Received = Arc::new(Mutex::new(Vec::new()));
    let link = SniffLink { inner: StreamLink::new(stream.reader, stream.writer), received: received.clone() };
    (link, received)
}

pub struct SniffLink<L> {
    inner: L,
    received: Received,
}

impl<L: Link> Link for SniffLink<L> {
    type Tx = L::Tx;
    type Rx = SniffRx<L::Rx>;

    fn split(self) -> (Self::Tx, Self::Rx) {
        let (tx, rx) = self.inner.split();
        (tx, SniffRx { inner: rx, received: self.received })
    }
}

pub struct SniffRx<R> {
    inner: R,
    received: Received,
}

impl<R: LinkRx> LinkRx for SniffRx<R> {
    type Error = R::Error;

    fn recv(&mut self) -> impl Future<Output = Result<Option<Backing>, Self::Error>> + Send + '_ {
        async move {
            let result = self.inner.recv().await;
            if let Ok(Some(backing)) = &result {
                if std::env::var_os("ROAM_PEER_TRACE").is_some() {
                    eprintln!("peer <- {}", crate::out::hex(backing.as_bytes()));
                }
                self.received.lock().unwrap().push(backing.as_bytes().to_vec());
            }
            result
        }
    }
}
