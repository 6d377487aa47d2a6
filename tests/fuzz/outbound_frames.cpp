#include "outbound_frames.hpp"

#include "fuzz_check.hpp"
#include "view_access.hpp"
#include "wire/message_codec.hpp"

namespace roam::fuzz {

namespace {
constexpr size_t kRecentIds = 16;
}  // namespace

void OutboundFrames::Recent::add(uint64_t v) {
  if (values_.size() < kRecentIds) {
    values_.push_back(v);
  } else {
    values_[next_] = v;
    next_ = (next_ + 1) % kRecentIds;
  }
}

void OutboundFrames::check(wire::ByteView output, uint32_t max_frame_size) {
  size_t pos = 0;
  while (pos < output.size) {
    FUZZ_CHECK(output.size - pos >= 4, "output ends inside a frame header (%zu bytes left)",
               output.size - pos);
    const uint8_t *h = output.data + pos;
    uint32_t len = static_cast<uint32_t>(h[0]) | static_cast<uint32_t>(h[1]) << 8 |
                   static_cast<uint32_t>(h[2]) << 16 | static_cast<uint32_t>(h[3]) << 24;
    FUZZ_CHECK(output.size - pos - 4 >= len, "output ends inside a frame of %u bytes", len);
    FUZZ_CHECK(len <= max_frame_size, "wrote a frame of %u bytes, over its own maximum of %u", len,
               max_frame_size);
    wire::Message m;
    int rc = wire::decode_message(h + 4, len, &m);
    FUZZ_CHECK(rc == ROAM_OK, "wrote an undecodable frame of %u bytes (%d)", len, rc);
    ++frames_;
    pos += 4 + static_cast<size_t>(len);

    switch (m.kind) {
      case wire::MessageKind::ConnectionOpen:
        connections_.add(m.connection_id);
        break;
      case wire::MessageKind::Request:
        requests_.add(m.request.id);
        for (uint64_t id : ids_of(m.request.channels)) channels_.add(id);
        break;
      case wire::MessageKind::Channel:
        channels_.add(m.channel.id);
        break;
      case wire::MessageKind::Ping:
        nonces_.add(m.nonce);
        break;
      default:
        break;
    }
  }
}

void OutboundFrames::add_to(KnownIds &known) const {
  auto append = [](std::vector<uint64_t> &to, const Recent &from) {
    to.insert(to.end(), from.values().begin(), from.values().end());
  };
  append(known.connections, connections_);
  append(known.requests, requests_);
  append(known.channels, channels_);
  append(known.nonces, nonces_);
}

}  // namespace roam::fuzz
