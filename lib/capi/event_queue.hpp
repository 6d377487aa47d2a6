// The session's one ordered queue of callbacks waiting their turn.
//
// Intrusive, so putting an event in it never allocates. Most events are
// made when they happen (CallbackEvent: a heap node holding the callback
// and copies of what it needs); making one can run out of memory. The
// final event of a call, a channel, a connection or the session cannot be
// lost that way: each of those objects carries its own node from birth
// (a FinalEvent), used when nothing could be allocated, which reports
// ROAM_ENOMEM in place of the data it could not keep. So every handle
// still gets its last callback, in order, whatever memory is left.
#pragma once

#include <memory>
#include <utility>

namespace roam::capi {

class QueuedEvent {
 public:
  // Runs the callback. The event (and for a final event, its owner) may
  // be gone when this returns.
  virtual void run() = 0;
  // The queue is destroyed with this event still in it.
  virtual void discard() = 0;

 protected:
  ~QueuedEvent() = default;

 private:
  friend class EventQueue;
  QueuedEvent *next_ = nullptr;
};

template <class Fn>
class CallbackEvent final : public QueuedEvent {
 public:
  explicit CallbackEvent(Fn fn) : fn_(std::move(fn)) {}
  void run() override {
    std::unique_ptr<CallbackEvent> self(this);
    fn_();
  }
  void discard() override { delete this; }

 private:
  Fn fn_;
};

class EventQueue {
 public:
  EventQueue() = default;
  ~EventQueue() {
    while (!empty()) pop()->discard();
  }
  EventQueue(const EventQueue &) = delete;
  EventQueue &operator=(const EventQueue &) = delete;

  bool empty() const { return head_ == nullptr; }
  void push(QueuedEvent *e) {
    e->next_ = nullptr;
    if (tail_) {
      tail_->next_ = e;
    } else {
      head_ = e;
    }
    tail_ = e;
  }
  QueuedEvent *pop() {
    QueuedEvent *e = head_;
    head_ = e->next_;
    if (head_ == nullptr) tail_ = nullptr;
    e->next_ = nullptr;
    return e;
  }

 private:
  QueuedEvent *head_ = nullptr;
  QueuedEvent *tail_ = nullptr;
};

}  // namespace roam::capi
