// roam_conn_channel_* / roam_channel_* — channels and their credit, by
// (connection, channel id). The connection's channel table holds each
// channel; an id it no longer holds is ROAM_ENOTFOUND.
#include <cinttypes>
#include <memory>

#include "capi/api_guard.hpp"
#include "capi/session_handle.hpp"

using roam::capi::fail_with_detail;
using roam::capi::guarded;
using roam::capi::null_argument;
using roam::rpc::ChannelDirection;

namespace {

static_assert(static_cast<int>(ChannelDirection::Send) == 0 &&
                  static_cast<int>(ChannelDirection::Receive) == 1,
              "the API's directions are the table's plus one (0 is not a direction)");

int add_channel(const char *api, roam_conn *conn, uint64_t id, int direction, uint32_t credit,
                roam_channel_item_cb on_item, roam_channel_end_cb on_end,
                roam_channel_writable_cb on_writable, void *user_data, uint64_t *out) {
  if (conn == nullptr) return null_argument(api, "conn");
  if (direction != ROAM_CHANNEL_SEND && direction != ROAM_CHANNEL_RECEIVE) {
    return fail_with_detail(ROAM_EINVAL,
                            "%s: direction %d is not ROAM_CHANNEL_SEND (1) or "
                            "ROAM_CHANNEL_RECEIVE (2)",
                            api, direction);
  }
  if (conn->state == ROAM_CONN_CLOSED) return ROAM_ECLOSED;
  if (conn->state != ROAM_CONN_OPEN || !conn->started() || conn->session->proxy.forwards(conn->id)) {
    return ROAM_ESTATE;
  }
  roam::rpc::ChannelTable &table = conn->use_driver().channels();
  if (id != 0 && !table.announced(id)) {
    return fail_with_detail(table.contains(id) ? ROAM_ESTATE : ROAM_ENOTFOUND,
                            "%s: channel %" PRIu64 " on connection %" PRIu64 " is %s", api, id,
                            conn->id,
                            table.contains(id) ? "bound already"
                                               : "not named by any request being served here "
                                                 "(or its request was answered, or it ended)");
  }
  auto ch = std::make_unique<roam::capi::ChannelHandler>();
  ch->on_item = on_item;
  ch->on_end = on_end;
  ch->on_writable = on_writable;
  ch->user_data = user_data;
  ch->id = id != 0 ? id : conn->driver->allocate_channel_id();
  ch->conn = conn;
  uint64_t channel_id = ch->id;
  // The table owns the handler from the moment it holds it (it ends it with
  // the end event); if adding fails before that, it is still ours.
  roam::capi::ChannelHandler *handler = ch.release();
  int rc;
  try {
    rc = conn->session->as_user_call([&] {
      return table.add(channel_id, static_cast<ChannelDirection>(direction - 1),
                       credit ? credit : ROAM_DEFAULT_CHANNEL_CREDIT, handler);
    });
  } catch (...) {
    if (!table.holds(channel_id, handler)) delete handler;
    throw;
  }
  if (rc != ROAM_OK) {
    if (!table.holds(channel_id, handler)) delete handler;
    return rc;
  }
  if (out) *out = channel_id;
  return ROAM_OK;
}

// The table holding `channel_id` of `conn`, or why there is none.
int channel_table(const char *api, const roam_conn *conn, uint64_t channel_id,
                  roam::rpc::ChannelTable **out) {
  if (conn == nullptr) return null_argument(api, "conn");
  if (conn->state == ROAM_CONN_CLOSED || (conn->driver && conn->driver->is_gone())) {
    return ROAM_ECLOSED;
  }
  if (conn->driver == nullptr || !conn->driver->channels().contains(channel_id)) {
    return fail_with_detail(ROAM_ENOTFOUND,
                            "%s: no channel %" PRIu64 " on connection %" PRIu64
                            " (it ended, or was never opened or bound)",
                            api, channel_id, conn->id);
  }
  *out = &conn->driver->channels();
  return ROAM_OK;
}

// Runs a channel operation as a user call.
template <class Fn>
int with_channel(const char *api, roam_conn *conn, uint64_t channel_id, Fn &&fn) {
  roam::rpc::ChannelTable *table = nullptr;
  int rc = channel_table(api, conn, channel_id, &table);
  if (rc != ROAM_OK) return rc;
  return conn->session->as_user_call([&] { return fn(*table); });
}

}  // namespace

extern "C" {

int roam_conn_channel_open(roam_conn *conn, int direction, uint32_t initial_credit,
                           roam_channel_item_cb on_item, roam_channel_end_cb on_end,
                           roam_channel_writable_cb on_writable, void *user_data,
                           uint64_t *channel_id) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (channel_id == nullptr) return null_argument(api, "channel_id");
    return add_channel(api, conn, 0, direction, initial_credit, on_item, on_end, on_writable,
                       user_data, channel_id);
  });
}

int roam_conn_channel_bind(roam_conn *conn, uint64_t channel_id, int direction,
                           uint32_t initial_credit, roam_channel_item_cb on_item,
                           roam_channel_end_cb on_end, roam_channel_writable_cb on_writable,
                           void *user_data) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (channel_id == 0) {
      return fail_with_detail(ROAM_EINVAL, "%s: channel id 0 is reserved", api);
    }
    return add_channel(api, conn, channel_id, direction, initial_credit, on_item, on_end,
                       on_writable, user_data, nullptr);
  });
}

int roam_channel_send(roam_conn *conn, uint64_t channel_id, const void *item, size_t len) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (item == nullptr && len != 0) {
      return fail_with_detail(ROAM_EINVAL, "%s: item is NULL with a non-zero length", api);
    }
    return with_channel(api, conn, channel_id, [&](roam::rpc::ChannelTable &t) {
      return t.send_item(channel_id, roam::wire::ByteView(static_cast<const uint8_t *>(item), len));
    });
  });
}

int roam_channel_close(roam_conn *conn, uint64_t channel_id, const roam_metadata *md) {
  return guarded(__func__, [&, api = __func__]() -> int {
    return with_channel(api, conn, channel_id, [&](roam::rpc::ChannelTable &t) {
      return t.close(channel_id, roam::capi::view_of(md));
    });
  });
}

int roam_channel_reset(roam_conn *conn, uint64_t channel_id, const roam_metadata *md) {
  return guarded(__func__, [&, api = __func__]() -> int {
    return with_channel(api, conn, channel_id, [&](roam::rpc::ChannelTable &t) {
      return t.reset(channel_id, roam::capi::view_of(md));
    });
  });
}

int roam_channel_set_manual_credit(roam_conn *conn, uint64_t channel_id, int manual) {
  return guarded(__func__, [&, api = __func__]() -> int {
    return with_channel(api, conn, channel_id, [&](roam::rpc::ChannelTable &t) {
      return t.set_manual_credit(channel_id, manual != 0);
    });
  });
}

int roam_channel_grant(roam_conn *conn, uint64_t channel_id, uint32_t additional) {
  return guarded(__func__, [&, api = __func__]() -> int {
    return with_channel(api, conn, channel_id, [&](roam::rpc::ChannelTable &t) {
      return t.grant(channel_id, additional);
    });
  });
}

int roam_channel_credit(const roam_conn *conn, uint64_t channel_id, uint32_t *credit) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (credit == nullptr) return null_argument(api, "credit");
    roam::rpc::ChannelTable *table = nullptr;
    int rc = channel_table(api, conn, channel_id, &table);
    return rc != ROAM_OK ? rc : table->credit(channel_id, credit);
  });
}

int roam_channel_queued(const roam_conn *conn, uint64_t channel_id, size_t *queued) {
  return guarded(__func__, [&, api = __func__]() -> int {
    if (queued == nullptr) return null_argument(api, "queued");
    roam::rpc::ChannelTable *table = nullptr;
    int rc = channel_table(api, conn, channel_id, &table);
    return rc != ROAM_OK ? rc : table->queued(channel_id, queued);
  });
}

}  // extern "C"
