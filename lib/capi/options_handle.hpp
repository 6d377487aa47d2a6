// roam_options: a session configuration under construction.
#pragma once

#include "roam/roam.h"
#include "session/session_config.hpp"

struct roam_options {
  int role = ROAM_ROLE_DEFAULT;
  roam::session::SessionConfig config = defaults();

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
