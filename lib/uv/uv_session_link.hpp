// A session's link over libuv: a StreamTransport (TCP, Unix socket or an
// in-process pair), a DeadlineTimer and the runtime's EventLoop for flushes
// once per loop turn and deferred work.
#pragma once

#include "session/session_link.hpp"
#include "uv/deadline_timer.hpp"
#include "uv/event_loop.hpp"
#include "uv/stream_transport.hpp"

namespace roam::uvio {

class UvSessionLink final : public session::SessionLink {
 public:
  UvSessionLink(EventLoop &loop, session::SessionLinkEvents *events);
  ~UvSessionLink() override;

  // How the session gets its stream (connect, adopt, accept, pair).
  StreamTransport &transport() { return transport_; }

  uint64_t now_us() const override { return EventLoop::now_us(); }
  void start_reading() override { transport_.start_reading(); }
  void stop_reading() override { transport_.stop_reading(); }
  void write(wire::ByteBuffer &bytes) override { transport_.write(bytes); }
  size_t backlog() const override { return transport_.backlog(); }
  void close(bool graceful) override { transport_.close(graceful); }
  void arm_timer(uint64_t deadline_us) override { timer_.arm(deadline_us); }
  void request_flush() override { loop_.request_flush(&flush_task_); }
  void cancel_flush() override { flush_task_.cancel(); }
  void schedule_events() override { loop_.defer(&events_task_); }
  void shut(std::function<void()> done) override;

 private:
  EventLoop &loop_;
  session::SessionLinkEvents *events_;
  StreamTransport transport_;
  DeadlineTimer timer_;
  // The loop's end of turn, passed on to the session.
  TurnTask flush_task_{[](void *self) { static_cast<UvSessionLink *>(self)->events_->flush(); },
                       this};
  TurnTask events_task_{
      [](void *self) { static_cast<UvSessionLink *>(self)->events_->deliver_events(); }, this};
};

}  // namespace roam::uvio
