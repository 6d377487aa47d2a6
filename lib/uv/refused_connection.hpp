// A connection accepted only to be turned away (a listener over its limit).
//
// It is told why in a few bytes the owner chooses (a roam ProtocolError), its
// write side is shut down, and whatever it sends is read and dropped until it
// hangs up or a linger time passes; then the socket closes. Reading until the
// peer's EOF matters: closing a socket that still has unread input (the
// peer's Hello) sends a reset, and a reset can destroy the farewell before
// the peer reads it. It costs one small object and no session.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>

#include "uv/address.hpp"
#include "uv/event_loop.hpp"
#include "wire/bytes.hpp"

namespace roam::uvio {

class RefusedConnection {
 public:
  // `on_gone` runs once libuv has let go of every handle; the owner may
  // delete the object then.
  RefusedConnection(EventLoop &loop, std::function<void(RefusedConnection *)> on_gone);
  RefusedConnection(const RefusedConnection &) = delete;
  RefusedConnection &operator=(const RefusedConnection &) = delete;

  // Accepts the connection waiting on `server` and says `farewell`. With
  // linger_ms == 0 the socket closes right after the farewell is handed to
  // the kernel (no waiting for the peer). Either way on_gone follows.
  void start(uv_stream_t *server, Address::Kind kind, wire::ByteView farewell, uint64_t linger_ms);
  // Closes now (the listener is going away). Idempotent.
  void close();

 private:
  static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
  static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
  static void on_shutdown(uv_shutdown_t *req, int status);
  static void on_linger_over(uv_timer_t *t);
  static void on_closed(uv_handle_t *h);

  EventLoop &loop_;
  std::function<void(RefusedConnection *)> on_gone_;
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } stream_;
  uv_timer_t linger_;
  uv_shutdown_t shutdown_req_;
  int open_handles_ = 0;
  bool closing_ = false;
};

}  // namespace roam::uvio
