// roam_runtime_* — owning or borrowing a libuv loop, running it, and the
// thread-safe entry points (post, wake, stop).
#include <signal.h>

#include <new>

#include "capi/api_guard.hpp"
#include "capi/error_detail.hpp"
#include "capi/runtime_handle.hpp"

using roam::uvio::EventLoop;

namespace {

// A write to a socket the peer already closed raises SIGPIPE, whose default
// action kills the process: a peer hanging up must never do that. libuv
// writes with writev(), which has no per-call MSG_NOSIGNAL, so the signal is
// ignored process-wide, unless the program installed a handler of its own.
// Done once per process (the first runtime), so runtimes created on several
// threads at once do not race on the disposition.
void ignore_sigpipe_unless_handled() {
  static const bool done = [] {
    struct sigaction current;
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && (current.sa_flags & SA_SIGINFO) == 0 &&
        current.sa_handler == SIG_DFL) {
      signal(SIGPIPE, SIG_IGN);
    }
    return true;
  }();
  (void)done;
}

int create(const char *api, uv_loop_t *borrowed, roam_runtime **out) {
  return roam::capi::guarded(api, [&]() -> int {
    if (out == nullptr) return roam::capi::null_argument(api, "out");
    *out = nullptr;
    ignore_sigpipe_unless_handled();
    auto rt = std::make_unique<roam_runtime>();
    rt->loop = std::make_unique<EventLoop>(borrowed);
    if (rt->loop->init_status() != 0) {
      return roam::capi::fail_with_detail(ROAM_EIO, "%s: the libuv loop cannot start: %s", api,
                                          uv_strerror(rt->loop->init_status()));
    }
    *out = rt.release();
    return ROAM_OK;
  });
}

}  // namespace

extern "C" {

int roam_runtime_new(roam_runtime **out) { return create(__func__, nullptr, out); }

int roam_runtime_new_with_loop(struct uv_loop_s *loop, roam_runtime **out) {
  if (loop == nullptr) return roam::capi::null_argument(__func__, "loop");
  return create(__func__, loop, out);
}

int roam_runtime_free(roam_runtime *rt) {
  if (rt == nullptr) return ROAM_OK;
  if (rt->live_handles > rt->abandoned_handles) {
    return roam::capi::fail_with_detail(
        ROAM_ESTATE, "%s: %zu sessions or listeners have not finished closing", __func__,
        rt->live_handles - rt->abandoned_handles);
  }
  if (rt->loop->owns_loop()) {
    // Handles a failed constructor left behind close by themselves.
    while (rt->abandoned_handles > 0) rt->loop->run(UV_RUN_ONCE);
  }
  EventLoop *loop = rt->loop.release();
  if (loop->owns_loop()) {
    bool closed = false;
    loop->close_handles([&closed] { closed = true; });
    while (!closed) loop->run(UV_RUN_ONCE);
    delete loop;
  } else {
    // The caller's loop finishes closing our handles when it next runs.
    loop->close_handles([loop] { delete loop; });
  }
  delete rt;
  return ROAM_OK;
}

int roam_runtime_run(roam_runtime *rt) {
  if (rt == nullptr) return ROAM_EINVAL;
  rt->loop->run(UV_RUN_DEFAULT);
  return ROAM_OK;
}

int roam_runtime_run_once(roam_runtime *rt) {
  if (rt == nullptr) return ROAM_EINVAL;
  return rt->loop->run(UV_RUN_ONCE) != 0 ? 1 : 0;
}

int roam_runtime_run_nowait(roam_runtime *rt) {
  if (rt == nullptr) return ROAM_EINVAL;
  return rt->loop->run(UV_RUN_NOWAIT) != 0 ? 1 : 0;
}

int roam_runtime_stop(roam_runtime *rt) {
  if (rt == nullptr) return ROAM_EINVAL;
  rt->loop->stop();
  return ROAM_OK;
}

int roam_runtime_post(roam_runtime *rt, roam_work_cb cb, void *user_data) {
  if (rt == nullptr || cb == nullptr) return ROAM_EINVAL;
  // Any thread: the detail of a failure is that thread's.
  return roam::capi::guarded(__func__, [&]() -> int {
    rt->loop->post([rt, cb, user_data] { cb(rt, user_data); });
    return ROAM_OK;
  });
}

int roam_runtime_wake(roam_runtime *rt) {
  if (rt == nullptr) return ROAM_EINVAL;
  rt->loop->wake();
  return ROAM_OK;
}

int roam_runtime_backend_fd(roam_runtime *rt) {
  if (rt == nullptr) return ROAM_EINVAL;
  return uv_backend_fd(rt->loop->loop());
}

int roam_runtime_backend_timeout(roam_runtime *rt, int *timeout_ms) {
  if (rt == nullptr) return roam::capi::null_argument(__func__, "rt");
  if (timeout_ms == nullptr) return roam::capi::null_argument(__func__, "timeout_ms");
  *timeout_ms = uv_backend_timeout(rt->loop->loop());
  return ROAM_OK;
}

struct uv_loop_s *roam_runtime_loop(roam_runtime *rt) {
  return rt ? rt->loop->loop() : nullptr;
}

}  // extern "C"
