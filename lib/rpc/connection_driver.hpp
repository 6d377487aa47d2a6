// The per-connection RPC driver (roam-core's Driver), sans I/O: request ids
// from the connection's parity, outbound calls bounded by the peer's
// max_concurrent_requests, exactly one response per served call, cancels
// both ways, and the connection's channels. Traffic it does not own goes to
// RpcEvents' unrouted hooks (the raw API).
#pragma once

#include <cstdint>
#include <memory_resource>
#include <unordered_map>
#include <vector>

#include "rpc/buffer_budget.hpp"
#include "rpc/channel_table.hpp"
#include "rpc/node_recycler.hpp"
#include "rpc/rpc_ports.hpp"
#include "session/connection_table.hpp"
#include "wire/message.hpp"

namespace roam::rpc {

struct DriverConfig {
  wire::Parity local_parity = wire::Parity::Odd;  // ids we allocate
  uint32_t local_max_concurrent = 64;             // what we advertised
  uint32_t peer_max_concurrent = 64;              // what the peer advertised
  size_t channel_queue_limit = 64;                // items waiting per channel
  // Bytes kept for channels a served call named but nobody bound yet, on
  // this connection; and the budget shared by the whole session (may be
  // null). Past either, the peer is flooding: a protocol violation.
  size_t channel_buffer_limit = 4u << 20;
  BufferBudget *session_channel_budget = nullptr;
};

struct DriverStats {
  uint64_t calls_refused_over_limit = 0;  // peer exceeded our max_concurrent
  uint64_t late_responses = 0;            // responses for cancelled calls
};

class ConnectionDriver {
 public:
  ConnectionDriver(const DriverConfig &config, RpcSink *sink, RpcEvents *events);

  // ---- calling -----------------------------------------------------------------
  // Sends a Call with a fresh request id. ROAM_EAGAIN when the peer's limit
  // of calls in flight is reached (or the session is congested).
  int call(uint64_t method_id, const wire::IdList &channels, const wire::MetadataView &md,
           wire::ByteView args, void *token, uint64_t *request_id);
  // Completes the call at once as ROAM_ECANCELLED, then sends Cancel. Its
  // late response, if any, is dropped (it still counts against the limit
  // until then, as the peer is still working on it). The completion comes
  // first because the send may end the session inside it.
  int cancel(uint64_t request_id, const wire::MetadataView &md);
  size_t calls_in_flight() const { return outbound_.size(); }

  // ---- serving -----------------------------------------------------------------
  // Answers a served call with a complete response payload. ROAM_ECANCELLED
  // if the peer cancelled it meanwhile (the Cancelled response already went
  // out), ROAM_ENOTFOUND if unknown. If the response cannot be sent (too
  // large for a frame), Cancelled goes out instead and the error is returned.
  int reply(uint64_t request_id, const wire::MetadataView &md, wire::ByteView ret);
  // The reply will never come: Cancelled goes out unless already answered
  // (or the connection is gone).
  void abandon_reply(uint64_t request_id);
  // Served calls not yet answered or released, those the peer cancelled
  // included: each counts against the limit we advertised until the
  // application lets go of it (a Cancel must not free a slot the
  // application still holds).
  size_t calls_being_served() const { return served_.size(); }
  // Whether request_id is a served call not yet answered or released.
  bool is_serving(uint64_t request_id) const { return served_.count(request_id) != 0; }
  // Whether the connection went away (connection_gone ran).
  bool is_gone() const { return gone_; }

  // ---- channels ----------------------------------------------------------------
  uint64_t allocate_channel_id() { return channel_ids_.next(); }
  ChannelTable &channels() { return channels_; }
  size_t channel_count() const { return channels_.size(); }

  // ---- inbound -----------------------------------------------------------------
  void handle_request(const wire::RequestMessage &m);
  void handle_channel(const wire::ChannelMessage &m);
  // The session can take more bytes: queued channel items go out.
  void on_writable() { channels_.flush(); }
  // The connection is gone (`reason` ROAM_OK for a plain close): pending
  // calls complete, served calls are cancelled (they stay is_serving()
  // until answered or released, which then returns ROAM_ECLOSED), channels
  // end.
  void connection_gone(int reason);

  const DriverStats &stats() const { return stats_; }

 private:
  struct Outbound {
    void *token;     // null once cancelled (awaiting the late response)
  };
  struct Served {
    bool cancelled_by_peer = false;
    std::vector<uint64_t> channels;  // ids it named, forgotten when released
  };
  using ServedMap = std::pmr::unordered_map<uint64_t, Served>;

  void refuse_call(uint64_t request_id, int code);
  bool announce_channels(const wire::RequestMessage &call, Served *served);
  // The application is done with a served call: it stops counting, and
  // channels it named but nobody bound are forgotten.
  void release_served(ServedMap::iterator it);

  DriverConfig config_;
  RpcSink *sink_;
  RpcEvents *events_;
  session::IdAllocator request_ids_;
  session::IdAllocator channel_ids_;
  // The two tables gain and lose an entry per call: their nodes are
  // recycled (it keeps what the busiest moment needed until the driver goes).
  NodeRecycler call_nodes_;
  std::pmr::unordered_map<uint64_t, Outbound> outbound_{&call_nodes_};
  ServedMap served_{&call_nodes_};
  ChannelTable channels_;
  DriverStats stats_;
  bool gone_ = false;
};

}  // namespace roam::rpc
