/* Method ids from C equal the Rust crates' ids, live: the peer prints the
 * ids roam 7.3.0 computes for the Testbed service (spec-proto's interface)
 * and for extra methods using every signature tag and recursive types;
 * this program describes each of those signatures with the roam_sig_*
 * builder, computes roam_method_id, and compares, both ways (every method
 * the peer prints is described here, every one described here is printed).
 *
 *   method_ids_match_rust PEER_BINARY
 */
#define _POSIX_C_SOURCE 200809L /* popen */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <roam/roam_method_id.h>

static void check(int rc, const char *what, int line) {
  if (rc != ROAM_OK) {
    fprintf(stderr, "line %d: %s: %s (%s)\n", line, what, roam_strerror(rc),
            roam_last_error_detail());
    exit(1);
  }
}
#define CHECK(call) check((call), #call, __LINE__)

/* Shorthands for describing types. */
#define P(t) CHECK(roam_sig_primitive(b, ROAM_SIG_##t))
#define TUPLE(n) CHECK(roam_sig_tuple(b, (n)))
#define LIST() CHECK(roam_sig_list(b))
#define OPTION() CHECK(roam_sig_option(b))
#define STRUCT(name, n) CHECK(roam_sig_struct(b, (name), ROAM_NTS, (n)))
#define FIELD(name) CHECK(roam_sig_field(b, (name), ROAM_NTS))
#define ENUM(name, n) CHECK(roam_sig_enum(b, (name), ROAM_NTS, (n)))
#define UNIT_VARIANT(name) CHECK(roam_sig_variant_unit(b, (name), ROAM_NTS))
#define REF(name) CHECK(roam_sig_ref(b, (name), ROAM_NTS))

/* ---- spec-proto's types ---------------------------------------------------------- */

static void point(roam_sig_builder *b) {
  STRUCT("Point", 2);
  FIELD("x"); P(I32);
  FIELD("y"); P(I32);
}

static void person(roam_sig_builder *b) {
  STRUCT("Person", 3);
  FIELD("name"); P(STRING);
  FIELD("age"); P(U8);
  FIELD("email"); OPTION(); P(STRING);
}

static void rectangle(roam_sig_builder *b) {
  STRUCT("Rectangle", 3);
  FIELD("top_left"); point(b);
  FIELD("bottom_right"); point(b);
  FIELD("label"); OPTION(); P(STRING);
}

static void color(roam_sig_builder *b) {
  ENUM("Color", 3);
  UNIT_VARIANT("Red");
  UNIT_VARIANT("Green");
  UNIT_VARIANT("Blue");
}

static void shape(roam_sig_builder *b) {
  ENUM("Shape", 3);
  CHECK(roam_sig_variant_struct(b, "Circle", ROAM_NTS, 1));
  FIELD("radius"); P(F64);
  CHECK(roam_sig_variant_struct(b, "Rectangle", ROAM_NTS, 2));
  FIELD("width"); P(F64);
  FIELD("height"); P(F64);
  UNIT_VARIANT("Point");
}

static void canvas(roam_sig_builder *b) {
  STRUCT("Canvas", 3);
  FIELD("name"); P(STRING);
  FIELD("shapes"); LIST(); shape(b);
  FIELD("background"); color(b);
}

static void message(roam_sig_builder *b) {
  ENUM("Message", 3);
  CHECK(roam_sig_variant_newtype(b, "Text", ROAM_NTS)); P(STRING);
  CHECK(roam_sig_variant_newtype(b, "Number", ROAM_NTS)); P(I64);
  CHECK(roam_sig_variant_newtype(b, "Data", ROAM_NTS)); P(BYTES);
}

/* Testbed: each method is its args tuple, then its return type. A
 * Result<T, E> return hashes as unit in roam 7.3.0. */
static void echo(roam_sig_builder *b) { TUPLE(1); P(STRING); P(STRING); }
static void divide(roam_sig_builder *b) { TUPLE(2); P(I64); P(I64); P(UNIT); }
static void lookup(roam_sig_builder *b) { TUPLE(1); P(U32); P(UNIT); }
static void sum(roam_sig_builder *b) { TUPLE(1); CHECK(roam_sig_rx(b)); P(I32); P(I64); }
static void generate(roam_sig_builder *b) {
  TUPLE(2); P(U32); CHECK(roam_sig_tx(b)); P(I32);
  P(UNIT);
}
static void transform(roam_sig_builder *b) {
  TUPLE(2); CHECK(roam_sig_rx(b)); P(STRING); CHECK(roam_sig_tx(b)); P(STRING);
  P(UNIT);
}
static void echo_point(roam_sig_builder *b) { TUPLE(1); point(b); point(b); }
static void create_person(roam_sig_builder *b) {
  TUPLE(3); P(STRING); P(U8); OPTION(); P(STRING);
  person(b);
}
static void rectangle_area(roam_sig_builder *b) { TUPLE(1); rectangle(b); P(F64); }
static void parse_color(roam_sig_builder *b) { TUPLE(1); P(STRING); OPTION(); color(b); }
static void shape_area(roam_sig_builder *b) { TUPLE(1); shape(b); P(F64); }
static void create_canvas(roam_sig_builder *b) {
  TUPLE(3); P(STRING); LIST(); shape(b); color(b);
  canvas(b);
}
static void process_message(roam_sig_builder *b) { TUPLE(1); message(b); message(b); }
static void get_points(roam_sig_builder *b) { TUPLE(1); P(U32); LIST(); point(b); }
static void swap_pair(roam_sig_builder *b) {
  TUPLE(1); TUPLE(2); P(I32); P(STRING);
  TUPLE(2); P(STRING); P(I32);
}

/* ---- the signature lab: every tag, tuple structs, recursion -------------------- */

static void primitives(roam_sig_builder *b) {
  TUPLE(4); P(BOOL); P(U8); P(U16); P(U32);
  TUPLE(4); P(U64); P(U128); P(I8); P(I16);
}
static void more_primitives(roam_sig_builder *b) {
  TUPLE(4); P(I32); P(I64); P(I128); P(F32);
  TUPLE(4); P(F64); P(CHAR); P(STRING); P(UNIT);
}
static void sizes(roam_sig_builder *b) { TUPLE(2); P(U64); P(I64); P(BYTES); }
static void no_args(roam_sig_builder *b) { P(UNIT); P(U64); }
static void nothing(roam_sig_builder *b) { TUPLE(1); P(STRING); P(UNIT); }
static void containers(roam_sig_builder *b) {
  TUPLE(4);
  LIST(); P(U16);
  OPTION(); P(BYTES);
  CHECK(roam_sig_array(b, 4)); P(U16);
  CHECK(roam_sig_map(b)); P(STRING); LIST(); P(I32);
  CHECK(roam_sig_map(b)); P(U8); CHECK(roam_sig_set(b)); P(STRING);
}
static void sets_and_arrays(roam_sig_builder *b) {
  TUPLE(3);
  CHECK(roam_sig_set(b)); P(U64);
  CHECK(roam_sig_array(b, 3)); CHECK(roam_sig_array(b, 2)); P(U8);
  LIST(); LIST(); P(STRING);
  OPTION(); OPTION(); P(BOOL);
}
static void channels(roam_sig_builder *b) {
  TUPLE(3);
  CHECK(roam_sig_tx(b)); point(b);
  CHECK(roam_sig_rx(b)); P(BYTES);
  CHECK(roam_sig_tx(b)); OPTION(); P(STRING);
  P(U32);
}
static void pair(roam_sig_builder *b) {
  CHECK(roam_sig_tuple_struct(b, "Pair", ROAM_NTS, 2)); P(U8); P(STRING);
}
static void tuples(roam_sig_builder *b) {
  TUPLE(4);
  TUPLE(2); P(U8); TUPLE(2); P(I8); P(CHAR);
  pair(b);
  CHECK(roam_sig_tuple_struct(b, "Meters", ROAM_NTS, 1)); P(F32);
  P(UNIT); /* Marker, a unit struct */
  TUPLE(2); P(UNIT); pair(b);
}
static void results(roam_sig_builder *b) { TUPLE(1); P(U32); P(UNIT); }
static void tree_type(roam_sig_builder *b) {
  STRUCT("Tree", 2);
  FIELD("value"); P(U32);
  FIELD("children"); LIST(); REF("Tree");
}
static void node_type(roam_sig_builder *b) {
  STRUCT("Node", 3);
  FIELD("label"); P(STRING);
  FIELD("next"); OPTION(); REF("Node");      /* Option<Box<Node>> */
  FIELD("kids"); LIST(); TUPLE(2); P(U16); REF("Node");  /* Vec<(u16, Node)> */
}
static void tree(roam_sig_builder *b) { TUPLE(1); tree_type(b); node_type(b); }
static void expr_type(roam_sig_builder *b) {
  ENUM("Expr", 6);
  UNIT_VARIANT("Zero");
  CHECK(roam_sig_variant_newtype(b, "Lit", ROAM_NTS)); P(I64);
  CHECK(roam_sig_variant_tuple(b, "Add", ROAM_NTS, 2)); REF("Expr"); REF("Expr");
  CHECK(roam_sig_variant_struct(b, "Neg", ROAM_NTS, 1)); FIELD("inner"); REF("Expr");
  CHECK(roam_sig_variant_tuple(b, "Empty", ROAM_NTS, 0));
  CHECK(roam_sig_variant_struct(b, "Let", ROAM_NTS, 3));
  FIELD("name"); P(STRING);
  FIELD("value"); REF("Expr");
  FIELD("body"); tree_type(b);
}
static void expr(roam_sig_builder *b) {
  TUPLE(2);
  expr_type(b);
  STRUCT("Outer", 1);
  FIELD("inner"); STRUCT("Inner", 2);
  FIELD("up"); OPTION(); REF("Outer");
  FIELD("me"); LIST(); REF("Inner");
  OPTION(); expr_type(b); /* Option<Box<Expr>> */
}

struct method {
  const char *service;
  const char *name;
  void (*describe)(roam_sig_builder *b);
  int seen;
};

static struct method methods[] = {
    {"Testbed", "echo", echo, 0},
    {"Testbed", "reverse", echo, 0},
    {"Testbed", "divide", divide, 0},
    {"Testbed", "lookup", lookup, 0},
    {"Testbed", "sum", sum, 0},
    {"Testbed", "generate", generate, 0},
    {"Testbed", "transform", transform, 0},
    {"Testbed", "echo_point", echo_point, 0},
    {"Testbed", "create_person", create_person, 0},
    {"Testbed", "rectangle_area", rectangle_area, 0},
    {"Testbed", "parse_color", parse_color, 0},
    {"Testbed", "shape_area", shape_area, 0},
    {"Testbed", "create_canvas", create_canvas, 0},
    {"Testbed", "process_message", process_message, 0},
    {"Testbed", "get_points", get_points, 0},
    {"Testbed", "swap_pair", swap_pair, 0},
    {"SignatureLab", "primitives", primitives, 0},
    {"SignatureLab", "more_primitives", more_primitives, 0},
    {"SignatureLab", "sizes", sizes, 0},
    {"SignatureLab", "no_args", no_args, 0},
    {"SignatureLab", "nothing", nothing, 0},
    {"SignatureLab", "containers", containers, 0},
    {"SignatureLab", "sets_and_arrays", sets_and_arrays, 0},
    {"SignatureLab", "channels", channels, 0},
    {"SignatureLab", "tuples", tuples, 0},
    {"SignatureLab", "results", results, 0},
    {"SignatureLab", "tree", tree, 0},
    {"SignatureLab", "expr", expr, 0},
    {"XMLHttpService", "HTTPGetV2", echo, 0},
};
#define METHOD_COUNT (sizeof methods / sizeof methods[0])

static uint64_t c_method_id(roam_sig_builder *b, const struct method *m) {
  const uint8_t *sig = NULL;
  size_t len = 0;
  uint64_t id = 0;
  CHECK(roam_sig_builder_reset(b));
  m->describe(b);
  CHECK(roam_sig_finish(b, &sig, &len));
  CHECK(roam_method_id(m->service, ROAM_NTS, m->name, ROAM_NTS, sig, len, &id));
  return id;
}

/* The builder refuses what does not fit, and says why. */
static int misuse_is_refused(roam_sig_builder *b) {
  const uint8_t *sig = NULL;
  size_t len = 0;
  uint64_t id = 0;
  int failures = 0;
  CHECK(roam_sig_builder_reset(b));
#define EXPECT(call, code)                                                         \
  do {                                                                             \
    int rc_ = (call);                                                              \
    if (rc_ != (code)) {                                                           \
      fprintf(stderr, "line %d: %s gave %s, expected %s\n", __LINE__, #call,       \
              roam_err_name(rc_), roam_err_name(code));                            \
      ++failures;                                                                  \
    }                                                                              \
  } while (0)
  EXPECT(roam_sig_field(b, "x", ROAM_NTS), ROAM_ESTATE);
  EXPECT(roam_sig_ref(b, "Nope", ROAM_NTS), ROAM_EINVAL);
  EXPECT(roam_sig_primitive(b, 0x20), ROAM_EINVAL);
  EXPECT(roam_sig_struct(b, NULL, 0, 1), ROAM_EINVAL);
  EXPECT(roam_sig_list(NULL), ROAM_EINVAL);
  EXPECT(roam_sig_enum(b, "E", ROAM_NTS, 1), ROAM_OK);
  EXPECT(roam_sig_primitive(b, ROAM_SIG_U8), ROAM_ESTATE);
  EXPECT(roam_sig_finish(b, &sig, &len), ROAM_ESTATE);
  EXPECT(roam_sig_variant_unit(b, "A", ROAM_NTS), ROAM_OK);
  EXPECT(roam_sig_variant_unit(b, "B", ROAM_NTS), ROAM_ESTATE);
  EXPECT(roam_sig_finish(b, &sig, &len), ROAM_OK);
  EXPECT(roam_method_id("Svc", ROAM_NTS, "m", ROAM_NTS, sig, len, NULL), ROAM_EINVAL);
  EXPECT(roam_method_id("Caf\xc3\xa9", ROAM_NTS, "m", ROAM_NTS, sig, len, &id), ROAM_EINVAL);
#undef EXPECT
  if (strstr(roam_last_error_detail(), "ASCII") == NULL) {
    fprintf(stderr, "detail: %s\n", roam_last_error_detail());
    ++failures;
  }
  return failures;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s PEER_BINARY\n", argv[0]);
    return 2;
  }
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "'%s' method-ids-testbed", argv[1]);
  FILE *peer = popen(cmd, "r");
  if (peer == NULL) {
    perror("popen");
    return 1;
  }
  roam_sig_builder *b = NULL;
  CHECK(roam_sig_builder_new(&b));
  int failures = 0, matched = 0;
  char line[512];
  while (fgets(line, sizeof line, peer) != NULL) {
    char qualified[256];
    uint64_t rust_id = 0;
    if (sscanf(line, "METHOD %255s 0x%" SCNx64, qualified, &rust_id) != 2) continue;
    struct method *m = NULL;
    for (size_t i = 0; i < METHOD_COUNT; ++i) {
      size_t n = strlen(methods[i].service);
      if (strncmp(qualified, methods[i].service, n) == 0 && qualified[n] == '.' &&
          strcmp(qualified + n + 1, methods[i].name) == 0) {
        m = &methods[i];
      }
    }
    if (m == NULL) {
      fprintf(stderr, "the peer prints %s, which is not described here\n", qualified);
      ++failures;
      continue;
    }
    m->seen = 1;
    uint64_t c_id = c_method_id(b, m);
    if (c_id == rust_id) {
      printf("match    %-32s 0x%016" PRIx64 "\n", qualified, c_id);
      ++matched;
    } else {
      printf("MISMATCH %-32s C 0x%016" PRIx64 " Rust 0x%016" PRIx64 "\n", qualified, c_id,
             rust_id);
      ++failures;
    }
  }
  if (pclose(peer) != 0) {
    fprintf(stderr, "the peer failed\n");
    ++failures;
  }
  for (size_t i = 0; i < METHOD_COUNT; ++i) {
    if (!methods[i].seen) {
      fprintf(stderr, "the peer did not print %s.%s\n", methods[i].service, methods[i].name);
      ++failures;
    }
  }
  failures += misuse_is_refused(b);
  roam_sig_builder_free(b);
  printf("%d of %zu method ids match the roam 7.3.0 crates; %d failure(s)\n", matched,
         (size_t)METHOD_COUNT, failures);
  return failures == 0 ? 0 : 1;
}
