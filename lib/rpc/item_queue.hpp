// The items a sending channel holds back (no credit, or the session is
// congested), oldest first. A ring of buffers that keep their capacity: once
// a channel has queued as many items as it ever will at once, queueing
// copies bytes into a buffer it already has and allocates nothing. An
// unused queue owns no memory at all.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "wire/bytes.hpp"

namespace roam::rpc {

class ItemQueue {
 public:
  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }

  // A copy of `item` at the back.
  void push(wire::ByteView item) {
    if (count_ == slots_.size()) {
      // Full: the oldest goes first again, then one more buffer at the end.
      std::rotate(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(head_),
                  slots_.end());
      head_ = 0;
      slots_.emplace_back();
    }
    slots_[(head_ + count_) % slots_.size()].assign(item.data, item.data + item.size);
    ++count_;
  }
  // The oldest item (the queue must not be empty).
  wire::ByteView front() const {
    const std::vector<uint8_t> &b = slots_[head_];
    return wire::ByteView(b.data(), b.size());
  }
  void pop_front() {
    head_ = (head_ + 1) % slots_.size();
    --count_;
  }

 private:
  std::vector<std::vector<uint8_t>> slots_;
  size_t head_ = 0;
  size_t count_ = 0;
};

}  // namespace roam::rpc
