// Postcard encoding and decoding of a whole Message (one link payload).
#pragma once

#include <cstddef>
#include <cstdint>

#include "wire/bytes.hpp"
#include "wire/message.hpp"

namespace roam::wire {

// Decodes exactly one Message from [data, data+size). On success `out` holds
// views into that range. Errors: ROAM_ETRUNCATED, ROAM_EOVERLONG,
// ROAM_EBADTAG, ROAM_EBADLENGTH, ROAM_ETRAILING, ROAM_EBADUTF8, ROAM_ERANGE.
int decode_message(const uint8_t *data, size_t size, Message *out);

// Appends the encoding of `m` to `out`.
void encode_message(ByteBuffer &out, const Message &m);

}  // namespace roam::wire
