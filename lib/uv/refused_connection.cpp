#include "uv/refused_connection.hpp"

#include <cstring>

namespace roam::uvio {

RefusedConnection::RefusedConnection(EventLoop &loop,
                                     std::function<void(RefusedConnection *)> on_gone)
    : loop_(loop), on_gone_(std::move(on_gone)) {
  std::memset(&stream_, 0, sizeof stream_);
}

void RefusedConnection::start(uv_stream_t *server, Address::Kind kind, wire::ByteView farewell,
                              uint64_t linger_ms) {
  // The timer first: it cannot fail, so from here on there is always a
  // handle whose close callback reports us gone.
  uv_timer_init(loop_.loop(), &linger_);
  linger_.data = this;
  ++open_handles_;
  auto *s = reinterpret_cast<uv_stream_t *>(&stream_);
  int rc = kind == Address::Kind::Tcp ? uv_tcp_init(loop_.loop(), &stream_.tcp)
                                      : uv_pipe_init(loop_.loop(), &stream_.pipe, 0);
  if (rc == 0) {
    s->data = this;
    ++open_handles_;
  }
  if (rc != 0 || uv_accept(server, s) != 0) {
    close();
    return;
  }
  if (!farewell.empty()) {
    // A fresh socket's send buffer takes a few dozen bytes at once, so no
    // write request (and no buffer to keep) is needed.
    uv_buf_t b = uv_buf_init(const_cast<char *>(reinterpret_cast<const char *>(farewell.data)),
                             static_cast<unsigned>(farewell.size));
    uv_try_write(s, &b, 1);
  }
  if (linger_ms == 0 || uv_read_start(s, on_alloc, on_read) != 0) {
    close();
    return;
  }
  shutdown_req_.data = this;
  uv_shutdown(&shutdown_req_, s, on_shutdown);  // FIN after the farewell
  uv_timer_start(&linger_, on_linger_over, linger_ms, 0);
}

void RefusedConnection::close() {
  if (closing_) return;
  closing_ = true;
  auto *timer = reinterpret_cast<uv_handle_t *>(&linger_);
  auto *stream = reinterpret_cast<uv_handle_t *>(&stream_);
  if (open_handles_ == 2) uv_close(stream, on_closed);
  uv_close(timer, on_closed);
}

void RefusedConnection::on_alloc(uv_handle_t *h, size_t, uv_buf_t *buf) {
  auto *self = static_cast<RefusedConnection *>(h->data);
  *buf = self->loop_.read_buffer().lend();
}

void RefusedConnection::on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *) {
  // Input is dropped; the peer hanging up (or failing) ends the linger.
  auto *self = static_cast<RefusedConnection *>(s->data);
  self->loop_.read_buffer().reclaim();
  if (nread < 0) self->close();
}

void RefusedConnection::on_shutdown(uv_shutdown_t *, int) {}

void RefusedConnection::on_linger_over(uv_timer_t *t) {
  static_cast<RefusedConnection *>(t->data)->close();
}

void RefusedConnection::on_closed(uv_handle_t *h) {
  auto *self = static_cast<RefusedConnection *>(h->data);
  if (--self->open_handles_ > 0) return;
  // The owner deletes us from inside on_gone: call it from a local copy.
  auto gone = std::move(self->on_gone_);
  gone(self);
}

}  // namespace roam::uvio
