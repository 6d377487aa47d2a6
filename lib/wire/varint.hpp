// Postcard's integer encodings: unsigned LEB128 varints (7 bits per byte, low
// group first, high bit = more follows) and zigzag for signed integers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "wire/bytes.hpp"

namespace roam::wire {

// Longest varint of each width: ceil(bits / 7).
constexpr size_t kMaxVarint32 = 5;
constexpr size_t kMaxVarint64 = 10;
constexpr size_t kMaxVarint128 = 19;

// u128 / i128 (postcard has them; the protocol's own messages never do).
__extension__ typedef unsigned __int128 uint128;
__extension__ typedef __int128 int128;

inline size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Writes v at out (which must have kMaxVarint64 bytes of room); returns the
// byte after the last one written.
inline uint8_t *write_varint(uint8_t *out, uint64_t v) {
  while (v >= 0x80) {
    *out++ = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  *out++ = static_cast<uint8_t>(v);
  return out;
}

// The u128 form of write_varint (out needs kMaxVarint128 bytes of room).
inline uint8_t *write_varint128(uint8_t *out, uint128 v) {
  while (v >= 0x80) {
    *out++ = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  *out++ = static_cast<uint8_t>(v);
  return out;
}

inline void put_varint(ByteBuffer &buf, uint64_t v) {
  uint8_t tmp[kMaxVarint64];
  uint8_t *end = write_varint(tmp, v);
  buf.append(tmp, static_cast<size_t>(end - tmp));
}

inline uint64_t zigzag_encode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

inline int64_t zigzag_decode(uint64_t v) {
  return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

inline uint128 zigzag_encode128(int128 v) {
  return (static_cast<uint128>(v) << 1) ^ static_cast<uint128>(v >> 127);
}

inline int128 zigzag_decode128(uint128 v) {
  return static_cast<int128>((v >> 1) ^ (~(v & 1) + 1));
}

}  // namespace roam::wire
