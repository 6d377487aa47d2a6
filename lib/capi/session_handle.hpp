// roam_session and roam_conn: the C handles, and the glue that drives one
// sans-I/O SessionCore over one SessionLink: a libuv stream on the
// runtime's loop, or the application's own transport.
//
// Data path: transport bytes -> core.receive -> observer events -> user
// callbacks; user calls -> core commands -> core output, flushed once per
// loop turn as one write. Callbacks caused by the user's own call are
// queued and delivered after it returns (api_depth_ > 0 means "inside a
// user call"), so no callback ever runs inside a libroam function.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "capi/api_guard.hpp"
#include "capi/callbacks_table.hpp"
#include "capi/conn_handle.hpp"
#include "capi/event_queue.hpp"
#include "capi/listener_tally.hpp"
#include "capi/metadata_handle.hpp"
#include "capi/runtime_handle.hpp"
#include "common/hot_tls.hpp"
#include "roam/roam.h"
#include "capi/app_session_link.hpp"
#include "session/connection_proxy.hpp"
#include "session/session_core.hpp"
#include "session/session_link.hpp"
#include "uv/stream_listener.hpp"
#include "uv/uv_session_link.hpp"

namespace roam::capi {
inline int parity_value(wire::Parity p) {
  return p == wire::Parity::Odd ? ROAM_PARITY_ODD : ROAM_PARITY_EVEN;
}
// A roam_parity from the application: ROAM_PARITY_DEFAULT (0) becomes
// `fallback`. False for a value that is not a roam_parity.
inline bool parity_from_api(int parity, wire::Parity fallback, wire::Parity *out) {
  switch (parity) {
    case ROAM_PARITY_DEFAULT: *out = fallback; return true;
    case ROAM_PARITY_ODD: *out = wire::Parity::Odd; return true;
    case ROAM_PARITY_EVEN: *out = wire::Parity::Even; return true;
    default: return false;
  }
}
inline bool is_parity(int parity) {
  return parity == ROAM_PARITY_DEFAULT || parity == ROAM_PARITY_ODD || parity == ROAM_PARITY_EVEN;
}
// ROAM_EINVAL, with the detail every function taking a parity gives.
inline int invalid_parity(const char *api, int parity) {
  return fail_with_detail(ROAM_EINVAL,
                          "%s: parity %d is not ROAM_PARITY_DEFAULT (0), ROAM_PARITY_ODD (1) or "
                          "ROAM_PARITY_EVEN (2)",
                          api, parity);
}
// What max_concurrent_requests 0 means.
constexpr uint32_t kDefaultMaxConcurrentRequests = 64;
}  // namespace roam::capi

struct roam_session final : roam::session::SessionObserver,
                            roam::session::SessionLinkEvents,
                            roam::session::ProxyEndpoint {
  // A session on a libuv stream of the runtime's loop (one of the init_*
  // below gives it its stream).
  roam_session(roam_runtime *rt, roam::session::SessionConfig config, const roam_callbacks *cbs,
               void *ud);
  // A session on the application's own transport: no runtime, no libuv;
  // the protocol starts at once (an initiator's Hello is queued).
  roam_session(roam::session::SessionConfig config, const roam_callbacks *cbs, void *ud,
               uint64_t now_us);
  ~roam_session() override;

  // ---- creation: exactly one of these, right after construction ----------------
  int init_connect(const roam::uvio::Address &addr);
  int init_adopt_fd(int fd);
  int init_adopt_stream(uv_stream_t *stream);
  int init_accept(roam::uvio::StreamListener &listener);
  static int init_pair(roam_session &a, roam_session &b);
  // Gives up on a session whose init failed: closes what was opened and
  // frees it once libuv lets go (no user callback).
  void abandon();
  // Why an init_* above failed, in the transport's words.
  std::string init_error() const;

  // ---- user calls (each wraps itself in an ApiScope) -------------------------------
  int close(roam_session_close_cb cb, void *user_data);
  int shutdown();
  int open(roam::wire::Parity parity, uint32_t max_concurrent_requests, const roam_metadata *md, void *conn_ud,
           roam_conn **out);
  int accept(roam_conn *c, int parity, uint32_t max_concurrent_requests, const roam_metadata *md);
  int reject(roam_conn *c, const roam_metadata *md);
  int close_conn(roam_conn *c, const roam_metadata *md);
  int release(roam_conn *c);
  int send_request(roam_conn *c, int kind, uint64_t id, uint64_t method, const uint64_t *channels,
                   size_t channel_count, const roam_metadata *md, const void *payload, size_t len);
  int send_channel(roam_conn *c, int kind, uint64_t id, const roam_metadata *md,
                   const void *payload, size_t len, uint32_t additional);
  int ping(uint64_t *nonce);

  int api_state() const;
  // The application's transport, or null for a libuv session.
  roam::capi::AppSessionLink *app_link() const { return app_link_; }
  // What the application read from its transport (use inside drive()).
  void feed(roam::wire::ByteView bytes) { on_transport_bytes(bytes); }
  void feed_eof() { on_transport_eof(); }
  // Runs `fn` on behalf of the application driving its own transport
  // (receive, tick): inside it callbacks run as events happen, and what is
  // due runs after. Returns fn's result; *freed tells whether the session
  // was freed (its close completed) so the caller must not touch it.
  template <class Fn>
  int drive(Fn &&fn, bool *freed) {
    int rc;
    {
      Driving scope(this);
      rc = fn();
      after_core();
    }
    Driving scope(this);
    *freed = !app_link_->run_due();
    return rc;
  }
  roam_conn *root() const { return root_; }
  // Completions of our calls, reused from one call to the next.
  roam::capi::CallCompletionPool spare_calls;
  // Where roam_reply_ok / _user_error put the envelope before the value.
  roam::wire::ByteBuffer reply_scratch;

  // ---- used by connections, calls and channels ------------------------------
  // True if a callback delivered now would have to wait: views must be
  // copied. It waits when this session is inside a user call or has
  // events queued before it; when a libroam call is running on this thread
  // for another session (a session proxied into ours is being driven, or
  // called); and, for a session on the application's transport, whenever
  // that transport is not the one being driven (its callbacks run only
  // inside its own receive / tick).
  bool deferring() const {
    if (api_depth_ > 0 || !events_.empty()) return true;
    if (app_link_ != nullptr) return t_driven != this;
    return t_calls > 0 && t_driven != this;
  }
  // Runs a user callback now, or later (in order) when inside a user call.
  // Queueing it allocates, and may throw std::bad_alloc.
  template <class Fn>
  void deliver(Fn fn) {
    if (!deferring()) {
      fn();
      return;
    }
    events_.push(new roam::capi::CallbackEvent<Fn>(std::move(fn)));
    link_->schedule_events();
  }
  // The same for an event that was allocated when its object was born (a
  // final event): never allocates, never fails.
  void deliver_final(roam::capi::QueuedEvent *e) {
    if (!deferring()) {
      e->run();
      return;
    }
    events_.push(e);
    link_->schedule_events();
  }
  // deliver() for a callback that takes metadata: the received view when it
  // runs now, an owned copy when it has to wait its turn.
  template <class Fn>
  void deliver_with_metadata(const roam::wire::MetadataView &view, Fn fn) {
    if (!deferring()) {
      roam_metadata md(view);
      fn(&md);
      return;
    }
    std::shared_ptr<roam_metadata> copy = keepable(view);
    deliver([copy, fn] { fn(copy.get()); });
  }
  // Metadata safe to hand to a callback that may run later.
  std::shared_ptr<roam_metadata> keepable(const roam::wire::MetadataView &md) const;
  // Runs `fn` as a user call (events it causes are delivered afterwards).
  template <class Fn>
  int as_user_call(Fn &&fn) {
    ApiScope scope(this);
    return fn();
  }

  // The application's callbacks (a copy of the table it gave) and the
  // user_data every one of them gets.
  const roam_callbacks cbs;
  void *user_data = nullptr;

  roam_runtime *const rt;
  roam::session::SessionCore core;
  // The listener that accepted us, told when our handshake completes and
  // when we end (it counts us against its caps); NULL once it let go.
  roam::capi::ListenerTally *listener_tally = nullptr;
  // Bytes every connection of this session keeps for unbound channels.
  roam::rpc::BufferBudget channel_budget;
  // Connections of this session forwarded into others (roam_conn_proxy).
  roam::session::ProxyTable proxy{this};

 private:
  // RAII marker for "inside a user call": events are queued, and on exit
  // any output is scheduled and the timer re-armed.
  struct ApiScope {
    explicit ApiScope(roam_session *session) : self(session) {
      ++self->api_depth_;
      ++t_calls;
    }
    ~ApiScope() {
      --t_calls;
      --self->api_depth_;
      self->contained([this] { self->after_core(); });
    }
    roam_session *self;
  };
  // Marks the session the application is driving (receive, tick) on this
  // thread: its callbacks may run there, nobody else's.
  struct Driving {
    explicit Driving(const roam_session *session) : saved(t_driven) {
      t_driven = session;
      ++t_calls;
    }
    ~Driving() {
      --t_calls;
      t_driven = saved;
    }
    const roam_session *saved;
  };
  // Queues events instead of running them (for work done in the middle of
  // the core's, where a callback must not free what is on the stack).
  struct Deferral {
    explicit Deferral(roam_session *session) : self(session) { ++self->api_depth_; }
    ~Deferral() { --self->api_depth_; }
    roam_session *self;
  };
  // libroam calls running on this thread, and the session being driven.
  // Read on every call and callback: initial-exec TLS (a fixed offset, no
  // __tls_get_addr), which costs 16 bytes of the static TLS surplus glibc
  // keeps for libraries loaded with dlopen (ctypes, ffi).
  ROAM_HOT_TLS static thread_local int t_calls;
  ROAM_HOT_TLS static thread_local const roam_session *t_driven;

  // SessionObserver
  void on_handshake_done(const roam::wire::ConnectionSettings &local,
                         const roam::wire::ConnectionSettings &peer,
                         const roam::wire::MetadataView &peer_md) override;
  void on_inbound_open(uint64_t conn, const roam::wire::ConnectionSettings &peer,
                       const roam::wire::MetadataView &md) override;
  void on_open_accepted(uint64_t conn, const roam::wire::ConnectionSettings &peer,
                        const roam::wire::MetadataView &md) override;
  void on_open_rejected(uint64_t conn, void *app, const roam::wire::MetadataView &md) override;
  void on_connection_closed(uint64_t conn, void *app, roam::session::CloseOrigin origin, int reason,
                            const roam::wire::MetadataView &md) override;
  void on_request(uint64_t conn, const roam::wire::RequestMessage &request) override;
  void on_channel(uint64_t conn, const roam::wire::ChannelMessage &channel) override;
  void on_pong(uint64_t nonce, uint64_t rtt_us) override;
  void on_keepalive_timeout(uint64_t nonce) override;
  void on_writable() override;
  bool has_work_in_progress() const override;
  void on_session_ended(int error, std::string_view reason) override;

  // SessionLinkEvents
  void on_transport_connected() override;
  void on_transport_bytes(roam::wire::ByteView bytes) override;
  void on_transport_eof() override;
  void on_transport_error(int code, const std::string &reason) override;
  void on_transport_drained(size_t backlog) override;
  void on_transport_closed() override;
  void on_deadline() override;
  void flush() override;

  // ProxyEndpoint
  roam::session::SessionCore &proxy_core() override { return core; }
  roam::session::ProxyTable &proxy_table() override { return proxy; }
  void proxy_output_queued() override { after_core(); }
  void proxy_set_reading(bool reading) override;
  void proxy_close(uint64_t conn) override;

  void start_protocol();
  void after_core();
  void flush_output();
  // Runs work the loop (or the application's transport) asked of us; an
  // exception ends the session with ROAM_ENOMEM / ROAM_EINTERNAL instead
  // of unwinding into libuv.
  template <class Fn>
  void contained(Fn &&fn) noexcept {
    try {
      fn();
    } catch (...) {
      fail_inside(roam::capi::exception_code("roam session"));
    }
  }
  void fail_inside(int code) noexcept;
  void deliver_events() override;
  roam_conn *find_conn(uint64_t id) const;
  roam_conn *add_conn(uint64_t id, int state, void *conn_ud);
  // Moves a handle out of the live table into the retired list; it is
  // destroyed after its final callback (`kind`, with `status` / `origin`
  // and metadata) has been delivered. kNone: no callback (a reject).
  void retire_conn(roam_conn *c, roam::capi::ConnFinal kind, int status, int origin,
                   const roam::wire::MetadataView &md);
 public:
  // Runs a retired connection's final callback and frees it.
  void finish_conn(roam_conn *c, const roam_metadata *md);

 private:
  void maybe_finalize();

  std::unique_ptr<roam::session::SessionLink> link_;
  roam::uvio::UvSessionLink *uv_link_ = nullptr;    // set for libuv sessions
  roam::capi::AppSessionLink *app_link_ = nullptr;  // set for the application's transport
  roam::wire::ByteBuffer write_buf_;

  roam_conn *retired_ = nullptr;  // a list through roam_conn::retired_next
  roam_conn *root_ = nullptr;

  int api_depth_ = 0;
  // Callbacks waiting their turn (event_queue.hpp).
  roam::capi::EventQueue events_;
  std::vector<uint64_t> writable_ids_;  // on_writable()'s, reused
  // The session's own last events, made with it so that they can always
  // be delivered: the handshake's failure (if it never completed) and the
  // end.
  struct EndEvent final : roam::capi::QueuedEvent {
    EndEvent(roam_session *session, bool is_handshake) : s(session), handshake(is_handshake) {}
    roam_session *const s;
    const bool handshake;  // the failed-handshake callback, else the end callback
    int status = 0;
    void run() override;
    void discard() override {}
  };
  EndEvent handshake_failed_event_{this, true};
  EndEvent end_event_{this, false};

  bool started_ = false;
  bool handshake_reported_ = false;
  bool transport_closing_ = false;
  bool transport_closed_ = false;
  bool close_requested_ = false;
  bool finalizing_ = false;
  bool abandoned_ = false;
  roam_session_close_cb close_cb_ = nullptr;
  void *close_user_data_ = nullptr;


  // Frame tracing (frame_trace.hpp): every message becomes a queued event.
  void on_message(roam::session::Direction dir, const roam::wire::Message &m,
                  size_t frame_size) override;
};
