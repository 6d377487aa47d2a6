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

void roam::capi::ConnFinalEvent::run() { conn->session->finish_conn(conn, nullptr); }

void roam_conn::start_driver(const roam::wire::ConnectionSettings &local,
                             const roam::wire::ConnectionSettings &peer) {
  started_ = true;
  local_parity_ = local.parity;
  local_max_concurrent_ = local.max_concurrent_requests;
  peer_max_concurrent_ = peer.max_concurrent_requests;
}

ConnectionDriver &roam_conn::use_driver() {
  if (driver) return *driver;
  DriverConfig config;
  config.local_parity = local_parity_;
  config.local_max_concurrent = local_max_concurrent_;
  config.peer_max_concurrent = peer_max_concurrent_;
  config.channel_buffer_limit = session->core.config().channel_buffer_per_connection;
  config.session_channel_budget = &session->channel_budget;
  driver = std::make_unique<ConnectionDriver>(config, this, this);
  // Made after the connection went away (nothing ran on it before): it
  // starts gone, as the one made at open would be by now.
  if (gone_) driver->connection_gone(gone_reason_);
  return *driver;
}

void roam_conn::gone(int reason) {
  if (driver) {
    driver->connection_gone(reason);
  } else {
    gone_ = true;
    gone_reason_ = reason;
  }
}

void roam_conn::route_request(const roam::wire::RequestMessage &m) {
  if (started_) {
    use_driver().handle_request(m);
  } else {
    deliver_raw_request(m);
  }
}

void roam_conn::route_channel(const roam::wire::ChannelMessage &m) {
  if (started_) {
    use_driver().handle_channel(m);
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

void roam_conn::on_call_done(void *token, uint64_t request_id, int status,
                             const MetadataView *response_md, ByteView value) {
  auto *call = static_cast<roam::capi::CallCompletion *>(token);
  roam_session *s = session;
  if (!s->deferring()) {
    std::unique_ptr<roam::capi::CallCompletion> done(call);
    roam_metadata view(response_md ? *response_md : MetadataView());
    call->cb(this, call->user_data, request_id, status, response_md ? &view : nullptr, value.data,
             value.size);
    s->spare_calls.give_back(done.release());  // the session outlives its callbacks
    return;
  }
  try {
    auto md_copy = response_md ? s->keepable(*response_md) : nullptr;
    auto bytes = keep_bytes(value);
    roam_conn *self = this;
    s->deliver([s, self, call, request_id, status, md_copy, bytes] {
      std::unique_ptr<roam::capi::CallCompletion> done(call);
      call->cb(self, call->user_data, request_id, status, md_copy.get(), bytes->data(),
               bytes->size());
      s->spare_calls.give_back(done.release());
    });
  } catch (const std::bad_alloc &) {
    call->conn = this;
    call->request_id = request_id;
    s->deliver_final(call);  // ROAM_ENOMEM: the response could not be kept
  }
}

roam::rpc::RpcEvents::CallDisposition roam_conn::on_incoming_call(
    const roam::wire::RequestMessage &m) {
  roam_session *s = session;
  if (s->cbs.serve == nullptr) {
    if (s->cbs.raw_request == nullptr) return CallDisposition::kUnhandled;
    deliver_raw_request(m);
    return CallDisposition::kTakenRaw;
  }
  if (!s->deferring()) {
    roam::rpc::ChannelIdArray channels(m.channels);
    roam_metadata md(m.metadata);
    s->cbs.serve(s, s->user_data, this, m.id, m.method_id, channels.data(), channels.size(), &md,
                 m.payload.data, m.payload.size);
    return CallDisposition::kServed;
  }
  // Earlier events are still queued: this one waits its turn, with copies.
  auto channels = std::make_shared<std::vector<uint64_t>>(m.channels.count());
  m.channels.copy_to(channels->data());
  auto md = s->keepable(m.metadata);
  auto args = keep_bytes(m.payload);
  uint64_t request_id = m.id;
  uint64_t method = m.method_id;
  roam_conn *self = this;
  s->deliver([self, s, request_id, method, channels, md, args] {
    s->cbs.serve(s, s->user_data, self, request_id, method,
                 channels->empty() ? nullptr : channels->data(), channels->size(), md.get(),
                 args->data(), args->size());
  });
  return CallDisposition::kServed;
}

void roam_conn::on_served_call_cancelled(uint64_t request_id) {
  roam_session *s = session;
  // Without a serve callback nothing was served: a call the raw callback
  // took is the raw user's own business.
  if (s->cbs.serve_cancelled == nullptr || s->cbs.serve == nullptr) return;
  roam_conn *self = this;
  // By the time a queued event runs, the application may have answered or
  // released the request: then there is nothing left to tell.
  s->deliver([s, self, request_id] {
    const ConnectionDriver *d = self->driver.get();
    if (d && d->is_serving(request_id)) s->cbs.serve_cancelled(s, s->user_data, self, request_id);
  });
}

void roam_conn::on_channel_item(void *token, ByteView item) {
  auto *ch = static_cast<roam::capi::ChannelHandler *>(token);
  if (ch->on_item == nullptr) return;
  roam_session *s = session;
  if (!s->deferring()) {
    ch->on_item(this, ch->id, ch->user_data, item.data, item.size);
    return;
  }
  auto bytes = keep_bytes(item);
  roam_conn *self = this;
  // The handler outlives this event: it is freed by the end event, which
  // is queued behind it.
  s->deliver([self, ch, bytes] {
    ch->on_item(self, ch->id, ch->user_data, bytes->data(), bytes->size());
  });
}

void roam_conn::on_channel_end(void *token, int reason, const MetadataView &md) {
  auto *ch = static_cast<roam::capi::ChannelHandler *>(token);
  roam_session *s = session;
  roam_conn *self = this;
  // Through deliver(), so items delivered earlier (possibly deferred) come
  // first; the handler is freed after its end callback.
  try {
    auto md_copy = md.empty() ? nullptr : s->keepable(md);
    s->deliver([self, ch, reason, md_copy] {
      std::unique_ptr<roam::capi::ChannelHandler> done(ch);
      if (ch->on_end) ch->on_end(self, ch->id, ch->user_data, reason, md_copy.get());
    });
  } catch (const std::bad_alloc &) {
    ch->conn = this;
    s->deliver_final(ch);  // ROAM_ENOMEM: the end could not be queued with its metadata
  }
}

void roam_conn::on_channel_writable(void *token) {
  auto *ch = static_cast<roam::capi::ChannelHandler *>(token);
  if (ch->on_writable == nullptr) return;
  roam_conn *self = this;
  session->deliver([self, ch] { ch->on_writable(self, ch->id, ch->user_data); });
}

void roam_conn::on_unrouted_request(const roam::wire::RequestMessage &m) {
  deliver_raw_request(m);
}

bool roam_conn::on_unrouted_channel(const roam::wire::ChannelMessage &m) {
  roam_session *s = session;
  if (s->cbs.raw_channel == nullptr) return false;
  int kind = static_cast<int>(m.kind);
  uint64_t channel_id = m.id;
  uint32_t additional = m.additional;
  roam_conn *self = this;
  if (!s->deferring()) {
    roam_metadata md(m.metadata);
    s->cbs.raw_channel(s, s->user_data, this, kind, channel_id, &md, m.item.data, m.item.size,
                       additional);
    return true;
  }
  auto md = s->keepable(m.metadata);
  auto item = keep_bytes(m.item);
  s->deliver([s, self, kind, channel_id, md, item, additional] {
    s->cbs.raw_channel(s, s->user_data, self, kind, channel_id, md.get(), item->data(),
                       item->size(), additional);
  });
  return true;
}

void roam_conn::deliver_raw_request(const roam::wire::RequestMessage &m) {
  roam_session *s = session;
  if (s->cbs.raw_request == nullptr) return;
  int kind = static_cast<int>(m.kind);
  uint64_t request_id = m.id;
  uint64_t method = m.method_id;
  if (!s->deferring()) {
    roam::rpc::ChannelIdArray channels(m.channels);
    roam_metadata md(m.metadata);
    s->cbs.raw_request(s, s->user_data, this, kind, request_id, method, channels.data(),
                       channels.size(), &md, m.payload.data, m.payload.size);
    return;
  }
  auto channels = std::make_shared<std::vector<uint64_t>>(m.channels.count());
  m.channels.copy_to(channels->data());
  auto md = s->keepable(m.metadata);
  auto payload = keep_bytes(m.payload);
  roam_conn *self = this;
  s->deliver([s, self, kind, request_id, method, channels, md, payload] {
    s->cbs.raw_request(s, s->user_data, self, kind, request_id, method,
                       channels->empty() ? nullptr : channels->data(), channels->size(), md.get(),
                       payload->data(), payload->size());
  });
}
