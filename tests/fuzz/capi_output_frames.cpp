#include "capi_output_frames.hpp"

#include "fuzz_check.hpp"
#include "wire/bytes.hpp"

namespace roam::fuzz::capi {

void CapiOutputFrames::append(const uint8_t *data, size_t len) {
  pending_.insert(pending_.end(), data, data + len);
  // The longest run of whole frames goes to the checker; the rest waits.
  size_t whole = 0;
  while (pending_.size() - whole >= 4) {
    const uint8_t *h = pending_.data() + whole;
    uint32_t frame = static_cast<uint32_t>(h[0]) | static_cast<uint32_t>(h[1]) << 8 |
                     static_cast<uint32_t>(h[2]) << 16 | static_cast<uint32_t>(h[3]) << 24;
    FUZZ_CHECK(frame <= max_frame_size_, "a frame of %u bytes, over the session's own maximum %u",
               frame, max_frame_size_);
    if (pending_.size() - whole - 4 < frame) break;
    whole += 4 + static_cast<size_t>(frame);
  }
  if (whole == 0) return;
  frames_.check(wire::ByteView(pending_.data(), whole), max_frame_size_);
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(whole));
}

}  // namespace roam::fuzz::capi
