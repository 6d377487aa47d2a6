// roam_conn_call / roam_call_cancel (calling) and roam_reply_* (serving).
// Calls and served requests are addressed by (connection, request id): the
// driver holds them, and an id it no longer knows is ROAM_ENOTFOUND.
#include <cinttypes>
#include <memory>

#include "capi/api_guard.hpp"
#include "capi/session_handle.hpp"
#include "roam/roam_experimental.h"
#include "rpc/call_result.hpp"

using roam::capi::fail_with_detail;
using roam::capi::guarded;
using roam::capi::null_argument;
using roam::wire::ByteView;

namespace {

// Why `conn` cannot carry calls right now (ROAM_OK if it can).
int check_runs_calls(const char *api, const roam_conn *conn) {
  if (conn == nullptr) return null_argument(api, "conn");
  if (conn->state == ROAM_CONN_CLOSED) return ROAM_ECLOSED;
  if (conn->state != ROAM_CONN_OPEN || !conn->started()) return ROAM_ESTATE;
  if (conn->session->proxy.forwards(conn->id)) {
    return fail_with_detail(ROAM_ESTATE, "%s: connection %" PRIu64 " is proxied", api, conn->id);
  }
  return ROAM_OK;
}

// Where a served request's answer goes: ROAM_OK with the connection's
// driver, or why not. A closed connection's requests are ROAM_ECLOSED.
int serving_driver(const char *api, roam_conn *conn, uint64_t request_id,
                   roam::rpc::ConnectionDriver **out) {
  if (conn == nullptr) return null_argument(api, "conn");
  if (conn->driver && conn->driver->is_gone()) {
    // Its connection went away: the request ends here, nothing is sent, and
    // no serve-cancelled callback follows for it.
    conn->driver->abandon_reply(request_id);
    return ROAM_ECLOSED;
  }
  if (conn->state == ROAM_CONN_CLOSED) return ROAM_ECLOSED;
  if (conn->driver == nullptr || !conn->driver->is_serving(request_id)) {
    return fail_with_detail(ROAM_ENOTFOUND,
                            "%s: no request %" PRIu64 " awaits an answer on connection %" PRIu64
                            " (answered or released already, or never served)",
                            api, request_id, conn->id);
  }
  *out = conn->driver.get();
  return ROAM_OK;
}

// Sends a whole response payload; the request is over whatever happens.
int finish_reply(const char *api, roam_conn *conn, uint64_t request_id, const roam_metadata *md,
                 ByteView ret) {
  roam::rpc::ConnectionDriver *driver = nullptr;
  int rc = serving_driver(api, conn, request_id, &driver);
  if (rc != ROAM_OK) return rc;
  return conn->session->as_user_call(
      [&] { return driver->reply(request_id, roam::capi::view_of(md), ret); });
}

// Bad arguments still end the request, as roam.h promises ("whatever they
// return"): released (Cancelled goes out), so a caller that checks only
// the return code neither leaks it nor leaves the call unanswered.
int refuse_reply(const char *api, roam_conn *conn, uint64_t request_id, const char *why) {
  roam::rpc::ConnectionDriver *driver = nullptr;
  if (serving_driver(api, conn, request_id, &driver) == ROAM_OK) {
    conn->session->as_user_call([&] {
      driver->abandon_reply(request_id);
      return ROAM_OK;
    });
  }
  return fail_with_detail(ROAM_EINVAL, "%s: %s (Cancelled was sent)", api, why);
}

// A reply buffer grown past this by a large value is not kept.
constexpr size_t kKeptReplyCapacity = 64 * 1024;

// The envelope prefix plus the caller's value bytes, as one payload.
int reply_enveloped(const char *api, roam_conn *conn, uint64_t request_id,
                    const roam_metadata *md, bool ok, const void *value, size_t len) {
  if (value == nullptr && len != 0) {
    return refuse_reply(api, conn, request_id, "value is NULL with a non-zero length");
  }
  if (conn == nullptr) return null_argument(api, "conn");
  // Assembled in the session's reply buffer, taken for the time of the
  // send (a nested reply finds it empty and makes its own) and given back
  // with its capacity: replies in steady state allocate nothing.
  roam::wire::ByteBuffer payload;
  payload.swap(conn->session->reply_scratch);
  payload.clear();
  payload.reserve(len + 2);
  if (ok) {
    roam::rpc::put_ok_prefix(payload);
  } else {
    roam::rpc::put_user_error_prefix(payload);
  }
  payload.append(value, len);
  roam_session *session = conn->session;  // outlives the reply (the loop frees it)
  int rc = finish_reply(api, conn, request_id, md, payload.view());
  if (payload.capacity() <= kKeptReplyCapacity) session->reply_scratch.swap(payload);
  return rc;
}

}  // namespace

extern "C" {

int roam_conn_call(roam_conn *conn, uint64_t method_id, const uint64_t *channels,
                   size_t channel_count, const roam_metadata *md, const void *args,
                   size_t args_len, roam_response_cb cb, void *user_data, uint64_t *request_id) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (cb == nullptr) return null_argument(api, "cb");
    if (channels == nullptr && channel_count != 0) {
      return fail_with_detail(ROAM_EINVAL, "%s: channels is NULL with channel_count %zu",
                              api, channel_count);
    }
    if (args == nullptr && args_len != 0) {
      return fail_with_detail(ROAM_EINVAL, "%s: args is NULL with args_len %zu", api,
                              args_len);
    }
    int rc = check_runs_calls(api, conn);
    if (rc != ROAM_OK) return rc;
    auto call = conn->session->spare_calls.take();
    call->cb = cb;
    call->user_data = user_data;
    uint64_t id = 0;
    rc = conn->session->as_user_call([&] {
      return conn->use_driver().call(method_id, roam::wire::IdList(channels, channel_count),
                                roam::capi::view_of(md),
                                ByteView(static_cast<const uint8_t *>(args), args_len),
                                call.get(), &id);
    });
    if (rc != ROAM_OK) return rc;
    call.release();  // the driver's token now; freed after the response callback
    if (request_id) *request_id = id;
    return ROAM_OK;
  });
}

int roam_call_cancel(roam_conn *conn, uint64_t request_id, const roam_metadata *md) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (conn == nullptr) return null_argument(api, "conn");
    if (conn->state == ROAM_CONN_CLOSED) return ROAM_ECLOSED;
    if (!conn->started()) return ROAM_ESTATE;
    int rc = conn->session->as_user_call([&] {
      // No driver yet: no call was ever made here (ROAM_ENOTFOUND below).
      return conn->driver ? conn->driver->cancel(request_id, roam::capi::view_of(md))
                          : ROAM_ENOTFOUND;
    });
    if (rc == ROAM_ENOTFOUND) {
      return fail_with_detail(ROAM_ENOTFOUND,
                              "%s: no call %" PRIu64 " in flight on connection %" PRIu64
                              " (it completed or was cancelled already)",
                              api, request_id, conn->id);
    }
    return rc;
  });
}

int roam_reply_ok(roam_conn *conn, uint64_t request_id, const roam_metadata *md,
                  const void *value, size_t len) {
  return guarded(__func__, [&, api = __func__]() -> int {
    return reply_enveloped(api, conn, request_id, md, true, value, len);
  });
}

int roam_reply_user_error(roam_conn *conn, uint64_t request_id, const roam_metadata *md,
                          const void *error, size_t len) {
  return guarded(__func__, [&, api = __func__]() -> int {
    return reply_enveloped(api, conn, request_id, md, false, error, len);
  });
}

int roam_reply_fail(roam_conn *conn, uint64_t request_id, int code, const roam_metadata *md) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (code != ROAM_EUNKNOWNMETHOD && code != ROAM_EINVALIDPAYLOAD && code != ROAM_ECANCELLED) {
      return refuse_reply(api, conn, request_id,
                          "code is not ROAM_EUNKNOWNMETHOD, ROAM_EINVALIDPAYLOAD or "
                          "ROAM_ECANCELLED");
    }
    return finish_reply(api, conn, request_id, md, roam::rpc::roam_error_payload(code));
  });
}

int roam_reply_raw(roam_conn *conn, uint64_t request_id, const roam_metadata *md,
                   const void *ret, size_t len) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (ret == nullptr && len != 0) {
      return refuse_reply(api, conn, request_id, "result is NULL with a non-zero length");
    }
    return finish_reply(api, conn, request_id, md,
                        ByteView(static_cast<const uint8_t *>(ret), len));
  });
}

int roam_reply_release(roam_conn *conn, uint64_t request_id) {
  return guarded(__func__, [&, api = __func__]() -> int {
    roam::rpc::ConnectionDriver *driver = nullptr;
    int rc = serving_driver(api, conn, request_id, &driver);
    if (rc != ROAM_OK) return rc;
    return conn->session->as_user_call([&] {
      driver->abandon_reply(request_id);
      return ROAM_OK;
    });
  });
}

}  // extern "C"
