// How the per-connection driver talks to the outside: RpcSink sends (the
// session core, for real), RpcEvents reports (the C API layer). Views in
// events are valid only during the call.
#pragma once

#include <cstdint>
#include <string>

#include "wire/message.hpp"

namespace roam::rpc {

class RpcSink {
 public:
  // `force`: send even above the session's outbound soft limit. Used for
  // what the protocol owes the peer (responses, cancels, credit, closes),
  // never for new work.
  virtual int send_request(const wire::RequestMessage &m, bool force) = 0;
  virtual int send_channel(const wire::ChannelMessage &m, bool force) = 0;
  // The peer broke a rule only this layer sees (flooding channels nobody
  // reads): the session tells it why and ends with `code`. This may end
  // the connection, and so the driver, re-entrantly: the caller returns
  // right after, touching nothing.
  virtual void protocol_violation(int code, std::string reason) = 0;

 protected:
  ~RpcSink() = default;
};

class RpcEvents {
 public:
  // An outbound call is over: status from the response envelope (ROAM_OK,
  // ROAM_EUSER, ROAM_EUNKNOWNMETHOD, ROAM_EINVALIDPAYLOAD, ROAM_ECANCELLED,
  // ROAM_EPROTO), ROAM_ECANCELLED if we cancelled it, or why the connection
  // went away. `value` is T (Ok) or E (User); `response_md` is the
  // response's metadata, or null when no response came.
  virtual void on_call_done(void *call_token, uint64_t request_id, int status,
                            const wire::MetadataView *response_md, wire::ByteView value) = 0;
  // A call for us to serve. kServed: a reply will come through the driver;
  // kTakenRaw: a raw API user took it and answers on its own (the driver
  // does not track it); kUnhandled: nobody serves calls here, the driver
  // answers UnknownMethod.
  enum class CallDisposition { kServed, kTakenRaw, kUnhandled };
  virtual CallDisposition on_incoming_call(const wire::RequestMessage &call) = 0;
  // The peer cancelled a call we are serving (the Cancelled response has
  // already gone out), or the connection went away under it.
  virtual void on_served_call_cancelled(uint64_t request_id) = 0;
  virtual void on_channel_item(void *channel_token, wire::ByteView item) = 0;
  // A channel is over: ROAM_OK (peer closed, or our close went out),
  // ROAM_ERESET (reset), or why the connection went away.
  virtual void on_channel_end(void *channel_token, int reason, const wire::MetadataView &md) = 0;
  // A sender that got ROAM_EAGAIN may send again (credit or room arrived).
  virtual void on_channel_writable(void *channel_token) = 0;
  // Traffic no call or channel of ours claims (for raw API users).
  // on_unrouted_channel returns false if nobody took it: the driver then
  // keeps it for a channel that may be bound later.
  virtual void on_unrouted_request(const wire::RequestMessage &m) = 0;
  virtual bool on_unrouted_channel(const wire::ChannelMessage &m) = 0;

 protected:
  ~RpcEvents() = default;
};

}  // namespace roam::rpc
