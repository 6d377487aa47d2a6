// Every byte the session writes, split into frames and decoded: output the
// peer cannot parse, a cut frame or one over the session's own frame limit
// is a bug whatever else happened. Along the way it notes the ids a peer
// would answer to (opened connections, request ids, channel ids, ping
// nonces), so the fuzzer's peer can aim at them.
#pragma once

#include <cstdint>
#include <vector>

#include "message_builder.hpp"
#include "wire/bytes.hpp"

namespace roam::fuzz {

class OutboundFrames {
 public:
  // Checks one take_output() batch; aborts on a broken frame.
  void check(wire::ByteView output, uint32_t max_frame_size);
  // Adds what was seen to `known`.
  void add_to(KnownIds &known) const;
  uint64_t frames() const { return frames_; }

 private:
  // The last few of something, oldest overwritten first.
  class Recent {
   public:
    void add(uint64_t v);
    const std::vector<uint64_t> &values() const { return values_; }

   private:
    std::vector<uint64_t> values_;
    size_t next_ = 0;
  };

  Recent connections_;
  Recent requests_;
  Recent channels_;
  Recent nonces_;
  uint64_t frames_ = 0;
};

}  // namespace roam::fuzz
