//! `bench-call`: the reference client for libroam's benchmark. Makes N echo
//! calls with C in flight and prints `BENCH calls=N seconds=S` (S = the wall
//! time of the calls alone, handshake excluded).

use std::time::Instant;

use crate::service::InteropClient;
use crate::session::{self, Options, Role};
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
