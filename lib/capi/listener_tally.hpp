// What a listener knows about the sessions it accepted: how many are alive
// and how many of those are still in handshake, so that it can hold both
// under its caps, and how many connections it turned away.
//
// Sessions report to it when their handshake completes and when they end.
// Either may go first: sessions outlive a closed listener, so the tally
// detaches from those still counted when it goes (they then report nowhere).
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

struct roam_session;

namespace roam::capi {

class ListenerTally {
 public:
  ListenerTally() = default;
  ListenerTally(const ListenerTally &) = delete;
  ListenerTally &operator=(const ListenerTally &) = delete;
  ~ListenerTally();

  // A session was accepted; it starts in handshake.
  void add(roam_session *s);
  void handshake_done(roam_session *s);
  // The session ended (or went away): it no longer counts.
  void session_ended(roam_session *s);
  void refused() { ++refused_; }

  size_t sessions() const { return live_.size(); }
  size_t handshaking() const { return handshaking_; }
  uint64_t accepted() const { return accepted_; }
  uint64_t refused_count() const { return refused_; }

 private:
  // Each live session, and whether it is still in handshake.
  std::unordered_map<roam_session *, bool> live_;
  size_t handshaking_ = 0;
  uint64_t accepted_ = 0;
  uint64_t refused_ = 0;
};

}  // namespace roam::capi
