// One connection of the fuzzed session, wired the way lib/capi's roam_conn
// is: once open it owns a ConnectionDriver, and it is that driver's sink
// (sends go into the SessionCore) and its event target. The events are
// checked against what the driver promises (every call completes once,
// every channel ends once, nothing arrives on an ended channel, a served
// call's cancellation is reported once) and may trigger re-entrant
// operations, chosen by the input.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rpc/connection_driver.hpp"

namespace roam::fuzz {

class SessionFuzzHarness;
class FuzzConnection;

// An outbound call; its address is the driver's token for it.
struct CallRecord {
  FuzzConnection *owner = nullptr;
  uint64_t request_id = 0;
  bool registered = false;  // call() took it
  bool done = false;        // on_call_done came
};

// A bound channel; its address is the driver's token for it.
struct ChannelRecord {
  FuzzConnection *owner = nullptr;
  uint64_t id = 0;
  rpc::ChannelDirection direction = rpc::ChannelDirection::Send;
  bool bound = false;  // add() took it
  bool ended = false;  // on_channel_end came
};

enum class ConnPhase : uint8_t { PendingInbound, PendingOutbound, Open };

class FuzzConnection final : public rpc::RpcSink, public rpc::RpcEvents {
 public:
  FuzzConnection(SessionFuzzHarness &harness, uint64_t conn_id, ConnPhase conn_phase)
      : id(conn_id), phase(conn_phase), harness_(harness) {}

  void start_driver(const rpc::DriverConfig &config);

  const uint64_t id;
  ConnPhase phase;
  // Its end was reported (or, for a rejected open, decided): it goes once
  // its calls and channels have ended.
  bool closing = false;
  std::unique_ptr<rpc::ConnectionDriver> driver;
  std::vector<CallRecord *> calls;
  std::vector<ChannelRecord *> channels;
  // Calls we serve and have not answered: request id -> their cancellation
  // has been reported.
  std::map<uint64_t, bool> served;
  // Channel ids the peer named in its calls: candidates for binding.
  std::vector<uint64_t> peer_channel_ids;

  // RpcSink
  int send_request(const wire::RequestMessage &m, bool force) override;
  int send_channel(const wire::ChannelMessage &m, bool force) override;
  void protocol_violation(int code, std::string reason) override;

  // RpcEvents
  void on_call_done(void *token, uint64_t request_id, int status,
                    const wire::MetadataView *response_md,
                    wire::ByteView value) override;
  CallDisposition on_incoming_call(const wire::RequestMessage &call) override;
  void on_served_call_cancelled(uint64_t request_id) override;
  void on_channel_item(void *token, wire::ByteView item) override;
  void on_channel_end(void *token, int reason, const wire::MetadataView &md) override;
  void on_channel_writable(void *token) override;
  void on_unrouted_request(const wire::RequestMessage &m) override;
  bool on_unrouted_channel(const wire::ChannelMessage &m) override;

 private:
  ChannelRecord *channel_of(void *token, const char *event);

  SessionFuzzHarness &harness_;
};

}  // namespace roam::fuzz
