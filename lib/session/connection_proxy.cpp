#include "session/connection_proxy.hpp"

#include "roam/roam_errors.h"

namespace roam::session {

namespace {
bool is_open(ProxyEndpoint &end, uint64_t conn) {
  const Connection *c = end.proxy_core().find(conn);
  return c != nullptr && c->state == ConnState::Open;
}
}  // namespace

ProxyTable::~ProxyTable() {
  on_writable();
  for (ProxyEndpoint *dest : paused_on_) dest->proxy_table().waiting_sources_.erase(self_);
  // Partners must not forward into a session that is gone.
  for (auto &kv : routes_) {
    if (kv.second.to != self_) kv.second.to->proxy_table().routes_.erase(kv.second.conn);
  }
}

int ProxyTable::join(ProxyEndpoint &a_end, uint64_t a, ProxyEndpoint &b_end, uint64_t b) {
  if (&a_end == &b_end && a == b) return ROAM_EINVAL;
  if (!is_open(a_end, a) || !is_open(b_end, b)) return ROAM_ESTATE;
  if (a_end.proxy_table().forwards(a) || b_end.proxy_table().forwards(b)) return ROAM_ESTATE;
  a_end.proxy_table().routes_[a] = Route{&b_end, b};
  b_end.proxy_table().routes_[b] = Route{&a_end, a};
  return ROAM_OK;
}

template <class Send>
void ProxyTable::forward_with(uint64_t conn, Send &&send) {
  auto it = routes_.find(conn);
  if (it == routes_.end()) return;
  Route to = it->second;
  SessionCore &dest = to.to->proxy_core();
  // Forced: what the peer sent is already ours to deliver; the sending
  // side is paused below instead of refusing it.
  int rc = send(dest, to.conn);
  to.to->proxy_output_queued();
  if (rc != ROAM_OK) {
    unlink(conn);  // the other side is gone: stop forwarding, close both
    return;
  }
  if (dest.congested()) pause_for(to.to);
}

void ProxyTable::forward(uint64_t conn, const wire::RequestMessage &m) {
  forward_with(conn, [&m](SessionCore &dest, uint64_t to) { return dest.send_request(to, m, true); });
}

void ProxyTable::forward(uint64_t conn, const wire::ChannelMessage &m) {
  forward_with(conn, [&m](SessionCore &dest, uint64_t to) { return dest.send_channel(to, m, true); });
}

void ProxyTable::pause_for(ProxyEndpoint *congested) {
  if (congested == self_) return;  // a proxy inside one session: nothing to pause
  paused_on_.insert(congested);
  congested->proxy_table().waiting_sources_.insert(self_);
  self_->proxy_set_reading(false);
}

void ProxyTable::on_writable() {
  std::set<ProxyEndpoint *> waiting;
  waiting.swap(waiting_sources_);
  for (ProxyEndpoint *src : waiting) {
    ProxyTable &t = src->proxy_table();
    t.paused_on_.erase(self_);
    if (t.paused_on_.empty()) src->proxy_set_reading(true);
  }
}

void ProxyTable::connection_gone(uint64_t conn) { unlink(conn); }

void ProxyTable::unlink(uint64_t conn) {
  auto it = routes_.find(conn);
  if (it == routes_.end()) return;
  Route to = it->second;
  routes_.erase(it);
  to.to->proxy_table().routes_.erase(to.conn);
  // Like roam-core: when one side ends, the other is closed. Our own side
  // is closed too if it is a virtual connection still open (the forward
  // failed); our root stays for the application to release.
  if (is_open(*to.to, to.conn)) to.to->proxy_close(to.conn);
  if (conn != 0 && is_open(*self_, conn)) self_->proxy_close(conn);
}

}  // namespace roam::session
