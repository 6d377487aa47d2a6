#include "capi/conn_handle.hpp"

#include <vector>

#include "capi/session_handle.hpp"
#include "rpc/channel_id_array.hpp"

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

}  // namespace

roam_conn::~roam_conn() {
  for (auto &kv : replies) kv.second->conn = nullptr;
}

void roam_conn::start_driver(const roam::wire::ConnectionSettings &local,
                             const roam::wire::ConnectionSettings &peer) {
  DriverConfig config;
  config.local_parity = local.parity;
  config.local_max_concurrent = local.max_concurrent_requests;
  config.peer_max_concurrent = peer.max_concurrent_requests;
  config.channel_buffer_limit = session->core.config().channel_buffer_per_connection;
  config.session_channel_budget = &session->channel_budget;
  driver = std::make_unique<ConnectionDriver>(config, this, this);
}

void roam_conn::gone(int reason) {
  if (driver) driver->connection_gone(reason);
  for (auto &kv : replies) kv.second->conn = nullptr;
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

void roam_conn::protocol_violation(int code, std::string reason) {
  session->core.protocol_violation(code, std::move(reason));
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
  replies[m.id] = reply;
  roam_session *s = session;
  if (!s->deferring()) {
    roam::rpc::ChannelIdArray channels(m.channels);
    roam_metadata md(m.metadata);
    fn(this, ud, reply, m.method_id, channels.data(), channels.size(), &md, m.payload.data,
       m.payload.size);
    return CallDisposition::kServed;
  }
  // Earlier events are still queued: this one waits its turn, with copies.
  auto channels = std::make_shared<std::vector<uint64_t>>(m.channels.count());
  m.channels.copy_to(channels->data());
  auto md = s->keepable(m.metadata);
  auto args = keep_bytes(m.payload);
  uint64_t method = m.method_id;
  roam_conn *self = this;
  ++reply->queued_events;
  s->deliver([self, s, reply, method, channels, md, args] {
    --reply->queued_events;
    roam_call_cb now = self->serve_fn ? self->serve_fn : s->on_call_cb.fn;
    void *now_ud = self->serve_fn ? self->serve_user_data : s->on_call_cb.user_data;
    if (now == nullptr) {
      roam_reply_release(reply);  // the handler went away meanwhile: answer Cancelled
      return;
    }
    now(self, now_ud, reply, method, channels->empty() ? nullptr : channels->data(),
        channels->size(), md.get(), args->data(), args->size());
  });
  return CallDisposition::kServed;
}

void roam_conn::on_served_call_cancelled(uint64_t request_id) {
  auto it = replies.find(request_id);
  if (it == replies.end() || session->on_call_cancelled_cb.fn == nullptr) return;
  roam_reply *reply = it->second;
  roam_session *s = session;
  // The reply stays the user's to release; it may be detached (conn gone)
  // by the time a deferred callback runs, which is fine; if the user
  // answered it meanwhile, there is nothing left to tell.
  ++reply->queued_events;
  s->deliver([s, reply] {
    --reply->queued_events;
    if (reply->answered) {
      roam_reply::retire(reply);
      return;
    }
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
  int kind = static_cast<int>(m.kind);
  uint64_t channel_id = m.id;
  uint32_t additional = m.additional;
  roam_conn *self = this;
  if (!s->deferring()) {
    roam_metadata md(m.metadata);
    s->on_channel_cb.fn(this, s->on_channel_cb.user_data, kind, channel_id, &md, m.item.data, m.item.size,
                        additional);
    return true;
  }
  auto md = s->keepable(m.metadata);
  auto item = keep_bytes(m.item);
  s->deliver([s, self, kind, channel_id, md, item, additional] {
    if (s->on_channel_cb.fn) {
      s->on_channel_cb.fn(self, s->on_channel_cb.user_data, kind, channel_id, md.get(), item->data(),
                          item->size(), additional);
    }
  });
  return true;
}

void roam_conn::deliver_raw_request(const roam::wire::RequestMessage &m) {
  roam_session *s = session;
  if (s->on_request_cb.fn == nullptr) return;
  int kind = static_cast<int>(m.kind);
  uint64_t request_id = m.id;
  uint64_t method = m.method_id;
  if (!s->deferring()) {
    roam::rpc::ChannelIdArray channels(m.channels);
    roam_metadata md(m.metadata);
    s->on_request_cb.fn(this, s->on_request_cb.user_data, kind, request_id, method, channels.data(),
                        channels.size(), &md, m.payload.data, m.payload.size);
    return;
  }
  auto channels = std::make_shared<std::vector<uint64_t>>(m.channels.count());
  m.channels.copy_to(channels->data());
  auto md = s->keepable(m.metadata);
  auto payload = keep_bytes(m.payload);
  roam_conn *self = this;
  s->deliver([s, self, kind, request_id, method, channels, md, payload] {
    if (s->on_request_cb.fn) {
      s->on_request_cb.fn(self, s->on_request_cb.user_data, kind, request_id, method,
                          channels->empty() ? nullptr : channels->data(), channels->size(),
                          md.get(), payload->data(), payload->size());
    }
  });
}
