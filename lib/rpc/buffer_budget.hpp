// A byte budget for what a peer can make us hold on its behalf: messages
// for channels the application has not bound yet. One budget per
// connection and one shared by every connection of a session, so neither
// many small connections nor one big one can grow memory past a limit.
#pragma once

#include <cstddef>

namespace roam::rpc {

class BufferBudget {
 public:
  explicit BufferBudget(size_t limit) : limit_(limit) {}
  BufferBudget(const BufferBudget &) = delete;
  BufferBudget &operator=(const BufferBudget &) = delete;

  // Takes n bytes if they fit; false (and nothing taken) otherwise.
  bool try_take(size_t n) {
    if (n > limit_ - used_) return false;
    used_ += n;
    return true;
  }
  void give_back(size_t n) { used_ -= n < used_ ? n : used_; }

  size_t used() const { return used_; }
  size_t limit() const { return limit_; }

 private:
  size_t limit_;
  size_t used_ = 0;
};

}  // namespace roam::rpc
