// Channels on one connection, with roam's item-based credit
// (rpc.flow-control.credit.*): a sender starts with the channel's initial
// credit, spends one per item and never sends at zero; the receiver grants
// more as items are consumed (roam-core batches grants at max(N/2, 1)).
//
// Sending side: items beyond credit (or beyond the session's outbound limit)
// wait in a per-channel queue bounded by `queue_limit`; past it send_item
// says ROAM_EAGAIN and on_channel_writable follows once there is room.
// Receiving side: credit is granted back automatically after each item is
// delivered, or by grant() in manual mode.
// Messages for ids nobody bound yet are kept (bounded) for a later add(),
// as roam-core does for the race between a call and its handler.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "rpc/rpc_ports.hpp"
#include "wire/metadata.hpp"

namespace roam::rpc {

enum class ChannelDirection : uint8_t { Send = 0, Receive = 1 };

struct ChannelStats {
  uint64_t items_sent = 0;
  uint64_t items_received = 0;
  uint64_t credit_violations = 0;  // items received beyond the credit we gave
  uint64_t dropped_unbound = 0;    // buffered messages dropped at the bound
};

class ChannelTable {
 public:
  ChannelTable(RpcSink *sink, RpcEvents *events, size_t queue_limit, size_t unbound_limit);

  // Registers channel `id`; buffered messages for it are delivered now.
  // ROAM_ESTATE if the id is in use.
  int add(uint64_t id, ChannelDirection dir, uint32_t initial_credit, void *token);
  bool contains(uint64_t id) const { return channels_.count(id) != 0; }

  int send_item(uint64_t id, wire::ByteView item);
  int close(uint64_t id, const wire::MetadataView &md);
  int reset(uint64_t id, const wire::MetadataView &md);
  int grant(uint64_t id, uint32_t additional);
  int set_manual_credit(uint64_t id, bool manual);
  int credit(uint64_t id, uint32_t *out) const;
  int queued(uint64_t id, size_t *out) const;

  // Inbound message for a channel; false if no channel has this id.
  bool handle(const wire::ChannelMessage &m);
  // Keeps a message for an id that is not bound yet.
  void buffer(const wire::ChannelMessage &m);
  // The session can take more: send what waits in queues.
  void flush();
  // The connection is gone: every channel ends with `reason`.
  void end_all(int reason);

  const ChannelStats &stats() const { return stats_; }

 private:
  struct Channel {
    ChannelDirection dir;
    void *token;
    // Send side
    uint32_t credit = 0;
    std::deque<std::vector<uint8_t>> queue;
    bool close_pending = false;
    wire::MetadataList close_md;
    bool wants_writable = false;
    // Receive side
    uint32_t threshold = 1;
    uint32_t consumed = 0;   // since the last grant
    uint64_t allowed = 0;    // items the sender may have sent so far
    uint64_t received = 0;
    bool manual = false;
  };
  struct Buffered {
    wire::ChannelKind kind;
    std::vector<uint8_t> bytes;  // item, or encoded metadata entries
    uint64_t md_count = 0;
    uint32_t additional = 0;
  };

  void pump(uint64_t id, Channel &c);
  void finish(uint64_t id, int reason, const wire::MetadataView &md);
  void deliver(uint64_t id, Channel &c, const wire::ChannelMessage &m);

  RpcSink *sink_;
  RpcEvents *events_;
  size_t queue_limit_;
  size_t unbound_limit_;
  size_t unbound_count_ = 0;
  std::map<uint64_t, Channel> channels_;
  std::map<uint64_t, std::vector<Buffered>> unbound_;
  ChannelStats stats_;
};

}  // namespace roam::rpc
