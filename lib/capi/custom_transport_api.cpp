// roam_session_new_custom and the calls that drive a session over the
// application's own transport (see "Bring your own transport" in roam.h).
#include <new>

#include "capi/api_guard.hpp"
#include "capi/options_handle.hpp"
#include "capi/session_handle.hpp"

namespace {

// The application's link of `s`, or null if `s` is not such a session.
roam::capi::AppSessionLink *custom(roam_session *s) { return s ? s->app_link() : nullptr; }

}  // namespace

extern "C" {

int roam_session_new_custom(const roam_options *opts, const roam_callbacks *cbs, void *user_data,
                            uint64_t now_us, roam_session **out) {
  return roam::capi::guarded(__func__, [&, api = __func__]() -> int {
    if (out == nullptr) return roam::capi::null_argument(api, "out");
    *out = new roam_session(roam::capi::config_for(opts, roam::session::Role::Initiator), cbs,
                            user_data, now_us);
    return ROAM_OK;
  });
}

int roam_session_receive(roam_session *s, const void *data, size_t len, uint64_t now_us) {
  roam::capi::AppSessionLink *link = custom(s);
  if (link == nullptr || (data == nullptr && len != 0)) return ROAM_EINVAL;
  if (link->finished()) return ROAM_ECLOSED;
  // Paused while a session we proxy into is congested: feed it later.
  if (!link->reading()) return ROAM_EAGAIN;
  link->set_now(now_us);
  bool freed = false;
  return s->drive(
      [&] {
        s->feed(roam::wire::ByteView(static_cast<const uint8_t *>(data), len));
        return ROAM_OK;
      },
      &freed);
}

int roam_session_receive_eof(roam_session *s, uint64_t now_us) {
  roam::capi::AppSessionLink *link = custom(s);
  if (link == nullptr) return ROAM_EINVAL;
  if (link->finished()) return ROAM_ECLOSED;
  link->set_now(now_us);
  bool freed = false;
  return s->drive(
      [&] {
        s->feed_eof();
        return ROAM_OK;
      },
      &freed);
}

int roam_session_pending_output(roam_session *s, const uint8_t **data, size_t *len) {
  roam::capi::AppSessionLink *link = custom(s);
  if (link == nullptr || data == nullptr || len == nullptr) return ROAM_EINVAL;
  // Taking the output can make room for writers: their callbacks wait
  // for the next receive or tick, as for any call of the application's.
  roam::wire::ByteView out;
  s->as_user_call([&] {
    out = link->pending_output();
    return ROAM_OK;
  });
  *data = out.data;
  *len = out.size;
  if (out.size == 0 && link->finished()) return ROAM_ECLOSED;
  return ROAM_OK;
}

int roam_session_consume_output(roam_session *s, size_t len) {
  roam::capi::AppSessionLink *link = custom(s);
  if (link == nullptr) return ROAM_EINVAL;
  if (len > link->backlog()) return ROAM_EINVAL;
  return s->as_user_call([&] {
    link->consume_output(len);
    return ROAM_OK;
  });
}

int roam_session_next_deadline(roam_session *s, uint64_t *deadline_us) {
  roam::capi::AppSessionLink *link = custom(s);
  if (link == nullptr || deadline_us == nullptr) return ROAM_EINVAL;
  *deadline_us = link->next_deadline();
  return ROAM_OK;
}

int roam_session_tick(roam_session *s, uint64_t now_us) {
  roam::capi::AppSessionLink *link = custom(s);
  if (link == nullptr) return ROAM_EINVAL;
  link->set_now(now_us);
  bool freed = false;
  return s->drive([] { return ROAM_OK; }, &freed);
}

}  // extern "C"
