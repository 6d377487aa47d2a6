// Stream framing of the roam stream transport (roam-stream's StreamLink):
// every link payload travels as [u32 little-endian length][payload].
//
// The decoder reassembles frames across arbitrary read boundaries, one byte
// at a time if need be. A frame that lies whole inside one read is handed
// out as a view into that read (no copy); only frames split across reads are
// gathered into an internal buffer. The roam reference has no size limit; we
// enforce a configurable one before allocating anything.
#pragma once

#include <cstdint>

#include "roam/roam_errors.h"
#include "wire/bytes.hpp"

namespace roam::frame {

constexpr size_t kHeaderSize = 4;

class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_frame_size) : max_frame_size_(max_frame_size) {}

  void set_max_frame_size(uint32_t max) { max_frame_size_ = max; }

  // Feeds one read's bytes. Calls on_frame(wire::ByteView) for each complete
  // frame; the view is valid only during the call. If on_frame returns false,
  // decoding stops and the rest of the input is discarded (the caller is
  // tearing down). Returns ROAM_OK, or ROAM_EFRAMESIZE if a header announces
  // more than the maximum (see rejected_size()); after an error the decoder
  // must not be fed again.
  template <class OnFrame>
  int feed(wire::ByteView input, OnFrame &&on_frame);

  // True while part of a frame (header or body) has been received: an EOF
  // now would cut a frame in half.
  bool mid_frame() const { return header_have_ > 0; }
  // The announced size of the frame that exceeded the maximum.
  uint32_t rejected_size() const { return rejected_size_; }

 private:
  static uint32_t read_le32(const uint8_t *p) {
    return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
           static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
  }

  uint32_t max_frame_size_;
  uint8_t header_[kHeaderSize] = {};
  size_t header_have_ = 0;  // 0..4 header bytes gathered; 4 = reading the body
  uint32_t body_size_ = 0;
  wire::ByteBuffer body_;   // partial body, only for frames split across reads
  uint32_t rejected_size_ = 0;
};

template <class OnFrame>
int FrameDecoder::feed(wire::ByteView input, OnFrame &&on_frame) {
  const uint8_t *p = input.data;
  const uint8_t *end = input.data + input.size;
  while (p < end) {
    if (header_have_ < kHeaderSize) {
      // Fast path: a whole frame sits in the input and nothing is pending.
      if (header_have_ == 0 && static_cast<size_t>(end - p) >= kHeaderSize) {
        uint32_t size = read_le32(p);
        if (size > max_frame_size_) {
          rejected_size_ = size;
          return ROAM_EFRAMESIZE;
        }
        if (static_cast<size_t>(end - p) - kHeaderSize >= size) {
          const uint8_t *body = p + kHeaderSize;
          p = body + size;
          if (!on_frame(wire::ByteView(body, size))) return ROAM_OK;
          continue;
        }
      }
      header_[header_have_++] = *p++;
      if (header_have_ < kHeaderSize) continue;
      body_size_ = read_le32(header_);
      if (body_size_ > max_frame_size_) {
        rejected_size_ = body_size_;
        return ROAM_EFRAMESIZE;
      }
      body_.clear();
      body_.reserve(body_size_);
      if (body_size_ > 0) continue;
    } else {
      size_t want = body_size_ - body_.size();
      size_t take = static_cast<size_t>(end - p) < want ? static_cast<size_t>(end - p) : want;
      body_.append(p, take);
      p += take;
      if (body_.size() < body_size_) continue;
    }
    // A complete frame has been gathered.
    header_have_ = 0;
    bool go_on = on_frame(body_.view());
    if (body_.size() > (64u << 10)) body_.shrink();  // don't pin a burst's memory
    if (!go_on) return ROAM_OK;
  }
  return ROAM_OK;
}

}  // namespace roam::frame
