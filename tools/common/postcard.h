/* One-value shorthands over roam/roam_postcard.h for the tools and tests,
 * which often send or check a single integer or string: each encodes into
 * (or decodes from) a buffer in one call. The encoding itself is the
 * library's; nothing here knows postcard. */
#ifndef ROAM_TOOLS_POSTCARD_H
#define ROAM_TOOLS_POSTCARD_H

#include <stddef.h>
#include <stdint.h>

/* An unsigned integer (u16..u64) at out (room for 10 bytes); returns the
 * bytes written. */
size_t pc_put_varint(uint8_t *out, uint64_t v);
/* The unsigned integer at in[0..len); *used (may be NULL) gets its length.
 * 0 (with *used 0) if the bytes are not one. */
uint64_t pc_get_varint(const uint8_t *in, size_t len, size_t *used);
/* A signed integer (i16..i64) at out (room for 10 bytes). */
size_t pc_put_signed(uint8_t *out, int64_t v);
/* The signed integer at in[0..len); 0 if the bytes are not one. */
int64_t pc_get_signed(const uint8_t *in, size_t len);
/* A String at out (room for strlen(s) + 10 bytes). */
size_t pc_put_string(uint8_t *out, const char *s);

#endif
