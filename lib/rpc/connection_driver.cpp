#include "rpc/connection_driver.hpp"

#include "roam/roam_errors.h"
#include "rpc/call_result.hpp"

namespace roam::rpc {

using wire::MetadataView;
using wire::RequestKind;
using wire::RequestMessage;

ConnectionDriver::ConnectionDriver(const DriverConfig &config, RpcSink *sink, RpcEvents *events)
    : config_(config),
      sink_(sink),
      events_(events),
      request_ids_(config.local_parity),
      channel_ids_(config.local_parity),
      channels_(sink, events, config.channel_queue_limit, config.unbound_channel_limit) {}

// ---- calling ----------------------------------------------------------------------------

int ConnectionDriver::call(uint64_t method_id, const wire::IdList &channels,
                           const MetadataView &md, wire::ByteView args, void *token,
                           uint64_t *request_id) {
  if (gone_) return ROAM_ECLOSED;
  // Never exceed what the peer said it accepts (rpc.flow-control.max-concurrent-requests).
  if (outbound_.size() >= config_.peer_max_concurrent) return ROAM_EAGAIN;
  RequestMessage m;
  m.id = request_ids_.next();
  m.kind = RequestKind::Call;
  m.method_id = method_id;
  m.channels = channels;
  m.metadata = md;
  m.payload = args;
  int rc = sink_->send_request(m, false);
  if (rc != ROAM_OK) return rc;  // nothing registered: the caller has the reason
  outbound_[m.id] = Outbound{token};
  if (request_id) *request_id = m.id;
  return ROAM_OK;
}

int ConnectionDriver::cancel(uint64_t request_id, const MetadataView &md) {
  auto it = outbound_.find(request_id);
  if (it == outbound_.end() || it->second.token == nullptr) return ROAM_ENOTFOUND;
  RequestMessage m;
  m.id = request_id;
  m.kind = RequestKind::Cancel;
  m.metadata = md;
  sink_->send_request(m, true);
  void *token = it->second.token;
  it->second.token = nullptr;
  events_->on_call_done(token, ROAM_ECANCELLED, nullptr, wire::ByteView());
  return ROAM_OK;
}

// ---- serving ----------------------------------------------------------------------------

int ConnectionDriver::reply(uint64_t request_id, const MetadataView &md, wire::ByteView ret) {
  auto it = served_.find(request_id);
  if (it == served_.end()) return gone_ ? ROAM_ECLOSED : ROAM_ENOTFOUND;
  if (it->second == Served::CancelledByPeer) {
    served_.erase(it);
    return ROAM_ECANCELLED;
  }
  served_.erase(it);
  --served_in_flight_;
  RequestMessage m;
  m.id = request_id;
  m.kind = RequestKind::Response;
  m.metadata = md;
  m.payload = ret;
  int rc = sink_->send_request(m, true);
  if (rc == ROAM_EFRAMESIZE || rc == ROAM_ELIMIT) {
    // The answer cannot travel; the caller still gets exactly one response
    // (roam-core's mark_failure path sends Cancelled).
    RequestMessage fallback;
    fallback.id = request_id;
    fallback.kind = RequestKind::Response;
    fallback.payload = roam_error_payload(ROAM_ECANCELLED);
    sink_->send_request(fallback, true);
  }
  return rc;
}

void ConnectionDriver::abandon_reply(uint64_t request_id) {
  auto it = served_.find(request_id);
  if (it == served_.end()) return;
  bool owed = it->second == Served::InFlight;
  served_.erase(it);
  if (!owed) return;
  --served_in_flight_;
  RequestMessage m;
  m.id = request_id;
  m.kind = RequestKind::Response;
  m.payload = roam_error_payload(ROAM_ECANCELLED);
  sink_->send_request(m, true);
}

// ---- inbound ----------------------------------------------------------------------------

void ConnectionDriver::handle_request(const RequestMessage &m) {
  switch (m.kind) {
    case RequestKind::Call: {
      if (served_.count(m.id)) return;  // a duplicate of a call in flight: ignored
      if (calls_being_served() >= config_.local_max_concurrent) {
        // The peer exceeded the limit we advertised: the call fails at once,
        // the connection stays up (rpc.error.scope).
        ++stats_.calls_refused_over_limit;
        RequestMessage resp;
        resp.id = m.id;
        resp.kind = RequestKind::Response;
        resp.payload = roam_error_payload(ROAM_ECANCELLED);
        sink_->send_request(resp, true);
        return;
      }
      served_[m.id] = Served::InFlight;
      ++served_in_flight_;
      RpcEvents::CallDisposition d = events_->on_incoming_call(m);
      if (d != RpcEvents::CallDisposition::kServed && served_.erase(m.id)) --served_in_flight_;
      if (d == RpcEvents::CallDisposition::kUnhandled) {
        RequestMessage resp;
        resp.id = m.id;
        resp.kind = RequestKind::Response;
        resp.payload = roam_error_payload(ROAM_EUNKNOWNMETHOD);
        sink_->send_request(resp, true);
      }
      return;
    }
    case RequestKind::Response: {
      auto it = outbound_.find(m.id);
      if (it == outbound_.end()) {
        events_->on_unrouted_request(m);  // not one of our calls
        return;
      }
      void *token = it->second.token;
      outbound_.erase(it);
      if (token == nullptr) {
        ++stats_.late_responses;  // we cancelled it; the caller already knows
        return;
      }
      wire::ByteView value;
      int status = decode_call_result(m.payload, &value);
      events_->on_call_done(token, status, &m.metadata, value);
      return;
    }
    case RequestKind::Cancel: {
      auto it = served_.find(m.id);
      if (it == served_.end()) {
        events_->on_unrouted_request(m);
        return;
      }
      if (it->second != Served::InFlight) return;
      // roam-core aborts the handler, whose dropped reply sink sends
      // Cancelled. We send it now; the server is told and its reply, when
      // it comes, is refused with ROAM_ECANCELLED. Channels are untouched
      // (rpc.cancel.channels).
      it->second = Served::CancelledByPeer;
      --served_in_flight_;
      RequestMessage resp;
      resp.id = m.id;
      resp.kind = RequestKind::Response;
      resp.payload = roam_error_payload(ROAM_ECANCELLED);
      sink_->send_request(resp, true);
      events_->on_served_call_cancelled(m.id);
      return;
    }
  }
}

void ConnectionDriver::handle_channel(const wire::ChannelMessage &m) {
  if (channels_.handle(m)) return;
  if (!events_->on_unrouted_channel(m)) channels_.buffer(m);
}

void ConnectionDriver::connection_gone(int reason) {
  if (gone_) return;
  gone_ = true;
  int status = reason == ROAM_OK ? ROAM_ECLOSED : reason;
  std::map<uint64_t, Outbound> calls;
  calls.swap(outbound_);
  for (auto &kv : calls) {
    if (kv.second.token) events_->on_call_done(kv.second.token, status, nullptr, wire::ByteView());
  }
  std::map<uint64_t, Served> served;
  served.swap(served_);
  served_in_flight_ = 0;
  for (auto &kv : served) {
    if (kv.second == Served::InFlight) events_->on_served_call_cancelled(kv.first);
  }
  channels_.end_all(status);
}

}  // namespace roam::rpc
