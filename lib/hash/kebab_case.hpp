// Service and method names as roam hashes them: kebab-cased the way the
// Rust crates do it (heck 0.5's ToKebabCase), so "TestBed" / "test_bed" /
// "TEST_BED" all name "test-bed".
#pragma once

#include <string>
#include <string_view>

namespace roam::hash {

// Words split at every character that is not a letter or digit, then inside
// a run of letters and digits before an uppercase letter that follows a
// lowercase one ("echoPoint" -> echo|Point) and before the last capital of
// an acronym followed by a lowercase letter ("XMLHttp" -> XML|Http). Digits
// are caseless: they never start a word. Words are lowercased and joined
// with '-'. ASCII only: false (and *out untouched) for any other byte,
// since Unicode case rules are not implemented.
bool kebab_case(std::string_view name, std::string *out);

}  // namespace roam::hash
