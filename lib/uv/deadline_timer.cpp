#include "uv/deadline_timer.hpp"

namespace roam::uvio {

DeadlineTimer::DeadlineTimer(EventLoop &loop, std::function<void()> on_fire)
    : loop_(loop), on_fire_(std::move(on_fire)) {
  uv_timer_init(loop_.loop(), &timer_);
  timer_.data = this;
}

void DeadlineTimer::arm(uint64_t deadline_us) {
  if (closing_ || deadline_us == armed_for_) return;
  armed_for_ = deadline_us;
  if (deadline_us == kNever) {
    uv_timer_stop(&timer_);
    return;
  }
  uint64_t now = EventLoop::now_us();
  // libuv timers have millisecond resolution: round up so we never fire early.
  uint64_t delay_ms = deadline_us > now ? (deadline_us - now + 999) / 1000 : 0;
  uv_timer_start(&timer_, on_timer, delay_ms, 0);
}

void DeadlineTimer::on_timer(uv_timer_t *t) {
  auto *self = static_cast<DeadlineTimer *>(t->data);
  self->armed_for_ = kNever;
  self->on_fire_();
}

void DeadlineTimer::close(std::function<void()> done) {
  if (closing_) return;
  closing_ = true;
  on_closed_ = std::move(done);
  uv_close(reinterpret_cast<uv_handle_t *>(&timer_), on_closed);
}

void DeadlineTimer::on_closed(uv_handle_t *h) {
  auto *self = static_cast<DeadlineTimer *>(h->data);
  if (self->on_closed_) {
    auto done = std::move(self->on_closed_);
    done();
  }
}

}  // namespace roam::uvio
