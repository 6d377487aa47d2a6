// Keepalive deadlines (roam-core's KeepaliveRuntime, deadline-driven instead
// of a 10 ms tick): a Ping with a fresh nonce once per interval while no Ping
// is outstanding; the matching Pong re-arms the interval; no Pong within the
// timeout is fatal. Also times explicit pings for round-trip reports.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace roam::session {

class KeepaliveClock {
 public:
  static constexpr uint64_t kNever = UINT64_MAX;

  // Both in milliseconds; all times below are microseconds.
  void configure(uint64_t interval_ms, uint64_t timeout_ms);
  bool enabled() const { return interval_us_ > 0 && timeout_us_ > 0; }
  void start(uint64_t now_us);

  enum class Due { Nothing, SendPing, TimedOut };
  // What is due at `now`.
  Due poll(uint64_t now_us) const;
  // A keepalive ping goes out now; returns its nonce.
  uint64_t ping_sent(uint64_t now_us);
  // An explicit ping (not part of keepalive) goes out now; returns its nonce.
  uint64_t probe_sent(uint64_t now_us);
  // A Pong arrived. Returns true (and the round trip) if it answers a ping
  // of ours; a stale or unknown nonce is ignored.
  bool pong_received(uint64_t nonce, uint64_t now_us, uint64_t *rtt_us);

  uint64_t waiting_nonce() const { return waiting_nonce_; }
  uint64_t next_deadline() const;

 private:
  uint64_t interval_us_ = 0;
  uint64_t timeout_us_ = 0;
  uint64_t next_ping_at_ = kNever;
  uint64_t waiting_nonce_ = 0;  // 0 = no keepalive ping outstanding
  uint64_t pong_deadline_ = kNever;
  uint64_t next_nonce_ = 1;     // nonces 1, 2, 3… like roam-core
  struct Outstanding {
    uint64_t nonce;
    uint64_t sent_at;
  };
  // Pings awaiting a Pong (the keepalive one and explicit probes); short.
  std::vector<Outstanding> outstanding_;
};

}  // namespace roam::session
