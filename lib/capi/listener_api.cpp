// roam_listener_* — accepting transports and turning each into a session,
// or, over the listener's caps, turning the connection away.
#include <cinttypes>
#include <cstring>
#include <new>

#include "capi/api_guard.hpp"
#include "capi/error_detail.hpp"
#include "capi/listener_tally.hpp"
#include "capi/options_handle.hpp"
#include "capi/session_handle.hpp"
#include "common/format.hpp"
#include "frame/frame_writer.hpp"
#include "wire/message_codec.hpp"

struct roam_listener final : roam::uvio::ListenerEvents {
  roam_listener(roam_runtime *runtime, const roam_options *opts, const roam_callbacks *table)
      : rt(runtime),
        cbs(table ? *table : roam_callbacks()),
        config(roam::capi::config_for(opts, roam::session::Role::Acceptor)),
        max_sessions(opts ? opts->max_sessions : roam_options::kDefaultMaxSessions),
        max_handshaking(opts ? opts->max_handshaking : roam_options::kDefaultMaxHandshaking),
        reuse_port(opts != nullptr && opts->reuse_port),
        listener(*runtime->loop, this) {
    ++rt->live_handles;
  }
  ~roam_listener() { --rt->live_handles; }

  void on_incoming(int status, const std::string &why) override {
    // Called from libuv: nothing may unwind out of here.
    try {
      incoming(status, why);
    } catch (...) {
      int code = roam::capi::exception_code("roam_listener (accepting)");
      if (cb && !closing) cb(this, user_data, code, nullptr);
    }
  }

  void incoming(int status, const std::string &) {
    if (closing) return;
    if (status != 0) {
      if (cb) cb(this, user_data, ROAM_EIO, nullptr);
      return;
    }
    // Over a cap the connection is accepted only to be told so: no session
    // is made and the accept callback does not hear of it.
    if (tally.sessions() >= max_sessions) {
      refuse(roam::format("server busy: at the limit of %" PRIu32 " sessions", max_sessions));
      return;
    }
    if (tally.handshaking() >= max_handshaking) {
      refuse(roam::format("server busy: at the limit of %" PRIu32 " sessions in handshake",
                          max_handshaking));
      return;
    }
    auto *s = new roam_session(rt, config, &cbs, user_data);
    int rc;
    try {
      rc = s->init_accept(listener);
    } catch (...) {
      s->abandon();
      throw;
    }
    if (rc != ROAM_OK) {
      s->abandon();
      if (cb) cb(this, user_data, rc, nullptr);
      return;
    }
    tally.add(s);
    // The callback registers the session's callbacks; nothing is read
    // before it returns.
    if (cb) {
      cb(this, user_data, ROAM_OK, s);
    } else {
      s->close(nullptr, nullptr);  // nobody wants it
    }
  }

  // The peer gets a ProtocolError saying why (a roam client ends its
  // handshake with ROAM_EPEERERROR and this text), then the socket closes.
  void refuse(const std::string &why) {
    tally.refused();
    roam::wire::ByteBuffer farewell;
    size_t mark = roam::frame::begin_frame(farewell);
    roam::wire::encode_message(farewell, roam::wire::make_protocol_error(why));
    roam::frame::finish_frame(farewell, mark);
    listener.refuse(farewell.view());
  }

  roam_runtime *rt;
  const roam_callbacks cbs;  // given to every session accepted
  roam::session::SessionConfig config;
  uint32_t max_sessions;
  uint32_t max_handshaking;
  bool reuse_port;
  roam::capi::ListenerTally tally;
  roam::uvio::StreamListener listener;
  roam_accept_cb cb = nullptr;
  void *user_data = nullptr;
  bool closing = false;
};

using roam::capi::fail_with_detail;
using roam::capi::null_argument;

extern "C" {

int roam_listener_new(roam_runtime *rt, const char *address, const roam_options *opts,
                      const roam_callbacks *cbs, roam_accept_cb cb, void *user_data,
                      roam_listener **out) {
  return roam::capi::guarded(__func__, [&, api = __func__]() -> int {
  if (rt == nullptr) return null_argument(api, "rt");
  if (address == nullptr) return null_argument(api, "address");
  if (out == nullptr) return null_argument(api, "out");
  *out = nullptr;
  roam::uvio::Address addr;
  std::string error;
  if (roam::uvio::parse_address(address, &addr, &error) != ROAM_OK) {
    return fail_with_detail(ROAM_EINVAL, "%s", error.c_str());
  }
  auto *l = new roam_listener(rt, opts, cbs);
  l->cb = cb;
  l->user_data = user_data;
  int rc = l->listener.listen(addr, l->reuse_port);
  if (rc != ROAM_OK) {
    fail_with_detail(rc, "%s", l->listener.last_error().c_str());
    l->closing = true;
    ++rt->abandoned_handles;
    l->listener.close([l] {
      --l->rt->abandoned_handles;
      delete l;
    });
    return rc;
  }
  *out = l;
  return ROAM_OK;
  });
}

int roam_listener_address(const roam_listener *l, char *buf, size_t *len) {
  return roam::capi::guarded(__func__, [&, api = __func__]() -> int {
    if (l == nullptr) return null_argument(api, "l");
    if (len == nullptr) return null_argument(api, "len");
    if (buf == nullptr && *len != 0) return null_argument(api, "buf");
    std::string text = l->listener.bound_address().to_string();
    if (text.size() + 1 > *len) {
      size_t given = *len;
      *len = text.size() + 1;
      return fail_with_detail(ROAM_ENOBUFS, "%s: the address needs %zu bytes, the buffer has %zu",
                              api, text.size() + 1, given);
    }
    std::memcpy(buf, text.c_str(), text.size() + 1);
    *len = text.size();
    return ROAM_OK;
  });
}

int roam_listener_port(const roam_listener *l) {
  if (l == nullptr) return null_argument(__func__, "l");
  if (l->listener.bound_address().kind != roam::uvio::Address::Kind::Tcp) {
    return fail_with_detail(ROAM_EINVAL, "%s: a Unix socket listener has no port", __func__);
  }
  return l->listener.bound_address().port;
}

int roam_listener_stat(const roam_listener *l, int which, uint64_t *value) {
  if (l == nullptr) return null_argument(__func__, "l");
  if (value == nullptr) return null_argument(__func__, "value");
  switch (which) {
    case ROAM_LISTENER_STAT_SESSIONS:
      *value = l->tally.sessions();
      return ROAM_OK;
    case ROAM_LISTENER_STAT_HANDSHAKING:
      *value = l->tally.handshaking();
      return ROAM_OK;
    case ROAM_LISTENER_STAT_ACCEPTED:
      *value = l->tally.accepted();
      return ROAM_OK;
    case ROAM_LISTENER_STAT_REFUSED:
      *value = l->tally.refused_count();
      return ROAM_OK;
    default:
      return fail_with_detail(ROAM_EINVAL, "%s: %d is not a roam_listener_stat_kind", __func__,
                              which);
  }
}

int roam_listener_close(roam_listener *l, roam_listener_close_cb cb, void *user_data) {
  if (l == nullptr) return null_argument(__func__, "l");
  if (l->closing) return ROAM_ESTATE;
  return roam::capi::guarded(__func__, [&]() -> int {
    l->listener.close([l, cb, user_data] {
      if (cb) cb(l, user_data);
      delete l;
    });
    l->closing = true;
    return ROAM_OK;
  });
}

}  // extern "C"
