// The bytes a hostile peer sends a session after a valid handshake: the
// handshake message itself, then well-formed messages built from fuzzer
// fields and aimed at ids the session used (raw bytes alone rarely get past
// the decoder). Only the peer side uses the wire codec; the session under
// test is reached through roam.h.
#pragma once

#include <cstdint>
#include <vector>

#include "fuzz_input.hpp"
#include "message_builder.hpp"

namespace roam::fuzz::capi {

// A framed Hello (the peer initiates) or HelloYourself (it accepts), with
// the peer's root settings.
std::vector<uint8_t> hostile_handshake(bool peer_initiates, bool even_parity,
                                       uint32_t max_concurrent_requests);

// 1..3 framed messages from the input.
std::vector<uint8_t> hostile_messages(FuzzInput &in, const KnownIds &known);

}  // namespace roam::fuzz::capi
