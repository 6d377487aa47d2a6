// libroam for C++: a header-only facade on the C API (include/roam/roam.h)
// and nothing else.
//
//   roam::runtime rt;
//   roam::session_handlers h;
//   h.on_handshake = [](roam::session_ref s, int status, const roam::metadata_view &) {
//     s.root().call(method_id, payload, [](const roam::response &r) { ... });
//   };
//   roam::session s = roam::session::connect(rt, "tcp://127.0.0.1:7000", h);
//   rt.run();
//
// The rules
// ---------
// Ownership  runtime, session and listener are move-only owners. A session
//            or listener closes when its owner goes (asynchronously, as in
//            C: keep running the runtime until it has closed, then the
//            runtime can go). Connections, calls, served requests and
//            channels are small value handles (conn_ref, request, channel)
//            that name their object by id: using one whose object has ended
//            is a clean error (ROAM_ECLOSED / ROAM_ENOTFOUND), never a
//            dangling pointer.
// Errors     Every operation that can fail comes twice: one throws
//            roam::error (a std::system_error in roam::category()), the
//            other takes a std::error_code& as its first argument and
//            never throws (false, or an empty handle, with ec set). Pick
//            either; they behave the same otherwise.
// Callbacks  std::function members of session_handlers, one table per
//            session, given when it is made (as roam.h's roam_callbacks);
//            a call's response and a channel's events are given when the
//            call or channel is made. They run on the runtime's thread,
//            never inside a libroam call. An exception a callback throws is
//            caught at the C boundary (it never unwinds into C) and handed
//            to session_handlers::on_exception (default: printed to stderr).
// Threads    As in C: everything belongs to the runtime's thread, except
//            runtime::post() and runtime::stop().
#ifndef ROAM_CXX_ROAM_HPP
#define ROAM_CXX_ROAM_HPP

#include <roam/roam.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace roam {

// ==== Errors ===================================================================

class error_category_impl final : public std::error_category {
 public:
  const char *name() const noexcept override { return "roam"; }
  std::string message(int code) const override {
    return std::string(roam_err_name(code)) + ": " + roam_strerror(code);
  }
};

// The category of every libroam code (the negative ROAM_E* values).
inline const std::error_category &category() noexcept {
  static const error_category_impl instance;
  return instance;
}

inline std::error_code make_error_code(int code) noexcept { return {code, category()}; }

// What the throwing overloads throw. detail() is roam_last_error_detail()
// at the moment of the failure.
class error : public std::system_error {
 public:
  explicit error(int code, const char *what)
      : std::system_error(make_error_code(code), what), detail_(roam_last_error_detail()) {}
  const std::string &detail() const noexcept { return detail_; }

 private:
  std::string detail_;
};

namespace detail {
// Turns a return code into the caller's choice of error reporting.
inline bool check(int rc, std::error_code &ec) noexcept {
  if (rc < 0) {
    ec = make_error_code(rc);
    return false;
  }
  ec.clear();
  return true;
}
inline int check(int rc, const char *what) {
  if (rc < 0) throw error(rc, what);
  return rc;
}

// A move-only owner of one C object, freed with Free.
template <class T, void (*Free)(T *)>
class c_owner {
 public:
  c_owner() = default;
  ~c_owner() {
    if (p_) Free(p_);
  }
  c_owner(c_owner &&o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  c_owner &operator=(c_owner &&o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  c_owner(const c_owner &) = delete;
  c_owner &operator=(const c_owner &) = delete;
  T *get() const noexcept { return p_; }
  T **out() noexcept { return &p_; }
  T *release() noexcept { return std::exchange(p_, nullptr); }

 private:
  T *p_ = nullptr;
};

// roam_runtime_free returns ROAM_ESTATE while sessions are still closing:
// an owner that goes then leaks the runtime rather than crash.
inline void free_runtime(roam_runtime *rt) { roam_runtime_free(rt); }
}  // namespace detail

// ==== Bytes and metadata ==========================================================

// A read-only view of bytes (postcard payloads, items).
struct bytes_view {
  const uint8_t *data = nullptr;
  size_t size = 0;
  bytes_view() = default;
  bytes_view(const uint8_t *d, size_t n) : data(d), size(n) {}
  bytes_view(std::string_view s) : data(reinterpret_cast<const uint8_t *>(s.data())), size(s.size()) {}
  bytes_view(const std::vector<uint8_t> &v) : data(v.data()), size(v.size()) {}
  std::string_view as_string() const { return {reinterpret_cast<const char *>(data), size}; }
  std::vector<uint8_t> to_vector() const { return {data, data + size}; }
};

// A read-only view of a received metadata list, valid during the callback.
class metadata_view {
 public:
  explicit metadata_view(const roam_metadata *md = nullptr) : md_(md) {}
  size_t size() const { return roam_metadata_count(md_); }
  bool empty() const { return size() == 0; }
  // The first string (or bytes) value under `key`, if any.
  bool find_string(std::string_view key, std::string_view *value) const {
    int i = roam_metadata_find(md_, key.data(), key.size());
    if (i < 0) return false;
    const uint8_t *v = nullptr;
    size_t n = 0;
    int kind = 0;
    if (roam_metadata_get(md_, static_cast<size_t>(i), nullptr, nullptr, &kind, &v, &n, nullptr,
                          nullptr) != ROAM_OK ||
        kind == ROAM_METADATA_U64) {
      return false;
    }
    *value = std::string_view(reinterpret_cast<const char *>(v), n);
    return true;
  }
  const roam_metadata *c_ptr() const { return md_; }

 private:
  const roam_metadata *md_;
};

// An owned metadata list to send.
class metadata {
 public:
  metadata() { detail::check(roam_metadata_new(md_.out()), "roam_metadata_new"); }

  metadata &add(std::string_view key, std::string_view value, uint64_t flags = 0) {
    detail::check(roam_metadata_add_string(md_.get(), key.data(), key.size(), value.data(),
                                           value.size(), flags),
                  "roam_metadata_add_string");
    return *this;
  }
  metadata &add(std::string_view key, uint64_t value, uint64_t flags = 0) {
    detail::check(roam_metadata_add_u64(md_.get(), key.data(), key.size(), value, flags),
                  "roam_metadata_add_u64");
    return *this;
  }
  const roam_metadata *c_ptr() const { return md_.get(); }

 private:
  detail::c_owner<roam_metadata, roam_metadata_free> md_;
};

// ==== Options ===================================================================

class options {
 public:
  options() { detail::check(roam_options_new(opts_.out()), "roam_options_new"); }

  options &role(int r) { return set(roam_options_set_role(opts_.get(), r), "roam_options_set_role"); }
  options &keepalive(uint32_t interval_ms, uint32_t timeout_ms = 0) {
    return set(roam_options_set_keepalive(opts_.get(), interval_ms, timeout_ms),
               "roam_options_set_keepalive");
  }
  options &max_concurrent_requests(uint32_t n) {
    return set(roam_options_set_max_concurrent_requests(opts_.get(), n),
               "roam_options_set_max_concurrent_requests");
  }
  options &hello_metadata(const metadata &md) {
    return set(roam_options_set_hello_metadata(opts_.get(), md.c_ptr()),
               "roam_options_set_hello_metadata");
  }
  roam_options *c_ptr() const { return opts_.get(); }

 private:
  options &set(int rc, const char *what) {
    detail::check(rc, what);
    return *this;
  }
  detail::c_owner<roam_options, roam_options_free> opts_;
};

// ==== Runtime ===================================================================

class runtime {
 public:
  runtime() { detail::check(roam_runtime_new(rt_.out()), "roam_runtime_new"); }

  void run() { detail::check(roam_runtime_run(rt_.get()), "roam_runtime_run"); }
  bool run_once() { return detail::check(roam_runtime_run_once(rt_.get()), "roam_runtime_run_once") != 0; }
  bool run_nowait() {
    return detail::check(roam_runtime_run_nowait(rt_.get()), "roam_runtime_run_nowait") != 0;
  }
  // Any thread (and signal handlers).
  void stop() noexcept { roam_runtime_stop(rt_.get()); }
  // Any thread: fn runs on the runtime's thread.
  void post(std::function<void()> fn) {
    auto *boxed = new std::function<void()>(std::move(fn));
    int rc = roam_runtime_post(
        rt_.get(),
        [](roam_runtime *, void *ud) {
          std::unique_ptr<std::function<void()>> f(static_cast<std::function<void()> *>(ud));
          try {
            (*f)();
          } catch (const std::exception &e) {
            std::fprintf(stderr, "roam: exception in posted work: %s\n", e.what());
          } catch (...) {
            std::fprintf(stderr, "roam: exception in posted work\n");
          }
        },
        boxed);
    if (rc < 0) {
      delete boxed;
      throw error(rc, "roam_runtime_post");
    }
  }
  // Frees the runtime now; false (the runtime stays) while sessions or
  // listeners have not finished closing.
  bool try_free() noexcept {
    if (rt_.get() && roam_runtime_free(rt_.get()) != ROAM_OK) return false;
    rt_.release();
    return true;
  }
  roam_runtime *c_ptr() const { return rt_.get(); }

 private:
  detail::c_owner<roam_runtime, detail::free_runtime> rt_;
};

// ==== Handles by id ================================================================

class session_ref;
class conn_ref;
struct response;
class request;
class channel;

namespace detail {
struct session_state;
}

// What a session tells the application (see roam.h's callbacks table).
struct session_handlers {
  std::function<void(session_ref, int status, const metadata_view &peer)> on_handshake;
  std::function<void(session_ref, int error, std::string_view reason)> on_end;
  std::function<void(conn_ref, const metadata_view &)> on_inbound_open;
  std::function<void(conn_ref, int status, const metadata_view &)> on_open_result;
  std::function<void(conn_ref, int origin, int reason, const metadata_view &)> on_conn_closed;
  std::function<void(request, uint64_t method_id, bytes_view args, const metadata_view &)> on_serve;
  std::function<void(request)> on_serve_cancelled;
  std::function<void(session_ref, uint64_t nonce, uint64_t rtt_us)> on_pong;
  std::function<void(session_ref)> on_keepalive_timeout;
  std::function<void(session_ref)> on_writable;
  // An exception thrown by any callback of this session (default: printed).
  std::function<void(std::exception_ptr)> on_exception;
};

namespace detail {

// Everything the facade keeps for one C session. Shared: the owner, the
// C session's user_data and every handle hold it; the C session's close
// callback lets go of the C side's share.
struct session_state : std::enable_shared_from_this<session_state> {
  session_handlers handlers;
  roam_session *s = nullptr;
  bool close_requested = false;
  bool closed = false;
  // Live connections by id: handles look theirs up here, so one whose
  // connection ended finds nothing (ROAM_ECLOSED) instead of a stale pointer.
  std::map<uint64_t, roam_conn *> conns;
  // The C session's own reference to this state, dropped by the close callback.
  std::shared_ptr<session_state> self_ref;

  roam_conn *find(uint64_t id) const {
    auto it = conns.find(id);
    return it == conns.end() ? nullptr : it->second;
  }
  void remember(roam_conn *c) {
    uint64_t id = 0;
    if (roam_conn_id(c, &id) == ROAM_OK) conns[id] = c;
  }
  void forget(roam_conn *c) {
    uint64_t id = 0;
    if (roam_conn_id(c, &id) == ROAM_OK) conns.erase(id);
  }
  void report(std::exception_ptr e) noexcept {
    try {
      if (handlers.on_exception) {
        handlers.on_exception(e);
        return;
      }
      std::rethrow_exception(e);
    } catch (const std::exception &ex) {
      std::fprintf(stderr, "roam: exception in a callback: %s\n", ex.what());
    } catch (...) {
      std::fprintf(stderr, "roam: exception in a callback\n");
    }
  }
  // Runs a user callback: nothing it throws gets past here into C.
  template <class Fn>
  void guard(Fn &&fn) noexcept {
    try {
      fn();
    } catch (...) {
      report(std::current_exception());
    }
  }
};

inline session_state *state_of(void *user_data) { return static_cast<session_state *>(user_data); }

}  // namespace detail

// A non-owning handle to a session (valid while the session is open).
class session_ref {
 public:
  session_ref() = default;
  explicit session_ref(std::weak_ptr<detail::session_state> st) : st_(std::move(st)) {}
  // The root connection (once the handshake is done).
  conn_ref root() const;
  // Opens a virtual connection; its answer comes to on_open_result.
  conn_ref open(const metadata *md = nullptr, int parity = 0, uint32_t max_concurrent = 0) const;
  conn_ref open(std::error_code &ec, const metadata *md = nullptr, int parity = 0,
                uint32_t max_concurrent = 0) const noexcept;
  // Ends the session now (connections closed, on_end with ROAM_ESHUTDOWN).
  void shutdown() const {
    auto st = st_.lock();
    detail::check(st && st->s && !st->closed ? roam_session_shutdown(st->s) : ROAM_ECLOSED,
                  "roam_session_shutdown");
  }
  int state() const noexcept {
    auto st = st_.lock();
    return st && st->s ? roam_session_state(st->s) : ROAM_SESSION_ENDED;
  }
  roam_session *c_ptr() const noexcept {
    auto st = st_.lock();
    return st ? st->s : nullptr;
  }

 private:
  std::weak_ptr<detail::session_state> st_;
  friend class session;
};

// What a call completes with (valid during the response callback).
struct response {
  uint64_t request_id = 0;
  int status = 0;  // ROAM_OK, ROAM_EUSER (value: the method's error), other ROAM_E* codes
  bytes_view value;
  metadata_view md;
  bool ok() const { return status == ROAM_OK; }
};

using response_handler = std::function<void(const response &)>;

// A connection, by id on its session.
class conn_ref {
 public:
  conn_ref() = default;
  conn_ref(std::weak_ptr<detail::session_state> st, uint64_t id) : st_(std::move(st)), id_(id) {}
  uint64_t id() const noexcept { return id_; }
  bool valid() const noexcept { return c_ptr() != nullptr; }
  session_ref session() const { return session_ref(st_); }

  // Calls method_id with postcard-encoded args; the handler runs once.
  uint64_t call(uint64_t method_id, bytes_view args, response_handler on_response,
                const std::vector<uint64_t> &channels = {}, const metadata *md = nullptr) const {
    std::error_code ec;
    uint64_t id = call(ec, method_id, args, std::move(on_response), channels, md);
    if (ec) throw error(ec.value(), "roam_conn_call");
    return id;
  }
  uint64_t call(std::error_code &ec, uint64_t method_id, bytes_view args,
                response_handler on_response, const std::vector<uint64_t> &channels = {},
                const metadata *md = nullptr) const noexcept;
  // Every operation below comes as op(args) (throws roam::error) and as
  // op(ec, args) (never throws; false with ec set on failure).
  void cancel(uint64_t request_id) const { detail::check(do_cancel(request_id), "roam_call_cancel"); }
  bool cancel(std::error_code &ec, uint64_t request_id) const noexcept {
    return detail::check(do_cancel(request_id), ec);
  }
  void accept(const metadata *md = nullptr) const { detail::check(do_accept(md), "roam_conn_accept"); }
  bool accept(std::error_code &ec, const metadata *md = nullptr) const noexcept {
    return detail::check(do_accept(md), ec);
  }
  // The connection is gone when this returns.
  void reject(const metadata *md = nullptr) const { detail::check(do_reject(md), "roam_conn_reject"); }
  bool reject(std::error_code &ec, const metadata *md = nullptr) const noexcept {
    return detail::check(do_reject(md), ec);
  }
  void close(const metadata *md = nullptr) const { detail::check(do_close(md), "roam_conn_close"); }
  bool close(std::error_code &ec, const metadata *md = nullptr) const noexcept {
    return detail::check(do_close(md), ec);
  }
  // "Done with it" (roam_conn_release): a virtual connection closes, the root
  // lets the session end once nothing else is open.
  void release() const { detail::check(do_release(), "roam_conn_release"); }
  bool release(std::error_code &ec) const noexcept { return detail::check(do_release(), ec); }

  // A channel of this connection (see class channel).
  channel open_channel(int direction, uint32_t credit = 0,
                       std::function<void(bytes_view)> on_item = nullptr,
                       std::function<void(int reason)> on_end = nullptr) const;
  channel bind_channel(uint64_t channel_id, int direction, uint32_t credit = 0,
                       std::function<void(bytes_view)> on_item = nullptr,
                       std::function<void(int reason)> on_end = nullptr) const;
  channel open_channel(std::error_code &ec, int direction, uint32_t credit = 0,
                       std::function<void(bytes_view)> on_item = nullptr,
                       std::function<void(int reason)> on_end = nullptr) const noexcept;
  channel bind_channel(std::error_code &ec, uint64_t channel_id, int direction,
                       uint32_t credit = 0, std::function<void(bytes_view)> on_item = nullptr,
                       std::function<void(int reason)> on_end = nullptr) const noexcept;

  // The C handle, or null once the connection is gone.
  roam_conn *c_ptr() const noexcept {
    auto st = st_.lock();
    return st ? st->find(id_) : nullptr;
  }
  // Runs fn on the live C handle; ROAM_ECLOSED when there is none.
  template <class Fn>
  int with(Fn &&fn) const noexcept {
    roam_conn *c = c_ptr();
    return c ? fn(c) : ROAM_ECLOSED;
  }

 private:
  int do_cancel(uint64_t request_id) const noexcept {
    return with([&](roam_conn *c) { return roam_call_cancel(c, request_id, nullptr); });
  }
  int do_accept(const metadata *md) const noexcept {
    return with([&](roam_conn *c) { return roam_conn_accept(c, 0, 0, md ? md->c_ptr() : nullptr); });
  }
  int do_reject(const metadata *md) const noexcept;
  int do_close(const metadata *md) const noexcept {
    return with([&](roam_conn *c) { return roam_conn_close(c, md ? md->c_ptr() : nullptr); });
  }
  int do_release() const noexcept {
    return with([](roam_conn *c) { return roam_conn_release(c); });
  }
  int do_channel(uint64_t bind_id, int direction, uint32_t credit,
                 std::function<void(bytes_view)> &on_item, std::function<void(int)> &on_end,
                 uint64_t *id) const noexcept;

  std::weak_ptr<detail::session_state> st_;
  uint64_t id_ = 0;
};

// Owns a connection: releases it (conn_ref::release: a virtual connection
// closes; the root lets its session end once nothing else is open) when
// the owner goes. Wrap what session_ref::open() returns, or an accepted
// inbound connection, to tie its life to a scope.
class connection {
 public:
  connection() = default;
  explicit connection(conn_ref ref) noexcept : ref_(std::move(ref)) {}
  ~connection() { reset(); }
  connection(connection &&o) noexcept : ref_(o.detach()) {}
  connection &operator=(connection &&o) noexcept {
    if (this != &o) {
      reset();
      ref_ = o.detach();
    }
    return *this;
  }
  connection(const connection &) = delete;
  connection &operator=(const connection &) = delete;

  const conn_ref &get() const noexcept { return ref_; }
  const conn_ref *operator->() const noexcept { return &ref_; }
  // Gives up ownership without releasing.
  conn_ref detach() noexcept { return std::exchange(ref_, conn_ref()); }
  // Releases now (nothing if the connection is gone already).
  void reset() noexcept {
    std::error_code ec;
    if (ref_.valid()) ref_.release(ec);
    ref_ = conn_ref();
  }

 private:
  conn_ref ref_;
};

// A served request: answer it exactly once (or let it go).
class request {
 public:
  request(conn_ref conn, uint64_t id, std::vector<uint64_t> channels = {})
      : conn_(std::move(conn)), id_(id), channels_(std::move(channels)) {}
  uint64_t id() const noexcept { return id_; }
  const conn_ref &conn() const noexcept { return conn_; }
  // The channel ids the arguments carry, in the method's order: bind the
  // ones you use (conn().bind_channel) before answering.
  const std::vector<uint64_t> &channels() const noexcept { return channels_; }
  // Each answer ends the request, whatever it returns (as in C); both
  // forms as on conn_ref.
  void reply_ok(bytes_view value, const metadata *md = nullptr) const {
    detail::check(do_reply(roam_reply_ok, value, md), "roam_reply_ok");
  }
  bool reply_ok(std::error_code &ec, bytes_view value, const metadata *md = nullptr) const noexcept {
    return detail::check(do_reply(roam_reply_ok, value, md), ec);
  }
  void reply_user_error(bytes_view err, const metadata *md = nullptr) const {
    detail::check(do_reply(roam_reply_user_error, err, md), "roam_reply_user_error");
  }
  bool reply_user_error(std::error_code &ec, bytes_view err,
                        const metadata *md = nullptr) const noexcept {
    return detail::check(do_reply(roam_reply_user_error, err, md), ec);
  }
  void reply_fail(int code, const metadata *md = nullptr) const {
    detail::check(do_fail(code, md), "roam_reply_fail");
  }
  bool reply_fail(std::error_code &ec, int code, const metadata *md = nullptr) const noexcept {
    return detail::check(do_fail(code, md), ec);
  }
  // No answer will come: Cancelled goes out. Never fails in a way that
  // matters (a request already ended stays ended).
  void release() const noexcept {
    conn_.with([&](roam_conn *c) { return roam_reply_release(c, id_); });
  }

 private:
  using reply_fn = int (*)(roam_conn *, uint64_t, const roam_metadata *, const void *, size_t);
  int do_reply(reply_fn fn, bytes_view bytes, const metadata *md) const noexcept {
    return conn_.with(
        [&](roam_conn *c) { return fn(c, id_, md ? md->c_ptr() : nullptr, bytes.data, bytes.size); });
  }
  int do_fail(int code, const metadata *md) const noexcept {
    return conn_.with(
        [&](roam_conn *c) { return roam_reply_fail(c, id_, code, md ? md->c_ptr() : nullptr); });
  }
  conn_ref conn_;
  uint64_t id_;
  std::vector<uint64_t> channels_;
};

// A channel, by id on its connection.
class channel {
 public:
  channel() = default;
  channel(conn_ref conn, uint64_t id) : conn_(std::move(conn)), id_(id) {}
  uint64_t id() const noexcept { return id_; }
  // Both forms as on conn_ref. send: ROAM_EAGAIN when the queue is full.
  void send(bytes_view item) const { detail::check(do_send(item), "roam_channel_send"); }
  bool send(std::error_code &ec, bytes_view item) const noexcept {
    return detail::check(do_send(item), ec);
  }
  void close() const { detail::check(do_end(roam_channel_close), "roam_channel_close"); }
  bool close(std::error_code &ec) const noexcept { return detail::check(do_end(roam_channel_close), ec); }
  void reset() const { detail::check(do_end(roam_channel_reset), "roam_channel_reset"); }
  bool reset(std::error_code &ec) const noexcept { return detail::check(do_end(roam_channel_reset), ec); }

 private:
  int do_send(bytes_view item) const noexcept {
    return conn_.with([&](roam_conn *c) { return roam_channel_send(c, id_, item.data, item.size); });
  }
  int do_end(int (*fn)(roam_conn *, uint64_t, const roam_metadata *)) const noexcept {
    return conn_.with([&](roam_conn *c) { return fn(c, id_, nullptr); });
  }
  conn_ref conn_;
  uint64_t id_ = 0;
};

namespace detail {

// Per-call and per-channel state, freed by their final callback.
struct call_box {
  std::weak_ptr<session_state> st;
  response_handler handler;
};
struct channel_box {
  std::weak_ptr<session_state> st;
  std::function<void(bytes_view)> on_item;
  std::function<void(int)> on_end;
};

inline void guard_in(const std::weak_ptr<session_state> &weak, const std::function<void()> &fn) noexcept {
  auto st = weak.lock();
  try {
    fn();
  } catch (...) {
    if (st) st->report(std::current_exception());
  }
}

inline void on_response(roam_conn *, void *ud, uint64_t request_id, int status,
                                     const roam_metadata *md, const uint8_t *value, size_t len) {
  std::unique_ptr<call_box> box(static_cast<call_box *>(ud));
  guard_in(box->st, [&] {
    response r;
    r.request_id = request_id;
    r.status = status;
    r.value = bytes_view(value, len);
    r.md = metadata_view(md);
    if (box->handler) box->handler(r);
  });
}

inline void on_channel_item(roam_conn *, uint64_t, void *ud, const uint8_t *item, size_t len) {
  auto *box = static_cast<channel_box *>(ud);
  guard_in(box->st, [&] {
    if (box->on_item) box->on_item(bytes_view(item, len));
  });
}

inline void on_channel_end(roam_conn *, uint64_t, void *ud, int reason, const roam_metadata *) {
  std::unique_ptr<channel_box> box(static_cast<channel_box *>(ud));
  guard_in(box->st, [&] {
    if (box->on_end) box->on_end(reason);
  });
}

// ---- the session trampolines: one table for every facade session ----------------

inline std::weak_ptr<session_state> weak(session_state *st) { return st->weak_from_this(); }

inline conn_ref ref_of(session_state *st, roam_conn *c) {
  uint64_t id = 0;
  roam_conn_id(c, &id);
  return conn_ref(weak(st), id);
}

inline void t_handshake(roam_session *, void *ud, int status, const roam_metadata *md) {
  session_state *st = state_of(ud);
  st->guard([&] {
    if (status == ROAM_OK) {
      roam_conn *root = nullptr;
      if (roam_session_root(st->s, &root) == ROAM_OK) st->remember(root);
    }
    if (st->handlers.on_handshake) st->handlers.on_handshake(session_ref(weak(st)), status, metadata_view(md));
  });
}
inline void t_end(roam_session *, void *ud, int err, const char *reason) {
  session_state *st = state_of(ud);
  st->guard([&] {
    if (st->handlers.on_end) st->handlers.on_end(session_ref(weak(st)), err, reason);
  });
}
inline void t_inbound_open(roam_session *, void *ud, roam_conn *c, const roam_metadata *md) {
  session_state *st = state_of(ud);
  if (!st->handlers.on_inbound_open) {
    roam_conn_reject(c, nullptr);  // as roam-core does without an acceptor
    return;
  }
  st->remember(c);
  st->guard([&] { st->handlers.on_inbound_open(ref_of(st, c), metadata_view(md)); });
}
inline void t_open_result(roam_session *, void *ud, roam_conn *c, int status, const roam_metadata *md) {
  session_state *st = state_of(ud);
  conn_ref ref = ref_of(st, c);
  if (status != ROAM_OK) st->forget(c);  // its final callback
  st->guard([&] {
    if (st->handlers.on_open_result) st->handlers.on_open_result(ref, status, metadata_view(md));
  });
}
inline void t_conn_closed(roam_session *, void *ud, roam_conn *c, int origin, int reason,
                          const roam_metadata *md) {
  session_state *st = state_of(ud);
  conn_ref ref = ref_of(st, c);
  st->forget(c);  // its final callback: the handle finds nothing from now on
  st->guard([&] {
    if (st->handlers.on_conn_closed) st->handlers.on_conn_closed(ref, origin, reason, metadata_view(md));
  });
}
inline void t_serve(roam_session *, void *ud, roam_conn *c, uint64_t request_id, uint64_t method,
                    const uint64_t *channels, size_t channel_count, const roam_metadata *md,
                    const uint8_t *args, size_t len) {
  session_state *st = state_of(ud);
  if (!st->handlers.on_serve) {
    roam_reply_fail(c, request_id, ROAM_EUNKNOWNMETHOD, nullptr);
    return;
  }
  request req(ref_of(st, c), request_id);
  try {
    if (channel_count) req = request(ref_of(st, c), request_id, {channels, channels + channel_count});
    st->handlers.on_serve(req, method, bytes_view(args, len), metadata_view(md));
  } catch (...) {
    st->report(std::current_exception());
    req.release();  // a handler that threw will not answer: Cancelled goes out
  }
}
inline void t_serve_cancelled(roam_session *, void *ud, roam_conn *c, uint64_t request_id) {
  session_state *st = state_of(ud);
  st->guard([&] {
    if (st->handlers.on_serve_cancelled) {
      st->handlers.on_serve_cancelled(request(ref_of(st, c), request_id));
    } else {
      roam_reply_release(c, request_id);
    }
  });
}
inline void t_pong(roam_session *, void *ud, uint64_t nonce, uint64_t rtt) {
  session_state *st = state_of(ud);
  st->guard([&] {
    if (st->handlers.on_pong) st->handlers.on_pong(session_ref(weak(st)), nonce, rtt);
  });
}
inline void t_keepalive_timeout(roam_session *, void *ud) {
  session_state *st = state_of(ud);
  st->guard([&] {
    if (st->handlers.on_keepalive_timeout) st->handlers.on_keepalive_timeout(session_ref(weak(st)));
  });
}
inline void t_writable(roam_session *, void *ud) {
  session_state *st = state_of(ud);
  st->guard([&] {
    if (st->handlers.on_writable) st->handlers.on_writable(session_ref(weak(st)));
  });
}
inline void t_closed(roam_session *, void *ud) {
  session_state *st = state_of(ud);
  st->closed = true;
  st->conns.clear();
  st->s = nullptr;
  st->self_ref.reset();  // may free the state: touch nothing after
}

// The C table every facade session uses (made once, never freed).
inline const roam_callbacks *table() {
  static const roam_callbacks *t = [] {
    roam_callbacks *cbs = nullptr;
    check(roam_callbacks_new(&cbs), "roam_callbacks_new");
    roam_callbacks_set_handshake(cbs, t_handshake);
    roam_callbacks_set_session_end(cbs, t_end);
    roam_callbacks_set_inbound_open(cbs, t_inbound_open);
    roam_callbacks_set_open_result(cbs, t_open_result);
    roam_callbacks_set_conn_closed(cbs, t_conn_closed);
    roam_callbacks_set_serve(cbs, t_serve);
    roam_callbacks_set_serve_cancelled(cbs, t_serve_cancelled);
    roam_callbacks_set_pong(cbs, t_pong);
    roam_callbacks_set_keepalive_timeout(cbs, t_keepalive_timeout);
    roam_callbacks_set_writable(cbs, t_writable);
    return cbs;
  }();
  return t;
}

inline std::shared_ptr<session_state> new_state(session_handlers h) {
  auto st = std::make_shared<session_state>();
  st->handlers = std::move(h);
  st->self_ref = st;  // the C session's share, until its close callback
  return st;
}

}  // namespace detail

// ==== Session =====================================================================

// Owns one session: closing it when it goes.
class session {
 public:
  session() = default;
  ~session() { close(); }
  session(session &&o) noexcept : st_(std::move(o.st_)) {}
  session &operator=(session &&o) noexcept {
    if (this != &o) {
      close();
      st_ = std::move(o.st_);
    }
    return *this;
  }
  session(const session &) = delete;
  session &operator=(const session &) = delete;

  // Connects to "tcp://HOST:PORT" or "unix:PATH". Both forms as on
  // conn_ref: the non-throwing one returns an empty session on failure.
  static session connect(runtime &rt, const char *address, session_handlers h,
                         const options *opts = nullptr) {
    std::error_code ec;
    session s = connect(ec, rt, address, std::move(h), opts);
    if (ec) throw error(ec.value(), "roam_session_connect");
    return s;
  }
  static session connect(std::error_code &ec, runtime &rt, const char *address,
                         session_handlers h, const options *opts = nullptr) noexcept {
    std::shared_ptr<detail::session_state> st;
    try {
      st = detail::new_state(std::move(h));
    } catch (...) {
      ec = make_error_code(ROAM_ENOMEM);
      return {};
    }
    int rc = roam_session_connect(rt.c_ptr(), address, opts ? opts->c_ptr() : nullptr,
                                  detail::table(), st.get(), &st->s);
    if (!detail::check(rc, ec)) {
      st->self_ref.reset();
      return {};
    }
    return session(std::move(st));
  }
  // Two sessions joined in process (first: the initiator).
  static std::pair<session, session> pair(runtime &rt, session_handlers a, session_handlers b,
                                          const options *a_opts = nullptr,
                                          const options *b_opts = nullptr) {
    auto sa = detail::new_state(std::move(a));
    auto sb = detail::new_state(std::move(b));
    int rc = roam_session_pair(rt.c_ptr(), a_opts ? a_opts->c_ptr() : nullptr, detail::table(),
                               sa.get(), b_opts ? b_opts->c_ptr() : nullptr, detail::table(),
                               sb.get(), &sa->s, &sb->s);
    if (rc < 0) {
      sa->self_ref.reset();
      sb->self_ref.reset();
      throw error(rc, "roam_session_pair");
    }
    return {session(std::move(sa)), session(std::move(sb))};
  }

  session_ref ref() const { return session_ref(st_); }
  conn_ref root() const { return ref().root(); }
  // Closes now (asynchronously: the runtime must run until it is done).
  // Later calls do nothing.
  void close() noexcept {
    if (st_ && !st_->close_requested && st_->s) {
      st_->close_requested = true;
      // The close callback drops the C side's share of the state.
      roam_session_close(st_->s, detail::t_closed, st_.get());
    }
    st_.reset();
  }
  bool closed() const noexcept { return !st_ || st_->closed; }
  roam_session *c_ptr() const noexcept { return st_ ? st_->s : nullptr; }

 private:
  friend class listener;
  explicit session(std::shared_ptr<detail::session_state> st) : st_(std::move(st)) {}
  std::shared_ptr<detail::session_state> st_;
};

// ==== Listener ====================================================================

class listener {
 public:
  listener() = default;
  // Every session accepted gets `handlers`; on_accept receives its owner.
  listener(runtime &rt, const char *address, session_handlers handlers,
           std::function<void(session)> on_accept, const options *opts = nullptr) {
    std::error_code ec;
    *this = listen(ec, rt, address, std::move(handlers), std::move(on_accept), opts);
    if (ec) throw error(ec.value(), "roam_listener_new");
  }
  // The non-throwing form: an empty listener on failure.
  static listener listen(std::error_code &ec, runtime &rt, const char *address,
                         session_handlers handlers, std::function<void(session)> on_accept,
                         const options *opts = nullptr) noexcept {
    listener l;
    try {
      l.box_.reset(new box{std::move(handlers), std::move(on_accept)});
    } catch (...) {
      ec = make_error_code(ROAM_ENOMEM);
      return l;
    }
    detail::check(roam_listener_new(rt.c_ptr(), address, opts ? opts->c_ptr() : nullptr,
                                    detail::table(), &listener::accepted, l.box_.get(), &l.l_),
                  ec);
    return l;
  }
  ~listener() { close(); }
  listener(listener &&o) noexcept : l_(std::exchange(o.l_, nullptr)), box_(std::move(o.box_)) {}
  listener &operator=(listener &&o) noexcept {
    if (this != &o) {
      close();
      l_ = std::exchange(o.l_, nullptr);
      box_ = std::move(o.box_);
    }
    return *this;
  }
  listener(const listener &) = delete;
  listener &operator=(const listener &) = delete;

  int port() const { return detail::check(roam_listener_port(l_), "roam_listener_port"); }
  std::string address() const {
    char buf[256];
    size_t len = sizeof buf;
    detail::check(roam_listener_address(l_, buf, &len), "roam_listener_address");
    return std::string(buf, len);
  }
  // Stops accepting (asynchronously).
  void close() noexcept {
    if (l_) {
      roam_listener_close(l_, [](roam_listener *, void *ud) { delete static_cast<box *>(ud); },
                          box_.release());
      l_ = nullptr;
    }
  }

 private:
  struct box {
    session_handlers handlers;
    std::function<void(session)> on_accept;
  };
  static void accepted(roam_listener *, void *ud, int status, roam_session *s) {
    auto *b = static_cast<box *>(ud);
    if (status != ROAM_OK || s == nullptr) return;
    auto st = detail::new_state(b->handlers);
    st->s = s;
    roam_session_set_user_data(s, st.get());
    session owner(std::move(st));
    try {
      if (b->on_accept) b->on_accept(std::move(owner));
    } catch (const std::exception &e) {
      std::fprintf(stderr, "roam: exception in an accept callback: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "roam: exception in an accept callback\n");
    }
  }
  roam_listener *l_ = nullptr;
  std::unique_ptr<box> box_;
};

// ==== Out-of-line members ==========================================================

inline conn_ref session_ref::root() const {
  auto st = st_.lock();
  if (!st || !st->s) throw error(ROAM_ECLOSED, "roam_session_root");
  roam_conn *r = nullptr;
  detail::check(roam_session_root(st->s, &r), "roam_session_root");
  st->remember(r);
  return conn_ref(st_, 0);
}

inline conn_ref session_ref::open(std::error_code &ec, const metadata *md, int parity,
                                  uint32_t max_concurrent) const noexcept {
  auto st = st_.lock();
  if (!st || !st->s || st->closed) {
    ec = make_error_code(ROAM_ECLOSED);
    return {};
  }
  roam_conn *c = nullptr;
  if (!detail::check(roam_session_open(st->s, parity, max_concurrent, md ? md->c_ptr() : nullptr,
                                       nullptr, &c),
                     ec)) {
    return {};
  }
  try {
    st->remember(c);
  } catch (...) {
    ec = make_error_code(ROAM_ENOMEM);
    roam_conn_close(c, nullptr);
    return {};
  }
  uint64_t id = 0;
  roam_conn_id(c, &id);
  return conn_ref(st_, id);
}

inline conn_ref session_ref::open(const metadata *md, int parity, uint32_t max_concurrent) const {
  std::error_code ec;
  conn_ref c = open(ec, md, parity, max_concurrent);
  if (ec) throw error(ec.value(), "roam_session_open");
  return c;
}

inline uint64_t conn_ref::call(std::error_code &ec, uint64_t method_id, bytes_view args,
                               response_handler on_response, const std::vector<uint64_t> &channels,
                               const metadata *md) const noexcept {
  roam_conn *c = c_ptr();
  if (c == nullptr) {
    ec = make_error_code(ROAM_ECLOSED);
    return 0;
  }
  detail::call_box *box = nullptr;
  try {
    box = new detail::call_box{st_, std::move(on_response)};
  } catch (...) {
    ec = make_error_code(ROAM_ENOMEM);
    return 0;
  }
  uint64_t id = 0;
  int rc = roam_conn_call(c, method_id, channels.empty() ? nullptr : channels.data(),
                          channels.size(), md ? md->c_ptr() : nullptr, args.data, args.size,
                          detail::on_response, box, &id);
  if (!detail::check(rc, ec)) {
    delete box;
    return 0;
  }
  return id;
}

inline int conn_ref::do_reject(const metadata *md) const noexcept {
  int rc = with([&](roam_conn *c) { return roam_conn_reject(c, md ? md->c_ptr() : nullptr); });
  if (rc == ROAM_OK) {
    if (auto st = st_.lock()) st->conns.erase(id_);  // the C handle is gone
  }
  return rc;
}

inline int conn_ref::do_channel(uint64_t bind_id, int direction, uint32_t credit,
                                std::function<void(bytes_view)> &on_item,
                                std::function<void(int)> &on_end, uint64_t *id) const noexcept {
  roam_conn *c = c_ptr();
  if (c == nullptr) return ROAM_ECLOSED;
  detail::channel_box *box = nullptr;
  try {
    box = new detail::channel_box{st_, std::move(on_item), std::move(on_end)};
  } catch (...) {
    return ROAM_ENOMEM;
  }
  int rc = bind_id != 0
               ? roam_conn_channel_bind(c, bind_id, direction, credit, detail::on_channel_item,
                                        detail::on_channel_end, nullptr, box)
               : roam_conn_channel_open(c, direction, credit, detail::on_channel_item,
                                        detail::on_channel_end, nullptr, box, id);
  if (rc < 0) {
    delete box;  // the channel never existed; otherwise its end callback frees the box
    return rc;
  }
  if (bind_id != 0) *id = bind_id;
  return ROAM_OK;
}

inline channel conn_ref::open_channel(int direction, uint32_t credit,
                                      std::function<void(bytes_view)> on_item,
                                      std::function<void(int)> on_end) const {
  uint64_t id = 0;
  detail::check(do_channel(0, direction, credit, on_item, on_end, &id), "roam_conn_channel_open");
  return channel(*this, id);
}

inline channel conn_ref::open_channel(std::error_code &ec, int direction, uint32_t credit,
                                      std::function<void(bytes_view)> on_item,
                                      std::function<void(int)> on_end) const noexcept {
  uint64_t id = 0;
  if (!detail::check(do_channel(0, direction, credit, on_item, on_end, &id), ec)) return {};
  return channel(*this, id);
}

inline channel conn_ref::bind_channel(uint64_t channel_id, int direction, uint32_t credit,
                                      std::function<void(bytes_view)> on_item,
                                      std::function<void(int)> on_end) const {
  uint64_t id = 0;
  if (channel_id == 0) throw error(ROAM_EINVAL, "roam_conn_channel_bind");
  detail::check(do_channel(channel_id, direction, credit, on_item, on_end, &id),
                "roam_conn_channel_bind");
  return channel(*this, id);
}

inline channel conn_ref::bind_channel(std::error_code &ec, uint64_t channel_id, int direction,
                                      uint32_t credit, std::function<void(bytes_view)> on_item,
                                      std::function<void(int)> on_end) const noexcept {
  uint64_t id = 0;
  if (channel_id == 0) {
    ec = make_error_code(ROAM_EINVAL);
    return {};
  }
  if (!detail::check(do_channel(channel_id, direction, credit, on_item, on_end, &id), ec)) return {};
  return channel(*this, id);
}

}  // namespace roam

#endif  // ROAM_CXX_ROAM_HPP
