#include "message_builder.hpp"

namespace roam::fuzz {

namespace {

// Printable ASCII: always valid UTF-8, as keys and string values must be.
std::string ascii(const std::vector<uint8_t> &raw) {
  std::string s;
  for (uint8_t c : raw) s += static_cast<char>(0x20 + c % 95);
  return s;
}

std::vector<uint8_t> filler(size_t size, uint8_t seed) {
  std::vector<uint8_t> out(size);
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>(seed + i);
  return out;
}

}  // namespace

uint64_t pick_id(FuzzInput &in, const std::vector<uint64_t> &known) {
  uint8_t b = in.u8();
  if ((b & 0x80) == 0 && !known.empty()) return known[b % known.size()];
  if ((b & 0xC0) == 0xC0) return in.u64();
  return b & 0x3f;
}

wire::MetadataList build_metadata(FuzzInput &in) {
  wire::MetadataList md;
  uint8_t shape = in.u8();
  for (unsigned i = 0; i < shape % 4u; ++i) {
    std::string key = ascii(in.bytes(in.u8() % 8));
    uint8_t kind = in.u8() % 3;
    uint64_t flags = in.u8();
    if (kind == 0) {
      md.add_string(key, ascii(in.bytes(in.u8() % 16)), flags);
    } else if (kind == 1) {
      std::vector<uint8_t> value = in.bytes(in.u8() % 16);
      md.add_bytes(key, wire::ByteView(value.data(), value.size()), flags);
    } else {
      md.add_u64(key, in.u64(), flags);
    }
  }
  if (shape & 0x80) {
    // One large entry, to cross the metadata and frame limits.
    std::vector<uint8_t> big = filler((in.u8() + 1u) * 16u, shape);
    md.add_bytes("big", wire::ByteView(big.data(), big.size()));
  }
  return md;
}

wire::ConnectionSettings build_settings(FuzzInput &in) {
  uint8_t b = in.u8();
  wire::ConnectionSettings s;
  s.parity = (b & 1) ? wire::Parity::Even : wire::Parity::Odd;
  s.max_concurrent_requests = (b & 0x80) ? in.u32() : (b >> 1) % 16;
  return s;
}

std::vector<uint8_t> build_payload(FuzzInput &in) {
  uint8_t b = in.u8();
  if (b < 0xF0) return in.bytes(b % 48);
  return filler((in.u8() + 1u) * 32u, b);
}

std::vector<uint8_t> build_response_payload(FuzzInput &in) {
  uint8_t envelope = in.u8() % 6;
  std::vector<uint8_t> out;
  switch (envelope) {
    case 0: out = {0x00}; break;        // Ok(T)
    case 1: out = {0x01, 0x00}; break;  // Err(User(E))
    case 2: out = {0x01, 0x01}; return out;  // UnknownMethod
    case 3: out = {0x01, 0x02}; return out;  // InvalidPayload
    case 4: out = {0x01, 0x03}; return out;  // Cancelled
    default: break;                          // raw bytes, maybe no envelope at all
  }
  std::vector<uint8_t> value = build_payload(in);
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

wire::RequestMessage build_request(FuzzInput &in, const KnownIds &known, MessageParts &parts) {
  wire::RequestMessage q;
  q.kind = static_cast<wire::RequestKind>(in.u8() % wire::kRequestKinds);
  q.id = pick_id(in, known.requests);
  if (q.kind == wire::RequestKind::Call) q.method_id = in.u8();
  if (q.kind != wire::RequestKind::Cancel) {
    unsigned n = in.u8() % 5;
    for (unsigned i = 0; i < n; ++i) parts.channel_ids.push_back(pick_id(in, known.channels));
    q.channels = wire::IdList(parts.channel_ids.data(), parts.channel_ids.size());
  }
  parts.metadata = build_metadata(in);
  q.metadata = parts.metadata.view();
  if (q.kind == wire::RequestKind::Call) parts.payload = build_payload(in);
  if (q.kind == wire::RequestKind::Response) parts.payload = build_response_payload(in);
  q.payload = wire::ByteView(parts.payload.data(), parts.payload.size());
  return q;
}

wire::ChannelMessage build_channel(FuzzInput &in, const KnownIds &known, MessageParts &parts) {
  wire::ChannelMessage c;
  c.id = pick_id(in, known.channels);
  c.kind = static_cast<wire::ChannelKind>(in.u8() % wire::kChannelKinds);
  switch (c.kind) {
    case wire::ChannelKind::Item:
      parts.payload = build_payload(in);
      c.item = wire::ByteView(parts.payload.data(), parts.payload.size());
      break;
    case wire::ChannelKind::Close:
    case wire::ChannelKind::Reset:
      parts.metadata = build_metadata(in);
      c.metadata = parts.metadata.view();
      break;
    case wire::ChannelKind::GrantCredit: {
      uint8_t a = in.u8();
      c.additional = (a & 0x80) ? in.u32() : a % 8;
      break;
    }
  }
  return c;
}

wire::Message build_message(FuzzInput &in, const KnownIds &known, MessageParts &parts) {
  auto kind = static_cast<wire::MessageKind>(in.u8() % wire::kMessageKinds);
  uint64_t conn = pick_id(in, known.connections);
  switch (kind) {
    case wire::MessageKind::Hello: {
      uint8_t v = in.u8();
      uint32_t version = v < 0xF0 ? wire::kProtocolVersion : in.u32();
      wire::ConnectionSettings s = build_settings(in);
      parts.metadata = build_metadata(in);
      wire::Message m = wire::make_hello(version, s, parts.metadata.view());
      m.connection_id = conn;
      return m;
    }
    case wire::MessageKind::HelloYourself: {
      wire::ConnectionSettings s = build_settings(in);
      parts.metadata = build_metadata(in);
      wire::Message m = wire::make_hello_yourself(s, parts.metadata.view());
      m.connection_id = conn;
      return m;
    }
    case wire::MessageKind::ProtocolError: {
      parts.text = ascii(in.bytes(in.u8() % 32));
      wire::Message m = wire::make_protocol_error(parts.text);
      m.connection_id = conn;
      return m;
    }
    case wire::MessageKind::ConnectionOpen:
    case wire::MessageKind::ConnectionAccept: {
      wire::ConnectionSettings s = build_settings(in);
      parts.metadata = build_metadata(in);
      return kind == wire::MessageKind::ConnectionOpen
                 ? wire::make_connection_open(conn, s, parts.metadata.view())
                 : wire::make_connection_accept(conn, s, parts.metadata.view());
    }
    case wire::MessageKind::ConnectionReject:
    case wire::MessageKind::ConnectionClose:
      parts.metadata = build_metadata(in);
      return kind == wire::MessageKind::ConnectionReject
                 ? wire::make_connection_reject(conn, parts.metadata.view())
                 : wire::make_connection_close(conn, parts.metadata.view());
    case wire::MessageKind::Request:
      return wire::make_request(conn, build_request(in, known, parts));
    case wire::MessageKind::Channel:
      return wire::make_channel(conn, build_channel(in, known, parts));
    case wire::MessageKind::Ping: {
      wire::Message m = wire::make_ping(pick_id(in, known.nonces));
      m.connection_id = conn;
      return m;
    }
    case wire::MessageKind::Pong:
      return wire::make_pong(conn, pick_id(in, known.nonces));
  }
  return wire::make_ping(0);
}

}  // namespace roam::fuzz
