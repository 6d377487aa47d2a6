// Well-formed messages from fuzzer-chosen fields. Raw bytes rarely get past
// the decoder; messages built here do, so the fuzzer reaches the session's
// routing and the drivers' call and channel logic. Ids are mostly picked
// from those the session has actually used, so responses, cancels, credit
// and closes land on live calls, channels and connections.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "wire/message.hpp"
#include "wire/metadata.hpp"

namespace roam::fuzz {

// Ids worth aiming at, gathered by the session harness.
struct KnownIds {
  std::vector<uint64_t> connections;
  std::vector<uint64_t> requests;
  std::vector<uint64_t> channels;
  std::vector<uint64_t> nonces;
};

// Owns the bytes a built message's views point to.
struct MessageParts {
  wire::MetadataList metadata;
  std::vector<uint8_t> payload;
  std::vector<uint64_t> channel_ids;
  std::string text;
};

// A known id most of the time, else a small or a full 64-bit one.
uint64_t pick_id(FuzzInput &in, const std::vector<uint64_t> &known);

wire::MetadataList build_metadata(FuzzInput &in);
wire::ConnectionSettings build_settings(FuzzInput &in);
// Arguments, items: a few bytes from the input, or a large filler (to reach
// frame, metadata and backlog limits without long inputs).
std::vector<uint8_t> build_payload(FuzzInput &in);
// A response payload: every RoamError envelope, or raw bytes.
std::vector<uint8_t> build_response_payload(FuzzInput &in);

wire::RequestMessage build_request(FuzzInput &in, const KnownIds &known, MessageParts &parts);
wire::ChannelMessage build_channel(FuzzInput &in, const KnownIds &known, MessageParts &parts);
wire::Message build_message(FuzzInput &in, const KnownIds &known, MessageParts &parts);

}  // namespace roam::fuzz
