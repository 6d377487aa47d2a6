// Everything a session core is configured with, and the defaults the roam
// reference uses where it has one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "wire/message.hpp"
#include "wire/metadata.hpp"

namespace roam::session {

enum class Role : uint8_t { Initiator, Acceptor };

struct SessionConfig {
  Role role = Role::Initiator;
  // The initiator's session parity (Rust default: Odd). The acceptor ignores
  // its own and takes the opposite of the initiator's.
  wire::Parity parity = wire::Parity::Odd;
  // Advertised for the root connection in Hello / HelloYourself.
  uint32_t max_concurrent_requests = 64;
  // Sent in Hello / HelloYourself.
  wire::MetadataList hello_metadata;
  // Only tests change this: it lets us play a peer speaking another version.
  uint32_t protocol_version = wire::kProtocolVersion;

  // 0 = wait forever, as the Rust reference does.
  uint64_t handshake_timeout_ms = 0;
  // Both non-zero enables keepalive (Rust disables it when either is zero).
  uint64_t keepalive_interval_ms = 0;
  uint64_t keepalive_timeout_ms = 0;
  // A frame whose first byte arrived must be complete this long after it
  // (0 = no limit; the reference has none). Without it a peer that announces
  // a big frame and trickles a byte now and then holds the session forever.
  uint64_t frame_timeout_ms = 30000;
  // No inbound frame at all for this long ends an established session
  // (0 = never; the reference waits forever). Every frame counts, Pings and
  // Pongs included: keepalive with a shorter interval keeps a quiet but
  // healthy session alive.
  uint64_t idle_timeout_ms = 300000;

  // Limits. The reference has none; a C library must.
  uint32_t max_frame_size = 16u << 20;    // per link payload, both directions
  uint32_t max_metadata_size = 64u << 10; // encoded bytes of one metadata list
  uint32_t max_connections = 4096;        // virtual connections alive at once
  // Outbound bytes not yet written by the transport: above the soft limit
  // user sends get ROAM_EAGAIN (and a writable event later); above the hard
  // limit (a peer that does not read, even control replies) the session ends.
  size_t outbound_soft_limit = 4u << 20;
  size_t outbound_hard_limit = 64u << 20;
  // Bytes kept for channels that a served call named but the application
  // has not bound yet, per virtual connection and for the whole session.
  // A peer past either is flooding channels nobody reads: ProtocolError.
  size_t channel_buffer_per_connection = 4u << 20;
  size_t channel_buffer_per_session = 16u << 20;

  // Whether someone decides on inbound ConnectionOpen. Without it every
  // inbound open is rejected, as in roam-core without an acceptor.
  bool accepts_inbound = false;
};

}  // namespace roam::session
