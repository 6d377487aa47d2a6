// roam_callbacks_* — building the table a session reports through.
#include <new>

#include "capi/api_guard.hpp"
#include "capi/callbacks_table.hpp"

using roam::capi::fail_with_detail;
using roam::capi::null_argument;

namespace {

template <class Fn>
int set_entry(const char *api, roam_callbacks *cbs, Fn roam_callbacks::*entry, Fn cb) {
  if (cbs == nullptr) return null_argument(api, "cbs");
  cbs->*entry = cb;
  return ROAM_OK;
}

}  // namespace

extern "C" {

int roam_callbacks_new(roam_callbacks **out) {
  if (out == nullptr) return null_argument(__func__, "out");
  *out = new (std::nothrow) roam_callbacks();
  return *out ? ROAM_OK : fail_with_detail(ROAM_ENOMEM, "%s: out of memory", __func__);
}

int roam_callbacks_copy(const roam_callbacks *cbs, roam_callbacks **out) {
  if (cbs == nullptr) return null_argument(__func__, "cbs");
  if (out == nullptr) return null_argument(__func__, "out");
  *out = new (std::nothrow) roam_callbacks(*cbs);
  return *out ? ROAM_OK : fail_with_detail(ROAM_ENOMEM, "%s: out of memory", __func__);
}

void roam_callbacks_free(roam_callbacks *cbs) { delete cbs; }

#define ROAM_CALLBACK_SETTER(name, type)                               \
  int roam_callbacks_set_##name(roam_callbacks *cbs, type cb) {        \
    return set_entry(__func__, cbs, &roam_callbacks::name, cb);        \
  }

ROAM_CALLBACK_SETTER(handshake, roam_handshake_cb)
ROAM_CALLBACK_SETTER(session_end, roam_session_end_cb)
ROAM_CALLBACK_SETTER(inbound_open, roam_inbound_open_cb)
ROAM_CALLBACK_SETTER(open_result, roam_open_result_cb)
ROAM_CALLBACK_SETTER(conn_closed, roam_conn_closed_cb)
ROAM_CALLBACK_SETTER(serve, roam_serve_cb)
ROAM_CALLBACK_SETTER(serve_cancelled, roam_serve_cancelled_cb)
ROAM_CALLBACK_SETTER(pong, roam_pong_cb)
ROAM_CALLBACK_SETTER(keepalive_timeout, roam_keepalive_timeout_cb)
ROAM_CALLBACK_SETTER(writable, roam_writable_cb)
ROAM_CALLBACK_SETTER(trace, roam_trace_cb)
ROAM_CALLBACK_SETTER(raw_request, roam_raw_request_cb)
ROAM_CALLBACK_SETTER(raw_channel, roam_raw_channel_cb)
#undef ROAM_CALLBACK_SETTER

}  // extern "C"
