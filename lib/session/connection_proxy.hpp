// Proxying (roam-core's proxy_connections), sans I/O: two open connections,
// of one session or of two, forwarded into each other verbatim (same
// request and channel ids, metadata and payload bytes; nothing decoded
// beyond routing or re-encoded), with backpressure across sessions: while
// the receiving session is congested the sending one stops reading, and
// reads again once the receiver drains. When either connection ends the
// other is closed, as roam-core does.
//
// Each session owns one ProxyTable; a ProxyEndpoint is how the table
// reaches a session (its core, its transport's reading, its output).
#pragma once

#include <cstdint>
#include <set>
#include <unordered_map>

#include "session/session_core.hpp"

namespace roam::session {

class ProxyTable;

class ProxyEndpoint {
 public:
  virtual SessionCore &proxy_core() = 0;
  virtual ProxyTable &proxy_table() = 0;
  // Frames were queued on proxy_core() by the other side: get them written.
  virtual void proxy_output_queued() = 0;
  // Stop or resume reading the transport (a stall we cause, not the peer).
  virtual void proxy_set_reading(bool reading) = 0;
  // Ends a forwarded connection: the other side of it is gone. A virtual
  // connection is closed (empty metadata), the root is released.
  virtual void proxy_close(uint64_t conn) = 0;

 protected:
  ~ProxyEndpoint() = default;
};

class ProxyTable {
 public:
  explicit ProxyTable(ProxyEndpoint *self) : self_(self) {}
  ProxyTable(const ProxyTable &) = delete;
  ProxyTable &operator=(const ProxyTable &) = delete;
  // Leaves no session waiting on, or paused by, this one.
  ~ProxyTable();

  // Joins connection `a` of `a_end` and `b` of `b_end` (the same endpoint
  // for a proxy inside one session). Both must be open and not forwarded.
  static int join(ProxyEndpoint &a_end, uint64_t a, ProxyEndpoint &b_end, uint64_t b);
  bool forwards(uint64_t conn) const { return routes_.count(conn) != 0; }
  bool empty() const { return routes_.empty(); }

  // Inbound traffic on a forwarded connection: sent on as is.
  void forward(uint64_t conn, const wire::RequestMessage &m);
  void forward(uint64_t conn, const wire::ChannelMessage &m);
  // This session drained: the sessions that stopped reading on its account
  // read again.
  void on_writable();
  // A connection of this session is gone: its partner is closed.
  void connection_gone(uint64_t conn);

 private:
  struct Route {
    ProxyEndpoint *to;
    uint64_t conn;
  };
  template <class Send>
  void forward_with(uint64_t conn, Send &&send);
  void pause_for(ProxyEndpoint *congested);
  // The route of `conn` is gone on both sides; closes what is still open.
  void unlink(uint64_t conn);

  ProxyEndpoint *self_;
  std::unordered_map<uint64_t, Route> routes_;
  std::set<ProxyEndpoint *> paused_on_;        // congested sessions we wait for
  std::set<ProxyEndpoint *> waiting_sources_;  // sessions waiting for us
};

}  // namespace roam::session
