// One Unicode scalar value to and from UTF-8 (whole strings are checked by
// is_valid_utf8 in wire/reader.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

namespace roam::wire {

// U+0000..U+10FFFF minus the UTF-16 surrogates: what a Rust char can be.
inline bool is_unicode_scalar(uint32_t cp) {
  return cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
}

// Writes the UTF-8 of a scalar value (is_unicode_scalar) at out, which has
// room for 4 bytes; returns the bytes written.
inline size_t encode_utf8(uint32_t cp, uint8_t *out) {
  if (cp < 0x80) {
    out[0] = static_cast<uint8_t>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<uint8_t>(0xc0 | (cp >> 6));
    out[1] = static_cast<uint8_t>(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<uint8_t>(0xe0 | (cp >> 12));
    out[1] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3f));
    out[2] = static_cast<uint8_t>(0x80 | (cp & 0x3f));
    return 3;
  }
  out[0] = static_cast<uint8_t>(0xf0 | (cp >> 18));
  out[1] = static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3f));
  out[2] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3f));
  out[3] = static_cast<uint8_t>(0x80 | (cp & 0x3f));
  return 4;
}

// If s[0..n), already known to be valid UTF-8, is exactly one scalar value,
// stores it in *cp and returns true.
inline bool decode_single_scalar(const uint8_t *s, size_t n, uint32_t *cp) {
  if (n == 0) return false;
  uint8_t lead = s[0];
  size_t len = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
  if (len != n) return false;
  static constexpr uint8_t kLeadMask[5] = {0, 0x7f, 0x1f, 0x0f, 0x07};
  uint32_t v = lead & kLeadMask[len];
  for (size_t i = 1; i < len; ++i) v = (v << 6) | (s[i] & 0x3f);
  *cp = v;
  return true;
}

}  // namespace roam::wire
