#include "uv/event_loop.hpp"

#include <algorithm>
#include <cerrno>

namespace roam::uvio {

EventLoop::EventLoop(uv_loop_t *borrowed) : loop_(borrowed), owned_(borrowed == nullptr) {
  if (owned_) {
    loop_ = &own_loop_;
    if ((init_status_ = uv_loop_init(loop_)) != 0) return;
  }
  async_.data = prepare_.data = check_.data = idle_.data = this;
  if ((init_status_ = uv_async_init(loop_, &async_, on_async)) != 0) return;
  ++open_handles_;
  uv_prepare_init(loop_, &prepare_);
  uv_check_init(loop_, &check_);
  uv_idle_init(loop_, &idle_);
  open_handles_ += 3;
  // None of these alone keeps the loop alive: only real work does (sockets,
  // timers, pending writes, queued deferred work through idle_).
  uv_unref(reinterpret_cast<uv_handle_t *>(&async_));
  uv_prepare_start(&prepare_, on_turn);
  uv_unref(reinterpret_cast<uv_handle_t *>(&prepare_));
  uv_check_start(&check_, on_turn_end);
  uv_unref(reinterpret_cast<uv_handle_t *>(&check_));
}

EventLoop::~EventLoop() {
  if (owned_ && init_status_ == 0) uv_loop_close(loop_);
}

int EventLoop::run(uv_run_mode mode) {
  run_posted();
  // A stop requested while no run was active (a signal just before run(),
  // or between two runs) ends this run before it waits for anything.
  if (take_stop()) return uv_loop_alive(loop_);
  return uv_run(loop_, mode);
}

void EventLoop::stop() {
  // A signal handler must leave errno as it found it; uv_async_send may
  // write() to the wakeup fd.
  int saved_errno = errno;
  stop_requested_.store(true, std::memory_order_release);
  uv_async_send(&async_);  // async-signal-safe, as libuv documents
  errno = saved_errno;
}

void EventLoop::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(posted_mu_);
    posted_.push_back(std::move(fn));
  }
  // Posted work must run even if nothing else keeps the loop alive.
  uv_async_send(&async_);
}

void EventLoop::wake() { uv_async_send(&async_); }

void EventLoop::run_posted() {
  std::vector<std::function<void()>> work;
  {
    std::lock_guard<std::mutex> lock(posted_mu_);
    work.swap(posted_);
  }
  for (auto &fn : work) fn();
}

void EventLoop::on_async(uv_async_t *h) {
  auto *self = static_cast<EventLoop *>(h->data);
  self->run_posted();
  if (self->take_stop()) uv_stop(self->loop_);
}

void EventLoop::defer(TurnTask *task) {
  deferred_.push(task);
  // An active idle handle keeps the loop alive and stops it from blocking
  // until the deferred work has run.
  if (!uv_is_active(reinterpret_cast<uv_handle_t *>(&idle_))) uv_idle_start(&idle_, on_idle);
}

void EventLoop::request_flush(TurnTask *task) {
  dirty_.push(task);
  if (!uv_is_active(reinterpret_cast<uv_handle_t *>(&idle_))) uv_idle_start(&idle_, on_idle);
}

void EventLoop::run_deferred() {
  // Work deferred by deferred work runs in the same pass, in order.
  while (!deferred_.empty()) deferred_.run_first();
}

void EventLoop::end_of_turn() {
  run_deferred();
  while (!dirty_.empty()) {
    dirty_.run_first();
    run_deferred();
  }
  uv_idle_stop(&idle_);
}

void EventLoop::on_turn(uv_prepare_t *h) { static_cast<EventLoop *>(h->data)->end_of_turn(); }
void EventLoop::on_turn_end(uv_check_t *h) { static_cast<EventLoop *>(h->data)->end_of_turn(); }
void EventLoop::on_idle(uv_idle_t *h) { static_cast<EventLoop *>(h->data)->end_of_turn(); }

void EventLoop::close_handles(std::function<void()> done) {
  on_closed_ = std::move(done);
  uv_handle_t *handles[] = {reinterpret_cast<uv_handle_t *>(&async_),
                            reinterpret_cast<uv_handle_t *>(&prepare_),
                            reinterpret_cast<uv_handle_t *>(&check_),
                            reinterpret_cast<uv_handle_t *>(&idle_)};
  for (uv_handle_t *h : handles) {
    if (!uv_is_closing(h)) uv_close(h, on_handle_closed);
  }
}

void EventLoop::on_handle_closed(uv_handle_t *h) {
  auto *self = static_cast<EventLoop *>(h->data);
  if (--self->open_handles_ == 0 && self->on_closed_) {
    auto done = std::move(self->on_closed_);
    done();
  }
}

}  // namespace roam::uvio
