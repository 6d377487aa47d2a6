// A session's output as the bytes it handed over, in whatever pieces the
// harness took them: reassembled into frames, each checked with
// OutboundFrames (it must decode and fit the session's own frame limit).
// A stream may end inside a frame: a session cuts what the peer has not
// taken when the linger after its end runs out.
#pragma once

#include <cstdint>
#include <vector>

#include "message_builder.hpp"
#include "outbound_frames.hpp"

namespace roam::fuzz::capi {

class CapiOutputFrames {
 public:
  explicit CapiOutputFrames(uint32_t max_frame_size) : max_frame_size_(max_frame_size) {}

  // Bytes taken from roam_session_pending_output(), in order.
  void append(const uint8_t *data, size_t len);
  // Bytes of a frame not complete yet.
  size_t partial() const { return pending_.size(); }
  // Ids seen in the frames, for a hostile peer to aim at.
  void add_to(KnownIds &known) const { frames_.add_to(known); }

 private:
  uint32_t max_frame_size_;
  std::vector<uint8_t> pending_;
  OutboundFrames frames_;
};

}  // namespace roam::fuzz::capi
