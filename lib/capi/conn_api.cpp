// roam_conn_* — connection handles: queries, decisions, closing, raw sends.
#include "capi/api_guard.hpp"
#include "capi/session_handle.hpp"
#include "roam/roam_experimental.h"

using roam::capi::fail_with_detail;
using roam::capi::guarded;
using roam::capi::null_argument;

namespace {

int settings_out(const roam_conn *c, bool local, int *parity, uint32_t *max) {
  if (c == nullptr) return null_argument(local ? "roam_conn_local_settings" : "roam_conn_peer_settings", "conn");
  const roam::session::Connection *info = c->session->core.find(c->id);
  if (info == nullptr) return ROAM_ECLOSED;
  bool known = local ? info->state != roam::session::ConnState::PendingInbound
                     : info->state != roam::session::ConnState::PendingOutbound;
  if (!known) return ROAM_ESTATE;
  const roam::wire::ConnectionSettings &s = local ? info->local : info->peer;
  if (parity) *parity = roam::capi::parity_value(s.parity);
  if (max) *max = s.max_concurrent_requests;
  return ROAM_OK;
}

}  // namespace

extern "C" {

int roam_conn_id(const roam_conn *conn, uint64_t *id) {
  if (conn == nullptr) return null_argument(__func__, "conn");
  if (id == nullptr) return null_argument(__func__, "id");
  *id = conn->id;
  return ROAM_OK;
}

int roam_conn_state(const roam_conn *conn) {
  return conn ? conn->state : null_argument(__func__, "conn");
}

roam_session *roam_conn_session(const roam_conn *conn) { return conn ? conn->session : nullptr; }

void roam_conn_set_user_data(roam_conn *conn, void *user_data) {
  if (conn) conn->user_data = user_data;
}

void *roam_conn_get_user_data(const roam_conn *conn) { return conn ? conn->user_data : nullptr; }

int roam_conn_local_settings(const roam_conn *conn, int *parity, uint32_t *max) {
  return settings_out(conn, true, parity, max);
}

int roam_conn_peer_settings(const roam_conn *conn, int *parity, uint32_t *max) {
  return settings_out(conn, false, parity, max);
}

int roam_conn_accept(roam_conn *conn, int parity, uint32_t max, const roam_metadata *md) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (conn == nullptr) return null_argument(api, "conn");
    if (!roam::capi::is_parity(parity)) return roam::capi::invalid_parity(api, parity);
    return conn->session->accept(conn, parity, max, md);
  });
}

int roam_conn_reject(roam_conn *conn, const roam_metadata *md) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (conn == nullptr) return null_argument(api, "conn");
    return conn->session->reject(conn, md);
  });
}

int roam_conn_close(roam_conn *conn, const roam_metadata *md) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (conn == nullptr) return null_argument(api, "conn");
    return conn->session->close_conn(conn, md);
  });
}

int roam_conn_release(roam_conn *conn) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (conn == nullptr) return null_argument(api, "conn");
    return conn->session->release(conn);
  });
}

int roam_conn_send_request(roam_conn *conn, int kind, uint64_t request_id, uint64_t method_id,
                           const uint64_t *channels, size_t channel_count,
                           const roam_metadata *md, const void *payload, size_t payload_len) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (conn == nullptr) return null_argument(api, "conn");
    return conn->session->send_request(conn, kind, request_id, method_id, channels,
                                       channel_count, md, payload, payload_len);
  });
}

int roam_conn_send_channel(roam_conn *conn, int kind, uint64_t channel_id,
                           const roam_metadata *md, const void *payload, size_t payload_len,
                           uint32_t additional) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (conn == nullptr) return null_argument(api, "conn");
    return conn->session->send_channel(conn, kind, channel_id, md, payload, payload_len,
                                       additional);
  });
}

}  // extern "C"

extern "C" {

int roam_conn_proxy(roam_conn *left, roam_conn *right) {
  return guarded(__func__, [&, api = __func__]() -> int {
  if (left == nullptr) return null_argument(api, "left");
  if (right == nullptr) return null_argument(api, "right");
  if (left == right) {
    return fail_with_detail(ROAM_EINVAL, "%s: a connection cannot be proxied into itself",
                            api);
  }
  if (left->session->rt != right->session->rt) {  // one loop thread
    return fail_with_detail(ROAM_EINVAL, "%s: the two sessions are not on the same runtime",
                            api);
  }
  if (left->state != ROAM_CONN_OPEN || right->state != ROAM_CONN_OPEN) return ROAM_ESTATE;
  for (roam_conn *c : {left, right}) {
    if (c->driver && (c->driver->calls_in_flight() > 0 || c->driver->calls_being_served() > 0)) {
      return ROAM_ESTATE;
    }
  }
  return roam::session::ProxyTable::join(*left->session, left->id, *right->session, right->id);
  });
}

}  // extern "C"
