// roam_conn_channel_* / roam_channel_* — channels and their credit.
#include <new>

#include "capi/session_handle.hpp"

using roam::rpc::ChannelDirection;

namespace {

int add_channel(roam_conn *conn, uint64_t id, int direction, uint32_t credit, void *user_data,
                roam_channel **out) {
  if (conn == nullptr || out == nullptr) return ROAM_EINVAL;
  if (direction != ROAM_CHANNEL_SEND && direction != ROAM_CHANNEL_RECEIVE) return ROAM_EINVAL;
  if (conn->state == ROAM_CONN_CLOSED) return ROAM_ECLOSED;
  if (conn->state != ROAM_CONN_OPEN || !conn->driver || conn->session->proxy.forwards(conn->id)) {
    return ROAM_ESTATE;
  }
  auto *ch = new (std::nothrow) roam_channel();
  if (ch == nullptr) return ROAM_ENOMEM;
  ch->conn = conn;
  ch->direction = direction;
  ch->user_data = user_data;
  ch->id = id != 0 ? id : conn->driver->allocate_channel_id();
  int rc = conn->session->as_user_call([&] {
    return conn->driver->channels().add(ch->id, static_cast<ChannelDirection>(direction), credit,
                                        ch);
  });
  if (rc != ROAM_OK) {
    delete ch;
    return rc;
  }
  *out = ch;
  return ROAM_OK;
}

// Runs a channel operation as a user call; ROAM_ECLOSED once it ended.
template <class Fn>
int with_channel(roam_channel *ch, Fn &&fn) {
  if (ch == nullptr) return ROAM_EINVAL;
  if (ch->ended) return ROAM_ECLOSED;
  roam_conn *conn = ch->conn;
  return conn->session->as_user_call([&] { return fn(conn->driver->channels()); });
}

}  // namespace

extern "C" {

int roam_conn_channel_open(roam_conn *conn, int direction, uint32_t initial_credit,
                           void *user_data, roam_channel **out) {
  return add_channel(conn, 0, direction, initial_credit, user_data, out);
}

int roam_conn_channel_bind(roam_conn *conn, uint64_t channel_id, int direction,
                           uint32_t initial_credit, void *user_data, roam_channel **out) {
  if (channel_id == 0) return ROAM_EINVAL;  // reserved
  return add_channel(conn, channel_id, direction, initial_credit, user_data, out);
}

uint64_t roam_channel_id(const roam_channel *ch) { return ch ? ch->id : 0; }

roam_conn *roam_channel_conn(const roam_channel *ch) { return ch ? ch->conn : nullptr; }

void roam_channel_set_user_data(roam_channel *ch, void *user_data) {
  if (ch) ch->user_data = user_data;
}

void *roam_channel_get_user_data(const roam_channel *ch) { return ch ? ch->user_data : nullptr; }

int roam_channel_send(roam_channel *ch, const void *item, size_t len) {
  if (item == nullptr && len != 0) return ROAM_EINVAL;
  return with_channel(ch, [&](roam::rpc::ChannelTable &t) {
    return t.send_item(ch->id, roam::wire::ByteView(static_cast<const uint8_t *>(item), len));
  });
}

int roam_channel_close(roam_channel *ch, const roam_metadata *md) {
  return with_channel(ch, [&](roam::rpc::ChannelTable &t) {
    return t.close(ch->id, roam::capi::view_of(md));
  });
}

int roam_channel_reset(roam_channel *ch, const roam_metadata *md) {
  return with_channel(ch, [&](roam::rpc::ChannelTable &t) {
    return t.reset(ch->id, roam::capi::view_of(md));
  });
}

int roam_channel_set_manual_credit(roam_channel *ch, int manual) {
  return with_channel(ch, [&](roam::rpc::ChannelTable &t) {
    return t.set_manual_credit(ch->id, manual != 0);
  });
}

int roam_channel_grant(roam_channel *ch, uint32_t additional) {
  return with_channel(ch, [&](roam::rpc::ChannelTable &t) { return t.grant(ch->id, additional); });
}

int roam_channel_credit(const roam_channel *ch) {
  if (ch == nullptr) return ROAM_EINVAL;
  if (ch->ended) return ROAM_ECLOSED;
  uint32_t credit = 0;
  int rc = ch->conn->driver->channels().credit(ch->id, &credit);
  if (rc != ROAM_OK) return rc;
  return credit > INT32_MAX ? INT32_MAX : static_cast<int>(credit);
}

int roam_channel_queued(const roam_channel *ch) {
  if (ch == nullptr) return ROAM_EINVAL;
  if (ch->ended) return ROAM_ECLOSED;
  size_t queued = 0;
  int rc = ch->conn->driver->channels().queued(ch->id, &queued);
  return rc != ROAM_OK ? rc : static_cast<int>(queued);
}

int roam_session_on_channel_item(roam_session *s, roam_channel_item_cb cb, void *user_data) {
  if (s == nullptr) return ROAM_EINVAL;
  s->on_channel_item_cb.fn = cb;
  s->on_channel_item_cb.user_data = user_data;
  return ROAM_OK;
}

int roam_session_on_channel_end(roam_session *s, roam_channel_end_cb cb, void *user_data) {
  if (s == nullptr) return ROAM_EINVAL;
  s->on_channel_end_cb.fn = cb;
  s->on_channel_end_cb.user_data = user_data;
  return ROAM_OK;
}

int roam_session_on_channel_writable(roam_session *s, roam_channel_writable_cb cb,
                                     void *user_data) {
  if (s == nullptr) return ROAM_EINVAL;
  s->on_channel_writable_cb.fn = cb;
  s->on_channel_writable_cb.user_data = user_data;
  return ROAM_OK;
}

}  // extern "C"
