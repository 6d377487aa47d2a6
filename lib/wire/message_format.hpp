// One-line human-readable rendering of messages and metadata, for
// transcripts, logs and the demo. Values flagged SENSITIVE are never shown.
#pragma once

#include <string>

#include "wire/message.hpp"
#include "wire/metadata.hpp"

namespace roam::wire {

std::string describe_metadata(const MetadataView &md);
std::string describe_message(const Message &m);
// Lowercase hex, cut after `limit` bytes with a "…(N bytes)" note.
std::string hex_preview(ByteView bytes, size_t limit = 32);

}  // namespace roam::wire
