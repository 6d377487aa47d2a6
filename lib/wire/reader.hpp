// Bounds-checked decoding cursor over one received message. Every read
// either succeeds or returns a distinct ROAM_E* decode error without reading
// past the end; nothing is copied (strings and blobs come back as views).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "roam/roam_errors.h"
#include "wire/bytes.hpp"
#include "wire/varint.hpp"

namespace roam::wire {

class Reader {
 public:
  Reader(const uint8_t *data, size_t size) : pos_(data), end_(data + size) {}
  explicit Reader(ByteView v) : Reader(v.data, v.size) {}

  size_t remaining() const { return static_cast<size_t>(end_ - pos_); }
  bool at_end() const { return pos_ == end_; }
  const uint8_t *position() const { return pos_; }

  int read_u8(uint8_t *out);
  // Unsigned varints of each width: ROAM_EOVERLONG past the width's
  // longest form, ROAM_ERANGE for a value too big for it.
  int read_varint_u16(uint16_t *out);
  int read_varint_u32(uint32_t *out);
  int read_varint_u64(uint64_t *out);
  int read_varint_u128(uint128 *out);
  // An enum discriminant: a u32 varint that must be below `variants`.
  int read_tag(uint32_t variants, uint32_t *out);
  // varint length + that many raw bytes.
  int read_blob(ByteView *out);
  // varint length + that many bytes of valid UTF-8.
  int read_string(std::string_view *out);
  // A collection count that cannot possibly fit in what is left, given each
  // element takes at least min_element_size bytes, is rejected before any
  // element is read: a hostile count must not drive a long loop.
  int read_count(size_t min_element_size, uint64_t *out);
  // Everything left: the trailing, unprefixed payload of a message.
  ByteView read_rest();
  // The next n bytes as they are (ROAM_ETRUNCATED if fewer are left).
  int read_raw(size_t n, ByteView *out);

 private:
  template <class U>
  int read_varint_as(U *out);

  const uint8_t *pos_;
  const uint8_t *end_;
};

// Varints decoded by Readers on the calling thread since it started. A
// count of work, not time: tests use it to prove that a decoding path is
// linear in its input (an O(N^2) walk shows up as N^2 reads).
uint64_t varints_decoded_on_this_thread();

// True if [data, data+size) is well-formed UTF-8 (no overlongs, no
// surrogates, nothing above U+10FFFF), as Rust's str requires.
bool is_valid_utf8(const uint8_t *data, size_t size);

}  // namespace roam::wire
