// roam_session_on_trace and roam_message_kind_name. Registration lives
// apart from the dispatch (frame_trace.cpp) so it can move into the
// session callbacks table on its own.
#include "capi/error_detail.hpp"
#include "capi/session_handle.hpp"

extern "C" {

int roam_session_on_trace(roam_session *s, roam_trace_cb cb, void *user_data) {
  if (s == nullptr) return roam::capi::null_argument(__func__, "s");
  s->on_trace_cb.fn = cb;
  s->on_trace_cb.user_data = user_data;
  return ROAM_OK;
}

const char *roam_message_kind_name(int kind) {
  if (kind < 0 || kind >= static_cast<int>(roam::wire::kMessageKinds)) return "unknown";
  return roam::wire::message_kind_name(static_cast<roam::wire::MessageKind>(kind));
}

}  // extern "C"
