#include "capi/app_session_link.hpp"

namespace roam::capi {

namespace {
// Bytes already taken are dropped from the front of the buffer once they
// are at least this many and half of it, so it neither grows forever nor
// is moved on every small write.
constexpr size_t kCompactAfter = 64 * 1024;
}  // namespace

wire::ByteView AppSessionLink::pending_output() {
  if (flush_requested_) {
    flush_requested_ = false;
    events_->flush();
  }
  if (closing_ && !graceful_) return wire::ByteView();
  return wire::ByteView(out_.data() + sent_, out_.size() - sent_);
}

void AppSessionLink::consume_output(size_t n) {
  size_t left = out_.size() - sent_;
  sent_ += n < left ? n : left;
  if (sent_ == out_.size()) {
    out_.clear();
    sent_ = 0;
  } else if (sent_ >= kCompactAfter && sent_ * 2 >= out_.size()) {
    out_.consume_front(sent_);
    sent_ = 0;
  }
  events_->on_transport_drained(backlog());
}

void AppSessionLink::write(wire::ByteBuffer &bytes) {
  if (closing_) {
    bytes.clear();
    return;
  }
  if (out_.empty()) {
    out_.swap(bytes);  // the encoded frames themselves: no copy
    sent_ = 0;
  } else {
    out_.append(bytes.view());
  }
  bytes.clear();
}

void AppSessionLink::close(bool graceful) {
  if (closing_) {
    graceful_ = graceful_ && graceful;  // a hard close cuts a graceful one short
    return;
  }
  closing_ = true;
  graceful_ = graceful;
  reading_ = false;
}

uint64_t AppSessionLink::next_deadline() const {
  if (events_scheduled_ || flush_requested_ || shut_done_ || (finished() && !close_reported_)) {
    return now_;
  }
  return deadline_;
}

void AppSessionLink::run_scheduled_events() {
  // Events scheduled while delivering are delivered in the same pass.
  while (events_scheduled_) {
    events_scheduled_ = false;
    events_->deliver_events();
  }
}

bool AppSessionLink::run_due() {
  run_scheduled_events();
  if (deadline_ != kNever && now_ >= deadline_) {
    deadline_ = kNever;
    events_->on_deadline();
    run_scheduled_events();
  }
  if (finished() && !close_reported_) {
    close_reported_ = true;
    events_->on_transport_closed();
    run_scheduled_events();
  }
  if (shut_done_) {
    // The last thing: it frees the session, and this link with it.
    std::function<void()> done = std::move(shut_done_);
    done();
    return false;
  }
  return true;
}
}  // namespace roam::capi
