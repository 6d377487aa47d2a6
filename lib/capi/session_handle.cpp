#include "capi/session_handle.hpp"

#include <algorithm>

#include "capi/api_guard.hpp"
#include "capi/frame_trace.hpp"

using roam::session::CloseOrigin;
using roam::session::SessionState;
using roam::wire::ConnectionSettings;
using roam::wire::MetadataView;

namespace {

// How long an ended session may take to flush its last bytes before the
// socket is closed hard (a peer that stopped reading).
constexpr uint64_t kLingerUs = 2 * 1000 * 1000;

// Inbound opens are decided by the application only if it has a callback
// to hear of them; without one they are rejected, as in roam-core.
roam::session::SessionConfig deciding_inbound(roam::session::SessionConfig config,
                                              const roam_callbacks *cbs) {
  config.accepts_inbound = cbs != nullptr && cbs->inbound_open != nullptr;
  return config;
}

}  // namespace

roam_session::roam_session(roam_runtime *runtime, roam::session::SessionConfig config,
                           const roam_callbacks *table, void *ud)
    : cbs(table ? *table : roam_callbacks()),
      user_data(ud),
      rt(runtime),
      core(deciding_inbound(std::move(config), table), this),
      channel_budget(core.config().channel_buffer_per_session) {
  auto link = std::make_unique<roam::uvio::UvSessionLink>(*runtime->loop, this);
  uv_link_ = link.get();
  link_ = std::move(link);
  ++rt->live_handles;
}

roam_session::roam_session(roam::session::SessionConfig config, const roam_callbacks *table,
                           void *ud, uint64_t now_us)
    : cbs(table ? *table : roam_callbacks()),
      user_data(ud),
      rt(nullptr),
      core(deciding_inbound(std::move(config), table), this),
      channel_budget(core.config().channel_buffer_per_session) {
  auto link = std::make_unique<roam::capi::AppSessionLink>(this, now_us);
  app_link_ = link.get();
  link_ = std::move(link);
  start_protocol();
}

roam_session::~roam_session() {
  // Events still queued name retired connections: drop them first.
  while (!events_.empty()) events_.pop()->discard();
  core.for_each_connection(
      [](const roam::session::Connection &k) { delete static_cast<roam_conn *>(k.app); });
  while (retired_ != nullptr) {
    roam_conn *c = retired_;
    retired_ = c->retired_next;
    delete c;
  }
  if (listener_tally) listener_tally->session_ended(this);
  link_->cancel_flush();
  if (rt) {
    --rt->live_handles;
    if (abandoned_) --rt->abandoned_handles;
  }
}

ROAM_HOT_TLS thread_local int roam_session::t_calls = 0;
ROAM_HOT_TLS thread_local const roam_session *roam_session::t_driven = nullptr;

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
  if (rt && !abandoned_) ++rt->abandoned_handles;
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

// ---- the libuv side: nothing thrown here may unwind into libuv ------------------------

void roam_session::fail_inside(int code) noexcept {
  // Out of memory (or a bug) in the middle of the session's own work: the
  // state it was changing cannot be trusted to continue, so the session
  // ends with that code and its transport closes.
  try {
    core.transport_failed(code, code == ROAM_ENOMEM ? "out of memory" : "internal error");
    after_core();
  } catch (...) {
  }
  if (!transport_closing_) {
    transport_closing_ = true;
    link_->close(false);
  }
}

void roam_session::on_deadline() {
  contained([&] {
    if (core.state() == SessionState::Ended) {
      link_->close(false);  // the linger ran out
      return;
    }
    core.tick(link_->now_us());
    after_core();
  });
}

void roam_session::flush() { contained([&] { flush_output(); }); }

void roam_session::flush_output() {
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

void roam_session::on_transport_connected() {
  contained([&] { start_protocol(); });
}

void roam_session::on_transport_bytes(roam::wire::ByteView bytes) {
  contained([&] {
    core.receive(bytes, link_->now_us());
    after_core();
  });
}

void roam_session::on_transport_eof() {
  contained([&] {
    core.receive_eof(link_->now_us());
    after_core();
  });
}

void roam_session::on_transport_error(int code, const std::string &reason) {
  contained([&] {
    core.transport_failed(code, reason);
    transport_closing_ = true;
    link_->close(false);
    after_core();
  });
}

void roam_session::on_transport_drained(size_t backlog) {
  contained([&] {
    core.set_transport_backlog(backlog);
    after_core();
  });
}

void roam_session::on_transport_closed() {
  transport_closed_ = true;
  contained([&] {
    if (core.state() != SessionState::Ended && !abandoned_) {
      core.transport_failed(ROAM_EIO, "transport closed");
    }
  });
  maybe_finalize();
}

// ---- event delivery ----------------------------------------------------------------------

void roam_session::deliver_events() {
  while (!events_.empty()) {
    roam::capi::QueuedEvent *e = events_.pop();
    contained([e] { e->run(); });
  }
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

// The handles live in the core's connection table (Connection::app): no
// second table to keep in step with it.
roam_conn *roam_session::find_conn(uint64_t id) const {
  const roam::session::Connection *c = core.find(id);
  return c ? static_cast<roam_conn *>(c->app) : nullptr;
}

roam_conn *roam_session::add_conn(uint64_t id, int state, void *conn_ud) {
  auto *c = new roam_conn(this, id, state, conn_ud);
  core.set_app(id, c);
  return c;
}

void roam_session::retire_conn(roam_conn *c, roam::capi::ConnFinal kind, int status, int origin,
                               const MetadataView &view) {
  if (c->state == ROAM_CONN_CLOSED) return;  // retired already
  c->state = ROAM_CONN_CLOSED;
  // The core has let go of the connection (closed, rejected); should it
  // still list it, it must not hand out this handle any more.
  if (find_conn(c->id) == c) core.set_app(c->id, nullptr);
  c->retired_next = retired_;
  c->retired_prev = nullptr;
  if (retired_ != nullptr) retired_->retired_prev = c;
  retired_ = c;
  if (c == root_) root_ = nullptr;
  c->final_event.kind = kind;
  c->final_event.status = status;
  c->final_event.origin = origin;
  try {
    std::shared_ptr<roam_metadata> md = view.empty() ? nullptr : keepable(view);
    deliver([this, c, md] { finish_conn(c, md.get()); });
  } catch (const std::bad_alloc &) {
    // The metadata could not be kept: the final callback still comes, in
    // its place in the queue, saying so.
    c->final_event.status = ROAM_ENOMEM;
    deliver_final(&c->final_event);
  }
}

void roam_session::finish_conn(roam_conn *c, const roam_metadata *md) {
  const roam::capi::ConnFinalEvent &e = c->final_event;
  if (e.kind == roam::capi::ConnFinal::kOpenResult) {
    if (cbs.open_result) cbs.open_result(this, user_data, c, e.status, md);
  } else if (e.kind == roam::capi::ConnFinal::kClosed) {
    if (cbs.conn_closed) cbs.conn_closed(this, user_data, c, e.origin, e.status, md);
  }
  // Unlinked in O(1): a session ending with a million connections finishes
  // them oldest first, the far end of the list from where they were added.
  if (c->retired_prev != nullptr) {
    c->retired_prev->retired_next = c->retired_next;
  } else if (retired_ == c) {
    retired_ = c->retired_next;
  }
  if (c->retired_next != nullptr) c->retired_next->retired_prev = c->retired_prev;
  delete c;
}

void roam_session::EndEvent::run() {
  if (handshake) {
    if (s->cbs.handshake) s->cbs.handshake(s, s->user_data, status, nullptr);
  } else if (s->cbs.session_end) {
    s->cbs.session_end(s, s->user_data, status, s->core.end_reason().c_str());
  }
}

// ---- core events -----------------------------------------------------------------------------

void roam_session::on_handshake_done(const ConnectionSettings &local, const ConnectionSettings &peer,
                                     const MetadataView &peer_md) {
  root_ = add_conn(0, ROAM_CONN_OPEN, nullptr);
  root_->start_driver(local, peer);
  if (listener_tally) listener_tally->handshake_done(this);
  // Marked first: the callback may run right here and end the session,
  // which must not report the handshake a second time.
  handshake_reported_ = true;
  try {
    deliver_with_metadata(peer_md, [this](const roam_metadata *md) {
      if (cbs.handshake) cbs.handshake(this, user_data, ROAM_OK, md);
    });
  } catch (...) {
    // It could not be queued (out of memory: the session is failing): the
    // handshake is reported as failed instead.
    handshake_reported_ = false;
    throw;
  }
}

void roam_session::on_inbound_open(uint64_t id, const ConnectionSettings &,
                                   const MetadataView &view) {
  roam_conn *c = add_conn(id, ROAM_CONN_PENDING_INBOUND, nullptr);
  // The handle outlives a queued callback: it is retired only after its own
  // final callback, which is queued behind this one.
  try {
    deliver_with_metadata(view, [this, c](const roam_metadata *md) {
      if (cbs.inbound_open) cbs.inbound_open(this, user_data, c, md);
    });
  } catch (...) {
    // Never announced: no callback may name it.
    core.set_app(id, nullptr);
    delete c;
    throw;
  }
}

void roam_session::on_open_accepted(uint64_t id, const ConnectionSettings &peer,
                                    const MetadataView &view) {
  roam_conn *c = find_conn(id);
  if (c == nullptr) return;
  c->state = ROAM_CONN_OPEN;
  c->start_driver(core.find(id)->local, peer);
  deliver_with_metadata(view, [this, c](const roam_metadata *md) {
    if (cbs.open_result) cbs.open_result(this, user_data, c, ROAM_OK, md);
  });
}

void roam_session::on_open_rejected(uint64_t, void *app, const MetadataView &view) {
  Deferral later(this);  // the final callback frees the handle: never inline
  auto *c = static_cast<roam_conn *>(app);
  if (c == nullptr) return;
  retire_conn(c, roam::capi::ConnFinal::kOpenResult, ROAM_EREJECTED, 0, view);
}

void roam_session::on_connection_closed(uint64_t id, void *app, CloseOrigin origin, int reason,
                                        const MetadataView &view) {
  // Everything this close causes is queued, in order, and delivered after
  // the core's work: a callback run here (a channel's end) could end the
  // session before the closed callback is even queued, or free this
  // handle while its driver is on the stack.
  Deferral later(this);
  auto *c = static_cast<roam_conn *>(app);
  if (c == nullptr) return;
  if (c->state == ROAM_CONN_PENDING_OUTBOUND) {
    // An open that never got its answer: the open callback reports it.
    int status = reason == ROAM_OK ? ROAM_ECLOSED : reason;
    retire_conn(c, roam::capi::ConnFinal::kOpenResult, status, 0, MetadataView());
    return;
  }
  // Calls, served calls and channels end first; the closed callback is last.
  c->gone(reason);
  int origin_value = origin == CloseOrigin::Local    ? ROAM_CLOSE_LOCAL
                     : origin == CloseOrigin::Remote ? ROAM_CLOSE_REMOTE
                                                     : ROAM_CLOSE_SESSION;
  retire_conn(c, roam::capi::ConnFinal::kClosed, reason, origin_value, view);
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
    if (cbs.pong) cbs.pong(this, user_data, nonce, rtt_us);
  });
}

void roam_session::on_keepalive_timeout(uint64_t) {
  deliver([this] {
    if (cbs.keepalive_timeout) cbs.keepalive_timeout(this, user_data);
  });
}

void roam_session::on_writable() {
  // Channel queues waiting for room go first, then whoever is proxying
  // into us, then the application.
  // The ids are collected first (a flush may close connections), into a
  // vector kept from one writable event to the next (taken for the time of
  // the walk, in case a flush leads back here): no allocation per event.
  std::vector<uint64_t> ids;
  ids.swap(writable_ids_);
  ids.clear();
  core.for_each_connection([&](const roam::session::Connection &k) {
    const auto *c = static_cast<const roam_conn *>(k.app);
    if (c != nullptr && c->driver) ids.push_back(k.id);  // no driver: nothing queued
  });
  for (uint64_t id : ids) {
    roam_conn *c = find_conn(id);
    if (c && c->driver) c->driver->on_writable();
  }
  writable_ids_.swap(ids);
  proxy.on_writable();
  deliver([this] {
    if (cbs.writable) cbs.writable(this, user_data);
  });
}

bool roam_session::has_work_in_progress() const {
  // Asked only when the idle timeout runs out, so a walk over the
  // connections is cheap enough.
  return core.any_connection([&](const roam::session::Connection &k) {
    const auto *c = static_cast<const roam_conn *>(k.app);
    if (c == nullptr) return false;
    if (proxy.forwards(k.id)) return true;  // the other side may be busy
    const roam::rpc::ConnectionDriver *d = c->driver.get();
    return d && (d->calls_in_flight() || d->calls_being_served() || d->channel_count());
  });
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
    handshake_failed_event_.status = error == ROAM_OK ? ROAM_ESHUTDOWN : error;
    deliver_final(&handshake_failed_event_);
  }
  end_event_.status = error;
  deliver_final(&end_event_);
}

// ---- closing -------------------------------------------------------------------------------

void roam_session::maybe_finalize() {
  if (!close_requested_ || finalizing_ || !transport_closed_) return;
  if (!events_.empty()) return;
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

int roam_session::open(roam::wire::Parity parity, uint32_t max, const roam_metadata *md,
                       void *conn_ud, roam_conn **out) {
  ApiScope scope(this);
  ConnectionSettings local;
  local.parity = parity;
  local.max_concurrent_requests = max ? max : roam::capi::kDefaultMaxConcurrentRequests;
  uint64_t id = 0;
  int rc = core.open_connection(local, roam::capi::view_of(md), &id);
  if (rc != ROAM_OK) return rc;
  roam_conn *c = add_conn(id, ROAM_CONN_PENDING_OUTBOUND, conn_ud);
  if (out) *out = c;
  return ROAM_OK;
}

int roam_session::accept(roam_conn *c, int parity, uint32_t max, const roam_metadata *md) {
  if (c->state != ROAM_CONN_PENDING_INBOUND) return c->state == ROAM_CONN_CLOSED ? ROAM_ECLOSED : ROAM_ESTATE;
  const roam::session::Connection *info = core.find(c->id);
  if (info == nullptr) return ROAM_ENOTFOUND;
  ConnectionSettings local;
  if (!roam::capi::parity_from_api(parity, roam::wire::opposite(info->peer.parity), &local.parity)) {
    return ROAM_EINVAL;
  }
  local.max_concurrent_requests = max ? max : roam::capi::kDefaultMaxConcurrentRequests;
  ApiScope scope(this);
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
  if (rc == ROAM_OK) retire_conn(c, roam::capi::ConnFinal::kNone, 0, 0, MetadataView());
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
  if (cbs.trace == nullptr) return;
  roam::capi::FrameTraceEvent event = roam::capi::describe_frame(dir, m, frame_size);
  // Always through the queue, as if inside a user call: the core is in the
  // middle of its work here, and a trace callback that called back into the
  // session (close it, send) would find it half-way through a change.
  ++api_depth_;
  deliver([this, event] {
    roam::capi::report_frame(this, event);
  });
  --api_depth_;
}
