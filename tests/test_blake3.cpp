// BLAKE3 against the official test vectors (BLAKE3-team/BLAKE3,
// test_vectors/test_vectors.json: input byte i is i % 251, the first 32
// bytes of the default hash), and, given the interop peer's path as the
// first argument, against the Rust blake3 crate for the same inputs.
#include <cstdio>
#include <string>
#include <vector>

#include "hash/blake3.hpp"
#include "support/assertions.hpp"
#include "support/hex.hpp"

namespace {

const char *g_peer = nullptr;

std::vector<uint8_t> pattern_input(size_t len) {
  std::vector<uint8_t> in(len);
  for (size_t i = 0; i < len; ++i) in[i] = static_cast<uint8_t>(i % 251);
  return in;
}

std::string blake3_hex(size_t len) {
  std::vector<uint8_t> in = pattern_input(len);
  roam::hash::Blake3Digest d = roam::hash::blake3(in.data(), in.size());
  return roam::test::to_hex(d.data(), d.size());
}

void official_test_vectors(void **) {
  const struct {
    size_t len;
    const char *hash;
  } cases[] = {
      {0, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"},
      {1, "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213"},
      {1023, "10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11"},
      {1024, "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7"},
      {1025, "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444"},
      {2048, "e776b6028c7cd22a4d0ba182a8bf62205d2ef576467e838ed6f2529b85fba24a"},
      {2049, "5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b6879522563030"},
      {3072, "b98cb0ff3623be03326b373de6b9095218513e64f1ee2edd2525c7ad1e5cffd2"},
      {3073, "7124b49501012f81cc7f11ca069ec9226cecb8a2c850cfe644e327d22d3e1cd3"},
      {4096, "015094013f57a5277b59d8475c0501042c0b642e531b0a1c8f58d2163229e969"},
      {4097, "9b4052b38f1c5fc8b1f9ff7ac7b27cd242487b3d890d15c96a1c25b8aa0fb995"},
      {8192, "aae792484c8efe4f19e2ca7d371d8c467ffb10748d8a5a1ae579948f718a2a63"},
      {8193, "bab6c09cb8ce8cf459261398d2e7aef35700bf488116ceb94a36d0f5f1b7bc3b"},
      {16384, "f875d6646de28985646f34ee13be9a576fd515f76b5b0a26bb324735041ddde4"},
      {31744, "62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47"},
      {102400, "bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085"},
  };
  for (const auto &c : cases) {
    print_message("length %zu\n", c.len);
    roam::test::expect_str(blake3_hex(c.len), c.hash);
  }
}

// The peer prints `BLAKE3 <len> <hex>` lines for its inputs (same pattern).
void rust_blake3_crate_agrees(void **) {
  if (g_peer == nullptr) {
    skip();
  }
  std::string cmd = std::string(g_peer) + " blake3";
  FILE *p = popen(cmd.c_str(), "r");
  assert_non_null(p);
  char line[256];
  int compared = 0;
  while (fgets(line, sizeof line, p) != nullptr) {
    size_t len = 0;
    char hex[65] = {};
    if (std::sscanf(line, "BLAKE3 %zu %64s", &len, hex) != 2) continue;
    print_message("length %zu\n", len);
    roam::test::expect_str(blake3_hex(len), hex);
    ++compared;
  }
  assert_int_equal(pclose(p), 0);
  assert_true(compared >= 16);
}

}  // namespace

int main(int argc, char **argv) {
  if (argc > 1) g_peer = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(official_test_vectors),
      cmocka_unit_test(rust_blake3_crate_agrees),
  };
  return cmocka_run_group_tests_name("blake3", tests, nullptr, nullptr);
}
