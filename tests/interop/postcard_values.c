/* The C half of the postcard check: the fixed list of values that
 * `roam-interop-peer postcard-values` encodes with facet-postcard, written
 * here with libroam's roam_postcard_* writer, one `NAME HEX` line each in
 * the same order. check_postcard.sh compares the two outputs. */
#include <stdint.h>
#include <stdio.h>

#include <roam/roam_postcard.h>

static roam_postcard_writer w;
static uint8_t buf[256];

static void emit(const char *name) {
  size_t len = 0;
  int rc = roam_postcard_writer_finish(&w, &len);
  if (rc != 0) {
    printf("%s ERROR %s\n", name, roam_err_name(rc));
    return;
  }
  printf("%s ", name);
  for (size_t i = 0; i < len; ++i) printf("%02x", buf[i]);
  printf("\n");
}

/* One value: the writes between the parentheses, then its line. */
#define VALUE(name, ...)                          \
  do {                                            \
    roam_postcard_writer_init(&w, sizeof w, buf, sizeof buf); \
    __VA_ARGS__;                                  \
    emit(name);                                   \
  } while (0)

int main(void) {
  VALUE("u8_0", roam_postcard_write_u8(&w, 0));
  VALUE("u8_max", roam_postcard_write_u8(&w, UINT8_MAX));
  VALUE("i8_min", roam_postcard_write_i8(&w, INT8_MIN));
  VALUE("i8_neg1", roam_postcard_write_i8(&w, -1));
  VALUE("u16_max", roam_postcard_write_u16(&w, UINT16_MAX));
  VALUE("u32_max", roam_postcard_write_u32(&w, UINT32_MAX));
  VALUE("u64_0", roam_postcard_write_u64(&w, 0));
  VALUE("u64_127", roam_postcard_write_u64(&w, 127));
  VALUE("u64_128", roam_postcard_write_u64(&w, 128));
  VALUE("u64_max", roam_postcard_write_u64(&w, UINT64_MAX));
  VALUE("u128_2p64", roam_postcard_write_u128(&w, 1, 0));
  VALUE("u128_max", roam_postcard_write_u128(&w, UINT64_MAX, UINT64_MAX));
  VALUE("i16_min", roam_postcard_write_i16(&w, INT16_MIN));
  VALUE("i32_min", roam_postcard_write_i32(&w, INT32_MIN));
  VALUE("i64_min", roam_postcard_write_i64(&w, INT64_MIN));
  VALUE("i64_max", roam_postcard_write_i64(&w, INT64_MAX));
  VALUE("i128_min", roam_postcard_write_i128(&w, INT64_MIN, 0));
  VALUE("i128_max", roam_postcard_write_i128(&w, INT64_MAX, UINT64_MAX));
  VALUE("i128_neg1", roam_postcard_write_i128(&w, -1, UINT64_MAX));
  VALUE("f32_1_5", roam_postcard_write_f32(&w, 1.5f));
  VALUE("f32_neg0", roam_postcard_write_f32(&w, -0.0f));
  VALUE("f64_1_5", roam_postcard_write_f64(&w, 1.5));
  VALUE("f64_min_positive", roam_postcard_write_f64(&w, 2.2250738585072014e-308));
  VALUE("bool_true", roam_postcard_write_bool(&w, 1));
  VALUE("bool_false", roam_postcard_write_bool(&w, 0));
  VALUE("char_a", roam_postcard_write_char(&w, 'a'));
  VALUE("char_e_acute", roam_postcard_write_char(&w, 0xe9));
  VALUE("char_euro", roam_postcard_write_char(&w, 0x20ac));
  VALUE("char_crab", roam_postcard_write_char(&w, 0x1f980));
  VALUE("str_empty", roam_postcard_write_str(&w, "", ROAM_NTS));
  VALUE("str_hello", roam_postcard_write_str(&w, "hello", ROAM_NTS));
  VALUE("str_unicode",
        roam_postcard_write_str(&w, "h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\xa6\x80", ROAM_NTS));
  VALUE("bytes_empty", roam_postcard_write_bytes(&w, NULL, 0));
  VALUE("bytes_deadbeef", roam_postcard_write_bytes(&w, (const uint8_t *)"\xde\xad\xbe\xef", 4));
  VALUE("option_none_u32", roam_postcard_write_option(&w, 0));
  VALUE("option_some_u32_42", roam_postcard_write_option(&w, 1); roam_postcard_write_u32(&w, 42));
  VALUE("option_some_str", roam_postcard_write_option(&w, 1); roam_postcard_write_str(&w, "hi", 2));
  VALUE("vec_i32", roam_postcard_write_len(&w, 3); roam_postcard_write_i32(&w, -1);
        roam_postcard_write_i32(&w, 0); roam_postcard_write_i32(&w, 1));
  VALUE("vec_option_u8", roam_postcard_write_len(&w, 3); roam_postcard_write_option(&w, 1);
        roam_postcard_write_u8(&w, 1); roam_postcard_write_option(&w, 0);
        roam_postcard_write_option(&w, 1); roam_postcard_write_u8(&w, 255));
  VALUE("map_u32_str", roam_postcard_write_len(&w, 2); roam_postcard_write_u32(&w, 1);
        roam_postcard_write_str(&w, "a", 1); roam_postcard_write_u32(&w, 300);
        roam_postcard_write_str(&w, "b", 1));
  VALUE("result_ok_u32", roam_postcard_write_variant(&w, 0); roam_postcard_write_u32(&w, 7));
  VALUE("result_err_str", roam_postcard_write_variant(&w, 1); roam_postcard_write_str(&w, "x", 1));
  VALUE("unit", (void)0); /* () is zero bytes: nothing to write */
  VALUE("tuple_u32_str_bool", roam_postcard_write_u32(&w, 5); roam_postcard_write_str(&w, "t", 1);
        roam_postcard_write_bool(&w, 1));
  VALUE("array_u16_3", roam_postcard_write_u16(&w, 1); roam_postcard_write_u16(&w, 128);
        roam_postcard_write_u16(&w, 65535));
  VALUE("struct_point", roam_postcard_write_i32(&w, -3); roam_postcard_write_i32(&w, 4));
  VALUE("enum_unit", roam_postcard_write_variant(&w, 0));
  VALUE("enum_newtype", roam_postcard_write_variant(&w, 1); roam_postcard_write_f64(&w, 2.0));
  VALUE("enum_struct", roam_postcard_write_variant(&w, 2); roam_postcard_write_u32(&w, 3);
        roam_postcard_write_u32(&w, 300));
  return 0;
}
