// roam_options_* — session configuration setters. Each validates its input
// and leaves the options untouched on ROAM_EINVAL, with a detail saying
// why (roam_last_error_detail).
#include <cinttypes>
#include <new>

#include "capi/api_guard.hpp"
#include "capi/error_detail.hpp"
#include "capi/session_handle.hpp"
#include "roam/roam_experimental.h"
#include "capi/metadata_handle.hpp"
#include "capi/options_handle.hpp"

namespace roam::capi {
session::SessionConfig config_for(const roam_options *opts, session::Role default_role) {
  session::SessionConfig c = opts ? opts->config : roam_options::defaults();
  int role = opts ? opts->role : ROAM_ROLE_DEFAULT;
  c.role = role == ROAM_ROLE_INITIATOR   ? session::Role::Initiator
           : role == ROAM_ROLE_ACCEPTOR ? session::Role::Acceptor
                                        : default_role;
  return c;
}
}  // namespace roam::capi

namespace {
constexpr uint32_t kMinFrameSize = 64;

// A timeout from the application: 0 is the default, ROAM_NO_TIMEOUT is
// "never" (0 inside the core).
uint64_t timeout_from_api(uint32_t ms, uint64_t default_ms) {
  if (ms == 0) return default_ms;
  return ms == ROAM_NO_TIMEOUT ? 0 : ms;
}
}  // namespace

using roam::capi::fail_with_detail;
using roam::capi::null_argument;

extern "C" {

int roam_options_new(roam_options **out) {
  if (out == nullptr) return null_argument(__func__, "out");
  *out = new (std::nothrow) roam_options();
  return *out ? ROAM_OK : fail_with_detail(ROAM_ENOMEM, "%s: out of memory", __func__);
}

void roam_options_free(roam_options *opts) { delete opts; }

int roam_options_set_role(roam_options *opts, int role) {
  if (!opts) return null_argument(__func__, "opts");
  if (role < ROAM_ROLE_DEFAULT || role > ROAM_ROLE_ACCEPTOR) {
    return fail_with_detail(ROAM_EINVAL,
                            "role %d is not ROAM_ROLE_DEFAULT (0), ROAM_ROLE_INITIATOR (1) or "
                            "ROAM_ROLE_ACCEPTOR (2)",
                            role);
  }
  opts->role = role;
  return ROAM_OK;
}

int roam_options_set_hello_metadata(roam_options *opts, const roam_metadata *md) {
  if (!opts) return null_argument(__func__, "opts");
  return roam::capi::guarded(__func__, [&]() -> int {
    opts->config.hello_metadata.clear();
    if (md) opts->config.hello_metadata.append(md->view());
    return ROAM_OK;
  });
}

int roam_options_set_parity(roam_options *opts, int parity) {
  if (!opts) return null_argument(__func__, "opts");
  // The default is roam-core's: the initiator takes odd ids.
  if (!roam::capi::parity_from_api(parity, roam::wire::Parity::Odd, &opts->config.parity)) {
    return roam::capi::invalid_parity(__func__, parity);
  }
  return ROAM_OK;
}

int roam_options_set_max_concurrent_requests(roam_options *opts, uint32_t n) {
  if (!opts) return null_argument(__func__, "opts");
  opts->config.max_concurrent_requests = n ? n : roam::capi::kDefaultMaxConcurrentRequests;
  return ROAM_OK;
}

int roam_options_set_keepalive(roam_options *opts, uint32_t interval_ms, uint32_t timeout_ms) {
  if (!opts) return null_argument(__func__, "opts");
  // Interval 0: no keepalive, roam-core's default. A Pong may take as long
  // as the interval unless told otherwise.
  opts->config.keepalive_interval_ms = interval_ms;
  opts->config.keepalive_timeout_ms = interval_ms == 0 ? 0 : timeout_ms ? timeout_ms : interval_ms;
  return ROAM_OK;
}

int roam_options_set_handshake_timeout(roam_options *opts, uint32_t timeout_ms) {
  if (!opts) return null_argument(__func__, "opts");
  opts->config.handshake_timeout_ms =
      timeout_from_api(timeout_ms, roam_options::defaults().handshake_timeout_ms);
  return ROAM_OK;
}

int roam_options_set_max_frame_size(roam_options *opts, uint32_t bytes) {
  if (!opts) return null_argument(__func__, "opts");
  if (bytes == 0) bytes = roam::session::SessionConfig().max_frame_size;
  if (bytes < kMinFrameSize) {
    return fail_with_detail(ROAM_EINVAL,
                            "max_frame_size %" PRIu32 " is below the minimum of %" PRIu32, bytes,
                            kMinFrameSize);
  }
  opts->config.max_frame_size = bytes;
  return ROAM_OK;
}

int roam_options_set_max_metadata_size(roam_options *opts, uint32_t bytes) {
  if (!opts) return null_argument(__func__, "opts");
  opts->config.max_metadata_size = bytes ? bytes : roam::session::SessionConfig().max_metadata_size;
  return ROAM_OK;
}

int roam_options_set_max_connections(roam_options *opts, uint32_t n) {
  if (!opts) return null_argument(__func__, "opts");
  opts->config.max_connections = n ? n : roam::session::SessionConfig().max_connections;
  return ROAM_OK;
}

int roam_options_set_channel_buffer_limits(roam_options *opts, size_t per_connection,
                                           size_t per_session) {
  if (!opts) return null_argument(__func__, "opts");
  roam::session::SessionConfig defaults;
  opts->config.channel_buffer_per_connection =
      per_connection ? per_connection : defaults.channel_buffer_per_connection;
  opts->config.channel_buffer_per_session =
      per_session ? per_session : defaults.channel_buffer_per_session;
  return ROAM_OK;
}

int roam_options_set_outbound_limits(roam_options *opts, size_t soft, size_t hard) {
  if (!opts) return null_argument(__func__, "opts");
  roam::session::SessionConfig defaults;
  if (soft == 0) soft = defaults.outbound_soft_limit;
  if (hard == 0) hard = defaults.outbound_hard_limit;
  if (soft >= hard) {
    return fail_with_detail(ROAM_EINVAL, "outbound soft limit %zu must be below hard limit %zu",
                            soft, hard);
  }
  opts->config.outbound_soft_limit = soft;
  opts->config.outbound_hard_limit = hard;
  return ROAM_OK;
}

int roam_options_set_frame_timeout(roam_options *opts, uint32_t timeout_ms) {
  if (!opts) return null_argument(__func__, "opts");
  opts->config.frame_timeout_ms =
      timeout_from_api(timeout_ms, roam::session::SessionConfig().frame_timeout_ms);
  return ROAM_OK;
}

int roam_options_set_idle_timeout(roam_options *opts, uint32_t timeout_ms) {
  if (!opts) return null_argument(__func__, "opts");
  opts->config.idle_timeout_ms =
      timeout_from_api(timeout_ms, roam::session::SessionConfig().idle_timeout_ms);
  return ROAM_OK;
}

int roam_options_set_listener_limits(roam_options *opts, uint32_t max_sessions,
                                     uint32_t max_handshaking) {
  if (!opts) return null_argument(__func__, "opts");
  opts->max_sessions = max_sessions ? max_sessions : roam_options::kDefaultMaxSessions;
  opts->max_handshaking = max_handshaking ? max_handshaking : roam_options::kDefaultMaxHandshaking;
  return ROAM_OK;
}

int roam_options_set_reuse_port(roam_options *opts, int on) {
  if (!opts) return null_argument(__func__, "opts");
  opts->reuse_port = on != 0;
  return ROAM_OK;
}

int roam_options_set_protocol_version_for_testing(roam_options *opts, uint32_t version) {
  if (!opts) return null_argument(__func__, "opts");
  opts->config.protocol_version = version;
  return ROAM_OK;
}

}  // extern "C"
