/*
 * libroam — the postcard codec, for typed arguments, results and items.
 *
 * roam carries every value (call arguments, results, channel items) as
 * postcard, the compact non-self-describing format of the Rust `postcard`
 * crate as facet-postcard writes it. roam.h moves those bytes; this header
 * makes and reads them, byte for byte as the roam 7.3.0 crates do.
 *
 * The encoding, by type
 * ----------------------------------------------------------------------------
 *   u8, i8            one raw byte (i8 two's complement)
 *   u16 .. u128       unsigned LEB128 varint: 7 bits a byte, low group
 *                     first, high bit set = more follows (u64 max: 10 bytes,
 *                     u128 max: 19)
 *   i16 .. i128       zigzag ((n << 1) ^ (n >> bits-1)), then a varint
 *   f32, f64          IEEE 754, little-endian, 4 / 8 bytes
 *   bool              one byte, 00 or 01
 *   char              like a string: varint byte length + the UTF-8 of one
 *                     Unicode scalar value (what the postcard crates do)
 *   str, String       varint byte length + UTF-8
 *   bytes, Vec<u8>    varint length + the bytes
 *   Option<T>         00 (None) or 01 followed by T
 *   Vec<T>, sets      varint element count, then the elements
 *   maps              varint entry count, then key, value, key, value ...
 *   [T; N], tuples,   the elements / fields in order, nothing else: no
 *   structs           length, no names, no tags
 *   enums             varint variant index (declaration order, from 0),
 *                     then that variant's fields (Result: Ok = 0, Err = 1)
 *   (), unit structs  nothing: zero bytes, so there is no function for them
 *   Tx<T>, Rx<T>      nothing either: a channel argument is zero bytes in
 *                     the arguments; its id travels in the request's channel
 *                     list (the channels of roam_conn_call), in the order
 *                     the channels appear among the arguments
 *
 * How to use it
 * ----------------------------------------------------------------------------
 * Writer     A roam_postcard_writer lives wherever you put it (the stack is
 *            fine) and writes into your buffer, or into one the library
 *            grows (roam_postcard_writer_init_growing, freed with
 *            roam_postcard_writer_free). Errors are sticky: the first one
 *            is kept and later writes do nothing, so write a whole value
 *            and check once with roam_postcard_writer_finish(). A buffer
 *            out of room is ROAM_ENOBUFS and the writer goes on counting:
 *            finish() then says how many bytes the whole value needs, to
 *            retry with a buffer that big (like snprintf).
 * Reader     A roam_postcard_reader reads your bytes in place: strings and
 *            byte strings come back as views into them (valid as long as
 *            your bytes are), nothing is copied or allocated. Every
 *            malformation has its code: ROAM_ETRUNCATED (the input ends
 *            inside a value), ROAM_EOVERLONG (a varint longer than its type
 *            allows), ROAM_ERANGE (a value too big for its type, a bool
 *            that is not 0 or 1, a char that is not one scalar value),
 *            ROAM_EBADTAG (an option tag other than 0 / 1, a variant index
 *            out of range), ROAM_EBADLENGTH (a length or count that runs
 *            past the end), ROAM_EBADUTF8 (a string that is not UTF-8).
 *            Reader errors are sticky too: after the first, every read
 *            fails with it and writes zero through its out-pointers.
 *            roam_postcard_reader_finish() says whether the whole input
 *            was one well-formed value (ROAM_ETRAILING if bytes are left).
 * Both       No allocation per value; nothing here blocks, calls back or
 *            touches a session, so any thread may use its own writers and
 *            readers. The structs have a fixed size for all of 1.x (the
 *            reserved words are the library's): read their public fields,
 *            never write them, and set them up with the _init functions.
 *            Like every libroam function these return 0 or a negative
 *            ROAM_E* code; ROAM_EINVAL (a NULL writer, reader or pointer,
 *            a string that is not UTF-8), ROAM_ENOBUFS and ROAM_ENOMEM set
 *            roam_last_error_detail(); decoding errors do not.
 * Stability  Part of the stable 1.x ABI, like roam.h.
 *
 * Example: the arguments of echo(String) -> String, and its Ok result
 *
 *   uint8_t buf[64];
 *   roam_postcard_writer w;
 *   roam_postcard_writer_init(&w, sizeof w, buf, sizeof buf);
 *   roam_postcard_write_str(&w, "hello", ROAM_NTS);   // (String,)
 *   size_t len;
 *   if (roam_postcard_writer_finish(&w, &len) == 0)
 *     roam_conn_call(conn, ECHO_ID, NULL, 0, NULL, buf, len, on_response, ud, NULL);
 *
 *   // in on_response(..., value, value_len): the Ok value, a String
 *   roam_postcard_reader r;
 *   roam_postcard_reader_init(&r, sizeof r, value, value_len);
 *   const char *s; size_t n;
 *   roam_postcard_read_str(&r, &s, &n);
 *   if (roam_postcard_reader_finish(&r) == 0) printf("%.*s\n", (int)n, s);
 */
#ifndef ROAM_POSTCARD_H
#define ROAM_POSTCARD_H

#include <stddef.h>
#include <stdint.h>

#include "roam/roam.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== Writing ============================================================= */

typedef struct roam_postcard_writer {
  size_t size;     /* sizeof the struct as the caller knows it (set by
                      _init from its size argument): a later libroam with a
                      longer struct touches only what the caller has */
  uint8_t *buf;    /* the bytes written so far start here (NULL while a
                      growing writer has written nothing) */
  size_t cap;      /* room at buf */
  size_t len;      /* bytes written at buf */
  size_t needed;   /* bytes the value written so far takes: len, or more
                      once the writer ran out of room */
  int error;       /* the first error (sticky), 0 while there is none */
  uint32_t flags_; /* the library's */
  void *reserved_[4];
} roam_postcard_writer;

/* A writer into buf[0..cap). size is sizeof *w (the struct as your header
 * has it; it may grow in later releases). cap may be 0 (buf NULL) to only
 * measure: every write then fails ROAM_ENOBUFS and `needed` counts.
 * ROAM_EINVAL: w NULL, size smaller than this header's struct, or buf NULL
 * with cap > 0. */
ROAM_EXPORT int roam_postcard_writer_init(roam_postcard_writer *w, size_t size, uint8_t *buf,
                                          size_t cap);
/* A writer into a buffer the library allocates (through the
 * roam_set_allocator hooks) and grows as needed; it never fails with
 * ROAM_ENOBUFS, but may with ROAM_ENOMEM. Nothing is allocated before the
 * first write. Free it with roam_postcard_writer_free(). */
ROAM_EXPORT int roam_postcard_writer_init_growing(roam_postcard_writer *w, size_t size);
/* Frees a growing writer's buffer (its bytes are gone) and leaves it an
 * empty growing writer. Does nothing for a writer into your buffer, or for
 * NULL. */
ROAM_EXPORT void roam_postcard_writer_free(roam_postcard_writer *w);
/* Forgets what was written and any error, to write the next value into the
 * same buffer (a growing writer keeps its memory). NULL is fine. */
ROAM_EXPORT void roam_postcard_writer_reset(roam_postcard_writer *w);
/* The outcome of everything written: 0 with *len (may be NULL) = bytes at
 * w->buf, or the first error. ROAM_ENOBUFS writes the bytes the whole value
 * needs to *len. The writer stays usable (and its bytes stay valid). */
ROAM_EXPORT int roam_postcard_writer_finish(const roam_postcard_writer *w, size_t *len);

/* Each write appends one value and returns the writer's error: 0, or the
 * first error it met (then nothing more is written). */
ROAM_EXPORT int roam_postcard_write_bool(roam_postcard_writer *w, int v); /* nonzero = true */
ROAM_EXPORT int roam_postcard_write_u8(roam_postcard_writer *w, uint8_t v);
ROAM_EXPORT int roam_postcard_write_i8(roam_postcard_writer *w, int8_t v);
ROAM_EXPORT int roam_postcard_write_u16(roam_postcard_writer *w, uint16_t v);
ROAM_EXPORT int roam_postcard_write_u32(roam_postcard_writer *w, uint32_t v);
/* Also usize, and every roam id (transparent u64). */
ROAM_EXPORT int roam_postcard_write_u64(roam_postcard_writer *w, uint64_t v);
/* The u128 (hi << 64) | lo. */
ROAM_EXPORT int roam_postcard_write_u128(roam_postcard_writer *w, uint64_t hi, uint64_t lo);
ROAM_EXPORT int roam_postcard_write_i16(roam_postcard_writer *w, int16_t v);
ROAM_EXPORT int roam_postcard_write_i32(roam_postcard_writer *w, int32_t v);
/* Also isize. */
ROAM_EXPORT int roam_postcard_write_i64(roam_postcard_writer *w, int64_t v);
/* The i128 whose two's complement is (hi << 64) | lo: -1 is (-1, UINT64_MAX),
 * i128::MIN is (INT64_MIN, 0). */
ROAM_EXPORT int roam_postcard_write_i128(roam_postcard_writer *w, int64_t hi, uint64_t lo);
ROAM_EXPORT int roam_postcard_write_f32(roam_postcard_writer *w, float v);
ROAM_EXPORT int roam_postcard_write_f64(roam_postcard_writer *w, double v);
/* A Unicode scalar value (U+0000..U+10FFFF, no surrogates; ROAM_EINVAL
 * otherwise), written as its UTF-8 with a length, like a one-char string. */
ROAM_EXPORT int roam_postcard_write_char(roam_postcard_writer *w, uint32_t scalar);
/* A string: s[0..len) must be UTF-8 (ROAM_EINVAL otherwise); ROAM_NTS for a
 * NUL-terminated one. s may be NULL when len is 0. */
ROAM_EXPORT int roam_postcard_write_str(roam_postcard_writer *w, const char *s, size_t len);
/* A byte string (Vec<u8>, &[u8], bytes::Bytes). p may be NULL when len is 0. */
ROAM_EXPORT int roam_postcard_write_bytes(roam_postcard_writer *w, const uint8_t *p, size_t len);
/* An Option's tag: some = 0 writes None (and nothing follows); nonzero
 * writes Some, and you write the value next. */
ROAM_EXPORT int roam_postcard_write_option(roam_postcard_writer *w, int some);
/* A sequence's element count (Vec<T>, sets) or a map's entry count; the
 * elements (a map's key, value pairs) follow. */
ROAM_EXPORT int roam_postcard_write_len(roam_postcard_writer *w, uint64_t count);
/* An enum's variant index (Result: Ok 0, Err 1); its fields follow. */
ROAM_EXPORT int roam_postcard_write_variant(roam_postcard_writer *w, uint32_t index);
/* Bytes that already are postcard (a nested value encoded elsewhere, a
 * fixed-size [u8; N]), copied as they are: no length. */
ROAM_EXPORT int roam_postcard_write_raw(roam_postcard_writer *w, const void *p, size_t len);

/* ==== Reading ============================================================= */

typedef struct roam_postcard_reader {
  size_t size;         /* sizeof the struct as the caller knows it (see the writer) */
  const uint8_t *data; /* the input */
  size_t len;          /* its length */
  size_t pos;          /* bytes consumed */
  int error;           /* the first error (sticky), 0 while there is none */
  uint32_t flags_;     /* the library's */
  void *reserved_[4];
} roam_postcard_reader;

/* A reader over data[0..len), which must stay valid while the reader and
 * the views it hands out are used. size is sizeof *r. ROAM_EINVAL: r NULL,
 * size too small, or data NULL with len > 0. */
ROAM_EXPORT int roam_postcard_reader_init(roam_postcard_reader *r, size_t size,
                                          const uint8_t *data, size_t len);
/* 0 if every read succeeded and the input is used up; otherwise the first
 * read error, or ROAM_ETRAILING if bytes are left over. */
ROAM_EXPORT int roam_postcard_reader_finish(const roam_postcard_reader *r);

/* Each read takes one value from the input and returns 0, or an error (the
 * reader's first) with zero written through the out-pointers. The
 * out-pointers must not be NULL (ROAM_EINVAL). */
ROAM_EXPORT int roam_postcard_read_bool(roam_postcard_reader *r, int *out); /* 0 or 1 */
ROAM_EXPORT int roam_postcard_read_u8(roam_postcard_reader *r, uint8_t *out);
ROAM_EXPORT int roam_postcard_read_i8(roam_postcard_reader *r, int8_t *out);
ROAM_EXPORT int roam_postcard_read_u16(roam_postcard_reader *r, uint16_t *out);
ROAM_EXPORT int roam_postcard_read_u32(roam_postcard_reader *r, uint32_t *out);
ROAM_EXPORT int roam_postcard_read_u64(roam_postcard_reader *r, uint64_t *out);
ROAM_EXPORT int roam_postcard_read_u128(roam_postcard_reader *r, uint64_t *hi, uint64_t *lo);
ROAM_EXPORT int roam_postcard_read_i16(roam_postcard_reader *r, int16_t *out);
ROAM_EXPORT int roam_postcard_read_i32(roam_postcard_reader *r, int32_t *out);
ROAM_EXPORT int roam_postcard_read_i64(roam_postcard_reader *r, int64_t *out);
/* The i128 as two's complement halves, like roam_postcard_write_i128. */
ROAM_EXPORT int roam_postcard_read_i128(roam_postcard_reader *r, int64_t *hi, uint64_t *lo);
ROAM_EXPORT int roam_postcard_read_f32(roam_postcard_reader *r, float *out);
ROAM_EXPORT int roam_postcard_read_f64(roam_postcard_reader *r, double *out);
/* A char: a length-prefixed UTF-8 string holding exactly one scalar value
 * (ROAM_ERANGE for none or more than one). */
ROAM_EXPORT int roam_postcard_read_char(roam_postcard_reader *r, uint32_t *out);
/* A string, checked to be UTF-8, as a view into the input: *s is not
 * NUL-terminated (and is a valid pointer even when *len is 0). */
ROAM_EXPORT int roam_postcard_read_str(roam_postcard_reader *r, const char **s, size_t *len);
/* A byte string, as a view into the input. */
ROAM_EXPORT int roam_postcard_read_bytes(roam_postcard_reader *r, const uint8_t **p, size_t *len);
/* An Option's tag: *some = 0 (None) or 1 (Some: read the value next). */
ROAM_EXPORT int roam_postcard_read_option(roam_postcard_reader *r, int *some);
/* A sequence or map count. A count that cannot fit in what is left, each
 * element taking at least min_element_size bytes, is ROAM_EBADLENGTH
 * before any element is read, so a hostile count cannot drive a long
 * loop. Pass the smallest encoding of one element (a map entry: its key
 * and value): 1 for most types, 0 if elements may be empty (unit). */
ROAM_EXPORT int roam_postcard_read_len(roam_postcard_reader *r, size_t min_element_size,
                                       uint64_t *count);
/* An enum's variant index; ROAM_EBADTAG unless it is below variant_count
 * (0 = no bound: any u32). */
ROAM_EXPORT int roam_postcard_read_variant(roam_postcard_reader *r, uint32_t variant_count,
                                           uint32_t *index);
/* The next len bytes as they are (a [u8; N], or a value to hand on), as a
 * view into the input. ROAM_ETRUNCATED if fewer are left. */
ROAM_EXPORT int roam_postcard_read_raw(roam_postcard_reader *r, size_t len, const uint8_t **p);

#ifdef __cplusplus
}
#endif

#endif /* ROAM_POSTCARD_H */
