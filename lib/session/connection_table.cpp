#include "session/connection_table.hpp"

#include <algorithm>

namespace roam::session {

Connection *ConnectionTable::find(uint64_t id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : &it->second;
}

const Connection *ConnectionTable::find(uint64_t id) const {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : &it->second;
}

Connection &ConnectionTable::insert(const Connection &c) { return conns_[c.id] = c; }

bool ConnectionTable::remove(uint64_t id, Connection *out) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return false;
  if (out) *out = it->second;
  conns_.erase(it);
  return true;
}

std::vector<Connection> ConnectionTable::drain() {
  std::vector<Connection> all;
  all.reserve(conns_.size());
  for (auto &kv : conns_) all.push_back(kv.second);
  conns_.clear();
  std::sort(all.begin(), all.end(),
            [](const Connection &a, const Connection &b) { return a.id < b.id; });
  return all;
}

}  // namespace roam::session
