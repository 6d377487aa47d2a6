// Names kebab-cased as heck 0.5 does it, and the signature builder's
// encoding and refusals (the ids themselves are checked live against the
// Rust crates by tests/interop/method_ids_match_rust.c).
#include <string>

#include "hash/kebab_case.hpp"
#include "hash/signature_builder.hpp"
#include "roam/roam_errors.h"
#include "support/assertions.hpp"
#include "support/hex.hpp"

using roam::hash::SignatureBuilder;

#define assert_ok(status) assert_int_equal((status).code, ROAM_OK)

namespace {

std::string kebab(const std::string &s) {
  std::string out = "(refused)";
  roam::hash::kebab_case(s, &out);
  return out;
}

void kebab_case_matches_heck(void **) {
  // heck 0.5's own ToKebabCase cases (the ASCII ones), and roam's.
  roam::test::expect_str(kebab("CamelCase"), "camel-case");
  roam::test::expect_str(kebab("This is Human case."), "this-is-human-case");
  roam::test::expect_str(kebab("MixedUP CamelCase, with some Spaces"),
                         "mixed-up-camel-case-with-some-spaces");
  roam::test::expect_str(kebab("mixed_up_ snake_case with some _spaces"),
                         "mixed-up-snake-case-with-some-spaces");
  roam::test::expect_str(kebab("kebab-case"), "kebab-case");
  roam::test::expect_str(kebab("SHOUTY_SNAKE_CASE"), "shouty-snake-case");
  roam::test::expect_str(kebab("snake_case"), "snake-case");
  roam::test::expect_str(kebab("this-contains_ ALLKinds OfWord_Boundaries"),
                         "this-contains-all-kinds-of-word-boundaries");
  roam::test::expect_str(kebab("XMLHttpRequest"), "xml-http-request");
  roam::test::expect_str(kebab("MyService"), "my-service");
  roam::test::expect_str(kebab("DO_THING_FAST"), "do-thing-fast");
  // Digits are caseless: they neither start nor end a word.
  roam::test::expect_str(kebab("get_v2_points"), "get-v2-points");
  roam::test::expect_str(kebab("V2Api"), "v2-api");
  roam::test::expect_str(kebab("utf8Decode"), "utf8-decode");
  roam::test::expect_str(kebab("ABC123Def"), "abc123-def");
  roam::test::expect_str(kebab("__"), "");
  roam::test::expect_str(kebab("Caf\xc3\xa9"), "(refused)");
}

std::string hex(const SignatureBuilder &b) {
  return roam::test::to_hex(b.bytes().data(), b.bytes().size());
}

void struct_and_enum_encoding(void **) {
  SignatureBuilder b;
  assert_ok(b.structure("Point", 2));
  assert_ok(b.field("x"));
  assert_ok(b.primitive(0x09));
  assert_ok(b.field("y"));
  assert_ok(b.primitive(0x09));
  assert_ok(b.complete());
  roam::test::expect_str(hex(b), "3002" "0178" "09" "0179" "09");
  SignatureBuilder e;
  assert_ok(e.enumeration("E", 3));
  assert_ok(e.variant_unit("A"));
  assert_ok(e.variant_tuple("B", 2));
  assert_ok(e.primitive(0x02));
  assert_ok(e.primitive(0x0f));
  assert_ok(e.variant_tuple("C", 1));  // one field: a newtype
  assert_ok(e.primitive(0x01));
  assert_ok(e.complete());
  // 3 variants: A unit; B, 2 fields "0" u8 and "1" string; C newtype bool.
  roam::test::expect_str(hex(e), "3103" "014100" "0142" "02" "02" "013002" "01310f"
                                 "0143" "01" "01");
}

void back_references_count_open_composites(void **) {
  // struct Node { kids: Vec<(u32, Node)> }: Node <- tuple <- here: depth 1.
  SignatureBuilder b;
  assert_ok(b.structure("Node", 1));
  assert_ok(b.field("kids"));
  assert_ok(b.wrapper(0x20));
  assert_ok(b.tuple(2));
  assert_ok(b.primitive(0x04));
  assert_ok(b.back_reference("Node"));
  assert_ok(b.complete());
  roam::test::expect_str(hex(b), "3001" "046b696473" "20" "2502" "04" "3201");
}

void misuse_is_refused_and_changes_nothing(void **) {
  SignatureBuilder b;
  assert_int_equal(b.field("x").code, ROAM_ESTATE);
  assert_int_equal(b.variant_unit("A").code, ROAM_ESTATE);
  assert_int_equal(b.back_reference("Node").code, ROAM_EINVAL);
  assert_int_equal(b.primitive(0x12).code, ROAM_EINVAL);
  assert_int_equal(b.structure("", 1).code, ROAM_EINVAL);
  assert_true(b.bytes().empty());
  assert_ok(b.structure("S", 1));
  size_t before = b.bytes().size();
  assert_int_equal(b.primitive(0x01).code, ROAM_ESTATE);  // the field name first
  assert_int_equal(b.complete().code, ROAM_ESTATE);
  assert_int_equal(b.bytes().size(), before);
  assert_ok(b.field("f"));
  assert_int_equal(b.field("g").code, ROAM_ESTATE);  // f's type is missing
  assert_ok(b.enumeration("E", 0));              // no variants: complete at once
  assert_ok(b.complete());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(kebab_case_matches_heck),
      cmocka_unit_test(struct_and_enum_encoding),
      cmocka_unit_test(back_references_count_open_composites),
      cmocka_unit_test(misuse_is_refused_and_changes_nothing),
  };
  return cmocka_run_group_tests_name("method_id", tests, nullptr, nullptr);
}
