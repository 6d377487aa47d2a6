//! `vectors --out DIR`: the golden wire vectors of tests/vectors, written by
//! the roam 7.3.0 crates themselves (facet-postcard of roam-types' Message).
//! libroam's tests check its encoder and decoder against these bytes.

use std::path::Path;

use roam_types::{
    ChannelBody, ChannelClose, ChannelGrantCredit, ChannelId, ChannelItem, ChannelMessage,
    ChannelReset, ConnectionAccept, ConnectionClose, ConnectionId, ConnectionOpen,
    ConnectionReject, ConnectionSettings, Hello, HelloYourself, Message, MessagePayload, Metadata,
    MetadataEntry, MetadataFlags, MetadataValue, MethodId, Parity, Payload, Ping, Pong,
    ProtocolError, RequestBody, RequestCall, RequestCancel, RequestId, RequestMessage,
    RequestResponse,
};

/// roam's own sample metadata (its golden vectors use it too).
fn sample() -> Metadata<'static> {
    vec![
        MetadataEntry { key: "trace-id", value: MetadataValue::String("abc123"), flags: MetadataFlags::NONE },
        MetadataEntry {
            key: "auth",
            value: MetadataValue::Bytes(&[0xde, 0xad, 0xbe, 0xef]),
            flags: MetadataFlags::SENSITIVE | MetadataFlags::NO_PROPAGATE,
        },
        MetadataEntry { key: "attempt", value: MetadataValue::U64(2), flags: MetadataFlags::NONE },
    ]
}

fn settings(parity: Parity, max: u32) -> ConnectionSettings {
    ConnectionSettings { parity, max_concurrent_requests: max }
}

fn msg(conn: u64, payload: MessagePayload<'static>) -> Message<'static> {
    Message { connection_id: ConnectionId(conn), payload }
}

fn request(conn: u64, id: u64, body: RequestBody<'static>) -> Message<'static> {
    msg(conn, MessagePayload::RequestMessage(RequestMessage { id: RequestId(id), body }))
}

fn channel(conn: u64, id: u64, body: ChannelBody<'static>) -> Message<'static> {
    msg(conn, MessagePayload::ChannelMessage(ChannelMessage { id: ChannelId(id), body }))
}

fn call(method: u64, channels: &[u64], metadata: Metadata<'static>, args: &'static [u8]) -> RequestBody<'static> {
    RequestBody::Call(RequestCall {
        method_id: MethodId(method),
        channels: channels.iter().map(|&c| ChannelId(c)).collect(),
        metadata,
        args: Payload::Incoming(args),
    })
}

fn response(channels: &[u64], metadata: Metadata<'static>, ret: &'static [u8]) -> RequestBody<'static> {
    RequestBody::Response(RequestResponse {
        channels: channels.iter().map(|&c| ChannelId(c)).collect(),
        metadata,
        ret: Payload::Incoming(ret),
    })
}

/// (name, description, message), in the order libroam's test lists them.
fn all() -> Vec<(&'static str, &'static str, Message<'static>)> {
    use MessagePayload as P;
    let none = Vec::new;
    vec![
        ("hello_odd_empty", "Hello{7, {Odd, 64}, []}",
         msg(0, P::Hello(Hello { version: 7, connection_settings: settings(Parity::Odd, 64), metadata: none() }))),
        ("hello_golden", "Hello{7, {Odd, 64}, M} (= roam's message_hello.bin)",
         msg(0, P::Hello(Hello { version: 7, connection_settings: settings(Parity::Odd, 64), metadata: sample() }))),
        ("hello_even_metadata", "Hello{7, {Even, 1000}, M}",
         msg(0, P::Hello(Hello { version: 7, connection_settings: settings(Parity::Even, 1000), metadata: sample() }))),
        ("hello_version_8", "Hello{8, {Odd, 64}, []}",
         msg(0, P::Hello(Hello { version: 8, connection_settings: settings(Parity::Odd, 64), metadata: none() }))),
        ("hello_yourself_even_empty", "HelloYourself{{Even, 64}, []}",
         msg(0, P::HelloYourself(HelloYourself { connection_settings: settings(Parity::Even, 64), metadata: none() }))),
        ("hello_yourself_odd_metadata", "HelloYourself{{Odd, 32}, M}",
         msg(0, P::HelloYourself(HelloYourself { connection_settings: settings(Parity::Odd, 32), metadata: sample() }))),
        ("protocol_error", "ProtocolError{\"bad frame sequence\"}",
         msg(0, P::ProtocolError(ProtocolError { description: "bad frame sequence" }))),
        ("protocol_error_empty", "ProtocolError{\"\"}", msg(0, P::ProtocolError(ProtocolError { description: "" }))),
        ("connection_open_odd_empty", "conn 1 ConnectionOpen{{Odd, 64}, []}",
         msg(1, P::ConnectionOpen(ConnectionOpen { connection_settings: settings(Parity::Odd, 64), metadata: none() }))),
        ("connection_open_even_metadata", "conn 2 ConnectionOpen{{Even, 0}, M}",
         msg(2, P::ConnectionOpen(ConnectionOpen { connection_settings: settings(Parity::Even, 0), metadata: sample() }))),
        ("connection_open_large_id", "conn 34359738369 ConnectionOpen{{Odd, u32::MAX}, []}",
         msg(34359738369, P::ConnectionOpen(ConnectionOpen { connection_settings: settings(Parity::Odd, u32::MAX), metadata: none() }))),
        ("connection_accept_even_empty", "conn 1 ConnectionAccept{{Even, 64}, []}",
         msg(1, P::ConnectionAccept(ConnectionAccept { connection_settings: settings(Parity::Even, 64), metadata: none() }))),
        ("connection_accept_odd_metadata", "conn 2 ConnectionAccept{{Odd, 96}, M}",
         msg(2, P::ConnectionAccept(ConnectionAccept { connection_settings: settings(Parity::Odd, 96), metadata: sample() }))),
        ("connection_reject_empty", "conn 3 ConnectionReject{[]}", msg(3, P::ConnectionReject(ConnectionReject { metadata: none() }))),
        ("connection_reject_metadata", "conn 4 ConnectionReject{M}", msg(4, P::ConnectionReject(ConnectionReject { metadata: sample() }))),
        ("connection_close_empty", "conn 1 ConnectionClose{[]}", msg(1, P::ConnectionClose(ConnectionClose { metadata: none() }))),
        ("connection_close_metadata", "conn 2 ConnectionClose{M}", msg(2, P::ConnectionClose(ConnectionClose { metadata: sample() }))),
        ("request_call_minimal", "conn 0 Request{1, Call{0x9aabc4ba61fd5df3, [], [], args (\"hi\",)}}",
         request(0, 1, call(0x9aabc4ba61fd5df3, &[], none(), &[0x02, 0x68, 0x69]))),
        ("request_call_full", "conn 2 Request{11, Call{0xE5A1D6B2C390F001, [3, 5], M, args u32 0x12345678}} (= roam's message_request_call.bin)",
         request(2, 11, call(0xE5A1D6B2C390F001, &[3, 5], sample(), &[0xf8, 0xac, 0xd1, 0x91, 0x01]))),
        ("request_call_empty_args", "conn 1 Request{u64::MAX, Call{u64::MAX, [], [], args empty}}",
         request(1, u64::MAX, call(u64::MAX, &[], none(), &[]))),
        ("request_response_ok", "conn 0 Request{1, Response{[], [], Ok(\"hi\")}}",
         request(0, 1, response(&[], none(), &[0x00, 0x02, 0x68, 0x69]))),
        ("request_response_full", "conn 2 Request{11, Response{[7], M, ret 8ce0bad60f}}",
         request(2, 11, response(&[7], sample(), &[0x8c, 0xe0, 0xba, 0xd6, 0x0f]))),
        ("request_response_cancelled", "conn 3 Request{5, Response{[], [], Err(Cancelled)}}",
         request(3, 5, response(&[], none(), &[0x01, 0x03]))),
        ("request_cancel_empty", "conn 1 Request{3, Cancel{[]}}", request(1, 3, RequestBody::Cancel(RequestCancel { metadata: none() }))),
        ("request_cancel_metadata", "conn 2 Request{11, Cancel{M}}", request(2, 11, RequestBody::Cancel(RequestCancel { metadata: sample() }))),
        ("channel_item", "conn 2 Channel{3, Item{u16 77}}", channel(2, 3, ChannelBody::Item(ChannelItem { item: Payload::Incoming(&[0x4d]) }))),
        ("channel_item_empty", "conn 1 Channel{1, Item{<empty>}}", channel(1, 1, ChannelBody::Item(ChannelItem { item: Payload::Incoming(&[]) }))),
        ("channel_item_large_id", "conn 0 Channel{2^63, Item{010203}}",
         channel(0, 1 << 63, ChannelBody::Item(ChannelItem { item: Payload::Incoming(&[1, 2, 3]) }))),
        ("channel_close_empty", "conn 1 Channel{3, Close{[]}}", channel(1, 3, ChannelBody::Close(ChannelClose { metadata: none() }))),
        ("channel_close_metadata", "conn 2 Channel{3, Close{M}}", channel(2, 3, ChannelBody::Close(ChannelClose { metadata: sample() }))),
        ("channel_reset_metadata", "conn 2 Channel{3, Reset{M}}", channel(2, 3, ChannelBody::Reset(ChannelReset { metadata: sample() }))),
        ("channel_grant_credit", "conn 2 Channel{3, GrantCredit{1024}}",
         channel(2, 3, ChannelBody::GrantCredit(ChannelGrantCredit { additional: 1024 }))),
        ("channel_grant_credit_max", "conn 1 Channel{5, GrantCredit{u32::MAX}}",
         channel(1, 5, ChannelBody::GrantCredit(ChannelGrantCredit { additional: u32::MAX }))),
        ("ping", "conn 0 Ping{1}", msg(0, P::Ping(Ping { nonce: 1 }))),
        ("pong_large_nonce", "conn 0 Pong{u64::MAX}", msg(0, P::Pong(Pong { nonce: u64::MAX }))),
        ("metadata_sensitive", "conn 1 ConnectionClose{[authorization=\"Bearer x\" SENSITIVE]}",
         msg(1, P::ConnectionClose(ConnectionClose {
             metadata: vec![MetadataEntry { key: "authorization", value: MetadataValue::String("Bearer x"), flags: MetadataFlags::SENSITIVE }],
         }))),
        ("metadata_unicode", "conn 1 ConnectionClose{[grüße=\"héllo ✓\", k=bytes[] NO_PROPAGATE, n=u64::MAX]}",
         msg(1, P::ConnectionClose(ConnectionClose {
             metadata: vec![
                 MetadataEntry { key: "grüße", value: MetadataValue::String("héllo ✓"), flags: MetadataFlags::NONE },
                 MetadataEntry { key: "k", value: MetadataValue::Bytes(&[]), flags: MetadataFlags::NO_PROPAGATE },
                 MetadataEntry { key: "n", value: MetadataValue::U64(u64::MAX), flags: MetadataFlags::NONE },
             ],
         }))),
    ]
}

pub fn encode(message: &Message<'_>) -> Vec<u8> {
    facet_postcard::to_vec(message).expect("roam message encodes")
}

pub fn write_all(dir: &Path) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let vectors = all();
    for (name, description, message) in &vectors {
        let text = format!("# {name}: {description}\n{}\n", crate::out::hex(&encode(message)));
        std::fs::write(dir.join(format!("{name}.hex")), text)?;
    }
    Ok(vectors.len())
}
