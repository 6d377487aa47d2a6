// The channel ids of a received Call or Response as a contiguous array, for
// callbacks that take (pointer, count). The usual handful lives inline; a
// long list is decoded once into a heap array. Either way each id is decoded
// exactly once: a peer listing N channels costs O(N) work.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "wire/message.hpp"

namespace roam::rpc {

class ChannelIdArray {
 public:
  explicit ChannelIdArray(const wire::IdList &ids) : count_(static_cast<size_t>(ids.count())) {
    uint64_t *out = inline_;
    if (count_ > kInline) {
      heap_.reset(new uint64_t[count_]);
      out = heap_.get();
    }
    ids.copy_to(out);
  }
  ChannelIdArray(const ChannelIdArray &) = delete;
  ChannelIdArray &operator=(const ChannelIdArray &) = delete;

  // Null when the list is empty (the C callbacks document that).
  const uint64_t *data() const {
    if (count_ == 0) return nullptr;
    return heap_ ? heap_.get() : inline_;
  }
  size_t size() const { return count_; }

 private:
  static constexpr size_t kInline = 8;
  uint64_t inline_[kInline];
  std::unique_ptr<uint64_t[]> heap_;
  size_t count_;
};

}  // namespace roam::rpc
