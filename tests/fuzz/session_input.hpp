// The input language of fuzz_session, shared with the seed generator: a
// header that configures the session, then a program of operations, one
// opcode byte each followed by its arguments (read with FuzzInput, so a
// truncated program just reads zeros).
#pragma once

#include <cstddef>
#include <cstdint>

namespace roam::fuzz {

// Header bytes, in order.
enum SessionHeaderByte : size_t {
  kHeaderFlags = 0,
  kHeaderConcurrency,  // low nibble: ours; high nibble: the peer's (handshake)
  kHeaderFrameSize,    // max_frame_size = 32 + 32 * b
  kHeaderSoftLimit,    // outbound_soft_limit = 64 + 64 * b
  kHeaderHardLimit,    // outbound_hard_limit = soft + 64 + 128 * b
  kHeaderConnections,  // low nibble: max_connections; high: channel queue limit - 1
  kHeaderMetadata,     // max_metadata_size = 16 + 16 * b
  kHeaderTimers,       // keepalive interval (low nibble), timeout (high), handshake timeout
  kHeaderChannelBuffers,  // bytes kept for unbound channels: 32 * low nibble per
                          // connection, 128 * high nibble per session
  kHeaderTimeouts,        // frame timeout 100 ms * low nibble, idle 500 ms * high (0 = off)
  kSessionHeaderSize,
};

enum SessionHeaderFlag : uint8_t {
  kFlagAcceptor = 1 << 0,          // else initiator
  kFlagEvenParity = 1 << 1,        // the initiator's session parity
  kFlagPeerEvenParity = 1 << 2,    // parity in the peer's Hello / HelloYourself
  kFlagAcceptsInbound = 1 << 3,    // someone decides inbound opens
  kFlagStalledTransport = 1 << 4,  // written bytes stay in the transport backlog
  kFlagKeepalive = 1 << 5,
  kFlagHandshakeTimeout = 1 << 6,
  kFlagNoHandshake = 1 << 7,       // the program must do the handshake itself
};

// Operations. The first group is what the peer and the transport do; the
// rest is what a local user does, and may also run from inside a callback.
enum class SessionOp : uint8_t {
  PeerBytes,      // u16 length + raw bytes, as read from the transport
  PeerMessages,   // 1..3 well-formed messages built from fields, one read or two
  Tick,            // advance the clock by u8 ms
  TickToDeadline,  // advance the clock to next_deadline(), as the timer would
  SetBacklog,      // transport backlog = u8/128 of the hard limit
  DrainBacklog,    // the transport wrote u8/255 of its backlog
  PauseReading,    // the transport stops or resumes reading (proxy backpressure)
  TransportEnd,    // EOF or a transport error
  // ---- local operations ----
  Open,
  Accept,
  Reject,
  CloseConnection,
  Call,
  Cancel,
  Reply,
  Abandon,
  AddChannel,
  SendItem,
  CloseChannel,
  ResetChannel,
  GrantCredit,
  ManualCredit,
  Ping,
  ReleaseRoot,
  Shutdown,
  RawSend,         // request or channel message through the core (the raw API)
  FlushChannels,   // a driver's on_writable
  AcceptsInbound,  // toggle
  Count,
};

constexpr uint8_t kFirstLocalOp = static_cast<uint8_t>(SessionOp::Open);
constexpr uint8_t kSessionOpCount = static_cast<uint8_t>(SessionOp::Count);

}  // namespace roam::fuzz
