#include "wire/message.hpp"

namespace roam::wire {

Message make_hello(uint32_t version, ConnectionSettings settings, MetadataView md) {
  Message m;
  m.kind = MessageKind::Hello;
  m.version = version;
  m.settings = settings;
  m.metadata = md;
  return m;
}

Message make_hello_yourself(ConnectionSettings settings, MetadataView md) {
  Message m;
  m.kind = MessageKind::HelloYourself;
  m.settings = settings;
  m.metadata = md;
  return m;
}

Message make_protocol_error(std::string_view description) {
  Message m;
  m.kind = MessageKind::ProtocolError;
  m.description = description;
  return m;
}

Message make_connection_open(uint64_t conn, ConnectionSettings settings, MetadataView md) {
  Message m;
  m.connection_id = conn;
  m.kind = MessageKind::ConnectionOpen;
  m.settings = settings;
  m.metadata = md;
  return m;
}

Message make_connection_accept(uint64_t conn, ConnectionSettings settings, MetadataView md) {
  Message m = make_connection_open(conn, settings, md);
  m.kind = MessageKind::ConnectionAccept;
  return m;
}

Message make_connection_reject(uint64_t conn, MetadataView md) {
  Message m;
  m.connection_id = conn;
  m.kind = MessageKind::ConnectionReject;
  m.metadata = md;
  return m;
}

Message make_connection_close(uint64_t conn, MetadataView md) {
  Message m = make_connection_reject(conn, md);
  m.kind = MessageKind::ConnectionClose;
  return m;
}

Message make_request(uint64_t conn, const RequestMessage &request) {
  Message m;
  m.connection_id = conn;
  m.kind = MessageKind::Request;
  m.request = request;
  return m;
}

Message make_channel(uint64_t conn, const ChannelMessage &channel) {
  Message m;
  m.connection_id = conn;
  m.kind = MessageKind::Channel;
  m.channel = channel;
  return m;
}

Message make_ping(uint64_t nonce) {
  Message m;
  m.kind = MessageKind::Ping;
  m.nonce = nonce;
  return m;
}

Message make_pong(uint64_t conn, uint64_t nonce) {
  Message m;
  m.connection_id = conn;
  m.kind = MessageKind::Pong;
  m.nonce = nonce;
  return m;
}

const char *message_kind_name(MessageKind k) {
  switch (k) {
    case MessageKind::Hello: return "Hello";
    case MessageKind::HelloYourself: return "HelloYourself";
    case MessageKind::ProtocolError: return "ProtocolError";
    case MessageKind::ConnectionOpen: return "ConnectionOpen";
    case MessageKind::ConnectionAccept: return "ConnectionAccept";
    case MessageKind::ConnectionReject: return "ConnectionReject";
    case MessageKind::ConnectionClose: return "ConnectionClose";
    case MessageKind::Request: return "Request";
    case MessageKind::Channel: return "Channel";
    case MessageKind::Ping: return "Ping";
    case MessageKind::Pong: return "Pong";
  }
  return "?";
}

const char *request_kind_name(RequestKind k) {
  switch (k) {
    case RequestKind::Call: return "Call";
    case RequestKind::Response: return "Response";
    case RequestKind::Cancel: return "Cancel";
  }
  return "?";
}

const char *channel_kind_name(ChannelKind k) {
  switch (k) {
    case ChannelKind::Item: return "Item";
    case ChannelKind::Close: return "Close";
    case ChannelKind::Reset: return "Reset";
    case ChannelKind::GrantCredit: return "GrantCredit";
  }
  return "?";
}

}  // namespace roam::wire
