#include "capi_hostile_peer.hpp"

#include "frame/frame_writer.hpp"
#include "wire/message.hpp"
#include "wire/message_codec.hpp"

namespace roam::fuzz::capi {

namespace {

void append_frame(wire::ByteBuffer &out, const wire::Message &m) {
  size_t mark = frame::begin_frame(out);
  wire::encode_message(out, m);
  frame::finish_frame(out, mark);
}

std::vector<uint8_t> to_vector(const wire::ByteBuffer &b) {
  return std::vector<uint8_t>(b.data(), b.data() + b.size());
}

}  // namespace

std::vector<uint8_t> hostile_handshake(bool peer_initiates, bool even_parity,
                                       uint32_t max_concurrent_requests) {
  wire::ConnectionSettings settings;
  settings.parity = even_parity ? wire::Parity::Even : wire::Parity::Odd;
  settings.max_concurrent_requests = max_concurrent_requests;
  wire::ByteBuffer out;
  append_frame(out, peer_initiates
                        ? wire::make_hello(wire::kProtocolVersion, settings, wire::MetadataView())
                        : wire::make_hello_yourself(settings, wire::MetadataView()));
  return to_vector(out);
}

std::vector<uint8_t> hostile_messages(FuzzInput &in, const KnownIds &known) {
  unsigned count = 1 + in.u8() % 3;
  wire::ByteBuffer out;
  for (unsigned i = 0; i < count; ++i) {
    MessageParts parts;  // owns what the message's views point to until encoded
    append_frame(out, build_message(in, known, parts));
  }
  return to_vector(out);
}

}  // namespace roam::fuzz::capi
