#include "uv/stream_listener.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <cstring>

#include "roam/roam_errors.h"

namespace roam::uvio {

namespace {
constexpr int kBacklog = 128;
// Refused connections waiting for their peer to hang up, at most; each is a
// small object and a socket, and waits at most kRefusalLingerMs.
constexpr size_t kMaxLingeringRefusals = 64;
constexpr uint64_t kRefusalLingerMs = 2000;
}

StreamListener::StreamListener(EventLoop &loop, ListenerEvents *events)
    : loop_(loop), events_(events) {
  std::memset(&handle_, 0, sizeof handle_);
}

int StreamListener::listen(const Address &addr, bool reuse_port) {
  bound_ = addr;
  int rc;
  if (addr.kind == Address::Kind::Tcp) {
    struct sockaddr_storage ss;
    if (uv_ip4_addr(addr.host.c_str(), addr.port, reinterpret_cast<sockaddr_in *>(&ss)) != 0 &&
        uv_ip6_addr(addr.host.c_str(), addr.port, reinterpret_cast<sockaddr_in6 *>(&ss)) != 0) {
      last_error_ = "cannot listen on \"" + addr.to_string() +
                    "\": the host must be a numeric IP (names are not resolved for listening)";
      return ROAM_EINVAL;
    }
    // With SO_REUSEPORT the socket must exist before the bind: libuv
    // (before 1.49's UV_TCP_REUSEPORT) only makes it inside uv_tcp_bind.
    rc = uv_tcp_init_ex(loop_.loop(), &handle_.tcp, reuse_port ? ss.ss_family : AF_UNSPEC);
    if (rc != 0) {
      last_error_ = "cannot listen on \"" + addr.to_string() + "\": " + uv_error_text(rc);
      return ROAM_EIO;
    }
    initialized_ = true;
    handle_.tcp.data = this;
    if (reuse_port) rc = set_reuse_port();
    if (rc == 0) rc = uv_tcp_bind(&handle_.tcp, reinterpret_cast<sockaddr *>(&ss), 0);
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t *>(&handle_.tcp), kBacklog, on_connection);
    if (rc == 0) {
      int len = sizeof ss;
      uv_tcp_getsockname(&handle_.tcp, reinterpret_cast<sockaddr *>(&ss), &len);
      bound_.port = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6 *>(&ss)->sin6_port
                                                   : reinterpret_cast<sockaddr_in *>(&ss)->sin_port);
    }
  } else {
    uv_pipe_init(loop_.loop(), &handle_.pipe, 0);
    initialized_ = true;
    handle_.pipe.data = this;
    rc = uv_pipe_bind(&handle_.pipe, addr.path.c_str());
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t *>(&handle_.pipe), kBacklog, on_connection);
  }
  if (rc != 0) {
    last_error_ = "cannot listen on \"" + addr.to_string() + "\": " + uv_error_text(rc);
    return ROAM_EIO;
  }
  return ROAM_OK;
}

int StreamListener::set_reuse_port() {
  uv_os_fd_t fd;
  int rc = uv_fileno(reinterpret_cast<uv_handle_t *>(&handle_.tcp), &fd);
  if (rc != 0) return rc;
  int on = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) return -errno;  // libuv codes are negated errno on Unix
  return 0;
}

int StreamListener::accept_into(StreamTransport &t) {
  return t.accept_from(reinterpret_cast<uv_stream_t *>(&handle_), bound_.kind);
}

void StreamListener::refuse(wire::ByteView farewell) {
  auto refusal = std::make_unique<RefusedConnection>(
      loop_, [this](RefusedConnection *gone) { refusal_gone(gone); });
  uint64_t linger = refusals_.size() < kMaxLingeringRefusals ? kRefusalLingerMs : 0;
  RefusedConnection *r = refusal.get();
  refusals_.push_back(std::move(refusal));
  r->start(reinterpret_cast<uv_stream_t *>(&handle_), bound_.kind, farewell, linger);
}

void StreamListener::refusal_gone(RefusedConnection *r) {
  for (auto it = refusals_.begin(); it != refusals_.end(); ++it) {
    if (it->get() == r) {
      refusals_.erase(it);
      break;
    }
  }
  report_closed_when_done();
}

void StreamListener::on_connection(uv_stream_t *server, int status) {
  auto *self = static_cast<StreamListener *>(server->data);
  self->events_->on_incoming(status, status == 0 ? std::string() : uv_error_text(status));
}

void StreamListener::close(std::function<void()> done) {
  on_closed_ = std::move(done);
  closing_ = true;
  for (auto &r : refusals_) r->close();  // each reports itself gone later
  if (!initialized_) {
    handle_closed_ = true;
    report_closed_when_done();
    return;
  }
  auto *h = reinterpret_cast<uv_handle_t *>(&handle_);
  if (bound_.kind == Address::Kind::Unix && uv_is_active(h)) ::unlink(bound_.path.c_str());
  uv_close(h, on_closed);
}

void StreamListener::on_closed(uv_handle_t *h) {
  auto *self = static_cast<StreamListener *>(h->data);
  self->handle_closed_ = true;
  self->report_closed_when_done();
}

void StreamListener::report_closed_when_done() {
  if (!closing_ || !handle_closed_ || !refusals_.empty()) return;
  if (on_closed_) {
    auto done = std::move(on_closed_);
    done();
  }
}

}  // namespace roam::uvio
