#include "rpc/connection_driver.hpp"

#include <algorithm>
#include <cinttypes>

#include "common/format.hpp"
#include "roam/roam_errors.h"
#include "rpc/call_result.hpp"

namespace roam::rpc {

using wire::MetadataView;
using wire::RequestKind;
using wire::RequestMessage;

// Re-entrancy rule for this file: a send can end the session inside it (the
// outbound hard limit), and the session then calls connection_gone(), which
// empties every table here. So no iterator or reference into a table is
// used after a send or after an event callback; entries are looked up
// again, or the state change is made before the send.

ConnectionDriver::ConnectionDriver(const DriverConfig &config, RpcSink *sink, RpcEvents *events)
    : config_(config),
      sink_(sink),
      events_(events),
      request_ids_(config.local_parity),
      channel_ids_(config.local_parity),
      channels_(sink, events, config.channel_queue_limit, config.channel_buffer_limit,
                config.session_channel_budget) {}

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
  // Marked and completed before the Cancel goes out: if that send ends the
  // session, connection_gone() finds the entry already cancelled and does
  // not complete it a second time.
  void *token = it->second.token;
  it->second.token = nullptr;
  events_->on_call_done(token, request_id, ROAM_ECANCELLED, nullptr, wire::ByteView());
  if (gone_) return ROAM_OK;  // the callback closed the connection
  RequestMessage m;
  m.id = request_id;
  m.kind = RequestKind::Cancel;
  m.metadata = md;
  sink_->send_request(m, true);
  return ROAM_OK;
}

// ---- serving ----------------------------------------------------------------------------

void ConnectionDriver::refuse_call(uint64_t request_id, int code) {
  RequestMessage resp;
  resp.id = request_id;
  resp.kind = RequestKind::Response;
  resp.payload = roam_error_payload(code);
  sink_->send_request(resp, true);
}

void ConnectionDriver::release_served(ServedMap::iterator it) {
  for (uint64_t id : it->second.channels) channels_.forget(id);
  served_.erase(it);
}

int ConnectionDriver::reply(uint64_t request_id, const MetadataView &md, wire::ByteView ret) {
  auto it = served_.find(request_id);
  if (gone_) {
    if (it != served_.end()) release_served(it);  // answered, for what it is worth
    return ROAM_ECLOSED;
  }
  if (it == served_.end()) return ROAM_ENOTFOUND;
  bool cancelled = it->second.cancelled_by_peer;
  release_served(it);
  if (cancelled) return ROAM_ECANCELLED;  // its Cancelled response already went out
  RequestMessage m;
  m.id = request_id;
  m.kind = RequestKind::Response;
  m.metadata = md;
  m.payload = ret;
  int rc = sink_->send_request(m, true);
  if (rc == ROAM_EFRAMESIZE || (rc == ROAM_ELIMIT && !gone_)) {
    // The answer cannot travel; the caller still gets exactly one response
    // (roam-core's mark_failure path sends Cancelled).
    refuse_call(request_id, ROAM_ECANCELLED);
  }
  return rc;
}

void ConnectionDriver::abandon_reply(uint64_t request_id) {
  auto it = served_.find(request_id);
  if (it == served_.end()) return;
  bool owed = !it->second.cancelled_by_peer && !gone_;
  release_served(it);
  if (owed) refuse_call(request_id, ROAM_ECANCELLED);
}

// ---- inbound ----------------------------------------------------------------------------

bool ConnectionDriver::announce_channels(const RequestMessage &call, Served *served) {
  // Messages for these ids are kept until the handler binds them; each id
  // costs budget, so a Call naming millions of channels fails here.
  bool within = true;
  call.channels.for_each([&](uint64_t id) {
    if (!within) return;
    if (channels_.announce(id) != ROAM_OK) {
      within = false;
      return;
    }
    served->channels.push_back(id);
  });
  return within;
}

void ConnectionDriver::handle_request(const RequestMessage &m) {
  switch (m.kind) {
    case RequestKind::Call: {
      if (served_.count(m.id)) return;  // a duplicate of a call in flight: ignored
      if (calls_being_served() >= config_.local_max_concurrent) {
        // The peer exceeded the limit we advertised: the call fails at once,
        // the connection stays up (rpc.error.scope).
        ++stats_.calls_refused_over_limit;
        refuse_call(m.id, ROAM_ECANCELLED);
        return;
      }
      Served &entry = served_[m.id];
      if (!announce_channels(m, &entry)) {
        release_served(served_.find(m.id));
        sink_->protocol_violation(
            ROAM_ELIMIT, format("call %" PRIu64 " names more channels than the channel buffer "
                                "limit of %zu bytes allows", m.id, config_.channel_buffer_limit));
        return;
      }
      RpcEvents::CallDisposition d = events_->on_incoming_call(m);
      if (d != RpcEvents::CallDisposition::kServed) {
        auto it = served_.find(m.id);
        if (it != served_.end()) release_served(it);
      }
      if (d == RpcEvents::CallDisposition::kUnhandled) refuse_call(m.id, ROAM_EUNKNOWNMETHOD);
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
      events_->on_call_done(token, m.id, status, &m.metadata, value);
      return;
    }
    case RequestKind::Cancel: {
      auto it = served_.find(m.id);
      if (it == served_.end()) {
        events_->on_unrouted_request(m);
        return;
      }
      if (it->second.cancelled_by_peer) return;
      // roam-core aborts the handler, whose dropped reply sink sends
      // Cancelled. We send it now; the server is told and its reply, when
      // it comes, is refused with ROAM_ECANCELLED. The call keeps counting
      // against our limit until the application releases it. Channels are
      // untouched (rpc.cancel.channels).
      it->second.cancelled_by_peer = true;
      refuse_call(m.id, ROAM_ECANCELLED);
      events_->on_served_call_cancelled(m.id);
      return;
    }
  }
}

void ConnectionDriver::handle_channel(const wire::ChannelMessage &m) {
  if (channels_.handle(m)) return;
  if (events_->on_unrouted_channel(m)) return;  // a raw API user took it
  if (channels_.keep_for_binding(m) != ROAM_OK) {
    sink_->protocol_violation(
        ROAM_ELIMIT, format("messages for unbound channels exceed the channel buffer limit "
                            "(channel %" PRIu64 ")", m.id));
  }
}

void ConnectionDriver::connection_gone(int reason) {
  if (gone_) return;
  gone_ = true;
  int status = reason == ROAM_OK ? ROAM_ECLOSED : reason;
  // Reported in request-id order (the order they began), whatever order the
  // hash tables hold them in.
  std::vector<std::pair<uint64_t, void *>> calls;
  for (auto &kv : outbound_) {
    if (kv.second.token) calls.emplace_back(kv.first, kv.second.token);
  }
  outbound_.clear();
  // Served calls stay listed until the application answers or releases
  // them (which then fails with ROAM_ECLOSED): it is told of each one not
  // already cancelled, and whether it still owes an answer is is_serving().
  std::vector<uint64_t> served;
  for (auto &kv : served_) {
    if (!kv.second.cancelled_by_peer) served.push_back(kv.first);
  }
  std::sort(calls.begin(), calls.end());
  std::sort(served.begin(), served.end());
  for (auto &call : calls) {
    events_->on_call_done(call.second, call.first, status, nullptr, wire::ByteView());
  }
  for (uint64_t id : served) events_->on_served_call_cancelled(id);
  channels_.end_all(status);
}

}  // namespace roam::rpc
