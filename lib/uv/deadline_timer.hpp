// One libuv timer armed for an absolute deadline (monotonic microseconds),
// re-armed only when the deadline changes.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>

#include "uv/event_loop.hpp"

namespace roam::uvio {

class DeadlineTimer {
 public:
  static constexpr uint64_t kNever = UINT64_MAX;

  DeadlineTimer(EventLoop &loop, std::function<void()> on_fire);
  // Fires on_fire at (or just after) deadline_us; kNever disarms.
  void arm(uint64_t deadline_us);
  // Closes the handle; `done` runs when libuv has let go of it.
  void close(std::function<void()> done);

 private:
  static void on_timer(uv_timer_t *t);
  static void on_closed(uv_handle_t *h);

  EventLoop &loop_;
  uv_timer_t timer_;
  std::function<void()> on_fire_;
  std::function<void()> on_closed_;
  uint64_t armed_for_ = kNever;
  bool closing_ = false;
};

}  // namespace roam::uvio
