// BLAKE3 (the default hash mode, 32-byte output), written from the BLAKE3
// specification: method ids are BLAKE3 hashes (see method_id.hpp). Portable
// and unhurried: it hashes names and type signatures, not bulk data.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace roam::hash {

using Blake3Digest = std::array<uint8_t, 32>;

// BLAKE3(data[0..len)).
Blake3Digest blake3(const uint8_t *data, size_t len);

}  // namespace roam::hash
