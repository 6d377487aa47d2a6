// roam_postcard_reader: postcard values read in place from a caller's bytes
// with a sticky first error. Each read runs lib/wire's Reader (the same
// bounds, varint and UTF-8 checks the message decoder uses) over what is
// left, and moves on by what it consumed.
//
// Nothing here can throw or allocate, so the exported functions need no
// guard; the helpers are noexcept to hold them to that.
#include <cstring>

#include "capi/error_detail.hpp"
#include "postcard/struct_size.hpp"
#include "roam/roam_postcard.h"
#include "wire/reader.hpp"
#include "wire/utf8.hpp"
#include "wire/varint.hpp"

namespace {

using roam::capi::null_argument;
namespace wire = roam::wire;

// Runs one read over the rest of the input. On success the reader moves
// past the value; on failure it keeps the error and stays where it was.
template <class Read>
int read_value(roam_postcard_reader *r, Read &&read) noexcept {
  if (r->error != 0) return r->error;
  wire::Reader in(r->data + r->pos, r->len - r->pos);
  int rc = read(in);
  if (rc != ROAM_OK) {
    r->error = rc;
    return rc;
  }
  r->pos = static_cast<size_t>(in.position() - r->data);
  return ROAM_OK;
}

// A zigzag varint read as the unsigned width U, then decoded: the narrow
// type's range follows from U's.
template <class S, class U, class ReadU>
int read_zigzag(roam_postcard_reader *r, S *out, ReadU read_u) noexcept {
  *out = 0;
  return read_value(r, [&](wire::Reader &in) -> int {
    U z = 0;
    int rc = (in.*read_u)(&z);
    if (rc == ROAM_OK) *out = static_cast<S>(wire::zigzag_decode(z));
    return rc;
  });
}

// A byte that must be 0 or 1; anything else is `bad`.
int read_flag(roam_postcard_reader *r, int *out, int bad) noexcept {
  *out = 0;
  return read_value(r, [&](wire::Reader &in) -> int {
    uint8_t b = 0;
    int rc = in.read_u8(&b);
    if (rc != ROAM_OK) return rc;
    if (b > 1) return bad;
    *out = b;
    return ROAM_OK;
  });
}

// n little-endian bytes (a float's bits).
int read_le(roam_postcard_reader *r, size_t n, uint64_t *bits) noexcept {
  *bits = 0;
  return read_value(r, [&](wire::Reader &in) -> int {
    wire::ByteView v;
    int rc = in.read_raw(n, &v);
    if (rc != ROAM_OK) return rc;
    for (size_t i = 0; i < n; ++i) *bits |= static_cast<uint64_t>(v.data[i]) << (8 * i);
    return ROAM_OK;
  });
}

void split(wire::uint128 v, uint64_t *hi, uint64_t *lo) noexcept {
  *hi = static_cast<uint64_t>(v >> 64);
  *lo = static_cast<uint64_t>(v);
}

// What a view read hands out: never NULL after a success, even for an
// empty value of an empty input; NULL after a failure.
const uint8_t *view_start(int rc, const uint8_t *p) noexcept {
  static const uint8_t kEmpty[1] = {0};
  if (rc != ROAM_OK) return nullptr;
  return p != nullptr ? p : kEmpty;
}

// A length-prefixed run as a view: a byte string, or (utf8) a string.
int read_prefixed(roam_postcard_reader *r, bool utf8, const uint8_t **p, size_t *len) noexcept {
  wire::ByteView v;
  int rc = read_value(r, [&](wire::Reader &in) -> int {
    if (!utf8) return in.read_blob(&v);
    std::string_view s;
    int string_rc = in.read_string(&s);
    v = wire::ByteView(s);
    return string_rc;
  });
  *p = view_start(rc, v.data);
  *len = rc == ROAM_OK ? v.size : 0;
  return rc;
}

}  // namespace

// The reader and every out-pointer must be there.
#define ROAM_READER_CHECK(r, out)                                  \
  if ((r) == nullptr) return null_argument(__func__, "r");         \
  if ((out) == nullptr) return null_argument(__func__, #out)

extern "C" {

int roam_postcard_reader_init(roam_postcard_reader *r, size_t size, const uint8_t *data,
                              size_t len) {
  if (r == nullptr) return null_argument(__func__, "r");
  if (size < sizeof *r) return roam::postcard::struct_too_small(__func__, size, sizeof *r);
  if (data == nullptr && len > 0) return null_argument(__func__, "data (with len > 0)");
  std::memset(r, 0, sizeof *r);
  r->size = size;
  r->data = data;
  r->len = len;
  return ROAM_OK;
}

int roam_postcard_reader_finish(const roam_postcard_reader *r) {
  if (r == nullptr) return null_argument(__func__, "r");
  if (r->error != 0) return r->error;
  return r->pos == r->len ? ROAM_OK : ROAM_ETRAILING;
}

int roam_postcard_read_bool(roam_postcard_reader *r, int *out) {
  ROAM_READER_CHECK(r, out);
  return read_flag(r, out, ROAM_ERANGE);
}

int roam_postcard_read_option(roam_postcard_reader *r, int *some) {
  ROAM_READER_CHECK(r, some);
  return read_flag(r, some, ROAM_EBADTAG);
}

int roam_postcard_read_u8(roam_postcard_reader *r, uint8_t *out) {
  ROAM_READER_CHECK(r, out);
  *out = 0;
  return read_value(r, [&](wire::Reader &in) { return in.read_u8(out); });
}

int roam_postcard_read_i8(roam_postcard_reader *r, int8_t *out) {
  ROAM_READER_CHECK(r, out);
  return roam_postcard_read_u8(r, reinterpret_cast<uint8_t *>(out));
}

int roam_postcard_read_u16(roam_postcard_reader *r, uint16_t *out) {
  ROAM_READER_CHECK(r, out);
  *out = 0;
  return read_value(r, [&](wire::Reader &in) { return in.read_varint_u16(out); });
}

int roam_postcard_read_u32(roam_postcard_reader *r, uint32_t *out) {
  ROAM_READER_CHECK(r, out);
  *out = 0;
  return read_value(r, [&](wire::Reader &in) { return in.read_varint_u32(out); });
}

int roam_postcard_read_u64(roam_postcard_reader *r, uint64_t *out) {
  ROAM_READER_CHECK(r, out);
  *out = 0;
  return read_value(r, [&](wire::Reader &in) { return in.read_varint_u64(out); });
}

int roam_postcard_read_u128(roam_postcard_reader *r, uint64_t *hi, uint64_t *lo) {
  ROAM_READER_CHECK(r, hi);
  if (lo == nullptr) return null_argument(__func__, "lo");
  wire::uint128 v = 0;
  int rc = read_value(r, [&](wire::Reader &in) { return in.read_varint_u128(&v); });
  split(v, hi, lo);
  return rc;
}

int roam_postcard_read_i16(roam_postcard_reader *r, int16_t *out) {
  ROAM_READER_CHECK(r, out);
  return read_zigzag<int16_t, uint16_t>(r, out, &wire::Reader::read_varint_u16);
}

int roam_postcard_read_i32(roam_postcard_reader *r, int32_t *out) {
  ROAM_READER_CHECK(r, out);
  return read_zigzag<int32_t, uint32_t>(r, out, &wire::Reader::read_varint_u32);
}

int roam_postcard_read_i64(roam_postcard_reader *r, int64_t *out) {
  ROAM_READER_CHECK(r, out);
  return read_zigzag<int64_t, uint64_t>(r, out, &wire::Reader::read_varint_u64);
}

int roam_postcard_read_i128(roam_postcard_reader *r, int64_t *hi, uint64_t *lo) {
  ROAM_READER_CHECK(r, hi);
  if (lo == nullptr) return null_argument(__func__, "lo");
  wire::uint128 z = 0;
  int rc = read_value(r, [&](wire::Reader &in) { return in.read_varint_u128(&z); });
  uint64_t high = 0;
  split(static_cast<wire::uint128>(rc == ROAM_OK ? wire::zigzag_decode128(z) : 0), &high, lo);
  *hi = static_cast<int64_t>(high);
  return rc;
}

int roam_postcard_read_f32(roam_postcard_reader *r, float *out) {
  ROAM_READER_CHECK(r, out);
  uint64_t bits = 0;
  int rc = read_le(r, sizeof(float), &bits);
  uint32_t narrow = static_cast<uint32_t>(bits);
  std::memcpy(out, &narrow, sizeof narrow);
  return rc;
}

int roam_postcard_read_f64(roam_postcard_reader *r, double *out) {
  ROAM_READER_CHECK(r, out);
  uint64_t bits = 0;
  int rc = read_le(r, sizeof(double), &bits);
  std::memcpy(out, &bits, sizeof bits);
  return rc;
}

int roam_postcard_read_char(roam_postcard_reader *r, uint32_t *out) {
  ROAM_READER_CHECK(r, out);
  *out = 0;
  return read_value(r, [&](wire::Reader &in) -> int {
    std::string_view s;
    int rc = in.read_string(&s);
    if (rc != ROAM_OK) return rc;
    const auto *p = reinterpret_cast<const uint8_t *>(s.data());
    return wire::decode_single_scalar(p, s.size(), out) ? ROAM_OK : ROAM_ERANGE;
  });
}

int roam_postcard_read_str(roam_postcard_reader *r, const char **s, size_t *len) {
  ROAM_READER_CHECK(r, s);
  if (len == nullptr) return null_argument(__func__, "len");
  const uint8_t *p = nullptr;
  int rc = read_prefixed(r, true, &p, len);
  *s = reinterpret_cast<const char *>(p);
  return rc;
}

int roam_postcard_read_bytes(roam_postcard_reader *r, const uint8_t **p, size_t *len) {
  ROAM_READER_CHECK(r, p);
  if (len == nullptr) return null_argument(__func__, "len");
  return read_prefixed(r, false, p, len);
}

int roam_postcard_read_len(roam_postcard_reader *r, size_t min_element_size, uint64_t *count) {
  ROAM_READER_CHECK(r, count);
  *count = 0;
  return read_value(r, [&](wire::Reader &in) { return in.read_count(min_element_size, count); });
}

int roam_postcard_read_variant(roam_postcard_reader *r, uint32_t variant_count, uint32_t *index) {
  ROAM_READER_CHECK(r, index);
  *index = 0;
  return read_value(r, [&](wire::Reader &in) -> int {
    return variant_count == 0 ? in.read_varint_u32(index) : in.read_tag(variant_count, index);
  });
}

int roam_postcard_read_raw(roam_postcard_reader *r, size_t len, const uint8_t **p) {
  ROAM_READER_CHECK(r, p);
  wire::ByteView v;
  int rc = read_value(r, [&](wire::Reader &in) { return in.read_raw(len, &v); });
  *p = view_start(rc, v.data);
  return rc;
}

}  // extern "C"
