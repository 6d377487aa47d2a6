// roam_session_* — creating sessions, registering callbacks, queries.
#include <new>

#include "capi/error_detail.hpp"
#include "capi/options_handle.hpp"
#include "capi/session_handle.hpp"

using roam::session::Role;
using roam::session::SessionState;
using roam::capi::fail_with_detail;
using roam::capi::null_argument;

namespace {

// Creates a session and runs `init` on it; on failure the half-made
// session is abandoned (closed and freed without callbacks). `api` names
// the public function in error details.
template <class Init>
int create(const char *api, roam_runtime *rt, const roam_options *opts, Role default_role,
           roam_session **out, Init init) {
  if (rt == nullptr) return null_argument(api, "rt");
  if (out == nullptr) return null_argument(api, "out");
  *out = nullptr;
  auto *s = new (std::nothrow) roam_session(rt, roam::capi::config_for(opts, default_role));
  if (s == nullptr) return fail_with_detail(ROAM_ENOMEM, "%s: out of memory", api);
  int rc = init(*s);
  if (rc != ROAM_OK) {
    fail_with_detail(rc, "%s: %s", api, s->init_error().c_str());
    s->abandon();
    return rc;
  }
  *out = s;
  return ROAM_OK;
}

}  // namespace

extern "C" {

int roam_session_connect(roam_runtime *rt, const char *address, const roam_options *opts,
                         roam_session **out) {
  if (address == nullptr) return null_argument(__func__, "address");
  roam::uvio::Address addr;
  std::string error;
  if (roam::uvio::parse_address(address, &addr, &error) != ROAM_OK) {
    return fail_with_detail(ROAM_EINVAL, "%s", error.c_str());
  }
  return create(__func__, rt, opts, Role::Initiator, out,
                [&](roam_session &s) { return s.init_connect(addr); });
}

int roam_session_adopt_fd(roam_runtime *rt, int fd, const roam_options *opts, roam_session **out) {
  if (fd < 0) return fail_with_detail(ROAM_EINVAL, "%s: fd %d is not a descriptor", __func__, fd);
  return create(__func__, rt, opts, Role::Initiator, out,
                [&](roam_session &s) { return s.init_adopt_fd(fd); });
}

int roam_session_adopt_stream(roam_runtime *rt, struct uv_stream_s *stream,
                              const roam_options *opts, roam_session **out) {
  if (stream == nullptr) return null_argument(__func__, "stream");
  return create(__func__, rt, opts, Role::Initiator, out,
                [&](roam_session &s) { return s.init_adopt_stream(stream); });
}

int roam_session_pair(roam_runtime *rt, const roam_options *a_opts, const roam_options *b_opts,
                      roam_session **a, roam_session **b) {
  if (rt == nullptr) return null_argument(__func__, "rt");
  if (a == nullptr) return null_argument(__func__, "a");
  if (b == nullptr) return null_argument(__func__, "b");
  *a = *b = nullptr;
  auto *sa = new (std::nothrow) roam_session(rt, roam::capi::config_for(a_opts, Role::Initiator));
  auto *sb = new (std::nothrow) roam_session(rt, roam::capi::config_for(b_opts, Role::Acceptor));
  if (sa == nullptr || sb == nullptr) {
    delete sa;
    delete sb;
    return fail_with_detail(ROAM_ENOMEM, "%s: out of memory", __func__);
  }
  int rc = roam_session::init_pair(*sa, *sb);
  if (rc != ROAM_OK) {
    fail_with_detail(rc, "%s: %s", __func__, sa->init_error().c_str());
    sa->abandon();
    sb->abandon();
    return rc;
  }
  *a = sa;
  *b = sb;
  return ROAM_OK;
}

int roam_session_close(roam_session *s, roam_session_close_cb cb, void *user_data) {
  if (s == nullptr) return null_argument(__func__, "s");
  return s->close(cb, user_data);
}

int roam_session_shutdown(roam_session *s) {
  if (s == nullptr) return null_argument(__func__, "s");
  return s->shutdown();
}

void roam_session_set_user_data(roam_session *s, void *user_data) {
  if (s) s->user_data = user_data;
}

void *roam_session_get_user_data(const roam_session *s) { return s ? s->user_data : nullptr; }

roam_runtime *roam_session_runtime(const roam_session *s) { return s ? s->rt : nullptr; }

int roam_session_state(const roam_session *s) {
  if (s == nullptr) return null_argument(__func__, "s");
  return s->api_state();
}

int roam_session_role(const roam_session *s) {
  if (s == nullptr) return null_argument(__func__, "s");
  return s->core.role() == Role::Initiator ? ROAM_ROLE_INITIATOR : ROAM_ROLE_ACCEPTOR;
}

int roam_session_parity(const roam_session *s) {
  if (s == nullptr) return null_argument(__func__, "s");
  if (s->core.find(0) == nullptr && s->core.state() != SessionState::Ended) return ROAM_ESTATE;
  return roam::capi::parity_value(s->core.parity());
}

int roam_session_error(const roam_session *s) {
  if (s == nullptr) return null_argument(__func__, "s");
  return s->core.state() == SessionState::Ended ? s->core.end_error() : ROAM_ESTATE;
}

const char *roam_session_last_error(const roam_session *s) {
  if (s == nullptr) return "";
  return s->core.state() == SessionState::Ended ? s->core.end_reason().c_str() : "";
}

int roam_session_root(roam_session *s, roam_conn **out) {
  if (s == nullptr) return null_argument(__func__, "s");
  if (out == nullptr) return null_argument(__func__, "out");
  *out = s->root();
  return *out ? ROAM_OK : ROAM_ESTATE;
}

int roam_session_ping(roam_session *s, uint64_t *nonce) {
  if (s == nullptr) return null_argument(__func__, "s");
  return s->ping(nonce);
}

size_t roam_session_outbound_backlog(const roam_session *s) {
  return s ? s->core.outbound_backlog() : 0;
}

int roam_session_stat(const roam_session *s, int which, uint64_t *value) {
  if (s == nullptr) return null_argument(__func__, "s");
  if (value == nullptr) return null_argument(__func__, "value");
  const roam::session::SessionStats &st = s->core.stats();
  switch (which) {
    case ROAM_STAT_FRAMES_IN: *value = st.frames_in; break;
    case ROAM_STAT_FRAMES_OUT: *value = st.frames_out; break;
    case ROAM_STAT_BYTES_IN: *value = st.bytes_in; break;
    case ROAM_STAT_BYTES_OUT: *value = st.bytes_out; break;
    case ROAM_STAT_DROPPED_MESSAGES: *value = st.dropped_messages; break;
    case ROAM_STAT_PINGS_SENT: *value = st.pings_sent; break;
    case ROAM_STAT_PONGS_SENT: *value = st.pongs_sent; break;
    case ROAM_STAT_OPEN_CONNECTIONS: *value = s->core.virtual_connection_count(); break;
    default: return fail_with_detail(ROAM_EINVAL, "%s: %d is not a roam_stat", __func__, which);
  }
  return ROAM_OK;
}

int roam_session_open(roam_session *s, int parity, uint32_t max_concurrent_requests,
                      const roam_metadata *md, void *conn_user_data, roam_conn **out) {
  if (s == nullptr) return null_argument(__func__, "s");
  if (parity != ROAM_PARITY_DEFAULT && parity != ROAM_PARITY_ODD && parity != ROAM_PARITY_EVEN) {
    return fail_with_detail(ROAM_EINVAL,
                            "%s: parity %d is not ROAM_PARITY_DEFAULT (-1), ROAM_PARITY_ODD (0) "
                            "or ROAM_PARITY_EVEN (1)",
                            __func__, parity);
  }
  return s->open(parity, max_concurrent_requests, md, conn_user_data, out);
}

#define ROAM_SETTER(name, field, type)                                   \
  int roam_session_on_##name(roam_session *s, type cb, void *user_data) { \
    if (s == nullptr) return null_argument(__func__, "s");                \
    s->field.fn = cb;                                                     \
    s->field.user_data = user_data;                                       \
    return ROAM_OK;                                                       \
  }

ROAM_SETTER(handshake, on_handshake, roam_handshake_cb)
ROAM_SETTER(end, on_end, roam_session_end_cb)
ROAM_SETTER(open, on_open, roam_open_cb)
ROAM_SETTER(conn_closed, on_conn_closed, roam_conn_closed_cb)
ROAM_SETTER(request, on_request_cb, roam_request_cb)
ROAM_SETTER(channel, on_channel_cb, roam_channel_cb)
ROAM_SETTER(pong, on_pong_cb, roam_pong_cb)
ROAM_SETTER(keepalive_timeout, on_keepalive_timeout_cb, roam_keepalive_timeout_cb)
ROAM_SETTER(writable, on_writable_cb, roam_writable_cb)
#undef ROAM_SETTER

int roam_session_on_inbound_open(roam_session *s, roam_inbound_open_cb cb, void *user_data) {
  if (s == nullptr) return null_argument(__func__, "s");
  s->on_inbound_open_cb.fn = cb;
  s->on_inbound_open_cb.user_data = user_data;
  s->set_accepts_inbound(cb != nullptr);
  return ROAM_OK;
}

}  // extern "C"
