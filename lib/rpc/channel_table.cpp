#include "rpc/channel_table.hpp"

#include "roam/roam_errors.h"

namespace roam::rpc {

using wire::ChannelKind;
using wire::ChannelMessage;
using wire::MetadataView;

namespace {
// What an announced id and a kept message cost against the budgets beyond
// their payload bytes: the bookkeeping the peer makes us allocate.
constexpr size_t kAnnouncedCost = 64;
constexpr size_t kKeptOverhead = 64;
}  // namespace

ChannelTable::ChannelTable(RpcSink *sink, RpcEvents *events, size_t queue_limit,
                           size_t kept_limit, BufferBudget *session_budget)
    : sink_(sink),
      events_(events),
      queue_limit_(queue_limit),
      kept_(kept_limit),
      session_budget_(session_budget) {}

ChannelTable::~ChannelTable() {
  for (auto &kv : announced_) release(kv.second);
}

int ChannelTable::add(uint64_t id, ChannelDirection dir, uint32_t initial_credit, void *token) {
  if (id == 0) return ROAM_EINVAL;  // channel id 0 is reserved
  if (ended_) return ROAM_ECLOSED;
  if (channels_.count(id)) return ROAM_ESTATE;
  Channel c;
  c.dir = dir;
  c.token = token;
  if (dir == ChannelDirection::Send) {
    c.credit = initial_credit;
  } else {
    c.allowed = initial_credit;
    c.threshold = initial_credit / 2 > 0 ? initial_credit / 2 : 1;
  }
  channels_.emplace(id, std::move(c));
  // Deliver what arrived before anyone bound this id, in order.
  auto it = announced_.find(id);
  if (it != announced_.end()) {
    std::vector<Kept> waiting = std::move(it->second.messages);
    release(it->second);
    announced_.erase(it);
    for (const Kept &k : waiting) {
      ChannelMessage m;
      m.id = id;
      m.kind = k.kind;
      m.item = wire::ByteView(k.bytes.data(), k.bytes.size());
      m.metadata = MetadataView(k.md_count, m.item);
      m.additional = k.additional;
      if (!handle(m)) break;  // the channel ended (closed, reset, over credit)
    }
  }
  return ROAM_OK;
}

int ChannelTable::send_item(uint64_t id, wire::ByteView item) {
  auto it = channels_.find(id);
  if (it == channels_.end()) return ROAM_ENOTFOUND;
  Channel &c = it->second;
  if (c.dir != ChannelDirection::Send) return ROAM_EINVAL;
  if (c.close_pending) return ROAM_ECLOSED;
  if (c.queue.size() >= queue_limit_) {
    c.wants_writable = true;
    return ROAM_EAGAIN;
  }
  if (c.queue.empty() && c.credit > 0) {
    // Nothing waits and the receiver has room: straight out, no copy. If
    // the session is congested, the item waits (flush() sends it).
    if (send_now(it, id, item) == Sent::kCongested) it->second.queue.push(item);
    return ROAM_OK;
  }
  c.queue.push(item);
  pump(id);
  return ROAM_OK;
}

ChannelTable::Sent ChannelTable::send_now(ChannelMap::iterator &it, uint64_t id,
                                          wire::ByteView item) {
  void *token = it->second.token;
  uint64_t removals = removals_;
  ChannelMessage m;
  m.id = id;
  m.kind = ChannelKind::Item;
  m.item = item;
  int rc = sink_->send_channel(m, false);
  // The send may have ended the session, and this channel with it.
  if (!still_there(it, id, token, removals)) return Sent::kGone;
  if (rc == ROAM_EAGAIN) return Sent::kCongested;
  if (rc != ROAM_OK) {
    finish(id, rc, MetadataView());
    return Sent::kGone;
  }
  --it->second.credit;
  ++stats_.items_sent;
  return Sent::kOut;
}

// Sends queued items while there is credit and the session takes them; a
// pending close goes out once the queue is empty.
void ChannelTable::pump(uint64_t id) {
  auto it = channels_.find(id);
  if (it == channels_.end()) return;
  for (;;) {
    Channel &c = it->second;
    if (c.queue.empty() || c.credit == 0) break;
    // Congested: flush() retries when the session drains.
    if (send_now(it, id, c.queue.front()) != Sent::kOut) return;
    it->second.queue.pop_front();
  }
  Channel &c = it->second;
  if (c.queue.empty() && c.close_pending) {
    ChannelMessage m;
    m.id = id;
    m.kind = ChannelKind::Close;
    m.metadata = c.close_md.view();
    sink_->send_channel(m, true);
    finish(id, ROAM_OK, MetadataView());
    return;
  }
  if (c.wants_writable && c.queue.size() < queue_limit_) {
    c.wants_writable = false;
    events_->on_channel_writable(c.token);
  }
}

int ChannelTable::close(uint64_t id, const MetadataView &md) {
  auto it = channels_.find(id);
  if (it == channels_.end()) return ROAM_ENOTFOUND;
  Channel &c = it->second;
  if (c.dir != ChannelDirection::Send) return ROAM_EINVAL;
  if (c.close_pending) return ROAM_ECLOSED;
  c.close_pending = true;
  c.close_md.append(md);
  pump(id);
  return ROAM_OK;
}

int ChannelTable::reset(uint64_t id, const MetadataView &md) {
  auto it = channels_.find(id);
  if (it == channels_.end()) return ROAM_ENOTFOUND;
  if (it->second.dir != ChannelDirection::Receive) return ROAM_EINVAL;
  ChannelMessage m;
  m.id = id;
  m.kind = ChannelKind::Reset;
  m.metadata = md;
  sink_->send_channel(m, true);
  finish(id, ROAM_ERESET, MetadataView());  // a no-op if the send ended everything
  return ROAM_OK;
}

int ChannelTable::grant(uint64_t id, uint32_t additional) {
  auto it = channels_.find(id);
  if (it == channels_.end()) return ROAM_ENOTFOUND;
  Channel &c = it->second;
  if (c.dir != ChannelDirection::Receive) return ROAM_EINVAL;
  if (additional == 0) return ROAM_OK;
  // Counted before the send, which may end the session (and the table).
  c.allowed += additional;
  ChannelMessage m;
  m.id = id;
  m.kind = ChannelKind::GrantCredit;
  m.additional = additional;
  return sink_->send_channel(m, true);
}

int ChannelTable::set_manual_credit(uint64_t id, bool manual) {
  auto it = channels_.find(id);
  if (it == channels_.end()) return ROAM_ENOTFOUND;
  if (it->second.dir != ChannelDirection::Receive) return ROAM_EINVAL;
  it->second.manual = manual;
  return ROAM_OK;
}

int ChannelTable::credit(uint64_t id, uint32_t *out) const {
  auto it = channels_.find(id);
  if (it == channels_.end()) return ROAM_ENOTFOUND;
  if (it->second.dir != ChannelDirection::Send) return ROAM_EINVAL;  // a sender's numbers
  *out = it->second.credit;
  return ROAM_OK;
}

int ChannelTable::queued(uint64_t id, size_t *out) const {
  auto it = channels_.find(id);
  if (it == channels_.end()) return ROAM_ENOTFOUND;
  if (it->second.dir != ChannelDirection::Send) return ROAM_EINVAL;
  *out = it->second.queue.size();
  return ROAM_OK;
}

void ChannelTable::deliver(uint64_t id, const ChannelMessage &m) {
  Channel &c = channels_.find(id)->second;
  if (c.received >= c.allowed) {
    // The sender spent credit it never had (rpc.flow-control.credit). The
    // item is not delivered; the channel is reset so the sender stops, and
    // the application learns why. Nothing is buffered either way.
    ++stats_.credit_violations;
    ChannelMessage reset;
    reset.id = id;
    reset.kind = ChannelKind::Reset;
    sink_->send_channel(reset, true);
    finish(id, ROAM_EPROTO, MetadataView());
    return;
  }
  ++c.received;
  ++stats_.items_received;
  void *token = c.token;
  events_->on_channel_item(token, m.item);
  // The callback may have reset the channel or ended the connection.
  auto it = channels_.find(id);
  if (it == channels_.end() || it->second.token != token || it->second.manual) return;
  Channel &live = it->second;
  if (++live.consumed >= live.threshold) {
    uint32_t n = live.consumed;
    live.consumed = 0;
    grant(id, n);
  }
}

bool ChannelTable::handle(const ChannelMessage &m) {
  auto it = channels_.find(m.id);
  if (it == channels_.end()) return false;
  Channel &c = it->second;
  switch (m.kind) {
    case ChannelKind::Item:
      if (c.dir == ChannelDirection::Receive) deliver(m.id, m);
      return true;  // an item on a channel we send on: ignored
    case ChannelKind::Close:
      if (c.dir == ChannelDirection::Receive) finish(m.id, ROAM_OK, m.metadata);
      return true;
    case ChannelKind::Reset:
      if (c.dir == ChannelDirection::Send) finish(m.id, ROAM_ERESET, m.metadata);
      return true;
    case ChannelKind::GrantCredit:
      if (c.dir == ChannelDirection::Send) {
        // Credit only adds (rpc.flow-control.credit.grant.additive).
        uint64_t sum = static_cast<uint64_t>(c.credit) + m.additional;
        c.credit = sum > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(sum);
        pump(m.id);
      }
      return true;
  }
  return true;
}

bool ChannelTable::charge(size_t n) {
  if (!kept_.try_take(n)) return false;
  if (session_budget_ && !session_budget_->try_take(n)) {
    kept_.give_back(n);
    return false;
  }
  return true;
}

void ChannelTable::release(Announced &a) {
  kept_.give_back(a.charged);
  if (session_budget_) session_budget_->give_back(a.charged);
  a.charged = 0;
}

int ChannelTable::announce(uint64_t id) {
  if (ended_ || id == 0 || channels_.count(id) || announced_.count(id)) return ROAM_OK;
  if (!charge(kAnnouncedCost)) return ROAM_ELIMIT;
  announced_[id].charged = kAnnouncedCost;
  return ROAM_OK;
}

void ChannelTable::forget(uint64_t id) {
  auto it = announced_.find(id);
  if (it == announced_.end()) return;
  release(it->second);
  announced_.erase(it);
}

int ChannelTable::keep_for_binding(const ChannelMessage &m) {
  auto it = announced_.find(m.id);
  if (it == announced_.end()) {
    ++stats_.dropped_unknown;
    return ROAM_OK;
  }
  wire::ByteView bytes = m.kind == ChannelKind::Item ? m.item : m.metadata.entries();
  size_t cost = bytes.size + kKeptOverhead;
  if (!charge(cost)) return ROAM_ELIMIT;
  Kept k;
  k.kind = m.kind;
  k.additional = m.additional;
  k.bytes.assign(bytes.data, bytes.data + bytes.size);
  if (m.kind != ChannelKind::Item) k.md_count = m.metadata.count();
  it->second.charged += cost;
  it->second.messages.push_back(std::move(k));
  return ROAM_OK;
}

void ChannelTable::flush() {
  // By id, looked up again after each pump (which may end channels, or the
  // whole table's contents with the session): nothing is collected first.
  auto it = channels_.begin();
  while (it != channels_.end()) {
    uint64_t id = it->first;
    if (!it->second.queue.empty() || it->second.wants_writable) pump(id);
    it = channels_.upper_bound(id);
  }
}

void ChannelTable::finish(uint64_t id, int reason, const MetadataView &md) {
  auto it = channels_.find(id);
  if (it == channels_.end()) return;
  void *token = it->second.token;
  channels_.erase(it);
  ++removals_;
  events_->on_channel_end(token, reason, md);
}

bool ChannelTable::still_there(ChannelMap::iterator &it, uint64_t id, void *token,
                               uint64_t removals_before) {
  if (removals_ == removals_before) return true;  // map iterators outlive insertions
  it = channels_.find(id);
  return it != channels_.end() && it->second.token == token;
}

void ChannelTable::end_all(int reason) {
  ended_ = true;
  ChannelMap all;
  all.swap(channels_);
  ++removals_;
  for (auto &kv : announced_) release(kv.second);
  announced_.clear();
  for (auto &kv : all) events_->on_channel_end(kv.second.token, reason, MetadataView());
}

}  // namespace roam::rpc
