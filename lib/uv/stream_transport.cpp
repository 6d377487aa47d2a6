#include "uv/stream_transport.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <new>

#include "roam/roam_errors.h"

namespace roam::uvio {

namespace {
constexpr size_t kSpareWrites = 4;
// A spare write request keeps its buffer for the next write only up to this
// size: an idle session must not hold on to the memory of its last burst.
constexpr size_t kSpareWriteBytes = 16 * 1024;
}  // namespace

std::string uv_error_text(int uv_code) { return uv_strerror(uv_code); }

StreamTransport::StreamTransport(EventLoop &loop, TransportEvents *events)
    : loop_(loop), events_(events) {
  std::memset(&own_, 0, sizeof own_);
}

StreamTransport::~StreamTransport() = default;

uv_handle_t *StreamTransport::handle() { return reinterpret_cast<uv_handle_t *>(stream_); }

int StreamTransport::init_handle(Address::Kind kind) {
  int rc = kind == Address::Kind::Tcp ? uv_tcp_init(loop_.loop(), &own_.tcp)
                                      : uv_pipe_init(loop_.loop(), &own_.pipe, 0);
  if (rc != 0) {
    last_error_ = uv_error_text(rc);
    return ROAM_EIO;
  }
  stream_ = reinterpret_cast<uv_stream_t *>(&own_);
  stream_->data = this;
  handle_ready_ = true;
  address_.kind = kind;
  return ROAM_OK;
}

int StreamTransport::connect(const Address &addr) {
  int rc = init_handle(addr.kind);
  if (rc != ROAM_OK) return rc;
  address_ = addr;
  connecting_.reset(new (std::nothrow) ConnectRequests());
  if (!connecting_) {
    last_error_ = "out of memory";
    return ROAM_ENOMEM;
  }
  if (addr.kind == Address::Kind::Unix) {
    connecting_->connect.data = this;
    uv_pipe_connect(&connecting_->connect, &own_.pipe, addr.path.c_str(), on_connected);
    return ROAM_OK;
  }
  struct addrinfo hints;
  std::memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  connecting_->resolve.data = this;
  std::string port = std::to_string(addr.port);
  int r = uv_getaddrinfo(loop_.loop(), &connecting_->resolve, on_resolved, addr.host.c_str(),
                         port.c_str(), &hints);
  if (r != 0) {
    last_error_ = "cannot resolve " + addr.host + ": " + uv_error_text(r);
    return ROAM_EIO;
  }
  resolving_ = true;
  return ROAM_OK;
}

void StreamTransport::on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  auto *self = static_cast<StreamTransport *>(req->data);
  try {
    self->resolving_ = false;
    if (self->closing_) {
      uv_freeaddrinfo(res);
      self->report_closed_when_done();
      return;
    }
    if (status != 0 || res == nullptr) {
      uv_freeaddrinfo(res);
      self->fail(ROAM_EIO, "cannot resolve " + self->address_.host + ": " + uv_error_text(status));
      return;
    }
    self->connecting_->connect.data = self;
    int rc = uv_tcp_connect(&self->connecting_->connect, &self->own_.tcp, res->ai_addr, on_connected);
    uv_freeaddrinfo(res);
    if (rc != 0) {
      self->fail(ROAM_EIO, "connect to " + self->address_.to_string() + " failed: " + uv_error_text(rc));
    }
  } catch (...) {
    self->fail_contained();
  }
}

void StreamTransport::on_connected(uv_connect_t *req, int status) {
  auto *self = static_cast<StreamTransport *>(req->data);
  try {
    if (self->closing_) return;  // cancelled by close(); the close callback follows
    if (status != 0) {
      self->fail(ROAM_EIO,
                 "connect to " + self->address_.to_string() + " failed: " + uv_error_text(status));
      return;
    }
    if (self->address_.kind == Address::Kind::Tcp) uv_tcp_nodelay(&self->own_.tcp, 1);
    self->events_->on_transport_connected();
  } catch (...) {
    self->fail_contained();
  }
}

int StreamTransport::open_fd(int fd, Address::Kind kind) {
  int rc = init_handle(kind);
  if (rc != ROAM_OK) return rc;
  rc = kind == Address::Kind::Tcp ? uv_tcp_open(&own_.tcp, fd) : uv_pipe_open(&own_.pipe, fd);
  if (rc != 0) {
    // The handle stays initialized: the owner closes it like any other.
    last_error_ = "cannot use fd " + std::to_string(fd) + ": " + uv_error_text(rc);
    return ROAM_EIO;
  }
  if (kind == Address::Kind::Tcp) uv_tcp_nodelay(&own_.tcp, 1);
  return ROAM_OK;
}

int StreamTransport::adopt_fd(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<struct sockaddr *>(&ss), &len) != 0) {
    last_error_ = "fd " + std::to_string(fd) + " is not a socket: " + std::strerror(errno);
    return ROAM_EINVAL;
  }
  Address::Kind kind = ss.ss_family == AF_UNIX ? Address::Kind::Unix : Address::Kind::Tcp;
  return open_fd(fd, kind);
}

int StreamTransport::adopt_stream(uv_stream_t *s) {
  if (s == nullptr || s->loop != loop_.loop()) {
    last_error_ = "stream is not on the runtime's loop";
    return ROAM_EINVAL;
  }
  stream_ = s;
  stream_->data = this;
  handle_ready_ = true;
  address_.kind = s->type == UV_NAMED_PIPE ? Address::Kind::Unix : Address::Kind::Tcp;
  return ROAM_OK;
}

int StreamTransport::accept_from(uv_stream_t *server, Address::Kind kind) {
  int rc = init_handle(kind);
  if (rc != ROAM_OK) return rc;
  int r = uv_accept(server, stream_);
  if (r != 0) {
    last_error_ = "accept failed: " + uv_error_text(r);
    return ROAM_EIO;
  }
  if (kind == Address::Kind::Tcp) uv_tcp_nodelay(&own_.tcp, 1);
  return ROAM_OK;
}

int StreamTransport::make_pair(StreamTransport &a, StreamTransport &b) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    a.last_error_ = std::string("socketpair failed: ") + std::strerror(errno);
    return ROAM_EIO;
  }
  int rc = a.open_fd(fds[0], Address::Kind::Unix);
  if (rc != ROAM_OK) {
    ::close(fds[0]);
    ::close(fds[1]);
    return rc;
  }
  rc = b.open_fd(fds[1], Address::Kind::Unix);
  if (rc != ROAM_OK) {
    ::close(fds[1]);
    a.last_error_ = b.last_error_;
    return rc;
  }
  return ROAM_OK;
}

// ---- reading ---------------------------------------------------------------------

void StreamTransport::start_reading() {
  if (!handle_ready_ || reading_ || closing_) return;
  int rc = uv_read_start(stream_, on_alloc, on_read);
  if (rc != 0) {
    fail(ROAM_EIO, "read failed: " + uv_error_text(rc));
    return;
  }
  reading_ = true;
}

void StreamTransport::stop_reading() {
  if (reading_ && handle_ready_) uv_read_stop(stream_);
  reading_ = false;
}

void StreamTransport::on_alloc(uv_handle_t *h, size_t, uv_buf_t *buf) {
  auto *self = static_cast<StreamTransport *>(h->data);
  // libuv reads into it and calls on_read before any other stream's alloc;
  // on_read's consumer copies what it keeps. See shared_read_buffer.hpp.
  *buf = self->loop_.read_buffer().lend();
}

void StreamTransport::on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  auto *self = static_cast<StreamTransport *>(s->data);
  SharedReadBuffer &shared = self->loop_.read_buffer();  // the loop outlives us
  try {
    self->deliver_read(nread, buf);
  } catch (...) {
    self->fail_contained();
  }
  shared.reclaim();
}

void StreamTransport::deliver_read(ssize_t nread, const uv_buf_t *buf) {
  if (nread > 0) {
    events_->on_transport_bytes(
        wire::ByteView(reinterpret_cast<const uint8_t *>(buf->base), static_cast<size_t>(nread)));
  } else if (nread == UV_EOF) {
    stop_reading();
    events_->on_transport_eof();
  } else if (nread < 0) {
    stop_reading();
    fail(ROAM_EIO, "read failed: " + uv_error_text(static_cast<int>(nread)));
  }
}

// ---- writing ---------------------------------------------------------------------

void StreamTransport::write(wire::ByteBuffer &bytes) {
  if (bytes.empty()) return;
  if (!handle_ready_ || handle_closed_ || shutdown_sent_) {
    bytes.clear();
    return;
  }
  std::unique_ptr<WriteRequest> wr;
  if (!spare_writes_.empty()) {
    wr = std::move(spare_writes_.back());
    spare_writes_.pop_back();
  } else {
    wr = std::make_unique<WriteRequest>();
  }
  wr->owner = this;
  wr->bytes.clear();
  wr->bytes.swap(bytes);
  wr->req.data = wr.get();
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char *>(wr->bytes.data()),
                             static_cast<unsigned>(wr->bytes.size()));
  size_t size = wr->bytes.size();
  int rc = uv_write(&wr->req, stream_, &buf, 1, on_written);
  if (rc != 0) {
    fail(ROAM_EIO, "write failed: " + uv_error_text(rc));
    return;
  }
  backlog_ += size;
  wr.release();  // owned by libuv until on_written
}

void StreamTransport::on_written(uv_write_t *req, int status) {
  std::unique_ptr<WriteRequest> wr(static_cast<WriteRequest *>(req->data));
  StreamTransport *self = wr->owner;
  try {
    self->backlog_ -= wr->bytes.size();
    if (self->spare_writes_.size() < kSpareWrites) {
      if (wr->bytes.capacity() > kSpareWriteBytes) {
        wr->bytes.shrink();
      } else {
        wr->bytes.clear();
      }
      self->spare_writes_.push_back(std::move(wr));
    }
    if (self->closing_) {
      self->maybe_finish_close();
      return;
    }
    if (status != 0) {
      self->fail(ROAM_EIO, "write failed: " + uv_error_text(status));
      return;
    }
    self->events_->on_transport_drained(self->backlog_);
  } catch (...) {
    self->fail_contained();
  }
}

// ---- closing ---------------------------------------------------------------------

void StreamTransport::fail_contained() noexcept {
  // An exception (out of memory, most likely) in a libuv callback: it must
  // not unwind into libuv. The session hears of a failed transport, in
  // words that need no allocation.
  int code = ROAM_EINTERNAL;
  try {
    throw;
  } catch (const std::bad_alloc &) {
    code = ROAM_ENOMEM;
  } catch (...) {
  }
  if (closing_) return;
  try {
    events_->on_transport_error(code, std::string());
  } catch (...) {
  }
}

void StreamTransport::fail(int code, const std::string &reason) {
  last_error_ = reason;
  if (closing_) return;
  events_->on_transport_error(code, reason);
}

void StreamTransport::close(bool graceful) {
  if (closing_) {
    // A graceful close that takes too long can be turned into a hard one.
    if (!graceful && graceful_) {
      graceful_ = false;
      maybe_finish_close();
    }
    return;
  }
  closing_ = true;
  graceful_ = graceful;
  stop_reading();
  if (resolving_) uv_cancel(reinterpret_cast<uv_req_t *>(&connecting_->resolve));
  maybe_finish_close();
}

void StreamTransport::maybe_finish_close() {
  if (!closing_) return;
  if (!handle_ready_) {
    report_closed_when_done();
    return;
  }
  if (uv_is_closing(handle())) return;
  if (graceful_) {
    if (backlog_ > 0) return;          // on_written comes back here
    if (shutdown_pending_) return;     // on_shutdown closes the handle
    if (!shutdown_sent_ && uv_is_writable(stream_)) {
      shutdown_sent_ = true;
      shutdown_req_.data = this;
      if (uv_shutdown(&shutdown_req_, stream_, on_shutdown) == 0) {
        shutdown_pending_ = true;
        return;
      }
    }
  }
  uv_close(handle(), on_closed);
}

void StreamTransport::on_shutdown(uv_shutdown_t *req, int) {
  auto *self = static_cast<StreamTransport *>(req->data);
  self->shutdown_pending_ = false;
  if (!uv_is_closing(self->handle())) uv_close(self->handle(), on_closed);
}

void StreamTransport::on_closed(uv_handle_t *h) {
  auto *self = static_cast<StreamTransport *>(h->data);
  // libuv has run every pending write/connect/shutdown callback (cancelled)
  // before this one; only a name resolution may still be out.
  self->handle_closed_ = true;
  self->report_closed_when_done();
}

void StreamTransport::report_closed_when_done() {
  if (reported_closed_ || resolving_) return;
  if (handle_ready_ && !handle_closed_) return;
  reported_closed_ = true;
  events_->on_transport_closed();
}

}  // namespace roam::uvio
