// A listening TCP or Unix socket. Each incoming connection is announced;
// the owner makes a transport for it with accept_into().
#pragma once

#include <uv.h>

#include <functional>
#include <string>

#include "uv/address.hpp"
#include "uv/event_loop.hpp"
#include "uv/stream_transport.hpp"

namespace roam::uvio {

class ListenerEvents {
 public:
  // status 0: a connection waits for accept_into(); else a libuv error.
  virtual void on_incoming(int status, const std::string &error) = 0;

 protected:
  ~ListenerEvents() = default;
};

class StreamListener {
 public:
  StreamListener(EventLoop &loop, ListenerEvents *events);
  // Binds and listens. ROAM_OK or ROAM_EIO / ROAM_EINVAL (see last_error).
  int listen(const Address &addr);
  int accept_into(StreamTransport &t);
  // The address actually bound (port 0 resolved).
  const Address &bound_address() const { return bound_; }
  // Stops listening; removes the Unix socket file it created. `done` runs
  // once libuv has let go of the handle.
  void close(std::function<void()> done);
  const std::string &last_error() const { return last_error_; }

 private:
  static void on_connection(uv_stream_t *server, int status);
  static void on_closed(uv_handle_t *h);

  EventLoop &loop_;
  ListenerEvents *events_;
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } handle_;
  bool initialized_ = false;
  Address bound_;
  std::function<void()> on_closed_;
  std::string last_error_;
};

}  // namespace roam::uvio
