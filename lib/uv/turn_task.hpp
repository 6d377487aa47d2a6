// Work for the end of a loop turn, queued without allocating.
//
// A TurnTask is a place in one of the loop's end-of-turn queues, owned by
// the object that queues it (a session's "flush my output", "deliver my
// events"). Queueing links it in (twice is once), running unlinks it
// first, and destroying it unlinks it: queueing can never fail, not even
// out of memory, and a task never outlives its owner in a queue.
#pragma once

namespace roam::uvio {

class TurnTask {
 public:
  using Fn = void (*)(void *owner);
  TurnTask(Fn fn, void *owner) : fn_(fn), owner_(owner) {}
  ~TurnTask() { cancel(); }
  TurnTask(const TurnTask &) = delete;
  TurnTask &operator=(const TurnTask &) = delete;

  bool queued() const { return prev_ != nullptr; }
  // Out of its queue, if it was in one.
  void cancel() {
    if (prev_ == nullptr) return;
    prev_->next_ = next_;
    next_->prev_ = prev_;
    prev_ = next_ = nullptr;
  }

 private:
  friend class TurnQueue;
  Fn fn_;
  void *owner_;
  TurnTask *prev_ = nullptr;
  TurnTask *next_ = nullptr;
};

// First in, first out; a ring through a sentinel.
class TurnQueue {
 public:
  TurnQueue() : head_(nullptr, nullptr) { head_.prev_ = head_.next_ = &head_; }
  ~TurnQueue() {
    while (!empty()) head_.next_->cancel();
    head_.prev_ = head_.next_ = nullptr;
  }
  TurnQueue(const TurnQueue &) = delete;
  TurnQueue &operator=(const TurnQueue &) = delete;

  bool empty() const { return head_.next_ == &head_; }
  void push(TurnTask *t) {
    if (t->queued()) return;
    t->prev_ = head_.prev_;
    t->next_ = &head_;
    head_.prev_->next_ = t;
    head_.prev_ = t;
  }
  // Unlinks the first task, then runs it (it may queue itself again, or
  // cancel or destroy any other task meanwhile).
  void run_first() {
    TurnTask *t = head_.next_;
    t->cancel();
    t->fn_(t->owner_);
  }

 private:
  TurnTask head_;
};

}  // namespace roam::uvio
