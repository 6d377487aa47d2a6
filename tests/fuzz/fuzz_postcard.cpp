// Fuzzes the public postcard codec (roam/roam_postcard.h) with a program of
// reads over arbitrary bytes. Properties:
//   * a failing read returns a decoding code, which the reader keeps: every
//     later read fails with it, writes zeros, and the position stays put;
//   * what was read, written back (measured first with no room, then into a
//     buffer of exactly the size measured, and into a growing writer), is
//     the same bytes each way, no longer than what was consumed (the writer
//     is canonical, the input need not be), and reads back to the same
//     values with nothing left over.
//
// Input layout:
//   u8       number of reads n (at most kMaxReads)
//   u8 × n   the reads: kind = byte % kKinds, parameter = byte / kKinds
//   rest     the bytes to read
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "fuzz_input.hpp"
#include "roam/roam_postcard.h"

namespace {

constexpr size_t kMaxReads = 64;

enum Kind : uint8_t {
  kBool, kU8, kI8, kU16, kU32, kU64, kU128, kI16, kI32, kI64, kI128, kF32, kF64,
  kChar, kStr, kBytes, kOption, kLen, kVariant, kRaw, kKinds
};

// One value read: integers in a and b (u128/i128 halves, float bits), the
// bytes of strings and byte strings in s.
struct Value {
  uint64_t a = 0, b = 0;
  std::string s;
};

// bound_counts: a count must fit in what is left (min_element_size =
// the parameter); off for the re-encoding, which has fewer bytes left.
int read_one(roam_postcard_reader *r, uint8_t op, Value *v, bool bound_counts = true) {
  uint8_t param = op / kKinds;
  int rc = ROAM_OK, flag = 0;
  const char *s = nullptr;
  const uint8_t *p = nullptr;
  size_t n = 0;
  switch (static_cast<Kind>(op % kKinds)) {
    case kBool: rc = roam_postcard_read_bool(r, &flag); v->a = static_cast<uint64_t>(flag); break;
    case kOption: rc = roam_postcard_read_option(r, &flag); v->a = static_cast<uint64_t>(flag); break;
    case kU8: { uint8_t x; rc = roam_postcard_read_u8(r, &x); v->a = x; break; }
    case kI8: { int8_t x; rc = roam_postcard_read_i8(r, &x); v->a = static_cast<uint64_t>(x); break; }
    case kU16: { uint16_t x; rc = roam_postcard_read_u16(r, &x); v->a = x; break; }
    case kU32: { uint32_t x; rc = roam_postcard_read_u32(r, &x); v->a = x; break; }
    case kU64: rc = roam_postcard_read_u64(r, &v->a); break;
    case kU128: rc = roam_postcard_read_u128(r, &v->a, &v->b); break;
    case kI16: { int16_t x; rc = roam_postcard_read_i16(r, &x); v->a = static_cast<uint64_t>(x); break; }
    case kI32: { int32_t x; rc = roam_postcard_read_i32(r, &x); v->a = static_cast<uint64_t>(x); break; }
    case kI64: { int64_t x; rc = roam_postcard_read_i64(r, &x); v->a = static_cast<uint64_t>(x); break; }
    case kI128: { int64_t hi; rc = roam_postcard_read_i128(r, &hi, &v->b); v->a = static_cast<uint64_t>(hi); break; }
    case kF32: { float x; rc = roam_postcard_read_f32(r, &x); uint32_t bits; std::memcpy(&bits, &x, 4); v->a = bits; break; }
    case kF64: { double x; rc = roam_postcard_read_f64(r, &x); std::memcpy(&v->a, &x, 8); break; }
    case kChar: { uint32_t c; rc = roam_postcard_read_char(r, &c); v->a = c; break; }
    case kStr:
      rc = roam_postcard_read_str(r, &s, &n);
      if (rc == ROAM_OK) v->s.assign(s, n);
      FUZZ_CHECK(rc == ROAM_OK || (s == nullptr && n == 0), "a failed str read left a view");
      break;
    case kBytes:
    case kRaw:
      rc = op % kKinds == kRaw ? roam_postcard_read_raw(r, n = param, &p)
                               : roam_postcard_read_bytes(r, &p, &n);
      if (rc == ROAM_OK) v->s.assign(reinterpret_cast<const char *>(p), n);
      FUZZ_CHECK(rc == ROAM_OK || p == nullptr, "a failed read left a view");
      break;
    case kLen: rc = roam_postcard_read_len(r, bound_counts ? param : 0, &v->a); break;
    case kVariant: { uint32_t x; rc = roam_postcard_read_variant(r, param, &x); v->a = x; break; }
    case kKinds: break;
  }
  if (rc != ROAM_OK) {
    FUZZ_CHECK(v->a == 0 && v->b == 0, "a failed read (%d) wrote a value", rc);
  }
  return rc;
}

void write_one(roam_postcard_writer *w, uint8_t op, const Value &v) {
  switch (static_cast<Kind>(op % kKinds)) {
    case kBool: roam_postcard_write_bool(w, static_cast<int>(v.a)); break;
    case kOption: roam_postcard_write_option(w, static_cast<int>(v.a)); break;
    case kU8: roam_postcard_write_u8(w, static_cast<uint8_t>(v.a)); break;
    case kI8: roam_postcard_write_i8(w, static_cast<int8_t>(v.a)); break;
    case kU16: roam_postcard_write_u16(w, static_cast<uint16_t>(v.a)); break;
    case kU32: roam_postcard_write_u32(w, static_cast<uint32_t>(v.a)); break;
    case kU64: roam_postcard_write_u64(w, v.a); break;
    case kU128: roam_postcard_write_u128(w, v.a, v.b); break;
    case kI16: roam_postcard_write_i16(w, static_cast<int16_t>(v.a)); break;
    case kI32: roam_postcard_write_i32(w, static_cast<int32_t>(v.a)); break;
    case kI64: roam_postcard_write_i64(w, static_cast<int64_t>(v.a)); break;
    case kI128: roam_postcard_write_i128(w, static_cast<int64_t>(v.a), v.b); break;
    case kF32: { uint32_t bits = static_cast<uint32_t>(v.a); float x; std::memcpy(&x, &bits, 4); roam_postcard_write_f32(w, x); break; }
    case kF64: { double x; std::memcpy(&x, &v.a, 8); roam_postcard_write_f64(w, x); break; }
    case kChar: roam_postcard_write_char(w, static_cast<uint32_t>(v.a)); break;
    case kStr: roam_postcard_write_str(w, v.s.data(), v.s.size()); break;
    case kBytes: roam_postcard_write_bytes(w, reinterpret_cast<const uint8_t *>(v.s.data()), v.s.size()); break;
    case kRaw: roam_postcard_write_raw(w, v.s.data(), v.s.size()); break;
    case kLen: roam_postcard_write_len(w, v.a); break;
    case kVariant: roam_postcard_write_variant(w, static_cast<uint32_t>(v.a)); break;
    case kKinds: break;
  }
}

bool is_decoding_error(int rc) {
  return rc == ROAM_ETRUNCATED || rc == ROAM_EOVERLONG || rc == ROAM_EBADTAG ||
         rc == ROAM_EBADLENGTH || rc == ROAM_EBADUTF8 || rc == ROAM_ERANGE;
}

void write_all(roam_postcard_writer *w, const std::vector<uint8_t> &ops,
               const std::vector<Value> &values) {
  for (size_t i = 0; i < values.size(); ++i) write_one(w, ops[i], values[i]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  roam::fuzz::FuzzInput in(data, size);
  size_t count = in.u8() % (kMaxReads + 1);
  std::vector<uint8_t> ops = in.bytes(count);
  std::vector<uint8_t> bytes = in.bytes(in.remaining());

  // Read until the first failure; then every read must repeat it.
  roam_postcard_reader r;
  FUZZ_CHECK(roam_postcard_reader_init(&r, sizeof r, bytes.data(), bytes.size()) == ROAM_OK, "init");
  std::vector<Value> values;
  int failed = ROAM_OK;
  for (uint8_t op : ops) {
    size_t before = r.pos;
    Value v;
    int rc = read_one(&r, op, &v);
    FUZZ_CHECK(r.pos <= r.len, "read past the end");
    if (failed != ROAM_OK) {
      FUZZ_CHECK(rc == failed && r.pos == before, "error not sticky: %d after %d", rc, failed);
    } else if (rc != ROAM_OK) {
      FUZZ_CHECK(is_decoding_error(rc) && r.error == rc && r.pos == before, "read failed with %d", rc);
      failed = rc;
    } else {
      values.push_back(std::move(v));
    }
  }
  size_t consumed = failed == ROAM_OK ? r.pos : 0;
  if (failed != ROAM_OK) {
    // The successful prefix is what gets written back: re-read it to learn
    // how many bytes it took.
    roam_postcard_reader again;
    roam_postcard_reader_init(&again, sizeof again, bytes.data(), bytes.size());
    for (size_t i = 0; i < values.size(); ++i) {
      Value v;
      FUZZ_CHECK(read_one(&again, ops[i], &v) == ROAM_OK, "a read that succeeded failed");
    }
    consumed = again.pos;
  }

  // Write it back three ways.
  roam_postcard_writer measure;
  roam_postcard_writer_init(&measure, sizeof measure, nullptr, 0);
  write_all(&measure, ops, values);
  size_t needed = 0;
  int rc = roam_postcard_writer_finish(&measure, &needed);
  FUZZ_CHECK(rc == ROAM_OK || rc == ROAM_ENOBUFS, "measuring failed with %d", rc);
  FUZZ_CHECK(needed <= consumed, "canonical %zu bytes > %zu read", needed, consumed);
  std::vector<uint8_t> exact(needed);
  roam_postcard_writer fixed;
  roam_postcard_writer_init(&fixed, sizeof fixed, exact.data(), exact.size());
  write_all(&fixed, ops, values);
  size_t len = 0;
  FUZZ_CHECK(roam_postcard_writer_finish(&fixed, &len) == ROAM_OK && len == needed, "exact room");
  roam_postcard_writer growing;
  roam_postcard_writer_init_growing(&growing, sizeof growing);
  write_all(&growing, ops, values);
  FUZZ_CHECK(roam_postcard_writer_finish(&growing, &len) == ROAM_OK && len == needed, "growing");
  FUZZ_CHECK(len == 0 || std::memcmp(growing.buf, exact.data(), len) == 0, "writers disagree");
  roam_postcard_writer_free(&growing);

  // And read back: the same values, nothing left over.
  roam_postcard_reader back;
  roam_postcard_reader_init(&back, sizeof back, exact.data(), exact.size());
  for (size_t i = 0; i < values.size(); ++i) {
    Value v;
    FUZZ_CHECK(read_one(&back, ops[i], &v, false) == ROAM_OK, "read %zu of the re-encoding failed", i);
    FUZZ_CHECK(v.a == values[i].a && v.b == values[i].b && v.s == values[i].s,
               "read %zu (kind %d) changed", i, ops[i] % kKinds);
  }
  FUZZ_CHECK(roam_postcard_reader_finish(&back) == ROAM_OK, "re-encoding not fully read");
  return 0;
}
