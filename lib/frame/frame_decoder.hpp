// Stream framing of the roam stream transport (roam-stream's StreamLink):
// every link payload travels as [u32 little-endian length][payload].
//
// The decoder reassembles frames across arbitrary read boundaries, one byte
// at a time if need be. A frame that lies whole inside one read is handed
// out as a view into that read (no copy); only frames split across reads are
// gathered into an internal buffer. The roam reference has no size limit; we
// enforce a configurable one before allocating anything.
//
// A header only announces a size; the peer may never send the body. So the
// gathering buffer grows with the bytes that actually arrived (doubling, never
// past the announced size), not with the announcement: a peer that announces
// 16 MiB and trickles a byte now and then costs a few KiB, not 16 MiB. The
// session core cuts such a peer off with its frame timeout.
#pragma once

#include <algorithm>
#include <cstdint>

#include "roam/roam_errors.h"
#include "wire/bytes.hpp"

namespace roam::frame {

constexpr size_t kHeaderSize = 4;
// The first allocation for a frame split across reads.
constexpr size_t kFirstGatherReserve = 4u << 10;
// Gathering buffers up to this size are always kept for the next split
// frame. A larger one (a big frame just delivered) is kept as a spare while
// big frames follow: allocating, filling and page-faulting a fresh
// multi-megabyte buffer for every frame cost more than the frames' own
// bytes. It is let go as soon as a frame announces less than a quarter of
// it, and by release_spare() when the session has been quiet a while
// (SessionCore), so a session that once received a big frame does not keep
// its memory while idle. A spare only ever holds what a peer fully sent.
constexpr size_t kKeptGatherCapacity = 8u << 10;

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
  // For the reason of a frame timeout: whether the partial frame's header is
  // complete, the size it announces, and how much of its body arrived.
  bool header_complete() const { return header_have_ == kHeaderSize; }
  uint32_t announced_size() const { return header_complete() ? body_size_ : 0; }
  size_t body_received() const { return header_complete() ? body_.size() : 0; }
  // Bytes held for a partial frame or as a spare (allocated, not just used).
  size_t buffered_capacity() const { return body_.capacity(); }
  // A big buffer kept from a delivered frame (see kKeptGatherCapacity) with
  // no frame in progress in it; spare_capacity() is its size (0 if none),
  // also while the next frame is gathered into it.
  bool holds_spare() const { return spare_ != 0 && header_have_ == 0; }
  size_t spare_capacity() const { return spare_; }
  // Lets the spare go (nothing happens mid-frame).
  void release_spare() {
    if (header_have_ != 0) return;
    spare_ = 0;
    body_.shrink();
  }
  // Drops a partial frame and its memory (the session ended; nothing more
  // will be fed).
  void release() {
    header_have_ = 0;
    spare_ = 0;
    body_.shrink();
  }

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
  size_t spare_ = 0;        // body_'s capacity when kept from a big frame, else 0
  uint32_t rejected_size_ = 0;

  // A frame of `size` bytes starts (or arrived whole): a spare far bigger
  // than it is let go.
  void fit_spare_to(size_t size) {
    if (spare_ != 0 && size < spare_ / 4) {
      spare_ = 0;
      body_.shrink();
    }
  }
  // The gathered frame was delivered: its buffer is kept, as a spare if big.
  void keep_after_frame() { spare_ = body_.capacity() > kKeptGatherCapacity ? body_.capacity() : 0; }

  void gather(const uint8_t *p, size_t n) {
    size_t need = body_.size() + n;
    if (need > body_.capacity()) {
      size_t next = std::max({need, body_.capacity() * 2, kFirstGatherReserve});
      body_.reserve(std::min<size_t>(next, body_size_));
    }
    body_.append(p, n);
  }
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
          fit_spare_to(size);
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
      body_.clear();  // no reserve: see gather()
      fit_spare_to(body_size_);  // a spare that stays is gathered into
      if (body_size_ > 0) continue;
    } else {
      size_t want = body_size_ - body_.size();
      size_t take = static_cast<size_t>(end - p) < want ? static_cast<size_t>(end - p) : want;
      gather(p, take);
      p += take;
      if (body_.size() < body_size_) continue;
    }
    // A complete frame has been gathered.
    header_have_ = 0;
    bool go_on = on_frame(body_.view());
    keep_after_frame();  // on_frame may have released it (the session ended)
    if (!go_on) return ROAM_OK;
  }
  return ROAM_OK;
}

}  // namespace roam::frame
