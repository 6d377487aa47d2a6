#include "wire/reader.hpp"

#include "common/hot_tls.hpp"

#include "wire/varint.hpp"

namespace roam::wire {

namespace {
// Counted on every varint (tests measure decoding work with it): see
// ROAM_HOT_TLS.
ROAM_HOT_TLS thread_local uint64_t varints_decoded = 0;
}  // namespace

uint64_t varints_decoded_on_this_thread() { return varints_decoded; }

int Reader::read_u8(uint8_t *out) {
  if (pos_ == end_) return ROAM_ETRUNCATED;
  *out = *pos_++;
  return ROAM_OK;
}

// One loop for every width: the last byte a width allows carries only its
// top bits (u64's tenth byte bit 63, u32's fifth bits 28..31), so any other
// bit set there overflows the type, and a continuation bit there makes the
// varint longer than the type allows.
template <class U>
int Reader::read_varint_as(U *out) {
  constexpr unsigned kBits = sizeof(U) * 8;
  constexpr size_t kMaxBytes = (kBits + 6) / 7;
  constexpr unsigned kLastBits = kBits - 7 * (kMaxBytes - 1);
  // Most varints on the wire (counts, lengths, small ids) are one byte.
  if (pos_ != end_ && *pos_ < 0x80) {
    *out = *pos_++;
    return ROAM_OK;
  }
  U value = 0;
  for (size_t i = 0; i < kMaxBytes; ++i) {
    if (pos_ == end_) return ROAM_ETRUNCATED;
    uint8_t b = *pos_++;
    if (i == kMaxBytes - 1 && ((b & 0x7f) >> kLastBits) != 0) {
      return (b & 0x80) ? ROAM_EOVERLONG : ROAM_ERANGE;
    }
    value |= static_cast<U>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      *out = value;
      return ROAM_OK;
    }
  }
  return ROAM_EOVERLONG;
}

int Reader::read_varint_u16(uint16_t *out) { return read_varint_as(out); }

int Reader::read_varint_u32(uint32_t *out) { return read_varint_as(out); }

int Reader::read_varint_u64(uint64_t *out) {
  ++varints_decoded;
  return read_varint_as(out);
}

int Reader::read_varint_u128(uint128 *out) { return read_varint_as(out); }

int Reader::read_tag(uint32_t variants, uint32_t *out) {
  uint32_t tag = 0;
  int rc = read_varint_u32(&tag);
  if (rc != ROAM_OK) return rc;
  if (tag >= variants) return ROAM_EBADTAG;
  *out = tag;
  return ROAM_OK;
}

int Reader::read_blob(ByteView *out) {
  uint64_t len = 0;
  int rc = read_varint_u64(&len);
  if (rc != ROAM_OK) return rc;
  if (len > remaining()) return ROAM_EBADLENGTH;
  *out = ByteView(pos_, static_cast<size_t>(len));
  pos_ += len;
  return ROAM_OK;
}

int Reader::read_string(std::string_view *out) {
  ByteView blob;
  int rc = read_blob(&blob);
  if (rc != ROAM_OK) return rc;
  if (!is_valid_utf8(blob.data, blob.size)) return ROAM_EBADUTF8;
  *out = blob.as_string();
  return ROAM_OK;
}

int Reader::read_count(size_t min_element_size, uint64_t *out) {
  uint64_t count = 0;
  int rc = read_varint_u64(&count);
  if (rc != ROAM_OK) return rc;
  if (min_element_size > 0 && count > remaining() / min_element_size) return ROAM_EBADLENGTH;
  *out = count;
  return ROAM_OK;
}

int Reader::read_raw(size_t n, ByteView *out) {
  if (n > remaining()) return ROAM_ETRUNCATED;
  *out = ByteView(pos_, n);
  pos_ += n;
  return ROAM_OK;
}

ByteView Reader::read_rest() {
  ByteView rest(pos_, remaining());
  pos_ = end_;
  return rest;
}

bool is_valid_utf8(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      uint8_t cc = s[i + k];
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr uint32_t kMinForLength[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len]) return false;           // overlong form
    if (cp > 0x10ffff) return false;                     // beyond Unicode
    if (cp >= 0xd800 && cp <= 0xdfff) return false;      // UTF-16 surrogate
    i += len;
  }
  return true;
}

}  // namespace roam::wire
