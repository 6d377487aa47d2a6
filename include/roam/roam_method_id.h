/*
 * libroam — method ids, computed as the Rust roam 7.3.0 crates compute them.
 *
 * A roam call names its method by a 64-bit id that the Rust side derives
 * from the service's name, the method's name and the method's type
 * signature (roam-hash). A C program that serves or calls a Rust-declared
 * service computes the same ids here: describe the signature with a
 * roam_sig_builder, then hash it with roam_method_id(). The rules of roam.h
 * (error codes, out-pointers, ROAM_NTS strings, nothing thrown across) hold
 * here too; these functions need no runtime and are callable from any
 * thread on a builder no other thread is using.
 *
 * The id is the first 8 bytes, little-endian, of
 *     BLAKE3( kebab(service) "." kebab(method) BLAKE3(signature) )
 * where kebab() is heck's ToKebabCase ("TestBed", "test_bed" and
 * "TEST_BED" are all "test-bed") and the signature is the encoded args
 * tuple followed by the encoded return type.
 *
 * Describing a signature
 * ----------------------------------------------------------------------------
 * Types are written depth-first, each node followed by its children:
 *
 *   Rust                       C
 *   (i64, i64)                 roam_sig_tuple(b, 2); roam_sig_primitive(b, ROAM_SIG_I64) x2
 *   Option<String>             roam_sig_option(b); roam_sig_primitive(b, ROAM_SIG_STRING)
 *   struct Point {x: i32,..}   roam_sig_struct(b, "Point", ROAM_NTS, 2);
 *                                roam_sig_field(b, "x", ROAM_NTS);
 *                                roam_sig_primitive(b, ROAM_SIG_I32); (and "y")
 *   enum Color {Red, Green}    roam_sig_enum(b, "Color", ROAM_NTS, 2);
 *                                roam_sig_variant_unit(b, "Red", ROAM_NTS); ...
 *
 * A method `fn m(&self, a: A, b: B) -> R` is the tuple (A, B) then R; with
 * one argument it is still a tuple (A,) of one; with none the args are
 * `()`, which is ROAM_SIG_UNIT, as is a method that returns nothing.
 *
 * How Rust types map, as roam-hash 7.3.0 sees them (facet shapes):
 *   - Vec<u8> is ROAM_SIG_BYTES; Vec<T>, &[T] and other lists of anything
 *     else are roam_sig_list. usize/isize are U64/I64. String, &str and
 *     Cow<str> are STRING.
 *   - Box<T>, Arc<T>, &T and #[facet(transparent)] wrappers are just T.
 *   - HashMap/BTreeMap are roam_sig_map, HashSet/BTreeSet roam_sig_set,
 *     [T; N] roam_sig_array, Tx<T>/Rx<T> roam_sig_tx/roam_sig_rx.
 *   - A tuple struct `struct S(A, B)` is a tuple of its fields
 *     (roam_sig_tuple_struct names it for back-references); a unit struct
 *     is ROAM_SIG_UNIT.
 *   - Result<T, E> hashes as ROAM_SIG_UNIT in roam 7.3.0 (roam-hash has no
 *     case for it): `-> Result<i64, MathError>` is described as UNIT, its T
 *     and E do not enter the id.
 *   - A recursive type refers to itself with roam_sig_ref(b, "Name"): the
 *     builder turns the name into roam-hash's back-reference depth.
 * Struct and enum type names are not hashed (only field and variant names
 * are); the builder uses them to resolve roam_sig_ref.
 *
 * Misuse is refused, not recorded: a call that does not fit where the
 * description stands (a type where an enum expects a variant, a field name
 * outside a struct, more children than announced) returns ROAM_ESTATE and
 * leaves the builder as it was; a bad argument returns ROAM_EINVAL. The
 * detail says which.
 */
#ifndef ROAM_METHOD_ID_H
#define ROAM_METHOD_ID_H

#include <stddef.h>
#include <stdint.h>

#include "roam/roam.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== Method ids ========================================================== */

/* The id of `method` of `service` whose encoded signature (args tuple then
 * return type, from roam_sig_finish) is signature[0..signature_len).
 * Names are ROAM_NTS-able strings; they are kebab-cased before hashing, so
 * pass them as the Rust trait and method are spelled ("Testbed",
 * "echo_point"). ROAM_EINVAL for a NULL argument or a name that is not
 * ASCII (Unicode case rules are not implemented). */
ROAM_EXPORT int roam_method_id(const char *service, size_t service_len, const char *method,
                               size_t method_len, const uint8_t *signature,
                               size_t signature_len, uint64_t *id);

/* ==== Signature builder =================================================== */

typedef struct roam_sig_builder roam_sig_builder;

/* The primitive types, valued as their tag byte in the encoding. */
typedef enum roam_sig_primitive_type {
  ROAM_SIG_BOOL = 0x01,
  ROAM_SIG_U8 = 0x02,
  ROAM_SIG_U16 = 0x03,
  ROAM_SIG_U32 = 0x04,
  ROAM_SIG_U64 = 0x05, /* also usize */
  ROAM_SIG_U128 = 0x06,
  ROAM_SIG_I8 = 0x07,
  ROAM_SIG_I16 = 0x08,
  ROAM_SIG_I32 = 0x09,
  ROAM_SIG_I64 = 0x0A, /* also isize */
  ROAM_SIG_I128 = 0x0B,
  ROAM_SIG_F32 = 0x0C,
  ROAM_SIG_F64 = 0x0D,
  ROAM_SIG_CHAR = 0x0E,
  ROAM_SIG_STRING = 0x0F, /* String, &str, Cow<str> */
  ROAM_SIG_UNIT = 0x10,   /* (), unit structs, and Result<T, E> (see above) */
  ROAM_SIG_BYTES = 0x11   /* Vec<u8> */
} roam_sig_primitive_type;

/* An empty builder; free with roam_sig_builder_free (NULL is fine). */
ROAM_EXPORT int roam_sig_builder_new(roam_sig_builder **out);
ROAM_EXPORT void roam_sig_builder_free(roam_sig_builder *b);
/* Empties the builder for the next signature (bytes from roam_sig_finish
 * become invalid). */
ROAM_EXPORT int roam_sig_builder_reset(roam_sig_builder *b);

/* A primitive: `type` is a roam_sig_primitive_type (an int, so that any
 * value from any language is defined: others are ROAM_EINVAL). */
ROAM_EXPORT int roam_sig_primitive(roam_sig_builder *b, int type);

/* Containers: each is followed by its element type(s). */
ROAM_EXPORT int roam_sig_list(roam_sig_builder *b);   /* then T */
ROAM_EXPORT int roam_sig_option(roam_sig_builder *b); /* then T */
ROAM_EXPORT int roam_sig_set(roam_sig_builder *b);    /* then T */
ROAM_EXPORT int roam_sig_map(roam_sig_builder *b);    /* then K, then V */
ROAM_EXPORT int roam_sig_array(roam_sig_builder *b, uint64_t len); /* then T */
ROAM_EXPORT int roam_sig_tx(roam_sig_builder *b);     /* then T */
ROAM_EXPORT int roam_sig_rx(roam_sig_builder *b);     /* then T */

/* A tuple of `count` types, which follow. roam_sig_tuple_struct is the
 * same encoding for a named tuple struct, which roam_sig_ref can then
 * refer to. */
ROAM_EXPORT int roam_sig_tuple(roam_sig_builder *b, size_t count);
ROAM_EXPORT int roam_sig_tuple_struct(roam_sig_builder *b, const char *type_name,
                                      size_t type_name_len, size_t count);

/* A struct of `field_count` fields, each written as roam_sig_field then
 * the field's type. type_name (not hashed) names it for roam_sig_ref. */
ROAM_EXPORT int roam_sig_struct(roam_sig_builder *b, const char *type_name,
                                size_t type_name_len, size_t field_count);
/* The next field's name, inside a struct or a struct variant. */
ROAM_EXPORT int roam_sig_field(roam_sig_builder *b, const char *name, size_t name_len);

/* An enum of `variant_count` variants, each written with one of the
 * roam_sig_variant_* functions. type_name (not hashed) is for roam_sig_ref. */
ROAM_EXPORT int roam_sig_enum(roam_sig_builder *b, const char *type_name, size_t type_name_len,
                              size_t variant_count);
/* `Name` */
ROAM_EXPORT int roam_sig_variant_unit(roam_sig_builder *b, const char *name, size_t name_len);
/* `Name(T)`: then T. */
ROAM_EXPORT int roam_sig_variant_newtype(roam_sig_builder *b, const char *name,
                                         size_t name_len);
/* `Name(T0, T1, ...)`: then `count` types (hashed as fields named "0",
 * "1", ...; a count of 1 is a newtype variant, as in Rust). */
ROAM_EXPORT int roam_sig_variant_tuple(roam_sig_builder *b, const char *name, size_t name_len,
                                       size_t count);
/* `Name { f: T, ... }`: then `field_count` x (roam_sig_field, type). */
ROAM_EXPORT int roam_sig_variant_struct(roam_sig_builder *b, const char *name,
                                        size_t name_len, size_t field_count);

/* A recursive occurrence of the innermost enclosing struct, tuple struct
 * or enum named type_name (`next: Option<Box<Node>>` inside Node is
 * roam_sig_option then roam_sig_ref(b, "Node", ROAM_NTS)). ROAM_EINVAL when
 * no enclosing type has that name. */
ROAM_EXPORT int roam_sig_ref(roam_sig_builder *b, const char *type_name, size_t type_name_len);

/* The encoded signature: *bytes (owned by the builder, valid until it is
 * next changed, reset or freed) and *len. ROAM_ESTATE while a node still
 * expects children. */
ROAM_EXPORT int roam_sig_finish(roam_sig_builder *b, const uint8_t **bytes, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* ROAM_METHOD_ID_H */
