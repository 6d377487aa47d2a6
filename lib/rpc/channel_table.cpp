#include "rpc/channel_table.hpp"

#include "roam/roam_errors.h"

namespace roam::rpc {

using wire::ChannelKind;
using wire::ChannelMessage;
using wire::MetadataView;

ChannelTable::ChannelTable(RpcSink *sink, RpcEvents *events, size_t queue_limit,
                           size_t unbound_limit)
    : sink_(sink), events_(events), queue_limit_(queue_limit), unbound_limit_(unbound_limit) {}

int ChannelTable::add(uint64_t id, ChannelDirection dir, uint32_t initial_credit, void *token) {
  if (id == 0) return ROAM_EINVAL;  // channel id 0 is reserved
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
  auto it = unbound_.find(id);
  if (it != unbound_.end()) {
    std::vector<Buffered> waiting = std::move(it->second);
    unbound_.erase(it);
    unbound_count_ -= waiting.size();
    for (const Buffered &b : waiting) {
      ChannelMessage m;
      m.id = id;
      m.kind = b.kind;
      m.item = wire::ByteView(b.bytes.data(), b.bytes.size());
      m.metadata = MetadataView(b.md_count, m.item);
      m.additional = b.additional;
      if (!handle(m)) break;  // the channel ended (closed or reset)
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
  c.queue.emplace_back(item.data, item.data + item.size);
  pump(id, c);
  return ROAM_OK;
}

// Sends queued items while there is credit and the session takes them; a
// pending close goes out once the queue is empty.
void ChannelTable::pump(uint64_t id, Channel &c) {
  while (!c.queue.empty() && c.credit > 0) {
    ChannelMessage m;
    m.id = id;
    m.kind = ChannelKind::Item;
    m.item = wire::ByteView(c.queue.front().data(), c.queue.front().size());
    int rc = sink_->send_channel(m, false);
    if (rc == ROAM_EAGAIN) return;  // flush() retries when the session drains
    if (rc != ROAM_OK) {
      finish(id, rc, MetadataView());
      return;
    }
    --c.credit;
    ++stats_.items_sent;
    c.queue.pop_front();
  }
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
  pump(id, c);
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
  finish(id, ROAM_ERESET, MetadataView());
  return ROAM_OK;
}

int ChannelTable::grant(uint64_t id, uint32_t additional) {
  auto it = channels_.find(id);
  if (it == channels_.end()) return ROAM_ENOTFOUND;
  Channel &c = it->second;
  if (c.dir != ChannelDirection::Receive) return ROAM_EINVAL;
  if (additional == 0) return ROAM_OK;
  ChannelMessage m;
  m.id = id;
  m.kind = ChannelKind::GrantCredit;
  m.additional = additional;
  int rc = sink_->send_channel(m, true);
  if (rc == ROAM_OK) c.allowed += additional;
  return rc;
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
  *out = it->second.credit;
  return ROAM_OK;
}

int ChannelTable::queued(uint64_t id, size_t *out) const {
  auto it = channels_.find(id);
  if (it == channels_.end()) return ROAM_ENOTFOUND;
  *out = it->second.queue.size();
  return ROAM_OK;
}

void ChannelTable::deliver(uint64_t id, Channel &c, const ChannelMessage &m) {
  ++c.received;
  ++stats_.items_received;
  if (c.received > c.allowed) ++stats_.credit_violations;  // delivered anyway
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
      if (c.dir == ChannelDirection::Receive) deliver(m.id, c, m);
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
        pump(m.id, c);
      }
      return true;
  }
  return true;
}

void ChannelTable::buffer(const ChannelMessage &m) {
  if (unbound_count_ >= unbound_limit_) {
    ++stats_.dropped_unbound;
    return;
  }
  Buffered b;
  b.kind = m.kind;
  b.additional = m.additional;
  if (m.kind == ChannelKind::Item) {
    b.bytes.assign(m.item.data, m.item.data + m.item.size);
  } else {
    wire::ByteView md = m.metadata.entries();
    b.bytes.assign(md.data, md.data + md.size);
    b.md_count = m.metadata.count();
  }
  unbound_[m.id].push_back(std::move(b));
  ++unbound_count_;
}

void ChannelTable::flush() {
  std::vector<uint64_t> ids;
  for (auto &kv : channels_) {
    if (!kv.second.queue.empty() || kv.second.wants_writable) ids.push_back(kv.first);
  }
  for (uint64_t id : ids) {
    auto it = channels_.find(id);
    if (it != channels_.end()) pump(id, it->second);
  }
}

void ChannelTable::finish(uint64_t id, int reason, const MetadataView &md) {
  auto it = channels_.find(id);
  if (it == channels_.end()) return;
  void *token = it->second.token;
  channels_.erase(it);
  events_->on_channel_end(token, reason, md);
}

void ChannelTable::end_all(int reason) {
  std::map<uint64_t, Channel> all;
  all.swap(channels_);
  unbound_.clear();
  unbound_count_ = 0;
  for (auto &kv : all) events_->on_channel_end(kv.second.token, reason, MetadataView());
}

}  // namespace roam::rpc
