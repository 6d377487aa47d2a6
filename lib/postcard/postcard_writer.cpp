// roam_postcard_writer: postcard values appended to a caller's buffer or to
// one the library grows, with a sticky first error. The encodings are
// lib/wire's (varints, zigzag, UTF-8); this file adds the bounded buffer.
//
// Nothing here can throw (no C++ allocation: a growing buffer goes through
// the allocator hooks directly), so the exported functions need no guard;
// the helpers are noexcept to hold them to that.
#include <cstring>

#include "capi/allocator.hpp"
#include "capi/error_detail.hpp"
#include "postcard/struct_size.hpp"
#include "common/error_text.hpp"
#include "roam/roam_postcard.h"
#include "wire/reader.hpp"
#include "wire/utf8.hpp"
#include "wire/varint.hpp"

namespace {

using roam::capi::fail_with_detail;
using roam::capi::null_argument;
namespace wire = roam::wire;

constexpr uint32_t kGrowing = 1;  // flags_: buf is the library's
constexpr size_t kFirstGrowth = 64;

// A write after the writer failed: it does nothing and says why.
int already_failed(const roam_postcard_writer *w, const char *api) noexcept {
  if (w->error == ROAM_ENOBUFS) {
    return fail_with_detail(ROAM_ENOBUFS,
                            "%s: out of room: the value needs %zu bytes, the buffer has %zu", api,
                            w->needed, w->cap);
  }
  return fail_with_detail(w->error, "%s: the writer failed earlier (%s)", api,
                          roam::error_name(w->error));
}

// An invalid value. It outranks running out of room (more room would not
// help), and, like any error, stops the writer; an earlier other error
// stays the one reported.
int reject(roam_postcard_writer *w, const char *api, const char *why) noexcept {
  if (w->error != 0 && w->error != ROAM_ENOBUFS) return already_failed(w, api);
  w->error = ROAM_EINVAL;
  return fail_with_detail(ROAM_EINVAL, "%s: %s", api, why);
}

// Room for `total` bytes in a growing writer's buffer.
bool grow(roam_postcard_writer *w, size_t total) noexcept {
  size_t cap = w->cap < kFirstGrowth ? kFirstGrowth : w->cap;
  while (cap < total) cap = cap > SIZE_MAX / 2 ? total : cap * 2;
  auto *bigger = static_cast<uint8_t *>(roam::capi::allocate(cap));
  if (bigger == nullptr) return false;
  if (w->len > 0) std::memcpy(bigger, w->buf, w->len);
  roam::capi::deallocate(w->buf);
  w->buf = bigger;
  w->cap = cap;
  return true;
}

// Every write ends here: n bytes at p appended, or counted once out of room.
// A NULL writer is refused here, so the one-line writes need no check.
int append(roam_postcard_writer *w, const char *api, const void *p, size_t n) noexcept {
  if (w == nullptr) return null_argument(api, "w");
  if (w->error != 0 && w->error != ROAM_ENOBUFS) return already_failed(w, api);
  if (n > SIZE_MAX - w->needed) return reject(w, api, "the value is larger than SIZE_MAX bytes");
  w->needed += n;
  if (w->error == ROAM_ENOBUFS) return already_failed(w, api);
  if (w->needed > w->cap) {
    if (!(w->flags_ & kGrowing)) {
      w->error = ROAM_ENOBUFS;
      return already_failed(w, api);
    }
    if (!grow(w, w->needed)) {
      w->needed -= n;
      w->error = ROAM_ENOMEM;
      return fail_with_detail(ROAM_ENOMEM, "%s: out of memory growing the buffer to %zu bytes", api,
                              w->needed + n);
    }
  }
  if (n > 0) std::memcpy(w->buf + w->len, p, n);
  w->len += n;
  return ROAM_OK;
}

int put_byte(roam_postcard_writer *w, const char *api, uint8_t b) noexcept {
  return append(w, api, &b, 1);
}

int put_varint(roam_postcard_writer *w, const char *api, uint64_t v) noexcept {
  uint8_t tmp[wire::kMaxVarint64];
  return append(w, api, tmp, static_cast<size_t>(wire::write_varint(tmp, v) - tmp));
}

int put_varint128(roam_postcard_writer *w, const char *api, wire::uint128 v) noexcept {
  uint8_t tmp[wire::kMaxVarint128];
  return append(w, api, tmp, static_cast<size_t>(wire::write_varint128(tmp, v) - tmp));
}

// Length + bytes (strings, byte strings, chars). Both parts are counted
// even out of room, so `needed` stays exact.
int put_prefixed(roam_postcard_writer *w, const char *api, const void *p, size_t n) noexcept {
  put_varint(w, api, n);
  return append(w, api, p, n);
}

// Little-endian whatever the host's order.
int put_le(roam_postcard_writer *w, const char *api, uint64_t bits, size_t n) noexcept {
  uint8_t tmp[8];
  for (size_t i = 0; i < n; ++i) tmp[i] = static_cast<uint8_t>(bits >> (8 * i));
  return append(w, api, tmp, n);
}

wire::uint128 join(uint64_t hi, uint64_t lo) noexcept {
  return (static_cast<wire::uint128>(hi) << 64) | lo;
}

}  // namespace

// append() refuses a NULL writer; functions that look at the writer
// before they append refuse it first.
#define ROAM_WRITER_CHECK(w) \
  if ((w) == nullptr) return null_argument(__func__, "w")

extern "C" {

int roam_postcard_writer_init(roam_postcard_writer *w, size_t size, uint8_t *buf, size_t cap) {
  ROAM_WRITER_CHECK(w);
  if (size < sizeof *w) return roam::postcard::struct_too_small(__func__, size, sizeof *w);
  if (buf == nullptr && cap > 0) return null_argument(__func__, "buf (with cap > 0)");
  std::memset(w, 0, sizeof *w);
  w->size = size;
  w->buf = buf;
  w->cap = cap;
  return ROAM_OK;
}

int roam_postcard_writer_init_growing(roam_postcard_writer *w, size_t size) {
  ROAM_WRITER_CHECK(w);
  if (size < sizeof *w) return roam::postcard::struct_too_small(__func__, size, sizeof *w);
  std::memset(w, 0, sizeof *w);
  w->size = size;
  w->flags_ = kGrowing;
  return ROAM_OK;
}

void roam_postcard_writer_free(roam_postcard_writer *w) {
  if (w == nullptr || !(w->flags_ & kGrowing)) return;
  roam::capi::deallocate(w->buf);
  roam_postcard_writer_init_growing(w, w->size);
}

void roam_postcard_writer_reset(roam_postcard_writer *w) {
  if (w == nullptr) return;
  w->len = 0;
  w->needed = 0;
  w->error = 0;
}

int roam_postcard_writer_finish(const roam_postcard_writer *w, size_t *len) {
  ROAM_WRITER_CHECK(w);
  if (w->error == ROAM_ENOBUFS) {
    if (len != nullptr) *len = w->needed;
    return already_failed(w, __func__);
  }
  if (w->error != 0) return already_failed(w, __func__);
  if (len != nullptr) *len = w->len;
  return ROAM_OK;
}

int roam_postcard_write_bool(roam_postcard_writer *w, int v) {
  return put_byte(w, __func__, v ? 1 : 0);
}

int roam_postcard_write_u8(roam_postcard_writer *w, uint8_t v) {
  return put_byte(w, __func__, v);
}

int roam_postcard_write_i8(roam_postcard_writer *w, int8_t v) {
  return put_byte(w, __func__, static_cast<uint8_t>(v));
}

int roam_postcard_write_u16(roam_postcard_writer *w, uint16_t v) {
  return put_varint(w, __func__, v);
}

int roam_postcard_write_u32(roam_postcard_writer *w, uint32_t v) {
  return put_varint(w, __func__, v);
}

int roam_postcard_write_u64(roam_postcard_writer *w, uint64_t v) {
  return put_varint(w, __func__, v);
}

int roam_postcard_write_u128(roam_postcard_writer *w, uint64_t hi, uint64_t lo) {
  return put_varint128(w, __func__, join(hi, lo));
}

// i16 and i32 zigzag exactly as i64 does: the sign-extended value's zigzag
// is the narrow type's.
int roam_postcard_write_i16(roam_postcard_writer *w, int16_t v) {
  return put_varint(w, __func__, wire::zigzag_encode(v));
}

int roam_postcard_write_i32(roam_postcard_writer *w, int32_t v) {
  return put_varint(w, __func__, wire::zigzag_encode(v));
}

int roam_postcard_write_i64(roam_postcard_writer *w, int64_t v) {
  return put_varint(w, __func__, wire::zigzag_encode(v));
}

int roam_postcard_write_i128(roam_postcard_writer *w, int64_t hi, uint64_t lo) {
  auto v = static_cast<wire::int128>(join(static_cast<uint64_t>(hi), lo));
  return put_varint128(w, __func__, wire::zigzag_encode128(v));
}

int roam_postcard_write_f32(roam_postcard_writer *w, float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return put_le(w, __func__, bits, sizeof bits);
}

int roam_postcard_write_f64(roam_postcard_writer *w, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return put_le(w, __func__, bits, sizeof bits);
}

int roam_postcard_write_char(roam_postcard_writer *w, uint32_t scalar) {
  ROAM_WRITER_CHECK(w);
  if (!wire::is_unicode_scalar(scalar)) return reject(w, __func__, "not a Unicode scalar value");
  uint8_t utf8[4];
  return put_prefixed(w, __func__, utf8, wire::encode_utf8(scalar, utf8));
}

int roam_postcard_write_str(roam_postcard_writer *w, const char *s, size_t len) {
  ROAM_WRITER_CHECK(w);
  if (s == nullptr && len != 0) return reject(w, __func__, "s is NULL");
  if (len == ROAM_NTS) len = std::strlen(s);
  if (!wire::is_valid_utf8(reinterpret_cast<const uint8_t *>(s), len)) {
    return reject(w, __func__, "the string is not UTF-8");
  }
  return put_prefixed(w, __func__, s, len);
}

int roam_postcard_write_bytes(roam_postcard_writer *w, const uint8_t *p, size_t len) {
  ROAM_WRITER_CHECK(w);
  if (p == nullptr && len != 0) return reject(w, __func__, "p is NULL");
  return put_prefixed(w, __func__, p, len);
}

int roam_postcard_write_option(roam_postcard_writer *w, int some) {
  return put_byte(w, __func__, some ? 1 : 0);  // a raw byte, like a bool
}

int roam_postcard_write_len(roam_postcard_writer *w, uint64_t count) {
  return put_varint(w, __func__, count);
}

int roam_postcard_write_variant(roam_postcard_writer *w, uint32_t index) {
  return put_varint(w, __func__, index);
}

int roam_postcard_write_raw(roam_postcard_writer *w, const void *p, size_t len) {
  ROAM_WRITER_CHECK(w);
  if (p == nullptr && len != 0) return reject(w, __func__, "p is NULL");
  return append(w, __func__, p, len);
}

}  // extern "C"
