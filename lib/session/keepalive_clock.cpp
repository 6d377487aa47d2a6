#include "session/keepalive_clock.hpp"

namespace roam::session {

namespace {
// Explicit probes that never get an answer must not accumulate forever.
constexpr size_t kMaxOutstandingPings = 64;
}  // namespace

void KeepaliveClock::configure(uint64_t interval_ms, uint64_t timeout_ms) {
  interval_us_ = interval_ms * 1000;
  timeout_us_ = timeout_ms * 1000;
}

void KeepaliveClock::start(uint64_t now_us) {
  next_ping_at_ = enabled() ? now_us + interval_us_ : kNever;
  waiting_nonce_ = 0;
  pong_deadline_ = kNever;
}

KeepaliveClock::Due KeepaliveClock::poll(uint64_t now_us) const {
  if (!enabled()) return Due::Nothing;
  if (waiting_nonce_ != 0) return now_us >= pong_deadline_ ? Due::TimedOut : Due::Nothing;
  return now_us >= next_ping_at_ ? Due::SendPing : Due::Nothing;
}

uint64_t KeepaliveClock::probe_sent(uint64_t now_us) {
  uint64_t nonce = next_nonce_++;
  if (outstanding_.size() >= kMaxOutstandingPings) outstanding_.erase(outstanding_.begin());
  outstanding_.push_back({nonce, now_us});
  return nonce;
}

uint64_t KeepaliveClock::ping_sent(uint64_t now_us) {
  uint64_t nonce = probe_sent(now_us);
  waiting_nonce_ = nonce;
  pong_deadline_ = now_us + timeout_us_;
  next_ping_at_ = now_us + interval_us_;
  return nonce;
}

bool KeepaliveClock::pong_received(uint64_t nonce, uint64_t now_us, uint64_t *rtt_us) {
  for (auto it = outstanding_.begin(); it != outstanding_.end(); ++it) {
    if (it->nonce != nonce) continue;
    *rtt_us = now_us >= it->sent_at ? now_us - it->sent_at : 0;
    outstanding_.erase(it);
    if (nonce == waiting_nonce_) {
      waiting_nonce_ = 0;
      pong_deadline_ = kNever;
      next_ping_at_ = now_us + interval_us_;
    }
    return true;
  }
  return false;
}

uint64_t KeepaliveClock::next_deadline() const {
  if (!enabled()) return kNever;
  return waiting_nonce_ != 0 ? pong_deadline_ : next_ping_at_;
}

}  // namespace roam::session
