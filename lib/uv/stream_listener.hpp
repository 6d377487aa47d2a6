// A listening TCP or Unix socket. Each incoming connection is announced;
// the owner makes a transport for it with accept_into(), or turns it away
// with refuse().
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "uv/address.hpp"
#include "uv/event_loop.hpp"
#include "uv/refused_connection.hpp"
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
  int listen(const Address &addr, bool reuse_port = false);
  int accept_into(StreamTransport &t);
  // Accepts the waiting connection only to turn it away: `farewell` is
  // written, then the socket closes once the peer hangs up (at most a couple
  // of seconds later). Lingering refusals are capped; past the cap a refused
  // socket closes right after its farewell.
  void refuse(wire::ByteView farewell);
  // The address actually bound (port 0 resolved).
  const Address &bound_address() const { return bound_; }
  // Stops listening; removes the Unix socket file it created; closes
  // refusals still lingering. `done` runs once libuv has let go of them all.
  void close(std::function<void()> done);
  const std::string &last_error() const { return last_error_; }

 private:
  static void on_connection(uv_stream_t *server, int status);
  // SO_REUSEPORT on the TCP handle's socket (a libuv error code, or 0).
  int set_reuse_port();
  static void on_closed(uv_handle_t *h);
  void refusal_gone(RefusedConnection *r);
  void report_closed_when_done();

  EventLoop &loop_;
  ListenerEvents *events_;
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } handle_;
  bool initialized_ = false;
  bool closing_ = false;
  bool handle_closed_ = false;
  std::vector<std::unique_ptr<RefusedConnection>> refusals_;
  Address bound_;
  std::function<void()> on_closed_;
  std::string last_error_;
};

}  // namespace roam::uvio
