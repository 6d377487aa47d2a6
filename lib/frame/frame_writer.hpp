// Writing stream frames ([u32 LE length][payload]) straight into the
// session's outbound buffer, so a message is encoded exactly once.
#pragma once

#include "frame/frame_decoder.hpp"
#include "wire/bytes.hpp"

namespace roam::frame {

// Writing frames: reserve the header, encode the payload after it, then patch
// the length in. Returns the payload size.
inline size_t begin_frame(wire::ByteBuffer &out) {
  size_t mark = out.size();
  out.grow(kHeaderSize);
  return mark;
}

inline size_t finish_frame(wire::ByteBuffer &out, size_t mark) {
  size_t payload = out.size() - mark - kHeaderSize;
  uint8_t *h = out.data() + mark;
  h[0] = static_cast<uint8_t>(payload);
  h[1] = static_cast<uint8_t>(payload >> 8);
  h[2] = static_cast<uint8_t>(payload >> 16);
  h[3] = static_cast<uint8_t>(payload >> 24);
  return payload;
}

}  // namespace roam::frame
