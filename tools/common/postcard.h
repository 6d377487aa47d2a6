/* The few postcard encodings the tools and tests write by hand: unsigned
 * LEB128 varints, zigzag for signed integers, varint-prefixed strings. */
#ifndef ROAM_TOOLS_POSTCARD_H
#define ROAM_TOOLS_POSTCARD_H

#include <stddef.h>
#include <stdint.h>

/* Writes v at out (room for 10 bytes); returns the bytes written. */
size_t pc_put_varint(uint8_t *out, uint64_t v);
/* Reads a varint from in[0..len); *used (may be NULL) gets its length. */
uint64_t pc_get_varint(const uint8_t *in, size_t len, size_t *used);
uint64_t pc_zigzag(int64_t v);
int64_t pc_unzigzag(uint64_t z);
/* A signed integer (i8..i64) as postcard writes it: zigzag varint. */
size_t pc_put_signed(uint8_t *out, int64_t v);
int64_t pc_get_signed(const uint8_t *in, size_t len);
/* A String: varint length + UTF-8 bytes. */
size_t pc_put_string(uint8_t *out, const char *s);

#endif
