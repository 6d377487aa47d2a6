// The session's connections by id: the root (0) and every virtual one,
// whether still pending (either direction) or open.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "wire/message.hpp"

namespace roam::session {

enum class ConnState : uint8_t {
  PendingOutbound,  // we sent ConnectionOpen, waiting for Accept / Reject
  PendingInbound,   // the peer sent ConnectionOpen, waiting for our decision
  Open,
};

struct Connection {
  uint64_t id = 0;
  ConnState state = ConnState::Open;
  wire::ConnectionSettings local;  // ours (valid once we sent them)
  wire::ConnectionSettings peer;   // the peer's (valid once received)
  // The layer above's object for this connection (the C API's roam_conn),
  // owned there: the core keeps it only so nobody needs a second table.
  void *app = nullptr;
};

class ConnectionTable {
 public:
  Connection *find(uint64_t id);
  const Connection *find(uint64_t id) const;
  bool contains(uint64_t id) const { return conns_.count(id) != 0; }
  Connection &insert(const Connection &c);
  // Removes and returns the connection; false if there was none.
  bool remove(uint64_t id, Connection *out);
  // Empties the table, returning what was in it (in id order).
  std::vector<Connection> drain();

  size_t size() const { return conns_.size(); }
  template <class Fn>
  void for_each(Fn &&fn) const {
    for (const auto &kv : conns_) fn(kv.second);
  }
  template <class Pred>
  bool any_of(Pred &&pred) const {
    for (const auto &kv : conns_) {
      if (pred(kv.second)) return true;
    }
    return false;
  }
  // Connections other than the root, pending ones included (this is what
  // the root-liveness rule counts, as roam-core does).
  size_t virtual_count() const { return conns_.size() - (contains(0) ? 1 : 0); }

 private:
  // Hashed: a lookup per frame stays one probe however many connections a
  // session holds (a million in the benchmark). drain() sorts, so teardown
  // still reports connections in id order.
  std::unordered_map<uint64_t, Connection> conns_;
};

// Hands out ids of one parity, stepping by two (Odd: 1, 3, 5…; Even: 2, 4…);
// 0 is never produced. Used for connection, request and channel ids alike.
class IdAllocator {
 public:
  explicit IdAllocator(wire::Parity p = wire::Parity::Odd) : next_(p == wire::Parity::Odd ? 1 : 2) {}
  uint64_t next() {
    uint64_t id = next_;
    next_ += 2;
    return id;
  }

 private:
  uint64_t next_;
};

}  // namespace roam::session
