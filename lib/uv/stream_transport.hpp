// A byte-stream transport on a libuv stream handle (TCP or Unix socket):
// connecting, reading into the loop's shared buffer, writing whole batches
// with a tracked backlog, and an orderly close. Knows nothing about the
// protocol: it reports to a session link's events.
#pragma once

#include <uv.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "session/session_link.hpp"
#include "uv/address.hpp"
#include "uv/event_loop.hpp"
#include "wire/bytes.hpp"

namespace roam::uvio {

// What a transport reports is what a session's link reports
// (session::SessionLinkEvents): connected, bytes, EOF, errors, drained
// writes, closed; the transport never calls on_deadline() or flush().
using TransportEvents = session::SessionLinkEvents;

class StreamTransport {
 public:
  StreamTransport(EventLoop &loop, TransportEvents *events);
  ~StreamTransport();
  StreamTransport(const StreamTransport &) = delete;
  StreamTransport &operator=(const StreamTransport &) = delete;

  // Each returns ROAM_OK or a ROAM_E* code (reason in last_error()).
  int connect(const Address &addr);       // async: on_transport_connected
  int adopt_fd(int fd);                   // a connected TCP or Unix socket
  int adopt_stream(uv_stream_t *stream);  // caller's handle; we uv_close it
  int accept_from(uv_stream_t *server, Address::Kind kind);
  // Two connected in-process transports (a Unix socket pair).
  static int make_pair(StreamTransport &a, StreamTransport &b);

  void start_reading();
  void stop_reading();
  // Writes all of `bytes` (takes its contents; `bytes` is left empty).
  void write(wire::ByteBuffer &bytes);
  size_t backlog() const { return backlog_; }

  // Graceful: queued writes finish, the write side is shut down, then the
  // handle closes. Otherwise pending writes are cancelled. Either way
  // on_transport_closed follows. A later close(false) cuts a graceful close
  // short (a peer that stopped reading); otherwise idempotent.
  void close(bool graceful);
  bool closing() const { return closing_; }

  const std::string &last_error() const { return last_error_; }

 private:
  struct WriteRequest {
    uv_write_t req;
    wire::ByteBuffer bytes;
    StreamTransport *owner;
  };

  int init_handle(Address::Kind kind);
  int open_fd(int fd, Address::Kind kind);
  void fail(int code, const std::string &reason);
  // Called from a catch block in a libuv callback.
  void fail_contained() noexcept;
  void maybe_finish_close();
  void report_closed_when_done();
  uv_handle_t *handle();
  uv_stream_t *stream() { return stream_; }

  static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res);
  static void on_connected(uv_connect_t *req, int status);
  static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
  static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
  void deliver_read(ssize_t nread, const uv_buf_t *buf);
  static void on_written(uv_write_t *req, int status);
  static void on_shutdown(uv_shutdown_t *req, int status);
  static void on_closed(uv_handle_t *h);

  EventLoop &loop_;
  TransportEvents *events_;
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } own_;
  uv_stream_t *stream_ = nullptr;  // &own_ or an adopted handle
  bool handle_ready_ = false;
  bool reading_ = false;
  bool closing_ = false;
  bool graceful_ = false;
  bool handle_closed_ = false;
  bool shutdown_sent_ = false;
  bool shutdown_pending_ = false;
  bool resolving_ = false;
  bool reported_closed_ = false;
  Address address_;

  // Only a transport that connects needs these; accepted ones (most of a
  // server's) do without the extra ~250 bytes.
  struct ConnectRequests {
    uv_getaddrinfo_t resolve;
    uv_connect_t connect;
  };
  std::unique_ptr<ConnectRequests> connecting_;
  uv_shutdown_t shutdown_req_;

  size_t backlog_ = 0;
  std::vector<std::unique_ptr<WriteRequest>> spare_writes_;
  std::string last_error_;
};

// "connection refused" etc. for a libuv error code.
std::string uv_error_text(int uv_code);

}  // namespace roam::uvio
