// The libuv loop a runtime drives, and the loop services sessions need:
//   - post():   run a function on the loop thread, from any thread;
//   - defer():  run a function later on the loop thread, in order, never
//               inside the caller (how callbacks caused by a user's own
//               call are delivered);
//   - flushes:  objects with queued output are flushed once per loop turn,
//               so everything a turn produces leaves in one write.
#pragma once

#include <uv.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <vector>

#include "uv/shared_read_buffer.hpp"
#include "uv/turn_task.hpp"

namespace roam::uvio {

class EventLoop {
 public:
  // Owns a new loop (borrowed == nullptr) or uses the caller's.
  explicit EventLoop(uv_loop_t *borrowed);
  ~EventLoop();
  EventLoop(const EventLoop &) = delete;
  EventLoop &operator=(const EventLoop &) = delete;

  // 0 on success, else a libuv error (the object is then unusable).
  int init_status() const { return init_status_; }
  uv_loop_t *loop() { return loop_; }
  bool owns_loop() const { return owned_; }
  // What every stream on this loop reads into (see shared_read_buffer.hpp).
  SharedReadBuffer &read_buffer() { return read_buffer_; }

  // Monotonic microseconds.
  static uint64_t now_us() { return uv_hrtime() / 1000; }

  int run(uv_run_mode mode);
  // Any thread. stop() is also async-signal-safe: no lock, no allocation,
  // errno preserved. A stop that finds no run active ends the next one.
  void stop();
  void post(std::function<void()> fn);
  void wake();

  // End of the turn (or of the current end-of-turn pass): first every
  // deferred task, then each flush task, each followed by the deferred
  // work it caused. Neither allocates. Cancel with TurnTask::cancel().
  void defer(TurnTask *task);
  void request_flush(TurnTask *task);

  // Closes the loop's own handles; `done` runs once they are gone. For an
  // owned loop the caller then runs the loop until it returns.
  void close_handles(std::function<void()> done);

 private:
  // Runs what other threads posted. Also called at the start of run():
  // libuv does not poll a loop that has nothing alive, so on an idle
  // runtime the async wakeup alone would never deliver the work.
  void run_posted();
  // Consumes a pending stop request.
  bool take_stop() { return stop_requested_.exchange(false, std::memory_order_acq_rel); }
  static void on_async(uv_async_t *h);
  static void on_turn(uv_prepare_t *h);
  static void on_turn_end(uv_check_t *h);
  static void on_idle(uv_idle_t *h);
  static void on_handle_closed(uv_handle_t *h);
  void end_of_turn();
  void run_deferred();

  uv_loop_t own_loop_;
  uv_loop_t *loop_;
  bool owned_;
  int init_status_ = 0;

  uv_async_t async_;
  uv_prepare_t prepare_;
  uv_check_t check_;
  uv_idle_t idle_;
  int open_handles_ = 0;
  std::function<void()> on_closed_;

  std::mutex posted_mu_;
  std::vector<std::function<void()>> posted_;
  // Not under posted_mu_: stop() runs in signal handlers, where a lock the
  // interrupted thread may hold would deadlock. Only a lock-free atomic is
  // safe there.
  std::atomic<bool> stop_requested_{false};
  static_assert(std::atomic<bool>::is_always_lock_free, "stop() must stay async-signal-safe");

  TurnQueue deferred_;
  TurnQueue dirty_;
  SharedReadBuffer read_buffer_;
};

}  // namespace roam::uvio
