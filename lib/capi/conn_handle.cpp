#include "capi/conn_handle.hpp"

#include <vector>

#include "capi/session_handle.hpp"

using roam::rpc::ConnectionDriver;
using roam::rpc::DriverConfig;
using roam::wire::ByteView;
using roam::wire::MetadataView;
using roam::wire::RequestKind;

namespace {

// A copy of bytes for a callback that may run after the view is gone.
std::shared_ptr<std::vector<uint8_t>> keep_bytes(ByteView v) {
  return std::make_shared<std::vector<uint8_t>>(v.data, v.data + v.size);
}

// Channel ids of a call as an array, without allocating for the usual few.
struct ChannelIds {
  explicit ChannelIds(const roam::wire::IdList &ids) {
    if (ids.count() > 8) big.resize(ids.count());
    uint64_t *out = ids.count() > 8 ? big.data() : small;
    for (uint64_t i = 0; i < ids.count(); ++i) out[i] = ids.at(i);
    data = ids.empty() ? nullptr : out;
    count = ids.count();
  }
  uint64_t small[8];
  std::vector<uint64_t> big;
  const uint64_t *data;
  size_t count;
};

}  // namespace

roam_conn::~roam_conn() {
  for (roam_reply *r : replies) r->conn = nullptr;
}

void roam_conn::start_driver(const roam::wire::ConnectionSettings &local,
                             const roam::wire::ConnectionSettings &peer) {
  DriverConfig config;
  config.local_parity = local.parity;
  config.local_max_concurrent = local.max_concurrent_requests;
  config.peer_max_concurrent = peer.max_concurrent_requests;
  driver = std::make_unique<ConnectionDriver>(config, this, this);
}

void roam_conn::gone(int reason) {
  if (driver) driver->connection_gone(reason);
  for (roam_reply *r : replies) r->conn = nullptr;
  replies.clear();
}

void roam_conn::route_request(const roam::wire::RequestMessage &m) {
  if (driver) {
    driver->handle_request(m);
  } else {
    deliver_raw_request(m);
  }
}

void roam_conn::route_channel(const roam::wire::ChannelMessage &m) {
  if (driver) {
    driver->handle_channel(m);
  } else {
    on_unrouted_channel(m);
  }
}

// ---- RpcSink: into the session core ---------------------------------------------------

int roam_conn::send_request(const roam::wire::RequestMessage &m, bool force) {
  return session->core.send_request(id, m, force);
}

int roam_conn::send_channel(const roam::wire::ChannelMessage &m, bool force) {
  return session->core.send_channel(id, m, force);
}

// ---- RpcEvents: out to the application ------------------------------------------------

void roam_conn::on_call_done(void *token, int status, const MetadataView *response_md,
                             ByteView value) {
  auto *call = static_cast<roam_call *>(token);
  roam_session *s = session;
  if (!s->deferring()) {
    roam_metadata view(response_md ? *response_md : MetadataView());
    if (call->cb) {
      call->cb(call, call->user_data, status, response_md ? &view : nullptr, value.data, value.size);
    }
    delete call;
    return;
  }
  auto md_copy = response_md ? s->keepable(*response_md) : nullptr;
  auto bytes = keep_bytes(value);
  s->deliver([call, status, md_copy, bytes] {
    if (call->cb) call->cb(call, call->user_data, status, md_copy.get(), bytes->data(), bytes->size());
    delete call;
  });
}

roam::rpc::RpcEvents::CallDisposition roam_conn::on_incoming_call(
    const roam::wire::RequestMessage &m) {
  roam_call_cb fn = serve_fn ? serve_fn : session->on_call_cb.fn;
  void *ud = serve_fn ? serve_user_data : session->on_call_cb.user_data;
  if (fn == nullptr) {
    if (session->on_request_cb.fn == nullptr) return CallDisposition::kUnhandled;
    deliver_raw_request(m);
    return CallDisposition::kTakenRaw;
  }
  auto *reply = new roam_reply();
  reply->conn = this;
  reply->request_id = m.id;
  reply->method_id = m.method_id;
  replies.insert(reply);
  ChannelIds channels(m.channels);
  roam_metadata md(m.metadata);
  fn(this, ud, reply, m.method_id, channels.data, channels.count, &md, m.payload.data,
     m.payload.size);
  return CallDisposition::kServed;
}

void roam_conn::on_served_call_cancelled(uint64_t request_id) {
  roam_reply *reply = nullptr;
  for (roam_reply *r : replies) {
    if (r->request_id == request_id) reply = r;
  }
  if (reply == nullptr || session->on_call_cancelled_cb.fn == nullptr) return;
  roam_session *s = session;
  // The reply stays the user's to release; it may be detached (conn gone)
  // by the time a deferred callback runs, which is fine.
  s->deliver([s, reply] {
    if (s->on_call_cancelled_cb.fn) s->on_call_cancelled_cb.fn(reply, s->on_call_cancelled_cb.user_data);
  });
}

void roam_conn::on_channel_item(void *token, ByteView item) {
  auto *ch = static_cast<roam_channel *>(token);
  roam_session *s = session;
  if (s->on_channel_item_cb.fn == nullptr) return;
  if (!s->deferring()) {
    s->on_channel_item_cb.fn(ch, s->on_channel_item_cb.user_data, item.data, item.size);
    return;
  }
  auto bytes = keep_bytes(item);
  s->deliver([s, ch, bytes] {
    if (s->on_channel_item_cb.fn) {
      s->on_channel_item_cb.fn(ch, s->on_channel_item_cb.user_data, bytes->data(), bytes->size());
    }
  });
}

void roam_conn::on_channel_end(void *token, int reason, const MetadataView &md) {
  auto *ch = static_cast<roam_channel *>(token);
  roam_session *s = session;
  ch->ended = true;
  auto md_copy = md.empty() ? nullptr : s->keepable(md);
  // Through deliver(), so items delivered earlier (possibly deferred) come
  // first; the handle is freed after its end callback.
  s->deliver([s, ch, reason, md_copy] {
    if (s->on_channel_end_cb.fn) {
      s->on_channel_end_cb.fn(ch, s->on_channel_end_cb.user_data, reason, md_copy.get());
    }
    delete ch;
  });
}

void roam_conn::on_channel_writable(void *token) {
  auto *ch = static_cast<roam_channel *>(token);
  roam_session *s = session;
  s->deliver([s, ch] {
    if (s->on_channel_writable_cb.fn) {
      s->on_channel_writable_cb.fn(ch, s->on_channel_writable_cb.user_data);
    }
  });
}

void roam_conn::on_unrouted_request(const roam::wire::RequestMessage &m) {
  deliver_raw_request(m);
}

bool roam_conn::on_unrouted_channel(const roam::wire::ChannelMessage &m) {
  roam_session *s = session;
  if (s->on_channel_cb.fn == nullptr) return false;
  roam_metadata md(m.metadata);
  s->on_channel_cb.fn(this, s->on_channel_cb.user_data, static_cast<int>(m.kind), m.id, &md,
                      m.item.data, m.item.size, m.additional);
  return true;
}

void roam_conn::deliver_raw_request(const roam::wire::RequestMessage &m) {
  roam_session *s = session;
  if (s->on_request_cb.fn == nullptr) return;
  ChannelIds channels(m.channels);
  roam_metadata md(m.metadata);
  s->on_request_cb.fn(this, s->on_request_cb.user_data, static_cast<int>(m.kind), m.id,
                      m.method_id, channels.data, channels.count, &md, m.payload.data,
                      m.payload.size);
}
