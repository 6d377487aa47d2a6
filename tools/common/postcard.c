#include "postcard.h"

#include <string.h>

#include <roam/roam_postcard.h>

/* Room for any one integer, or for a string's length and bytes. */
#define PC_INT_ROOM 10

size_t pc_put_varint(uint8_t *out, uint64_t v) {
  roam_postcard_writer w;
  roam_postcard_writer_init(&w, sizeof w, out, PC_INT_ROOM);
  roam_postcard_write_u64(&w, v);
  return w.len;
}

uint64_t pc_get_varint(const uint8_t *in, size_t len, size_t *used) {
  roam_postcard_reader r;
  uint64_t v = 0;
  roam_postcard_reader_init(&r, sizeof r, in, len);
  roam_postcard_read_u64(&r, &v);
  if (used) *used = r.pos;
  return v;
}

size_t pc_put_signed(uint8_t *out, int64_t v) {
  roam_postcard_writer w;
  roam_postcard_writer_init(&w, sizeof w, out, PC_INT_ROOM);
  roam_postcard_write_i64(&w, v);
  return w.len;
}

int64_t pc_get_signed(const uint8_t *in, size_t len) {
  roam_postcard_reader r;
  int64_t v = 0;
  roam_postcard_reader_init(&r, sizeof r, in, len);
  roam_postcard_read_i64(&r, &v);
  return v;
}

size_t pc_put_string(uint8_t *out, const char *s) {
  roam_postcard_writer w;
  roam_postcard_writer_init(&w, sizeof w, out, strlen(s) + PC_INT_ROOM);
  roam_postcard_write_str(&w, s, ROAM_NTS);
  return w.len;
}
