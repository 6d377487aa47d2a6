#include "capi/listener_tally.hpp"

#include "capi/session_handle.hpp"

namespace roam::capi {

ListenerTally::~ListenerTally() {
  for (auto &entry : live_) entry.first->listener_tally = nullptr;
}

void ListenerTally::add(roam_session *s) {
  live_[s] = true;
  ++handshaking_;
  ++accepted_;
  s->listener_tally = this;
}

void ListenerTally::handshake_done(roam_session *s) {
  auto it = live_.find(s);
  if (it == live_.end() || !it->second) return;
  it->second = false;
  --handshaking_;
}

void ListenerTally::session_ended(roam_session *s) {
  auto it = live_.find(s);
  if (it == live_.end()) return;
  if (it->second) --handshaking_;
  live_.erase(it);
  s->listener_tally = nullptr;
}

}  // namespace roam::capi
