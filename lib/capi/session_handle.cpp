#include "capi/session_handle.hpp"

#include <algorithm>

#include "capi/frame_trace.hpp"

using roam::session::CloseOrigin;
using roam::session::SessionState;
using roam::wire::ConnectionSettings;
using roam::wire::MetadataView;

namespace {

// How long an ended session may take to flush its last bytes before the
// socket is closed hard (a peer that stopped reading).
constexpr uint64_t kLingerUs = 2 * 1000 * 1000;

}  // namespace

roam_session::roam_session(roam_runtime *runtime, roam::session::SessionConfig config)
    : rt(runtime),
      core(std::move(config), this),
      channel_budget(core.config().channel_buffer_per_session) {
  auto link = std::make_unique<roam::uvio::UvSessionLink>(*runtime->loop, this);
  uv_link_ = link.get();
  link_ = std::move(link);
  ++rt->live_handles;
}

roam_session::roam_session(roam::session::SessionConfig config, uint64_t now_us)
    : rt(nullptr),
      core(std::move(config), this),
      channel_budget(core.config().channel_buffer_per_session) {
  auto link = std::make_unique<roam::capi::AppSessionLink>(this, now_us);
  app_link_ = link.get();
  link_ = std::move(link);
  start_protocol();
}

roam_session::~roam_session() {
  if (listener_tally) listener_tally->session_ended(this);
  link_->cancel_flush();
  if (rt) --rt->live_handles;
}

// ---- creation -------------------------------------------------------------------------

int roam_session::init_connect(const roam::uvio::Address &addr) {
  return uv_link_->transport().connect(addr);  // on_transport_connected starts the protocol
}

int roam_session::init_adopt_fd(int fd) {
  int rc = uv_link_->transport().adopt_fd(fd);
  if (rc == ROAM_OK) start_protocol();
  return rc;
}

int roam_session::init_adopt_stream(uv_stream_t *stream) {
  int rc = uv_link_->transport().adopt_stream(stream);
  if (rc == ROAM_OK) start_protocol();
  return rc;
}

int roam_session::init_accept(roam::uvio::StreamListener &listener) {
  int rc = listener.accept_into(uv_link_->transport());
  if (rc == ROAM_OK) start_protocol();
  return rc;
}

int roam_session::init_pair(roam_session &a, roam_session &b) {
  int rc = roam::uvio::StreamTransport::make_pair(a.uv_link_->transport(),
                                                  b.uv_link_->transport());
  if (rc != ROAM_OK) return rc;
  a.start_protocol();
  b.start_protocol();
  return ROAM_OK;
}

void roam_session::abandon() {
  abandoned_ = true;
  close_requested_ = true;
  transport_closing_ = true;
  link_->close(false);
}

void roam_session::start_protocol() {
  started_ = true;
  core.start(link_->now_us());
  link_->start_reading();
  after_core();
}

int roam_session::api_state() const {
  if (close_requested_) return ROAM_SESSION_CLOSING;
  switch (core.state()) {
    case SessionState::Created:
      return ROAM_SESSION_CONNECTING;
    case SessionState::Handshaking:
      return ROAM_SESSION_HANDSHAKING;
    case SessionState::Established:
      return ROAM_SESSION_ESTABLISHED;
    case SessionState::Ended:
      break;
  }
  return ROAM_SESSION_ENDED;
}

// ---- driving the core -----------------------------------------------------------------

void roam_session::after_core() {
  if (core.has_output() || (core.state() == SessionState::Ended && !transport_closing_)) {
    link_->request_flush();
  }
  if (core.state() != SessionState::Ended) link_->arm_timer(core.next_deadline());
}

void roam_session::on_deadline() {
  if (core.state() == SessionState::Ended) {
    link_->close(false);  // the linger ran out
    return;
  }
  core.tick(link_->now_us());
  after_core();
}

void roam_session::flush() {
  if (core.has_output() && !transport_closing_) {
    core.take_output(write_buf_);
    link_->write(write_buf_);
    core.set_transport_backlog(link_->backlog());
  }
  if (core.state() == SessionState::Ended && !transport_closing_) {
    // The session is over: what is queued (a ProtocolError, a last close)
    // still goes out, then the socket closes; a peer that does not read
    // gets the linger time, no more.
    transport_closing_ = true;
    link_->close(true);
    link_->arm_timer(link_->now_us() + kLingerUs);
  }
}

void roam_session::on_transport_connected() { start_protocol(); }

void roam_session::on_transport_bytes(roam::wire::ByteView bytes) {
  core.receive(bytes, link_->now_us());
  after_core();
}

void roam_session::on_transport_eof() {
  core.receive_eof(link_->now_us());
  after_core();
}

void roam_session::on_transport_error(int code, const std::string &reason) {
  core.transport_failed(code, reason);
  transport_closing_ = true;
  link_->close(false);
  after_core();
}

void roam_session::on_transport_drained(size_t backlog) {
  core.set_transport_backlog(backlog);
  after_core();
}

void roam_session::on_transport_closed() {
  transport_closed_ = true;
  if (core.state() != SessionState::Ended && !abandoned_) {
    core.transport_failed(ROAM_EIO, "transport closed");
  }
  maybe_finalize();
}

// ---- event delivery ----------------------------------------------------------------------

void roam_session::deliver(std::function<void()> fn) {
  if (api_depth_ == 0 && pending_events_.empty()) {
    fn();
    return;
  }
  pending_events_.push_back(std::move(fn));
  if (!drain_scheduled_) {
    drain_scheduled_ = true;
    link_->defer([this] { drain_events(); });
  }
}

void roam_session::drain_events() {
  while (!pending_events_.empty()) {
    std::function<void()> fn = std::move(pending_events_.front());
    pending_events_.pop_front();
    fn();
  }
  drain_scheduled_ = false;
  maybe_finalize();
}

std::shared_ptr<roam_metadata> roam_session::keepable(const MetadataView &md) const {
  auto copy = std::make_shared<roam_metadata>();
  copy->owned.append(md);
  // Still a callback's view to the application (read-only, not to be
  // freed), only one that owns its bytes: it points into `owned`, which
  // nothing changes from here on.
  copy->borrowed = copy->owned.view();
  copy->is_view = true;
  return copy;
}

roam_conn *roam_session::find_conn(uint64_t id) const {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second.get();
}

roam_conn *roam_session::add_conn(uint64_t id, int state, void *conn_ud) {
  auto c = std::make_unique<roam_conn>(this, id, state, conn_ud);
  roam_conn *raw = c.get();
  conns_[id] = std::move(c);
  return raw;
}

void roam_session::retire_conn(roam_conn *c, std::function<void(roam_conn *)> final_cb) {
  auto it = conns_.find(c->id);
  if (it == conns_.end() || it->second.get() != c) return;
  c->state = ROAM_CONN_CLOSED;
  retired_.push_back(std::move(it->second));
  conns_.erase(it);
  if (c == root_) root_ = nullptr;
  deliver([this, c, final_cb] {
    if (final_cb) final_cb(c);
    retired_.erase(std::remove_if(retired_.begin(), retired_.end(),
                                  [c](const std::unique_ptr<roam_conn> &p) { return p.get() == c; }),
                   retired_.end());
  });
}

// ---- core events -----------------------------------------------------------------------------

void roam_session::on_handshake_done(const ConnectionSettings &local, const ConnectionSettings &peer,
                                     const MetadataView &peer_md) {
  root_ = add_conn(0, ROAM_CONN_OPEN, nullptr);
  root_->start_driver(local, peer);
  handshake_reported_ = true;
  if (listener_tally) listener_tally->handshake_done(this);
  deliver_with_metadata(peer_md, [this](const roam_metadata *md) {
    if (on_handshake.fn) on_handshake.fn(this, on_handshake.user_data, ROAM_OK, md);
  });
}

void roam_session::on_inbound_open(uint64_t id, const ConnectionSettings &,
                                   const MetadataView &view) {
  roam_conn *c = add_conn(id, ROAM_CONN_PENDING_INBOUND, nullptr);
  // The handle outlives a queued callback: it is retired only after its own
  // final callback, which is queued behind this one.
  deliver_with_metadata(view, [this, c](const roam_metadata *md) {
    if (on_inbound_open_cb.fn) on_inbound_open_cb.fn(c, on_inbound_open_cb.user_data, md);
  });
}

void roam_session::on_open_accepted(uint64_t id, const ConnectionSettings &peer,
                                    const MetadataView &view) {
  roam_conn *c = find_conn(id);
  if (c == nullptr) return;
  c->state = ROAM_CONN_OPEN;
  c->start_driver(core.find(id)->local, peer);
  deliver_with_metadata(view, [this, c](const roam_metadata *md) {
    if (on_open.fn) on_open.fn(c, on_open.user_data, ROAM_OK, md);
  });
}

void roam_session::on_open_rejected(uint64_t id, const MetadataView &view) {
  roam_conn *c = find_conn(id);
  if (c == nullptr) return;
  std::shared_ptr<roam_metadata> md = keepable(view);
  retire_conn(c, [this, md](roam_conn *conn) {
    if (on_open.fn) on_open.fn(conn, on_open.user_data, ROAM_EREJECTED, md.get());
  });
}

void roam_session::on_connection_closed(uint64_t id, CloseOrigin origin, int reason,
                                        const MetadataView &view) {
  roam_conn *c = find_conn(id);
  if (c == nullptr) return;
  int was = c->state;
  std::shared_ptr<roam_metadata> md = view.empty() ? nullptr : keepable(view);
  if (was == ROAM_CONN_PENDING_OUTBOUND) {
    // An open that never got its answer: the open callback reports it.
    int status = reason == ROAM_OK ? ROAM_ECLOSED : reason;
    retire_conn(c, [this, status](roam_conn *conn) {
      if (on_open.fn) on_open.fn(conn, on_open.user_data, status, nullptr);
    });
    return;
  }
  // Calls, served calls and channels end first; the closed callback is last.
  c->gone(reason);
  int origin_value = origin == CloseOrigin::Local    ? ROAM_CLOSE_LOCAL
                     : origin == CloseOrigin::Remote ? ROAM_CLOSE_REMOTE
                                                     : ROAM_CLOSE_SESSION;
  retire_conn(c, [this, origin_value, reason, md](roam_conn *conn) {
    if (on_conn_closed.fn) {
      on_conn_closed.fn(conn, on_conn_closed.user_data, origin_value, reason, md.get());
    }
  });
  // Only now the proxy partner: closing it can end this session (our root,
  // released, was the partner), and the end callback must come after this
  // connection's closed callback.
  proxy.connection_gone(id);
}

void roam_session::on_request(uint64_t id, const roam::wire::RequestMessage &q) {
  roam_conn *c = find_conn(id);
  if (c == nullptr) return;
  if (proxy.forwards(id)) {
    proxy.forward(id, q);
  } else {
    c->route_request(q);
  }
}

void roam_session::on_channel(uint64_t id, const roam::wire::ChannelMessage &m) {
  roam_conn *c = find_conn(id);
  if (c == nullptr) return;
  if (proxy.forwards(id)) {
    proxy.forward(id, m);
  } else {
    c->route_channel(m);
  }
}

void roam_session::on_pong(uint64_t nonce, uint64_t rtt_us) {
  deliver([this, nonce, rtt_us] {
    if (on_pong_cb.fn) on_pong_cb.fn(this, on_pong_cb.user_data, nonce, rtt_us);
  });
}

void roam_session::on_keepalive_timeout(uint64_t) {
  deliver([this] {
    if (on_keepalive_timeout_cb.fn) {
      on_keepalive_timeout_cb.fn(this, on_keepalive_timeout_cb.user_data);
    }
  });
}

void roam_session::on_writable() {
  // Channel queues waiting for room go first, then whoever is proxying
  // into us, then the application.
  std::vector<uint64_t> ids;
  for (auto &kv : conns_) ids.push_back(kv.first);
  for (uint64_t id : ids) {
    roam_conn *c = find_conn(id);
    if (c && c->driver) c->driver->on_writable();
  }
  proxy.on_writable();
  deliver([this] {
    if (on_writable_cb.fn) on_writable_cb.fn(this, on_writable_cb.user_data);
  });
}

bool roam_session::has_work_in_progress() const {
  // Asked only when the idle timeout runs out, so a walk over the
  // connections is cheap enough.
  for (const auto &kv : conns_) {
    const roam_conn *c = kv.second.get();
    if (proxy.forwards(kv.first)) return true;  // the other side may be busy
    const roam::rpc::ConnectionDriver *d = c->driver.get();
    if (d && (d->calls_in_flight() || d->calls_being_served() || d->channel_count())) return true;
  }
  return false;
}

// ---- proxying ------------------------------------------------------------------------------

void roam_session::proxy_set_reading(bool reading) {
  // The peer is not to blame for a stall we cause: its frame and idle
  // clocks stop meanwhile.
  core.set_reading_paused(!reading, link_->now_us());
  if (reading) {
    link_->start_reading();
    after_core();
  } else {
    link_->stop_reading();
  }
}

void roam_session::proxy_close(uint64_t conn) {
  as_user_call([this, conn] {
    return conn != 0 ? core.close_connection(conn, MetadataView()) : core.release_root();
  });
}

void roam_session::on_session_ended(int error, std::string_view) {
  // Every connection was reported closed before this; the transport closes
  // at the next flush.
  if (listener_tally) listener_tally->session_ended(this);
  link_->request_flush();
  link_->arm_timer(roam::session::SessionLink::kNever);
  if (!handshake_reported_) {
    handshake_reported_ = true;
    int status = error == ROAM_OK ? ROAM_ESHUTDOWN : error;
    deliver([this, status] {
      if (on_handshake.fn) on_handshake.fn(this, on_handshake.user_data, status, nullptr);
    });
  }
  deliver([this, error] {
    if (on_end.fn) on_end.fn(this, on_end.user_data, error, core.end_reason().c_str());
  });
}

// ---- closing -------------------------------------------------------------------------------

void roam_session::maybe_finalize() {
  if (!close_requested_ || finalizing_ || !transport_closed_) return;
  if (!pending_events_.empty() || drain_scheduled_) return;
  finalizing_ = true;
  link_->shut([this] {
    roam_session_close_cb cb = abandoned_ ? nullptr : close_cb_;
    void *ud = close_user_data_;
    if (cb) cb(this, ud);
    delete this;
  });
}

int roam_session::close(roam_session_close_cb cb, void *ud) {
  if (close_requested_) return ROAM_ESTATE;
  ApiScope scope(this);
  close_requested_ = true;
  close_cb_ = cb;
  close_user_data_ = ud;
  if (core.state() == SessionState::Created) {
    core.transport_failed(ROAM_ESHUTDOWN, "session closed before its transport connected");
  } else {
    core.shutdown();  // no-op if it already ended
  }
  if (!started_ && !transport_closing_) {
    transport_closing_ = true;
    link_->close(false);
  }
  // If everything already wound down (the session had ended), finish now;
  // the handle itself goes later, from the timer's close callback.
  maybe_finalize();
  return ROAM_OK;
}

int roam_session::shutdown() {
  if (core.state() == SessionState::Ended) return ROAM_ECLOSED;
  ApiScope scope(this);
  if (core.state() == SessionState::Created) {
    core.transport_failed(ROAM_ESHUTDOWN, "session shut down before its transport connected");
    transport_closing_ = true;
    link_->close(false);
  } else {
    core.shutdown();
  }
  return ROAM_OK;
}

// ---- connections ---------------------------------------------------------------------------

int roam_session::open(int parity, uint32_t max, const roam_metadata *md, void *conn_ud,
                       roam_conn **out) {
  if (parity != ROAM_PARITY_DEFAULT && parity != ROAM_PARITY_ODD && parity != ROAM_PARITY_EVEN) {
    return ROAM_EINVAL;
  }
  ApiScope scope(this);
  ConnectionSettings local;
  local.parity = parity == ROAM_PARITY_DEFAULT ? core.parity() : static_cast<roam::wire::Parity>(parity);
  local.max_concurrent_requests = max;
  uint64_t id = 0;
  int rc = core.open_connection(local, roam::capi::view_of(md), &id);
  if (rc != ROAM_OK) return rc;
  roam_conn *c = add_conn(id, ROAM_CONN_PENDING_OUTBOUND, conn_ud);
  if (out) *out = c;
  return ROAM_OK;
}

int roam_session::accept(roam_conn *c, int parity, uint32_t max, const roam_metadata *md) {
  if (c->state != ROAM_CONN_PENDING_INBOUND) return c->state == ROAM_CONN_CLOSED ? ROAM_ECLOSED : ROAM_ESTATE;
  if (parity != ROAM_PARITY_DEFAULT && parity != ROAM_PARITY_ODD && parity != ROAM_PARITY_EVEN) {
    return ROAM_EINVAL;
  }
  ApiScope scope(this);
  const roam::session::Connection *info = core.find(c->id);
  if (info == nullptr) return ROAM_ENOTFOUND;
  ConnectionSettings local;
  local.parity = parity == ROAM_PARITY_DEFAULT ? roam::wire::opposite(info->peer.parity)
                                               : static_cast<roam::wire::Parity>(parity);
  local.max_concurrent_requests = max;
  int rc = core.accept_connection(c->id, local, roam::capi::view_of(md));
  if (rc == ROAM_OK) {
    c->state = ROAM_CONN_OPEN;
    c->start_driver(local, info->peer);
  }
  return rc;
}

int roam_session::reject(roam_conn *c, const roam_metadata *md) {
  if (c->state != ROAM_CONN_PENDING_INBOUND) return c->state == ROAM_CONN_CLOSED ? ROAM_ECLOSED : ROAM_ESTATE;
  ApiScope scope(this);
  int rc = core.reject_connection(c->id, roam::capi::view_of(md));
  // The Reject was queued even when that send then ended the session (the
  // outbound hard limit): the connection is gone from the core, unreported,
  // so the handle ends here as for any reject.
  if (rc == ROAM_ELIMIT && core.find(c->id) == nullptr) rc = ROAM_OK;
  if (rc == ROAM_OK) retire_conn(c, nullptr);
  return rc;
}

int roam_session::close_conn(roam_conn *c, const roam_metadata *md) {
  if (c->id == 0) return ROAM_EROOT;
  if (c->state == ROAM_CONN_CLOSED) return ROAM_ECLOSED;
  ApiScope scope(this);
  return core.close_connection(c->id, roam::capi::view_of(md));
}

int roam_session::release(roam_conn *c) {
  if (c->state == ROAM_CONN_CLOSED) return ROAM_ECLOSED;
  if (c->id != 0) return close_conn(c, nullptr);
  ApiScope scope(this);
  return core.release_root();
}

int roam_session::send_request(roam_conn *c, int kind, uint64_t id, uint64_t method,
                               const uint64_t *channels, size_t channel_count,
                               const roam_metadata *md, const void *payload, size_t len) {
  if (kind < ROAM_REQUEST_CALL || kind > ROAM_REQUEST_CANCEL) return ROAM_EINVAL;
  if ((channels == nullptr && channel_count != 0) || (payload == nullptr && len != 0)) return ROAM_EINVAL;
  if (c->state == ROAM_CONN_CLOSED) return ROAM_ECLOSED;
  ApiScope scope(this);
  roam::wire::RequestMessage q;
  q.id = id;
  q.kind = static_cast<roam::wire::RequestKind>(kind);
  q.method_id = method;
  q.channels = roam::wire::IdList(channels, channel_count);
  q.metadata = roam::capi::view_of(md);
  q.payload = roam::wire::ByteView(static_cast<const uint8_t *>(payload), len);
  return core.send_request(c->id, q);
}

int roam_session::send_channel(roam_conn *c, int kind, uint64_t id, const roam_metadata *md,
                               const void *payload, size_t len, uint32_t additional) {
  if (kind < ROAM_CHANNEL_ITEM || kind > ROAM_CHANNEL_GRANT_CREDIT) return ROAM_EINVAL;
  if (payload == nullptr && len != 0) return ROAM_EINVAL;
  if (c->state == ROAM_CONN_CLOSED) return ROAM_ECLOSED;
  ApiScope scope(this);
  roam::wire::ChannelMessage m;
  m.id = id;
  m.kind = static_cast<roam::wire::ChannelKind>(kind);
  m.metadata = roam::capi::view_of(md);
  m.item = roam::wire::ByteView(static_cast<const uint8_t *>(payload), len);
  m.additional = additional;
  return core.send_channel(c->id, m);
}

int roam_session::ping(uint64_t *nonce) {
  ApiScope scope(this);
  return core.ping(link_->now_us(), nonce);
}

// ---- diagnostics ---------------------------------------------------------------------------

std::string roam_session::init_error() const {
  return uv_link_ ? uv_link_->transport().last_error() : std::string();
}

void roam_session::on_message(roam::session::Direction dir, const roam::wire::Message &m,
                              size_t frame_size) {
  if (!roam::capi::frame_trace_wanted(on_trace_cb.fn, dir, m)) return;
  roam::capi::FrameTraceEvent event = roam::capi::describe_frame(dir, m, frame_size);
  // Always through the queue, as if inside a user call: the core is in the
  // middle of its work here, and a trace callback that called back into the
  // session (close it, send) would find it half-way through a change.
  ++api_depth_;
  deliver([this, event] {
    roam::capi::report_frame(this, on_trace_cb.fn, on_trace_cb.user_data, event);
  });
  --api_depth_;
}
