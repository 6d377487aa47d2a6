// roam_session_* — creating sessions, queries, opening connections.
#include <new>

#include "capi/api_guard.hpp"
#include "capi/error_detail.hpp"
#include "capi/options_handle.hpp"
#include "capi/session_handle.hpp"

using roam::session::Role;
using roam::session::SessionState;
using roam::capi::fail_with_detail;
using roam::capi::guarded;
using roam::capi::guarded_value;
using roam::capi::null_argument;

namespace {

// Creates a session and runs `init` on it; on failure the half-made
// session is abandoned (closed and freed without callbacks). `api` names
// the public function in error details.
template <class Init>
int create(const char *api, roam_runtime *rt, const roam_options *opts, Role default_role,
           const roam_callbacks *cbs, void *user_data, roam_session **out, Init init) {
  if (rt == nullptr) return null_argument(api, "rt");
  if (out == nullptr) return null_argument(api, "out");
  *out = nullptr;
  auto *s = new roam_session(rt, roam::capi::config_for(opts, default_role), cbs, user_data);
  int rc;
  try {
    rc = init(*s);
  } catch (...) {
    s->abandon();  // out of memory half-way: closes by itself, no callback
    throw;
  }
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
                         const roam_callbacks *cbs, void *user_data, roam_session **out) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (address == nullptr) return null_argument(api, "address");
    roam::uvio::Address addr;
    std::string error;
    if (roam::uvio::parse_address(address, &addr, &error) != ROAM_OK) {
      return fail_with_detail(ROAM_EINVAL, "%s", error.c_str());
    }
    return create(api, rt, opts, Role::Initiator, cbs, user_data, out,
                  [&](roam_session &s) { return s.init_connect(addr); });
  });
}

int roam_session_adopt_fd(roam_runtime *rt, int fd, const roam_options *opts,
                          const roam_callbacks *cbs, void *user_data, roam_session **out) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (fd < 0) {
      return fail_with_detail(ROAM_EINVAL, "%s: fd %d is not a descriptor", api, fd);
    }
    return create(api, rt, opts, Role::Initiator, cbs, user_data, out,
                  [&](roam_session &s) { return s.init_adopt_fd(fd); });
  });
}

int roam_session_adopt_stream(roam_runtime *rt, struct uv_stream_s *stream,
                              const roam_options *opts, const roam_callbacks *cbs,
                              void *user_data, roam_session **out) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (stream == nullptr) return null_argument(api, "stream");
    return create(api, rt, opts, Role::Initiator, cbs, user_data, out,
                  [&](roam_session &s) { return s.init_adopt_stream(stream); });
  });
}

int roam_session_pair(roam_runtime *rt, const roam_options *a_opts, const roam_callbacks *a_cbs,
                      void *a_user_data, const roam_options *b_opts, const roam_callbacks *b_cbs,
                      void *b_user_data, roam_session **a, roam_session **b) {
  return guarded(__func__, [&, api = __func__]() -> int {
  if (rt == nullptr) return null_argument(api, "rt");
  if (a == nullptr) return null_argument(api, "a");
  if (b == nullptr) return null_argument(api, "b");
  *a = *b = nullptr;
  auto *sa = new roam_session(rt, roam::capi::config_for(a_opts, Role::Initiator), a_cbs,
                              a_user_data);
  roam_session *sb;
  try {
    sb = new roam_session(rt, roam::capi::config_for(b_opts, Role::Acceptor), b_cbs,
                          b_user_data);
  } catch (...) {
    sa->abandon();  // it has libuv handles: closed through the loop, not deleted here
    throw;
  }
  int rc;
  try {
    rc = roam_session::init_pair(*sa, *sb);
  } catch (...) {
    sa->abandon();
    sb->abandon();
    throw;
  }
  if (rc != ROAM_OK) {
    fail_with_detail(rc, "%s: %s", api, sa->init_error().c_str());
    sa->abandon();
    sb->abandon();
    return rc;
  }
  *a = sa;
  *b = sb;
  return ROAM_OK;
  });
}

int roam_session_close(roam_session *s, roam_session_close_cb cb, void *user_data) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (s == nullptr) return null_argument(api, "s");
    return s->close(cb, user_data);
  });
}

int roam_session_shutdown(roam_session *s) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (s == nullptr) return null_argument(api, "s");
    return s->shutdown();
  });
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

int roam_session_error(const roam_session *s, int *error) {
  if (s == nullptr) return null_argument(__func__, "s");
  if (error == nullptr) return null_argument(__func__, "error");
  if (s->core.state() != SessionState::Ended) return ROAM_ESTATE;
  *error = s->core.end_error();
  return ROAM_OK;
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
  return guarded(__func__, [&, api = __func__]() -> int {
    if (s == nullptr) return null_argument(api, "s");
    return s->ping(nonce);
  });
}

int roam_session_outbound_backlog(const roam_session *s, size_t *bytes) {
  if (s == nullptr) return null_argument(__func__, "s");
  if (bytes == nullptr) return null_argument(__func__, "bytes");
  *bytes = s->core.outbound_backlog();
  return ROAM_OK;
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
  return guarded(__func__, [&, api = __func__]() -> int {
    if (s == nullptr) return null_argument(api, "s");
    roam::wire::Parity p;
    if (!roam::capi::parity_from_api(parity, s->core.parity(), &p)) {
      return roam::capi::invalid_parity(api, parity);
    }
    return s->open(p, max_concurrent_requests, md, conn_user_data, out);
  });
}

}  // extern "C"
