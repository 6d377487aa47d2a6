// roam_options: a session configuration under construction.
#pragma once

#include "roam/roam.h"
#include "session/session_config.hpp"

struct roam_options {
  // A listener's caps (ignored by other ways of making a session). Every
  // session costs memory and a socket until it ends, so a listener bounds
  // how many it keeps: 10000 covers a busy server (each idle session is a
  // few KiB here, plus the kernel's socket buffers) while stopping a flood
  // of connections from taking the process's memory and descriptors. Those
  // still in handshake are bounded tighter: they have proven nothing yet,
  // and 1024 is far more than honest clients need at once (a handshake
  // takes about one round trip) while a slow-loris flood stays a few MiB.
  static constexpr uint32_t kDefaultMaxSessions = 10000;
  static constexpr uint32_t kDefaultMaxHandshaking = 1024;

  int role = ROAM_ROLE_DEFAULT;
  roam::session::SessionConfig config = defaults();
  uint32_t max_sessions = kDefaultMaxSessions;
  uint32_t max_handshaking = kDefaultMaxHandshaking;
  bool reuse_port = false;  // listeners: SO_REUSEPORT

  static roam::session::SessionConfig defaults() {
    roam::session::SessionConfig c;
    c.handshake_timeout_ms = 30000;  // the reference waits forever; we do not
    return c;
  }
};

namespace roam::capi {
// The session configuration for `opts` (NULL = defaults) in a role, where
// `default_role` is what ROAM_ROLE_DEFAULT means for this way of creating.
session::SessionConfig config_for(const roam_options *opts, session::Role default_role);
}  // namespace roam::capi
