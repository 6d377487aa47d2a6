// Channels on one connection, with roam's item-based credit
// (rpc.flow-control.credit.*): a sender starts with the channel's initial
// credit, spends one per item and never sends at zero; the receiver grants
// more as items are consumed (roam-core batches grants at max(N/2, 1)).
//
// Sending side: items beyond credit (or beyond the session's outbound limit)
// wait in a per-channel queue bounded by `queue_limit`; past it send_item
// says ROAM_EAGAIN and on_channel_writable follows once there is room.
// Receiving side: credit is granted back automatically after each item is
// delivered, or by grant() in manual mode. An item beyond the credit we
// granted breaks rpc.flow-control.credit: it is never delivered; the
// channel is reset (the peer is told to stop) and ends with ROAM_EPROTO.
//
// Messages for ids nobody bound yet are kept only for ids a served Call
// named (announce()), as roam-core does for the race between a call and
// its handler, and only within a byte budget per connection and per
// session. Anything else for an unknown id (a late grant after our close,
// items in flight after our reset, ids never announced) is dropped.
//
// Re-entrancy: every send can end the session inside it (the outbound hard
// limit), which ends every channel here through end_all(). So no reference
// into the table is used after a send unless still_there() says no channel
// was removed meanwhile; otherwise channels are looked up again by id.
#pragma once

#include <cstdint>
#include <map>
#include <unordered_map>
#include <vector>

#include "rpc/buffer_budget.hpp"
#include "rpc/item_queue.hpp"
#include "rpc/rpc_ports.hpp"
#include "wire/metadata.hpp"

namespace roam::rpc {

enum class ChannelDirection : uint8_t { Send = 0, Receive = 1 };

struct ChannelStats {
  uint64_t items_sent = 0;
  uint64_t items_received = 0;
  uint64_t credit_violations = 0;  // items received beyond the credit we gave
  uint64_t dropped_unknown = 0;    // messages for ids neither bound nor announced
};

class ChannelTable {
 public:
  // `kept_limit`: bytes kept for announced, unbound ids on this connection;
  // `session_budget` (may be null) is shared with the session's other
  // connections.
  ChannelTable(RpcSink *sink, RpcEvents *events, size_t queue_limit, size_t kept_limit,
               BufferBudget *session_budget);
  ~ChannelTable();
  ChannelTable(const ChannelTable &) = delete;
  ChannelTable &operator=(const ChannelTable &) = delete;

  // Registers channel `id`; messages kept for it are delivered now.
  // ROAM_ESTATE if the id is in use.
  int add(uint64_t id, ChannelDirection dir, uint32_t initial_credit, void *token);
  bool contains(uint64_t id) const { return channels_.count(id) != 0; }
  // Whether a call being served named `id` and nobody bound it yet.
  bool announced(uint64_t id) const { return announced_.count(id) != 0; }
  // Whether `id` is held with this token.
  bool holds(uint64_t id, const void *token) const {
    auto it = channels_.find(id);
    return it != channels_.end() && it->second.token == token;
  }
  size_t size() const { return channels_.size(); }

  int send_item(uint64_t id, wire::ByteView item);
  int close(uint64_t id, const wire::MetadataView &md);
  int reset(uint64_t id, const wire::MetadataView &md);
  int grant(uint64_t id, uint32_t additional);
  int set_manual_credit(uint64_t id, bool manual);
  int credit(uint64_t id, uint32_t *out) const;
  int queued(uint64_t id, size_t *out) const;

  // A Call we serve names `id`: its messages are kept until it is bound or
  // forgotten. ROAM_ELIMIT if that would exceed a byte budget.
  int announce(uint64_t id);
  // The call that named `id` was answered or released: if the id was never
  // bound, what was kept for it is dropped and later traffic with it.
  void forget(uint64_t id);

  // Inbound message for a bound channel; false if no channel has this id.
  bool handle(const wire::ChannelMessage &m);
  // Keeps a message for an announced id that is not bound yet (drops one
  // for an unknown id). ROAM_ELIMIT when keeping it would exceed a budget:
  // the peer is flooding channels nobody reads, a protocol violation.
  int keep_for_binding(const wire::ChannelMessage &m);
  // The session can take more: send what waits in queues.
  void flush();
  // The connection is gone: every channel ends with `reason`, and the
  // table takes no new ones (add() says ROAM_ECLOSED), so a channel added
  // from inside an end callback cannot outlive its connection unended.
  void end_all(int reason);

  size_t kept_bytes() const { return kept_.used(); }
  const ChannelStats &stats() const { return stats_; }

 private:
  struct Channel {
    ChannelDirection dir;
    void *token;
    // Send side
    uint32_t credit = 0;
    ItemQueue queue;
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
  struct Kept {
    wire::ChannelKind kind;
    std::vector<uint8_t> bytes;  // item, or encoded metadata entries
    uint64_t md_count = 0;
    uint32_t additional = 0;
  };
  struct Announced {
    std::vector<Kept> messages;
    size_t charged = 0;  // bytes taken from both budgets for this id
  };

  bool charge(size_t n);
  void release(Announced &a);
  void pump(uint64_t id);
  // One Item message for channel `id` (at `it`) to the sink, and what came
  // of it: out (credit spent), congested (nothing sent, the channel waits),
  // or gone (the send failed and ended it, or ended the session). `it` is
  // still good unless gone.
  enum class Sent { kOut, kCongested, kGone };
  Sent send_now(std::map<uint64_t, Channel>::iterator &it, uint64_t id, wire::ByteView item);
  // After a send: whether channel `id` (with `token`) is still in the table,
  // `it` pointing at it (found again only if something was removed).
  bool still_there(std::map<uint64_t, Channel>::iterator &it, uint64_t id, void *token,
                   uint64_t removals_before);
  void finish(uint64_t id, int reason, const wire::MetadataView &md);
  void deliver(uint64_t id, const wire::ChannelMessage &m);

  RpcSink *sink_;
  RpcEvents *events_;
  size_t queue_limit_;
  BufferBudget kept_;
  BufferBudget *session_budget_;
  using ChannelMap = std::map<uint64_t, Channel>;
  ChannelMap channels_;
  // Channels removed so far: a send can end channels (or the session) under
  // the caller, and an iterator taken before it is good after it exactly
  // when no removal happened meanwhile (insertions leave map iterators be).
  uint64_t removals_ = 0;
  std::unordered_map<uint64_t, Announced> announced_;
  ChannelStats stats_;
  bool ended_ = false;
};

}  // namespace roam::rpc
