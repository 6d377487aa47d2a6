// The roam v7 message model (roam-types 7.3.0 `Message`), as views.
//
// A decoded Message points into the frame it was decoded from: strings,
// metadata, channel-id lists and payloads are views, nothing is copied. The
// same struct is used to encode, with views over the sender's own bytes.
// Enum values are the wire discriminants (declaration order in roam-types).
#pragma once

#include <cstdint>
#include <string_view>

#include "wire/bytes.hpp"
#include "wire/metadata.hpp"
#include "wire/reader.hpp"

namespace roam::wire {

constexpr uint32_t kProtocolVersion = 7;

enum class Parity : uint8_t { Odd = 0, Even = 1 };

inline Parity opposite(Parity p) { return p == Parity::Odd ? Parity::Even : Parity::Odd; }
inline bool has_parity(uint64_t id, Parity p) { return (id % 2 == 1) == (p == Parity::Odd); }

struct ConnectionSettings {
  Parity parity = Parity::Odd;
  uint32_t max_concurrent_requests = 64;

  bool operator==(const ConnectionSettings &o) const {
    return parity == o.parity && max_concurrent_requests == o.max_concurrent_requests;
  }
};

enum class MessageKind : uint8_t {
  Hello = 0,
  HelloYourself = 1,
  ProtocolError = 2,
  ConnectionOpen = 3,
  ConnectionAccept = 4,
  ConnectionReject = 5,
  ConnectionClose = 6,
  Request = 7,
  Channel = 8,
  Ping = 9,
  Pong = 10,
};
constexpr uint32_t kMessageKinds = 11;

enum class RequestKind : uint8_t { Call = 0, Response = 1, Cancel = 2 };
constexpr uint32_t kRequestKinds = 3;

enum class ChannelKind : uint8_t { Item = 0, Close = 1, Reset = 2, GrantCredit = 3 };
constexpr uint32_t kChannelKinds = 4;

// A `Vec<ChannelId>`: either the validated varints of a received list, or
// the caller's array when encoding.
class IdList {
 public:
  IdList() = default;
  IdList(const uint64_t *values, uint64_t count) : values_(values), count_(count) {}
  static IdList encoded(ByteView varints, uint64_t count) {
    IdList l;
    l.encoded_ = varints;
    l.count_ = count;
    return l;
  }

  uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // Visits every id in order. A received list is walked once, each varint
  // decoded once: a Call naming N channels costs O(N), never O(N^2) (there
  // is deliberately no random access into the encoded form).
  template <class Fn>
  void for_each(Fn &&fn) const {
    if (values_ != nullptr) {
      for (uint64_t i = 0; i < count_; ++i) fn(values_[i]);
      return;
    }
    Reader r(encoded_);
    uint64_t id = 0;
    // decode_message validated every varint, so each read succeeds.
    for (uint64_t i = 0; i < count_ && r.read_varint_u64(&id) == ROAM_OK; ++i) fn(id);
  }
  // Writes the ids to out[0 .. count()).
  void copy_to(uint64_t *out) const {
    for_each([&out](uint64_t id) { *out++ = id; });
  }
  bool is_encoded() const { return values_ == nullptr && count_ > 0; }
  ByteView encoded_bytes() const { return encoded_; }
  const uint64_t *values() const { return values_; }

 private:
  const uint64_t *values_ = nullptr;
  ByteView encoded_;
  uint64_t count_ = 0;
};

// RequestMessage { id, body: Call | Response | Cancel }
struct RequestMessage {
  uint64_t id = 0;
  RequestKind kind = RequestKind::Call;
  uint64_t method_id = 0;   // Call
  IdList channels;          // Call, Response
  MetadataView metadata;    // all three
  ByteView payload;         // Call: args, Response: ret (trailing, unprefixed)
};

// ChannelMessage { id, body: Item | Close | Reset | GrantCredit }
struct ChannelMessage {
  uint64_t id = 0;
  ChannelKind kind = ChannelKind::Item;
  ByteView item;            // Item (trailing, unprefixed)
  MetadataView metadata;    // Close, Reset
  uint32_t additional = 0;  // GrantCredit
};

// Message { connection_id, payload }. Which fields are meaningful depends on
// `kind`, as noted per field.
struct Message {
  uint64_t connection_id = 0;
  MessageKind kind = MessageKind::Ping;
  uint32_t version = 0;            // Hello
  ConnectionSettings settings;     // Hello, HelloYourself, ConnectionOpen, ConnectionAccept
  MetadataView metadata;           // Hello .. ConnectionClose
  std::string_view description;    // ProtocolError
  RequestMessage request;          // Request
  ChannelMessage channel;          // Channel
  uint64_t nonce = 0;              // Ping, Pong
};

// Builders for outbound messages: each names exactly the fields its kind uses.
Message make_hello(uint32_t version, ConnectionSettings settings, MetadataView md);
Message make_hello_yourself(ConnectionSettings settings, MetadataView md);
Message make_protocol_error(std::string_view description);
Message make_connection_open(uint64_t conn, ConnectionSettings settings, MetadataView md);
Message make_connection_accept(uint64_t conn, ConnectionSettings settings, MetadataView md);
Message make_connection_reject(uint64_t conn, MetadataView md);
Message make_connection_close(uint64_t conn, MetadataView md);
Message make_request(uint64_t conn, const RequestMessage &request);
Message make_channel(uint64_t conn, const ChannelMessage &channel);
Message make_ping(uint64_t nonce);
Message make_pong(uint64_t conn, uint64_t nonce);

const char *message_kind_name(MessageKind k);
const char *request_kind_name(RequestKind k);
const char *channel_kind_name(ChannelKind k);

}  // namespace roam::wire
