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

#include <list>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "capi/conn_handle.hpp"
#include "capi/listener_tally.hpp"
#include "capi/metadata_handle.hpp"
#include "capi/runtime_handle.hpp"
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
}  // namespace roam::capi

struct roam_session final : roam::session::SessionObserver,
                            roam::session::SessionLinkEvents,
                            roam::session::ProxyEndpoint {
  // A session on a libuv stream of the runtime's loop (one of the init_*
  // below gives it its stream).
  roam_session(roam_runtime *rt, roam::session::SessionConfig config);
  // A session on the application's own transport: no runtime, no libuv;
  // the protocol starts at once (an initiator's Hello is queued).
  roam_session(roam::session::SessionConfig config, uint64_t now_us);
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
  int open(int parity, uint32_t max_concurrent_requests, const roam_metadata *md, void *conn_ud,
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
  void set_accepts_inbound(bool accepts) { core.set_accepts_inbound(accepts); }

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
    int rc = fn();
    after_core();
    *freed = !app_link_->run_due();
    return rc;
  }
  roam_conn *root() const { return root_; }

  // ---- used by connections, calls and channels ------------------------------
  // Runs a user callback now, or later (in order) when inside a user call.
  void deliver(std::function<void()> fn);
  // True if a callback delivered now would have to wait: views must be copied.
  bool deferring() const { return api_depth_ > 0 || !pending_events_.empty(); }
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

  template <class Fn>
  struct Callback {
    Fn fn = nullptr;
    void *user_data = nullptr;
  };
  Callback<roam_handshake_cb> on_handshake;
  Callback<roam_session_end_cb> on_end;
  Callback<roam_inbound_open_cb> on_inbound_open_cb;
  Callback<roam_open_cb> on_open;
  Callback<roam_conn_closed_cb> on_conn_closed;
  Callback<roam_request_cb> on_request_cb;
  Callback<roam_channel_cb> on_channel_cb;
  Callback<roam_pong_cb> on_pong_cb;
  Callback<roam_keepalive_timeout_cb> on_keepalive_timeout_cb;
  Callback<roam_writable_cb> on_writable_cb;
  Callback<roam_call_cb> on_call_cb;
  Callback<roam_call_cancelled_cb> on_call_cancelled_cb;
  Callback<roam_channel_item_cb> on_channel_item_cb;
  Callback<roam_channel_end_cb> on_channel_end_cb;
  Callback<roam_channel_writable_cb> on_channel_writable_cb;
  Callback<roam_trace_cb> on_trace_cb;

  roam_runtime *const rt;
  void *user_data = nullptr;
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
    explicit ApiScope(roam_session *session) : self(session) { ++self->api_depth_; }
    ~ApiScope() {
      --self->api_depth_;
      self->after_core();
    }
    roam_session *self;
  };

  // SessionObserver
  void on_handshake_done(const roam::wire::ConnectionSettings &local,
                         const roam::wire::ConnectionSettings &peer,
                         const roam::wire::MetadataView &peer_md) override;
  void on_inbound_open(uint64_t conn, const roam::wire::ConnectionSettings &peer,
                       const roam::wire::MetadataView &md) override;
  void on_open_accepted(uint64_t conn, const roam::wire::ConnectionSettings &peer,
                        const roam::wire::MetadataView &md) override;
  void on_open_rejected(uint64_t conn, const roam::wire::MetadataView &md) override;
  void on_connection_closed(uint64_t conn, roam::session::CloseOrigin origin, int reason,
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
  void drain_events();
  roam_conn *find_conn(uint64_t id) const;
  roam_conn *add_conn(uint64_t id, int state, void *conn_ud);
  // Moves a handle out of the live table; it is destroyed after `final_cb`
  // (its last callback) has been delivered.
  void retire_conn(roam_conn *c, std::function<void(roam_conn *)> final_cb);
  void maybe_finalize();

  std::unique_ptr<roam::session::SessionLink> link_;
  roam::uvio::UvSessionLink *uv_link_ = nullptr;    // set for libuv sessions
  roam::capi::AppSessionLink *app_link_ = nullptr;  // set for the application's transport
  roam::wire::ByteBuffer write_buf_;

  std::map<uint64_t, std::unique_ptr<roam_conn>> conns_;
  std::vector<std::unique_ptr<roam_conn>> retired_;
  roam_conn *root_ = nullptr;

  int api_depth_ = 0;
  // A list, not a deque: an empty deque still allocates ~600 bytes, and
  // most sessions, most of the time, have nothing pending.
  std::list<std::function<void()>> pending_events_;
  bool drain_scheduled_ = false;

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
