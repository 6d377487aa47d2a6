// Method ids as roam 7.3.0 computes them (roam-hash): the first 8 bytes,
// little-endian, of BLAKE3(kebab(service) "." kebab(method) BLAKE3(signature)),
// where the signature is the encoded args tuple followed by the encoded
// return type (signature_builder.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace roam::hash {

// False when a name is not ASCII (kebab_case() cannot case it as heck would).
bool method_id(std::string_view service, std::string_view method, const uint8_t *signature,
               size_t signature_len, uint64_t *id);

}  // namespace roam::hash
