// roam_conn_call / roam_call_* (calling) and roam_reply_* (serving).
#include <new>

#include "capi/session_handle.hpp"
#include "rpc/call_result.hpp"

using roam::wire::ByteView;

namespace {

bool runs_calls(const roam_conn *conn) {
  return conn->state == ROAM_CONN_OPEN && conn->driver != nullptr &&
         !conn->session->proxy.forwards(conn->id);
}

int start_call(roam_conn *conn, uint64_t method_id, const uint64_t *channels, size_t n,
               const roam_metadata *md, const void *args, size_t len, roam_response_cb cb,
               void *user_data, roam_call **out) {
  if (conn == nullptr || cb == nullptr) return ROAM_EINVAL;
  if ((channels == nullptr && n != 0) || (args == nullptr && len != 0)) return ROAM_EINVAL;
  if (conn->state == ROAM_CONN_CLOSED) return ROAM_ECLOSED;
  if (!runs_calls(conn)) return ROAM_ESTATE;
  auto *call = new (std::nothrow) roam_call();
  if (call == nullptr) return ROAM_ENOMEM;
  call->conn = conn;
  call->cb = cb;
  call->user_data = user_data;
  int rc = conn->session->as_user_call([&] {
    return conn->driver->call(method_id, roam::wire::IdList(channels, n), roam::capi::view_of(md),
                              ByteView(static_cast<const uint8_t *>(args), len), call,
                              &call->request_id);
  });
  if (rc != ROAM_OK) {
    delete call;
    return rc;
  }
  if (out) *out = call;
  return ROAM_OK;
}

// Sends a whole response payload and frees the reply, whatever happens.
int finish_reply(roam_reply *reply, const roam_metadata *md, ByteView ret) {
  if (reply == nullptr) return ROAM_EINVAL;
  roam_conn *conn = reply->conn;
  int rc = ROAM_ECLOSED;
  if (conn != nullptr && conn->driver) {
    conn->replies.erase(reply->request_id);
    rc = conn->session->as_user_call([&] {
      return conn->driver->reply(reply->request_id, roam::capi::view_of(md), ret);
    });
  }
  roam_reply::retire(reply);
  return rc;
}

// Bad arguments still end the reply, as roam.h promises ("whatever it
// returns"): released (Cancelled goes out), so a caller that checks only
// the return code neither leaks the handle nor leaves the call unanswered.
int refuse_reply(roam_reply *reply) {
  roam_reply_release(reply);
  return ROAM_EINVAL;
}

// The envelope prefix plus the caller's value bytes, as one payload.
int reply_enveloped(roam_reply *reply, const roam_metadata *md, bool ok, const void *value,
                    size_t len) {
  if (reply != nullptr && value == nullptr && len != 0) return refuse_reply(reply);
  roam::wire::ByteBuffer payload;
  payload.reserve(len + 2);
  if (ok) {
    roam::rpc::put_ok_prefix(payload);
  } else {
    roam::rpc::put_user_error_prefix(payload);
  }
  payload.append(value, len);
  return finish_reply(reply, md, payload.view());
}

}  // namespace

extern "C" {

int roam_conn_call(roam_conn *conn, uint64_t method_id, const roam_metadata *md, const void *args,
                   size_t args_len, roam_response_cb cb, void *user_data, roam_call **out) {
  return start_call(conn, method_id, nullptr, 0, md, args, args_len, cb, user_data, out);
}

int roam_conn_call_with_channels(roam_conn *conn, uint64_t method_id, const uint64_t *channels,
                                 size_t channel_count, const roam_metadata *md, const void *args,
                                 size_t args_len, roam_response_cb cb, void *user_data,
                                 roam_call **out) {
  return start_call(conn, method_id, channels, channel_count, md, args, args_len, cb, user_data,
                    out);
}

int roam_call_cancel(roam_call *call, const roam_metadata *md) {
  if (call == nullptr) return ROAM_EINVAL;
  roam_conn *conn = call->conn;
  if (!conn->driver) return ROAM_ESTATE;
  return conn->session->as_user_call(
      [&] { return conn->driver->cancel(call->request_id, roam::capi::view_of(md)); });
}

uint64_t roam_call_request_id(const roam_call *call) { return call ? call->request_id : 0; }

roam_conn *roam_call_conn(const roam_call *call) { return call ? call->conn : nullptr; }

int roam_session_on_call(roam_session *s, roam_call_cb cb, void *user_data) {
  if (s == nullptr) return ROAM_EINVAL;
  s->on_call_cb.fn = cb;
  s->on_call_cb.user_data = user_data;
  return ROAM_OK;
}

int roam_conn_serve(roam_conn *conn, roam_call_cb cb, void *user_data) {
  if (conn == nullptr) return ROAM_EINVAL;
  conn->serve_fn = cb;
  conn->serve_user_data = user_data;
  return ROAM_OK;
}

int roam_session_on_call_cancelled(roam_session *s, roam_call_cancelled_cb cb, void *user_data) {
  if (s == nullptr) return ROAM_EINVAL;
  s->on_call_cancelled_cb.fn = cb;
  s->on_call_cancelled_cb.user_data = user_data;
  return ROAM_OK;
}

int roam_reply_ok(roam_reply *reply, const roam_metadata *md, const void *value, size_t len) {
  return reply_enveloped(reply, md, true, value, len);
}

int roam_reply_user_error(roam_reply *reply, const roam_metadata *md, const void *error,
                          size_t len) {
  return reply_enveloped(reply, md, false, error, len);
}

int roam_reply_fail(roam_reply *reply, int code) {
  if (code != ROAM_EUNKNOWNMETHOD && code != ROAM_EINVALIDPAYLOAD && code != ROAM_ECANCELLED) {
    return reply == nullptr ? ROAM_EINVAL : refuse_reply(reply);
  }
  return finish_reply(reply, nullptr, roam::rpc::roam_error_payload(code));
}

int roam_reply_send(roam_reply *reply, const roam_metadata *md, const void *ret, size_t len) {
  if (reply != nullptr && ret == nullptr && len != 0) return refuse_reply(reply);
  return finish_reply(reply, md, ByteView(static_cast<const uint8_t *>(ret), len));
}

int roam_reply_release(roam_reply *reply) {
  if (reply == nullptr) return ROAM_EINVAL;
  roam_conn *conn = reply->conn;
  if (conn != nullptr && conn->driver) {
    conn->replies.erase(reply->request_id);
    conn->session->as_user_call([&] {
      conn->driver->abandon_reply(reply->request_id);
      return ROAM_OK;
    });
  }
  roam_reply::retire(reply);
  return ROAM_OK;
}

uint64_t roam_reply_request_id(const roam_reply *reply) { return reply ? reply->request_id : 0; }

uint64_t roam_reply_method_id(const roam_reply *reply) { return reply ? reply->method_id : 0; }

roam_conn *roam_reply_conn(const roam_reply *reply) { return reply ? reply->conn : nullptr; }

void roam_reply_set_user_data(roam_reply *reply, void *user_data) {
  if (reply) reply->user_data = user_data;
}

void *roam_reply_get_user_data(const roam_reply *reply) {
  return reply ? reply->user_data : nullptr;
}

}  // extern "C"
