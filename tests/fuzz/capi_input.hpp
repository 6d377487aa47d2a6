// The input language of fuzz_capi, shared with its seed generator: a header
// that picks the sessions and their options, then a program of operations,
// one opcode byte each followed by its arguments (read with FuzzInput, so a
// truncated program just reads zeros). Callbacks read bytes from the same
// stream to decide whether to act re-entrantly.
#pragma once

#include <cstddef>
#include <cstdint>

namespace roam::fuzz::capi {

// Header bytes, in order.
enum CapiHeaderByte : size_t {
  kCapiFlags = 0,
  kCapiFrameSize,       // max_frame_size = 64 + 16 * b (with kCapiSmallFrames)
  kCapiOutbound,        // soft = 256 + 64 * low nibble, hard = soft + 256 * (1 + high)
  kCapiChannelBuffers,  // per connection 32 * (1 + low), per session 128 * (1 + high)
  kCapiKeepalive,       // interval 100 + 50 * low ms, timeout 100 + 100 * high ms
  kCapiTimeouts,        // handshake 100 * (1 + low), frame 50 * (1 + bits 4-5), idle 500 * (1 + bits 6-7) ms
  kCapiLimits,          // max_concurrent_requests 1 + low, max_connections 1 + high
  kCapiParity,          // bit 0: initiator parity even; bit 1: hostile peer's parity even;
                        // the callbacks tables (kCapiTable* bits) from bit 2 on
  kCapiHeaderSize,
};

enum CapiFlag : uint8_t {
  kCapiTwoSessions = 1 << 0,  // else one session and a hostile peer played by the harness
  kCapiFirstAcceptor = 1 << 1,
  kCapiSmallFrames = 1 << 2,
  kCapiSmallOutbound = 1 << 3,
  kCapiSmallChannelBuffers = 1 << 4,
  kCapiKeepaliveOn = 1 << 5,
  kCapiShortTimeouts = 1 << 6,
  kCapiHelloMetadata = 1 << 7,
};

// Bits of the kCapiParity header byte from bit 2 on: which entries the
// sessions' callbacks tables leave out, and a test-only protocol version.
enum CapiTableBit : uint8_t {
  kCapiTableNoServe = 1 << 2,         // calls go to the raw request callback (or UnknownMethod)
  kCapiTableNoRaw = 1 << 3,           // no raw request / raw channel callbacks
  kCapiTableNoInboundOpen = 1 << 4,   // inbound opens are rejected by the library
  kCapiTableNoTrace = 1 << 5,         // no frame tracing
  kCapiTableTestVersion = 1 << 6,     // session 0 sends Hello with a test version:
  kCapiTableTestVersionSeven = 1 << 7,  // 7 with this bit, else 8 (a mismatch)
};

// Operations. The first group moves bytes and time; the rest is what a user
// does through roam.h, and may also run from inside a callback.
enum class CapiOp : uint8_t {
  Pump,            // u8 direction/mutation, u8 chunk size (0: all)
  PumpAll,         // both directions until nothing is pending
  PeerBytes,       // u8 session, u8 length + raw bytes into its receive
  PeerMessages,    // u8 session, 1..3 well-formed messages into its receive
  Eof,             // u8 session: receive_eof
  Tick,            // u8: advance the clock (< 128: ms, else seconds) and tick both
  TickToDeadline,  // u8 session: advance to its next_deadline and tick it
  // ---- user operations ----
  Open,
  Accept,
  Reject,
  CloseConn,
  ReleaseConn,
  Call,
  CallWithChannels,
  Cancel,
  Reply,
  ChannelOpen,
  ChannelBind,
  ChannelSend,
  ChannelClose,
  ChannelReset,
  ChannelGrant,
  ChannelManualCredit,
  Ping,
  Shutdown,
  CloseSession,
  Proxy,
  Inspect,         // u8 what: getters, and ids that have ended (ROAM_ENOTFOUND)
  RawSend,
  Count,
};

constexpr uint8_t kFirstUserOp = static_cast<uint8_t>(CapiOp::Open);
constexpr uint8_t kCapiOpCount = static_cast<uint8_t>(CapiOp::Count);

}  // namespace roam::fuzz::capi
