#include "postcard.h"

#include <string.h>

size_t pc_put_varint(uint8_t *out, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  out[n++] = (uint8_t)v;
  return n;
}

uint64_t pc_get_varint(const uint8_t *in, size_t len, size_t *used) {
  uint64_t v = 0;
  size_t i = 0;
  for (; i < len && i < 10; ++i) {
    v |= (uint64_t)(in[i] & 0x7f) << (7 * i);
    if (!(in[i] & 0x80)) break;
  }
  if (used) *used = i + 1;
  return v;
}

uint64_t pc_zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }

int64_t pc_unzigzag(uint64_t z) { return (int64_t)((z >> 1) ^ (~(z & 1) + 1)); }

size_t pc_put_signed(uint8_t *out, int64_t v) { return pc_put_varint(out, pc_zigzag(v)); }

int64_t pc_get_signed(const uint8_t *in, size_t len) {
  return pc_unzigzag(pc_get_varint(in, len, NULL));
}

size_t pc_put_string(uint8_t *out, const char *s) {
  size_t len = strlen(s);
  size_t n = pc_put_varint(out, len);
  memcpy(out + n, s, len);
  return n + len;
}
