#include "wire/message_format.hpp"

#include <cinttypes>
#include <cstdio>

namespace roam::wire {
namespace {

const char *parity_name(Parity p) { return p == Parity::Odd ? "odd" : "even"; }

std::string describe_settings(const ConnectionSettings &s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "{%s, max_concurrent_requests %" PRIu32 "}",
                parity_name(s.parity), s.max_concurrent_requests);
  return buf;
}

std::string u64_text(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%" PRIu64, v);
  return buf;
}

std::string describe_ids(const IdList &ids) {
  std::string s = "[";
  ids.for_each([&s](uint64_t id) {
    if (s.size() > 1) s += ", ";
    s += u64_text(id);
  });
  return s + "]";
}

std::string describe_request(const RequestMessage &q) {
  std::string s = "Request{id " + u64_text(q.id) + ", " + request_kind_name(q.kind);
  switch (q.kind) {
    case RequestKind::Call: {
      char method[32];
      std::snprintf(method, sizeof method, "0x%016" PRIx64, q.method_id);
      s += "{method ";
      s += method;
      s += ", channels " + describe_ids(q.channels) + ", metadata " +
           describe_metadata(q.metadata) + ", args " + hex_preview(q.payload) + "}";
      break;
    }
    case RequestKind::Response:
      s += "{channels " + describe_ids(q.channels) + ", metadata " +
           describe_metadata(q.metadata) + ", ret " + hex_preview(q.payload) + "}";
      break;
    case RequestKind::Cancel:
      s += "{metadata " + describe_metadata(q.metadata) + "}";
      break;
  }
  return s + "}";
}

std::string describe_channel(const ChannelMessage &c) {
  std::string s = "Channel{id " + u64_text(c.id) + ", " + channel_kind_name(c.kind);
  switch (c.kind) {
    case ChannelKind::Item:
      s += "{" + hex_preview(c.item) + "}";
      break;
    case ChannelKind::Close:
    case ChannelKind::Reset:
      s += "{metadata " + describe_metadata(c.metadata) + "}";
      break;
    case ChannelKind::GrantCredit:
      s += "{additional " + u64_text(c.additional) + "}";
      break;
  }
  return s + "}";
}

}  // namespace

std::string hex_preview(ByteView bytes, size_t limit) {
  static const char kDigits[] = "0123456789abcdef";
  if (bytes.size == 0) return "<empty>";
  std::string s;
  size_t n = bytes.size < limit ? bytes.size : limit;
  for (size_t i = 0; i < n; ++i) {
    s += kDigits[bytes.data[i] >> 4];
    s += kDigits[bytes.data[i] & 15];
  }
  if (n < bytes.size) s += "…(" + u64_text(bytes.size) + " bytes)";
  return s;
}

std::string describe_metadata(const MetadataView &md) {
  std::string s = "[";
  bool first = true;
  for (const MetadataEntry &e : md) {
    if (!first) s += ", ";
    first = false;
    s += std::string(e.key) + "=";
    if (e.flags & kMetadataSensitive) {
      s += "<sensitive>";
    } else if (e.kind == MetadataKind::String) {
      s += "\"" + std::string(e.string_value()) + "\"";
    } else if (e.kind == MetadataKind::Bytes) {
      s += "0x" + hex_preview(e.bytes, 16);
    } else {
      s += u64_text(e.u64);
    }
    if (e.flags != 0) s += " (flags " + u64_text(e.flags) + ")";
  }
  return s + "]";
}

std::string describe_message(const Message &m) {
  std::string s = "conn " + u64_text(m.connection_id) + " " + message_kind_name(m.kind);
  switch (m.kind) {
    case MessageKind::Hello:
      s += "{version " + u64_text(m.version) + ", settings " + describe_settings(m.settings) +
           ", metadata " + describe_metadata(m.metadata) + "}";
      break;
    case MessageKind::HelloYourself:
    case MessageKind::ConnectionOpen:
    case MessageKind::ConnectionAccept:
      s += "{settings " + describe_settings(m.settings) + ", metadata " +
           describe_metadata(m.metadata) + "}";
      break;
    case MessageKind::ProtocolError:
      s += "{\"" + std::string(m.description) + "\"}";
      break;
    case MessageKind::ConnectionReject:
    case MessageKind::ConnectionClose:
      s += "{metadata " + describe_metadata(m.metadata) + "}";
      break;
    case MessageKind::Request:
      s = "conn " + u64_text(m.connection_id) + " " + describe_request(m.request);
      break;
    case MessageKind::Channel:
      s = "conn " + u64_text(m.connection_id) + " " + describe_channel(m.channel);
      break;
    case MessageKind::Ping:
    case MessageKind::Pong:
      s += "{nonce " + u64_text(m.nonce) + "}";
      break;
  }
  return s;
}

}  // namespace roam::wire
