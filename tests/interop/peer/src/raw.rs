//! Raw mode: roam frames written and read by hand on the socket (u32 LE
//! length + postcard of roam-types' Message), for what a well-behaved roam
//! session will not do: speak another version, open wrong-parity ids.

use roam_types::{Message, MessagePayload};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::transport::Stream;

pub async fn send(stream: &mut Stream, message: &Message<'_>) -> Result<(), String> {
    let payload = crate::vectors::encode(message);
    let mut frame = (payload.len() as u32).to_le_bytes().to_vec();
    frame.extend_from_slice(&payload);
    stream.writer.write_all(&frame).await.map_err(|e| e.to_string())?;
    stream.writer.flush().await.map_err(|e| e.to_string())
}

/// The next link payload, or None at end of stream.
pub async fn recv(stream: &mut Stream) -> Result<Option<Vec<u8>>, String> {
    let mut len = [0u8; 4];
    match stream.reader.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.to_string()),
    }
    let mut payload = vec![0u8; u32::from_le_bytes(len) as usize];
    stream.reader.read_exact(&mut payload).await.map_err(|e| e.to_string())?;
    Ok(Some(payload))
}

pub fn decode(payload: &[u8]) -> Result<Message<'_>, String> {
    facet_postcard::from_slice_borrowed::<Message<'_>>(payload).map_err(|e| e.to_string())
}

pub fn kind_name(payload: &MessagePayload<'_>) -> &'static str {
    match payload {
        MessagePayload::Hello(_) => "Hello",
        MessagePayload::HelloYourself(_) => "HelloYourself",
        MessagePayload::ProtocolError(_) => "ProtocolError",
        MessagePayload::ConnectionOpen(_) => "ConnectionOpen",
        MessagePayload::ConnectionAccept(_) => "ConnectionAccept",
        MessagePayload::ConnectionReject(_) => "ConnectionReject",
        MessagePayload::ConnectionClose(_) => "ConnectionClose",
        MessagePayload::RequestMessage(_) => "RequestMessage",
        MessagePayload::ChannelMessage(_) => "ChannelMessage",
        MessagePayload::Ping(_) => "Ping",
        MessagePayload::Pong(_) => "Pong",
    }
}
