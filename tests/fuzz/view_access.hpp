// Reading every byte a view points at. The library hands out views into
// frames and buffers it owns; a fuzz target that only looked at sizes would
// never notice one that dangles. Reading them all lets AddressSanitizer see
// it at the moment it is handed out.
#pragma once

#include <cstdint>
#include <vector>

#include "wire/message.hpp"
#include "wire/metadata.hpp"

namespace roam::fuzz {

void read_all(wire::ByteView bytes);
void read_all(const wire::MetadataView &md);
void read_all(const wire::RequestMessage &m);
void read_all(const wire::ChannelMessage &m);

// The ids of a channel-id list, in order.
std::vector<uint64_t> ids_of(const wire::IdList &ids);

}  // namespace roam::fuzz
