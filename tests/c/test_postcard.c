/* The public postcard codec (roam/roam_postcard.h): every type round-trips,
 * boundary values have postcard's exact bytes (roam's golden files where
 * they exist), every malformation has its code, and a writer out of room
 * says how much it needed. (interop_postcard_values_match_crates checks the
 * writer against facet-postcard itself.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <roam/roam_postcard.h>

/* ---- helpers ------------------------------------------------------------- */

typedef struct {
  uint8_t bytes[256];
  size_t len;
} encoded;

/* Parses "0a ff 01" / "0aff01" into e. */
static encoded from_hex(const char *hex) {
  encoded e = {{0}, 0};
  unsigned v;
  while (*hex) {
    if (*hex == ' ') {
      ++hex;
      continue;
    }
    assert_int_equal(sscanf(hex, "%2x", &v), 1);
    e.bytes[e.len++] = (uint8_t)v;
    hex += 2;
  }
  return e;
}

static roam_postcard_writer w;
static uint8_t wbuf[256];

static void start(void) { assert_int_equal(roam_postcard_writer_init(&w, sizeof w, wbuf, sizeof wbuf), 0); }

/* What the writer holds must be exactly `hex`. */
static void expect_written(const char *hex) {
  size_t len = 0;
  assert_int_equal(roam_postcard_writer_finish(&w, &len), 0);
  encoded e = from_hex(hex);
  assert_int_equal(len, e.len);
  assert_memory_equal(w.buf, e.bytes, len);
}

static roam_postcard_reader r;

static void read_hex(const char *hex) {
  static encoded e;
  e = from_hex(hex);
  assert_int_equal(roam_postcard_reader_init(&r, sizeof r, e.bytes, e.len), 0);
}

/* ---- exact bytes for boundary values --------------------------------------- */

static void integers_have_postcards_bytes(void **state) {
  start(); roam_postcard_write_u8(&w, 0); expect_written("00");
  start(); roam_postcard_write_u8(&w, 255); expect_written("ff");
  start(); roam_postcard_write_i8(&w, -128); expect_written("80");
  start(); roam_postcard_write_u16(&w, 65535); expect_written("ffff03");
  start(); roam_postcard_write_u32(&w, 0); expect_written("00");
  start(); roam_postcard_write_u32(&w, 127); expect_written("7f");
  start(); roam_postcard_write_u32(&w, 128); expect_written("8001");
  start(); roam_postcard_write_u32(&w, UINT32_MAX); expect_written("ffffffff0f");
  start(); roam_postcard_write_u64(&w, 16384); expect_written("808001");
  start(); roam_postcard_write_u64(&w, UINT64_MAX); expect_written("ffffffffffffffffff01");
  start(); roam_postcard_write_u128(&w, 0, 0); expect_written("00");
  start(); roam_postcard_write_u128(&w, 1, 0); expect_written("80808080808080808002");
  start(); roam_postcard_write_u128(&w, UINT64_MAX, UINT64_MAX);
  expect_written("ffffffffffffffffffffffffffffffffffff03");
  start(); roam_postcard_write_i16(&w, INT16_MIN); expect_written("ffff03");
  start(); roam_postcard_write_i32(&w, -1); expect_written("01");
  start(); roam_postcard_write_i32(&w, -128); expect_written("ff01");
  start(); roam_postcard_write_i32(&w, INT32_MAX); expect_written("feffffff0f");
  start(); roam_postcard_write_i64(&w, 42); expect_written("54");
  start(); roam_postcard_write_i64(&w, INT64_MIN); expect_written("ffffffffffffffffff01");
  start(); roam_postcard_write_i64(&w, INT64_MAX); expect_written("feffffffffffffffff01");
  start(); roam_postcard_write_i128(&w, INT64_MIN, 0);
  expect_written("ffffffffffffffffffffffffffffffffffff03");
  start(); roam_postcard_write_i128(&w, -1, UINT64_MAX); expect_written("01");
  start(); roam_postcard_write_i128(&w, 0, 1); expect_written("02");
}

static void other_types_have_postcards_bytes(void **state) {
  start(); roam_postcard_write_f32(&w, -1.0f); expect_written("000080bf");
  start(); roam_postcard_write_f64(&w, 1.5); expect_written("000000000000f83f");
  start(); roam_postcard_write_bool(&w, 7); expect_written("01");
  start(); roam_postcard_write_char(&w, 0x1f980); expect_written("04f09fa680");
  start(); roam_postcard_write_str(&w, "hello world", ROAM_NTS); expect_written("0b68656c6c6f20776f726c64");
  start(); roam_postcard_write_bytes(&w, (const uint8_t *)"\xde\xad\xbe\xef", 4); expect_written("04deadbeef");
  start(); roam_postcard_write_option(&w, 1); roam_postcard_write_str(&w, "hello", 5);
  expect_written("010568656c6c6f");
  start(); roam_postcard_write_len(&w, 2); roam_postcard_write_str(&w, "a", 1);
  roam_postcard_write_str(&w, "b", 1); expect_written("0201610162");
  /* Err(User("oops")) of Result<T, RoamError<String>>: roam's err_user_string. */
  start(); roam_postcard_write_variant(&w, 1); roam_postcard_write_variant(&w, 0);
  roam_postcard_write_str(&w, "oops", 4); expect_written("0100046f6f7073");
  start(); roam_postcard_write_raw(&w, "\x00\x2a", 2); expect_written("002a");
}

/* ---- roam's golden files ----------------------------------------------------- */

enum kind { U8, I8, U16, U32, U64, I16, I32, I64, F32, F64, BOOL, STR, BYTES, OPT_U32 };
struct golden {
  const char *file;
  enum kind kind;
  int64_t i;  /* integers, bools, option tags */
  uint64_t u; /* unsigned integers */
  double f;
  const char *s; /* strings and bytes (with i = length for bytes) */
};

static const struct golden goldens[] = {
  {"u8_255", U8, 0, 255, 0, NULL},          {"i8_neg128", I8, -128, 0, 0, NULL},
  {"i8_127", I8, 127, 0, 0, NULL},          {"u16_max", U16, 0, 65535, 0, NULL},
  {"u16_256", U16, 0, 256, 0, NULL},        {"u32_max", U32, 0, UINT32_MAX, 0, NULL},
  {"u32_128", U32, 0, 128, 0, NULL},        {"u64_max", U64, 0, UINT64_MAX, 0, NULL},
  {"u64_127", U64, 0, 127, 0, NULL},        {"i16_min", I16, INT16_MIN, 0, 0, NULL},
  {"i16_max", I16, INT16_MAX, 0, 0, NULL},  {"i32_min", I32, INT32_MIN, 0, 0, NULL},
  {"i32_neg128", I32, -128, 0, 0, NULL},    {"i64_min", I64, INT64_MIN, 0, 0, NULL},
  {"i64_max", I64, INT64_MAX, 0, 0, NULL},  {"i64_15", I64, 15, 0, 0, NULL},
  {"f32_0_25", F32, 0, 0, 0.25, NULL},      {"f32_neg1", F32, 0, 0, -1.0, NULL},
  {"f64_0_25", F64, 0, 0, 0.25, NULL},      {"f64_neg1", F64, 0, 0, -1.0, NULL},
  {"bool_true", BOOL, 1, 0, 0, NULL},       {"bool_false", BOOL, 0, 0, 0, NULL},
  {"string_empty", STR, 0, 0, 0, ""},       {"string_hello", STR, 0, 0, 0, "hello world"},
  {"string_unicode", STR, 0, 0, 0, "h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\xa6\x80"},
  {"bytes_deadbeef", BYTES, 4, 0, 0, "\xde\xad\xbe\xef"},
  {"bytes_empty", BYTES, 0, 0, 0, ""},
  {"option_some_u32_42", OPT_U32, 1, 42, 0, NULL},
  {"option_none_u32", OPT_U32, 0, 0, 0, NULL},
};

static void write_golden(const struct golden *g) {
  switch (g->kind) {
    case U8: roam_postcard_write_u8(&w, (uint8_t)g->u); break;
    case I8: roam_postcard_write_i8(&w, (int8_t)g->i); break;
    case U16: roam_postcard_write_u16(&w, (uint16_t)g->u); break;
    case U32: roam_postcard_write_u32(&w, (uint32_t)g->u); break;
    case U64: roam_postcard_write_u64(&w, g->u); break;
    case I16: roam_postcard_write_i16(&w, (int16_t)g->i); break;
    case I32: roam_postcard_write_i32(&w, (int32_t)g->i); break;
    case I64: roam_postcard_write_i64(&w, g->i); break;
    case F32: roam_postcard_write_f32(&w, (float)g->f); break;
    case F64: roam_postcard_write_f64(&w, g->f); break;
    case BOOL: roam_postcard_write_bool(&w, (int)g->i); break;
    case STR: roam_postcard_write_str(&w, g->s, ROAM_NTS); break;
    case BYTES: roam_postcard_write_bytes(&w, (const uint8_t *)g->s, (size_t)g->i); break;
    case OPT_U32:
      roam_postcard_write_option(&w, (int)g->i);
      if (g->i) roam_postcard_write_u32(&w, (uint32_t)g->u);
      break;
  }
}

/* Reads g's value from r and checks it. */
static void read_golden(const struct golden *g) {
  uint8_t u8; int8_t i8; uint16_t u16; uint32_t u32; uint64_t u64;
  int16_t i16; int32_t i32; int64_t i64; float f32; double f64; int flag;
  const char *s; const uint8_t *p; size_t n;
  switch (g->kind) {
    case U8: assert_int_equal(roam_postcard_read_u8(&r, &u8), 0); assert_int_equal(u8, g->u); break;
    case I8: assert_int_equal(roam_postcard_read_i8(&r, &i8), 0); assert_int_equal(i8, g->i); break;
    case U16: assert_int_equal(roam_postcard_read_u16(&r, &u16), 0); assert_int_equal(u16, g->u); break;
    case U32: assert_int_equal(roam_postcard_read_u32(&r, &u32), 0); assert_int_equal(u32, g->u); break;
    case U64: assert_int_equal(roam_postcard_read_u64(&r, &u64), 0); assert_true(u64 == g->u); break;
    case I16: assert_int_equal(roam_postcard_read_i16(&r, &i16), 0); assert_int_equal(i16, g->i); break;
    case I32: assert_int_equal(roam_postcard_read_i32(&r, &i32), 0); assert_int_equal(i32, g->i); break;
    case I64: assert_int_equal(roam_postcard_read_i64(&r, &i64), 0); assert_true(i64 == g->i); break;
    case F32: assert_int_equal(roam_postcard_read_f32(&r, &f32), 0); assert_true(f32 == (float)g->f); break;
    case F64: assert_int_equal(roam_postcard_read_f64(&r, &f64), 0); assert_true(f64 == g->f); break;
    case BOOL: assert_int_equal(roam_postcard_read_bool(&r, &flag), 0); assert_int_equal(flag, g->i); break;
    case STR:
      assert_int_equal(roam_postcard_read_str(&r, &s, &n), 0);
      assert_int_equal(n, strlen(g->s));
      assert_memory_equal(s, g->s, n);
      break;
    case BYTES:
      assert_int_equal(roam_postcard_read_bytes(&r, &p, &n), 0);
      assert_int_equal(n, g->i);
      assert_memory_equal(p, g->s, n);
      break;
    case OPT_U32:
      assert_int_equal(roam_postcard_read_option(&r, &flag), 0);
      assert_int_equal(flag, g->i);
      if (flag) {
        assert_int_equal(roam_postcard_read_u32(&r, &u32), 0);
        assert_int_equal(u32, g->u);
      }
      break;
  }
  assert_int_equal(roam_postcard_reader_finish(&r), 0);
}

static void golden_files_match_both_ways(void **state) {
  size_t checked = 0;
  for (size_t i = 0; i < sizeof goldens / sizeof goldens[0]; ++i) {
    const struct golden *g = &goldens[i];
    char path[512];
    snprintf(path, sizeof path, "%s/primitives/%s.bin", ROAM_SHARED_GOLDEN_DIR, g->file);
    FILE *f = fopen(path, "rb");
    if (f == NULL) continue; /* the shared golden files are optional */
    uint8_t golden[256];
    size_t len = fread(golden, 1, sizeof golden, f);
    fclose(f);
    start();
    write_golden(g);
    size_t written = 0;
    assert_int_equal(roam_postcard_writer_finish(&w, &written), 0);
    if (written != len || memcmp(w.buf, golden, len) != 0) fail_msg("%s: bytes differ", g->file);
    assert_int_equal(roam_postcard_reader_init(&r, sizeof r, golden, len), 0);
    read_golden(g);
    ++checked;
  }
  print_message("%zu golden files checked\n", checked);
}

/* ---- round trips ------------------------------------------------------------ */

static void integers_round_trip(void **state) {
  static const uint64_t us[] = {0, 1, 127, 128, 255, 256, 16383, 16384, UINT32_MAX,
                                (uint64_t)UINT32_MAX + 1, UINT64_MAX - 1, UINT64_MAX};
  static const int64_t is[] = {0, 1, -1, 63, -64, 64, -65, INT32_MIN, INT32_MAX,
                               INT64_MIN, INT64_MIN + 1, INT64_MAX};
  for (size_t i = 0; i < sizeof us / sizeof us[0]; ++i) {
    start();
    roam_postcard_write_u64(&w, us[i]);
    roam_postcard_write_u128(&w, us[i], ~us[i]);
    roam_postcard_write_i128(&w, (int64_t)us[i], us[i]);
    roam_postcard_write_i64(&w, is[i]);
    roam_postcard_write_i32(&w, (int32_t)is[i]);
    roam_postcard_write_i16(&w, (int16_t)is[i]);
    roam_postcard_write_u32(&w, (uint32_t)us[i]);
    roam_postcard_write_u16(&w, (uint16_t)us[i]);
    size_t len;
    assert_int_equal(roam_postcard_writer_finish(&w, &len), 0);
    assert_int_equal(roam_postcard_reader_init(&r, sizeof r, wbuf, len), 0);
    uint64_t u64, hi, lo; int64_t i64, shi; int32_t i32; int16_t i16; uint32_t u32; uint16_t u16;
    assert_int_equal(roam_postcard_read_u64(&r, &u64), 0);
    assert_true(u64 == us[i]);
    assert_int_equal(roam_postcard_read_u128(&r, &hi, &lo), 0);
    assert_true(hi == us[i] && lo == ~us[i]);
    assert_int_equal(roam_postcard_read_i128(&r, &shi, &lo), 0);
    assert_true(shi == (int64_t)us[i] && lo == us[i]);
    assert_int_equal(roam_postcard_read_i64(&r, &i64), 0);
    assert_true(i64 == is[i]);
    assert_int_equal(roam_postcard_read_i32(&r, &i32), 0);
    assert_int_equal(i32, (int32_t)is[i]);
    assert_int_equal(roam_postcard_read_i16(&r, &i16), 0);
    assert_int_equal(i16, (int16_t)is[i]);
    assert_int_equal(roam_postcard_read_u32(&r, &u32), 0);
    assert_int_equal(u32, (uint32_t)us[i]);
    assert_int_equal(roam_postcard_read_u16(&r, &u16), 0);
    assert_int_equal(u16, (uint16_t)us[i]);
    assert_int_equal(roam_postcard_reader_finish(&r), 0);
  }
}

/* One value of every type, in this order; decode_everything reads it back. */
static void write_everything(roam_postcard_writer *out) {
  roam_postcard_write_bool(out, 1);
  roam_postcard_write_u8(out, 200);
  roam_postcard_write_i8(out, -5);
  roam_postcard_write_u16(out, 300);
  roam_postcard_write_u32(out, 70000);
  roam_postcard_write_u64(out, UINT64_MAX);
  roam_postcard_write_u128(out, UINT64_MAX, UINT64_MAX);
  roam_postcard_write_i16(out, INT16_MIN);
  roam_postcard_write_i32(out, -70000);
  roam_postcard_write_i64(out, INT64_MIN);
  roam_postcard_write_i128(out, INT64_MIN, 0);
  roam_postcard_write_f32(out, 0.25f);
  roam_postcard_write_f64(out, -2.5);
  roam_postcard_write_char(out, 0x20ac);
  roam_postcard_write_str(out, "h\xc3\xa9llo", ROAM_NTS);
  roam_postcard_write_bytes(out, (const uint8_t *)"\x00\x01\x02", 3);
  roam_postcard_write_option(out, 1);
  roam_postcard_write_u32(out, 42);
  roam_postcard_write_option(out, 0);
  roam_postcard_write_len(out, 2);
  roam_postcard_write_u8(out, 1);
  roam_postcard_write_u8(out, 2);
  roam_postcard_write_variant(out, 3);
  roam_postcard_write_raw(out, "\xab\xcd", 2);
}

/* Reads what write_everything wrote, checking each value while the reader
 * has no error; returns roam_postcard_reader_finish(). */
static int decode_everything(const uint8_t *bytes, size_t len) {
  roam_postcard_reader in;
  assert_int_equal(roam_postcard_reader_init(&in, sizeof in, bytes, len), 0);
  int flag; uint8_t u8; int8_t i8; uint16_t u16; uint32_t u32; uint64_t u64, hi, lo;
  int16_t i16; int32_t i32; int64_t i64, shi; float f32; double f64; uint32_t ch;
  const char *s; const uint8_t *p; size_t n;
  if (roam_postcard_read_bool(&in, &flag) == 0) assert_int_equal(flag, 1);
  if (roam_postcard_read_u8(&in, &u8) == 0) assert_int_equal(u8, 200);
  if (roam_postcard_read_i8(&in, &i8) == 0) assert_int_equal(i8, -5);
  if (roam_postcard_read_u16(&in, &u16) == 0) assert_int_equal(u16, 300);
  if (roam_postcard_read_u32(&in, &u32) == 0) assert_int_equal(u32, 70000);
  if (roam_postcard_read_u64(&in, &u64) == 0) assert_true(u64 == UINT64_MAX);
  if (roam_postcard_read_u128(&in, &hi, &lo) == 0) assert_true(hi == UINT64_MAX && lo == UINT64_MAX);
  if (roam_postcard_read_i16(&in, &i16) == 0) assert_int_equal(i16, INT16_MIN);
  if (roam_postcard_read_i32(&in, &i32) == 0) assert_int_equal(i32, -70000);
  if (roam_postcard_read_i64(&in, &i64) == 0) assert_true(i64 == INT64_MIN);
  if (roam_postcard_read_i128(&in, &shi, &lo) == 0) assert_true(shi == INT64_MIN && lo == 0);
  if (roam_postcard_read_f32(&in, &f32) == 0) assert_true(f32 == 0.25f);
  if (roam_postcard_read_f64(&in, &f64) == 0) assert_true(f64 == -2.5);
  if (roam_postcard_read_char(&in, &ch) == 0) assert_int_equal(ch, 0x20ac);
  if (roam_postcard_read_str(&in, &s, &n) == 0) {
    assert_int_equal(n, 6);
    assert_memory_equal(s, "h\xc3\xa9llo", 6);
  }
  if (roam_postcard_read_bytes(&in, &p, &n) == 0) {
    assert_int_equal(n, 3);
    assert_memory_equal(p, "\x00\x01\x02", 3);
  }
  if (roam_postcard_read_option(&in, &flag) == 0) assert_int_equal(flag, 1);
  if (roam_postcard_read_u32(&in, &u32) == 0) assert_int_equal(u32, 42);
  if (roam_postcard_read_option(&in, &flag) == 0) assert_int_equal(flag, 0);
  if (roam_postcard_read_len(&in, 1, &u64) == 0) assert_int_equal(u64, 2);
  if (roam_postcard_read_u8(&in, &u8) == 0) assert_int_equal(u8, 1);
  if (roam_postcard_read_u8(&in, &u8) == 0) assert_int_equal(u8, 2);
  if (roam_postcard_read_variant(&in, 4, &u32) == 0) assert_int_equal(u32, 3);
  if (roam_postcard_read_raw(&in, 2, &p) == 0) assert_memory_equal(p, "\xab\xcd", 2);
  return roam_postcard_reader_finish(&in);
}

/* write_everything into wbuf; returns its length. */
static size_t encode_everything(void) {
  start();
  write_everything(&w);
  size_t len = 0;
  assert_int_equal(roam_postcard_writer_finish(&w, &len), 0);
  return len;
}

static void every_type_round_trips(void **state) {
  size_t len = encode_everything();
  assert_int_equal(decode_everything(wbuf, len), 0);
}

static void views_point_into_the_input(void **state) {
  read_hex("0568656c6c6f 00 02abcd");
  const char *s; const uint8_t *p; size_t n;
  assert_int_equal(roam_postcard_read_str(&r, &s, &n), 0);
  assert_ptr_equal(s, (const char *)r.data + 1);
  assert_int_equal(roam_postcard_read_str(&r, &s, &n), 0);
  assert_non_null(s);
  assert_int_equal(n, 0);
  assert_int_equal(roam_postcard_read_bytes(&r, &p, &n), 0);
  assert_ptr_equal(p, r.data + 8);
  assert_int_equal(r.pos, r.len);
  /* An empty input is fine for values of no bytes, and a NULL one too. */
  assert_int_equal(roam_postcard_reader_init(&r, sizeof r, NULL, 0), 0);
  assert_int_equal(roam_postcard_read_raw(&r, 0, &p), 0);
  assert_non_null(p);
  assert_int_equal(roam_postcard_reader_finish(&r), 0);
}

/* ---- malformations ---------------------------------------------------------- */

static void every_truncation_is_reported(void **state) {
  size_t len = encode_everything();
  for (size_t cut = 0; cut < len; ++cut) {
    uint8_t *copy = malloc(cut > 0 ? cut : 1); /* exactly `cut` bytes: ASan sees an overread */
    assert_non_null(copy);
    memcpy(copy, wbuf, cut);
    int rc = decode_everything(copy, cut);
    free(copy);
    if (rc != ROAM_ETRUNCATED && rc != ROAM_EBADLENGTH) {
      fail_msg("cut at %zu of %zu: %s", cut, len, roam_err_name(rc));
    }
  }
  /* Which of the two: inside a varint or a fixed-width value it is
   * TRUNCATED; a length whose bytes are missing is BADLENGTH. */
  uint32_t u32; float f; const char *s; size_t n;
  read_hex("80"); assert_int_equal(roam_postcard_read_u32(&r, &u32), ROAM_ETRUNCATED);
  read_hex("0000"); assert_int_equal(roam_postcard_read_f32(&r, &f), ROAM_ETRUNCATED);
  read_hex("0568656c"); assert_int_equal(roam_postcard_read_str(&r, &s, &n), ROAM_EBADLENGTH);
  read_hex(""); assert_int_equal(roam_postcard_read_u32(&r, &u32), ROAM_ETRUNCATED);
}

static void varints_too_long_or_too_big(void **state) {
  uint16_t u16; uint32_t u32; uint64_t u64, hi, lo; int16_t i16; int64_t i64;
  read_hex("ffffffffffffffffff02"); assert_int_equal(roam_postcard_read_u64(&r, &u64), ROAM_ERANGE);
  read_hex("8080808080808080808000");
  assert_int_equal(roam_postcard_read_u64(&r, &u64), ROAM_EOVERLONG);
  read_hex("ffffffff1f"); assert_int_equal(roam_postcard_read_u32(&r, &u32), ROAM_ERANGE);
  read_hex("808080808000"); assert_int_equal(roam_postcard_read_u32(&r, &u32), ROAM_EOVERLONG);
  read_hex("ffff04"); assert_int_equal(roam_postcard_read_u16(&r, &u16), ROAM_ERANGE);
  read_hex("80808000"); assert_int_equal(roam_postcard_read_u16(&r, &u16), ROAM_EOVERLONG);
  read_hex("ffff04"); assert_int_equal(roam_postcard_read_i16(&r, &i16), ROAM_ERANGE);
  read_hex("ffffffffffffffffff03"); assert_int_equal(roam_postcard_read_i64(&r, &i64), ROAM_ERANGE);
  read_hex("ffffffffffffffffffffffffffffffffffff04");
  assert_int_equal(roam_postcard_read_u128(&r, &hi, &lo), ROAM_ERANGE);
  read_hex("80808080808080808080808080808080808080 00");
  assert_int_equal(roam_postcard_read_u128(&r, &hi, &lo), ROAM_EOVERLONG);
  /* Longer than needed but within the width: accepted, as postcard does. */
  read_hex("8000"); assert_int_equal(roam_postcard_read_u32(&r, &u32), 0);
  assert_int_equal(u32, 0);
}

static void bad_strings_chars_and_tags(void **state) {
  const char *s; size_t n; uint32_t ch, idx; int flag; uint64_t count;
  read_hex("02c328"); assert_int_equal(roam_postcard_read_str(&r, &s, &n), ROAM_EBADUTF8);
  read_hex("02c080"); assert_int_equal(roam_postcard_read_str(&r, &s, &n), ROAM_EBADUTF8);
  read_hex("03eda080"); assert_int_equal(roam_postcard_read_str(&r, &s, &n), ROAM_EBADUTF8);
  read_hex("04f4908080"); assert_int_equal(roam_postcard_read_str(&r, &s, &n), ROAM_EBADUTF8);
  read_hex("03eda080"); assert_int_equal(roam_postcard_read_char(&r, &ch), ROAM_EBADUTF8);
  read_hex("00"); assert_int_equal(roam_postcard_read_char(&r, &ch), ROAM_ERANGE);
  read_hex("026162"); assert_int_equal(roam_postcard_read_char(&r, &ch), ROAM_ERANGE);
  read_hex("0161"); assert_int_equal(roam_postcard_read_char(&r, &ch), 0);
  assert_int_equal(ch, 'a');
  read_hex("02"); assert_int_equal(roam_postcard_read_bool(&r, &flag), ROAM_ERANGE);
  read_hex("ff"); assert_int_equal(roam_postcard_read_bool(&r, &flag), ROAM_ERANGE);
  read_hex("02"); assert_int_equal(roam_postcard_read_option(&r, &flag), ROAM_EBADTAG);
  read_hex("02"); assert_int_equal(roam_postcard_read_variant(&r, 2, &idx), ROAM_EBADTAG);
  read_hex("ffffffff0f"); assert_int_equal(roam_postcard_read_variant(&r, 0, &idx), 0);
  assert_int_equal(idx, UINT32_MAX);
  /* Lengths and counts past the end. */
  read_hex("0a0102"); assert_int_equal(roam_postcard_read_bytes(&r, (const uint8_t **)&s, &n),
                                       ROAM_EBADLENGTH);
  read_hex("ffffffffffffffffff01");
  assert_int_equal(roam_postcard_read_bytes(&r, (const uint8_t **)&s, &n), ROAM_EBADLENGTH);
  read_hex("05 0102"); assert_int_equal(roam_postcard_read_len(&r, 1, &count), ROAM_EBADLENGTH);
  read_hex("05 0102"); assert_int_equal(roam_postcard_read_len(&r, 0, &count), 0);
  assert_int_equal(count, 5);
}

static void trailing_bytes_and_sticky_errors(void **state) {
  uint8_t u8; uint32_t u32; const char *s; size_t n;
  read_hex("2a 00");
  assert_int_equal(roam_postcard_read_u8(&r, &u8), 0);
  assert_int_equal(roam_postcard_reader_finish(&r), ROAM_ETRAILING);
  /* The first error stays; later reads fail with it and write zeros. */
  read_hex("02 2a 0568656c6c6f");
  int flag = 7;
  assert_int_equal(roam_postcard_read_option(&r, &flag), ROAM_EBADTAG);
  assert_int_equal(flag, 0);
  u32 = 9;
  assert_int_equal(roam_postcard_read_u32(&r, &u32), ROAM_EBADTAG);
  assert_int_equal(u32, 0);
  s = "x";
  assert_int_equal(roam_postcard_read_str(&r, &s, &n), ROAM_EBADTAG);
  assert_null(s);
  assert_int_equal(n, 0);
  assert_int_equal(r.pos, 0);
  assert_int_equal(r.error, ROAM_EBADTAG);
  assert_int_equal(roam_postcard_reader_finish(&r), ROAM_EBADTAG);
}

/* ---- writers: room, growth, invalid values ------------------------------ */

static void writer_out_of_room_counts_what_it_needs(void **state) {
  size_t full = encode_everything(); /* with a generous buffer */
  for (size_t cap = 0; cap < full; ++cap) {
    uint8_t small[256];
    roam_postcard_writer sw;
    assert_int_equal(roam_postcard_writer_init(&sw, sizeof sw, cap ? small : NULL, cap), 0);
    write_everything(&sw);
    size_t needed = 0;
    assert_int_equal(roam_postcard_writer_finish(&sw, &needed), ROAM_ENOBUFS);
    assert_int_equal(needed, full);
    assert_int_equal(sw.needed, full);
    assert_true(sw.len <= cap);
    assert_memory_equal(small, wbuf, sw.len); /* what fit is a prefix */
    assert_int_equal(roam_postcard_write_u8(&sw, 1), ROAM_ENOBUFS);
    assert_non_null(strstr(roam_last_error_detail(), "bytes"));
  }
  /* Exactly enough room is enough. */
  uint8_t exact[256];
  roam_postcard_writer ew;
  roam_postcard_writer_init(&ew, sizeof ew, exact, full);
  write_everything(&ew);
  size_t len;
  assert_int_equal(roam_postcard_writer_finish(&ew, &len), 0);
  assert_int_equal(len, full);
  /* reset: the same buffer for the next value. */
  roam_postcard_writer_reset(&ew);
  assert_int_equal(roam_postcard_write_u32(&ew, 300), 0);
  assert_int_equal(roam_postcard_writer_finish(&ew, &len), 0);
  assert_int_equal(len, 2);
}

static void growing_writer_grows(void **state) {
  roam_postcard_writer gw;
  assert_int_equal(roam_postcard_writer_init_growing(&gw, sizeof gw), 0);
  assert_null(gw.buf);
  for (int i = 0; i < 1000; ++i) assert_int_equal(roam_postcard_write_str(&gw, "abc", 3), 0);
  size_t len;
  assert_int_equal(roam_postcard_writer_finish(&gw, &len), 0);
  assert_int_equal(len, 4000);
  assert_true(gw.cap >= len);
  assert_memory_equal(gw.buf + 3996, "\x03" "abc", 4);
  roam_postcard_writer_reset(&gw);
  write_everything(&gw);
  assert_int_equal(roam_postcard_writer_finish(&gw, &len), 0);
  assert_int_equal(decode_everything(gw.buf, len), 0);
  roam_postcard_writer_free(&gw);
  assert_null(gw.buf);
  assert_int_equal(gw.cap, 0);
  roam_postcard_writer_free(&gw); /* twice is fine */
  roam_postcard_writer_free(NULL);
}

static void invalid_values_and_arguments(void **state) {
  start();
  assert_int_equal(roam_postcard_write_str(&w, "\xc3\x28", 2), ROAM_EINVAL);
  assert_int_equal(roam_postcard_write_u8(&w, 1), ROAM_EINVAL); /* sticky */
  size_t len = 99;
  assert_int_equal(roam_postcard_writer_finish(&w, &len), ROAM_EINVAL);
  assert_int_equal(len, 99);
  assert_int_equal(w.len, 0);
  start();
  assert_int_equal(roam_postcard_write_char(&w, 0xd800), ROAM_EINVAL);
  start();
  assert_int_equal(roam_postcard_write_char(&w, 0x110000), ROAM_EINVAL);
  start();
  assert_int_equal(roam_postcard_write_bytes(&w, NULL, 1), ROAM_EINVAL);
  /* An invalid value outranks lack of room: more room would not help. */
  roam_postcard_writer mw;
  roam_postcard_writer_init(&mw, sizeof mw, NULL, 0);
  assert_int_equal(roam_postcard_write_u8(&mw, 1), ROAM_ENOBUFS);
  assert_int_equal(roam_postcard_write_str(&mw, "\xff", 1), ROAM_EINVAL);
  assert_int_equal(roam_postcard_writer_finish(&mw, &len), ROAM_EINVAL);
  /* NULL handles and out-pointers. */
  uint8_t u8;
  assert_int_equal(roam_postcard_writer_init(NULL, sizeof(roam_postcard_writer), wbuf, 1), ROAM_EINVAL);
  assert_int_equal(roam_postcard_writer_init(&w, sizeof w, NULL, 1), ROAM_EINVAL);
  /* A caller's struct shorter than this library's is refused, with why. */
  assert_int_equal(roam_postcard_writer_init(&w, sizeof w - 1, wbuf, 1), ROAM_EINVAL);
  assert_non_null(strstr(roam_last_error_detail(), "sizeof"));
  assert_int_equal(roam_postcard_writer_init_growing(&w, 0), ROAM_EINVAL);
  assert_int_equal(roam_postcard_reader_init(&r, sizeof r - 1, wbuf, 1), ROAM_EINVAL);
  assert_int_equal(roam_postcard_writer_init(&w, sizeof w, wbuf, 1), ROAM_OK);
  assert_int_equal(w.size, sizeof w);
  assert_int_equal(roam_postcard_write_u8(NULL, 1), ROAM_EINVAL);
  assert_int_equal(roam_postcard_reader_init(&r, sizeof r, NULL, 1), ROAM_EINVAL);
  read_hex("01");
  assert_int_equal(roam_postcard_read_u8(&r, NULL), ROAM_EINVAL);
  assert_int_equal(roam_postcard_read_u8(NULL, &u8), ROAM_EINVAL);
  assert_non_null(strstr(roam_last_error_detail(), "roam_postcard_read_u8"));
  assert_int_equal(r.error, 0); /* a misuse is not a malformation */
}

/* ---- memory -------------------------------------------------------------- */

static int g_allocations, g_fail_allocations;
static void *counting_malloc(size_t n) {
  g_allocations++;
  return g_fail_allocations ? NULL : malloc(n);
}
static void *counting_realloc(void *p, size_t n) {
  g_allocations++;
  return g_fail_allocations ? NULL : realloc(p, n);
}
static void *counting_calloc(size_t c, size_t n) {
  g_allocations++;
  return g_fail_allocations ? NULL : calloc(c, n);
}

static void only_a_growing_writer_allocates(void **state) {
  assert_int_equal(roam_set_allocator(counting_malloc, counting_realloc, counting_calloc, free), 0);
  g_allocations = 0;
  size_t len = encode_everything();
  assert_int_equal(decode_everything(wbuf, len), 0);
  assert_int_equal(g_allocations, 0);
  /* A growing writer whose memory runs out: ROAM_ENOMEM, sticky, nothing
   * written and nothing leaked. */
  g_fail_allocations = 1;
  roam_postcard_writer gw;
  roam_postcard_writer_init_growing(&gw, sizeof gw);
  assert_int_equal(roam_postcard_write_u8(&gw, 1), ROAM_ENOMEM);
  assert_int_equal(roam_postcard_write_u8(&gw, 1), ROAM_ENOMEM);
  assert_int_equal(roam_postcard_writer_finish(&gw, &len), ROAM_ENOMEM);
  assert_int_equal(gw.len, 0);
  roam_postcard_writer_free(&gw);
  g_fail_allocations = 0;
  assert_int_equal(roam_set_allocator(NULL, NULL, NULL, NULL), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(integers_have_postcards_bytes),
    cmocka_unit_test(other_types_have_postcards_bytes),
    cmocka_unit_test(golden_files_match_both_ways),
    cmocka_unit_test(integers_round_trip),
    cmocka_unit_test(every_type_round_trips),
    cmocka_unit_test(views_point_into_the_input),
    cmocka_unit_test(every_truncation_is_reported),
    cmocka_unit_test(varints_too_long_or_too_big),
    cmocka_unit_test(bad_strings_chars_and_tags),
    cmocka_unit_test(trailing_bytes_and_sticky_errors),
    cmocka_unit_test(writer_out_of_room_counts_what_it_needs),
    cmocka_unit_test(growing_writer_grows),
    cmocka_unit_test(invalid_values_and_arguments),
    cmocka_unit_test(only_a_growing_writer_allocates),
  };
  return cmocka_run_group_tests_name("postcard", tests, NULL, NULL);
}
