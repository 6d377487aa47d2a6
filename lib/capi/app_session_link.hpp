// A session's link when the application carries the bytes itself ("bring
// your own transport", like nghttp2's mem_recv / mem_send and ngtcp2's
// time-as-input): no libuv anywhere. The application feeds inbound bytes,
// EOF and the current time, takes outbound bytes straight from the
// buffer they were encoded into, and calls back at the deadline it is
// told. Deferred work (events caused by the user's own calls), flushes,
// the timer and the close all run from run_due(), which the driving calls
// (receive, tick) invoke.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>

#include "session/session_link.hpp"

namespace roam::capi {

class AppSessionLink final : public session::SessionLink {
 public:
  AppSessionLink(session::SessionLinkEvents *events, uint64_t now_us)
      : events_(events), now_(now_us) {}

  // ---- the application's side --------------------------------------------------
  // Time only moves forward: an earlier value is ignored.
  void set_now(uint64_t now_us) {
    if (now_us > now_) now_ = now_us;
  }
  bool reading() const { return reading_; }
  // Flushes what the session has queued and shows the bytes to send (a
  // view into the buffer, valid until the next call on the session).
  wire::ByteView pending_output();
  // The application wrote n bytes of pending_output().
  void consume_output(size_t n);
  // True once the transport is to be closed and nothing is left to send.
  bool finished() const { return closing_ && (out_.size() == sent_ || !graceful_); }
  // When run_due() next has something to do (now, if work is waiting).
  uint64_t next_deadline() const;
  // Runs what is due at now_us(). Returns false if the session was freed
  // by it (its close completed): the caller must not touch it then.
  bool run_due();

  // ---- SessionLink ------------------------------------------------------------------
  uint64_t now_us() const override { return now_; }
  void start_reading() override { reading_ = true; }
  void stop_reading() override { reading_ = false; }
  void write(wire::ByteBuffer &bytes) override;
  size_t backlog() const override { return out_.size() - sent_; }
  void close(bool graceful) override;
  void arm_timer(uint64_t deadline_us) override { deadline_ = deadline_us; }
  void request_flush() override { flush_requested_ = true; }
  void cancel_flush() override { flush_requested_ = false; }
  void schedule_events() override { events_scheduled_ = true; }
  void shut(std::function<void()> done) override { shut_done_ = std::move(done); }

 private:
  void run_scheduled_events();

  session::SessionLinkEvents *events_;
  uint64_t now_;
  uint64_t deadline_ = kNever;
  bool reading_ = false;
  bool flush_requested_ = false;
  bool closing_ = false;
  bool graceful_ = false;
  bool close_reported_ = false;
  wire::ByteBuffer out_;
  size_t sent_ = 0;  // bytes of out_ the application took
  bool events_scheduled_ = false;
  std::function<void()> shut_done_;
};

}  // namespace roam::capi
