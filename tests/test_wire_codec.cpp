// The postcard codec: varints, zigzag, strings, metadata, views, and every
// way a hostile peer can malform a message (each a distinct error, never a
// read out of bounds; run under ASan by `make asan`).
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "support/assertions.hpp"
#include "support/hex.hpp"
#include "wire/message_codec.hpp"
#include "wire/reader.hpp"
#include "wire/varint.hpp"

using namespace roam;
using namespace roam::wire;
using roam::test::from_hex;
using roam::test::to_hex;

namespace {

int decode_hex(const std::string &hex, Message *m) {
  std::vector<uint8_t> b = from_hex(hex);
  return decode_message(b.data(), b.size(), m);
}

int decode_hex(const std::string &hex) {
  Message m;
  return decode_hex(hex, &m);
}

void varints_match_postcard(void **) {
  struct {
    uint64_t v;
    const char *hex;
  } cases[] = {{0, "00"},           {1, "01"},         {127, "7f"},         {128, "8001"},
               {255, "ff01"},       {16383, "ff7f"},   {16384, "808001"},   {65535, "ffff03"},
               {1048576, "808040"}, {UINT64_MAX, "ffffffffffffffffff01"}};
  for (auto &c : cases) {
    ByteBuffer b;
    put_varint(b, c.v);
    roam::test::expect_str(to_hex(b.data(), b.size()), c.hex);
    assert_int_equal(varint_size(c.v), b.size());
    Reader r(b.view());
    uint64_t back = 0;
    assert_int_equal(r.read_varint_u64(&back), ROAM_OK);
    assert_true(back == c.v);
    assert_true(r.at_end());
  }
}

void varints_match_roam_golden_files(void **) {
  // tests the shared roam 7.3.0 files when present (u64 varints)
  const char *names[] = {"u64_0", "u64_1", "u64_127", "u64_128", "u64_255", "u64_256",
                         "u64_16383", "u64_16384", "u64_65535", "u64_65536", "u64_1048576"};
  const uint64_t values[] = {0, 1, 127, 128, 255, 256, 16383, 16384, 65535, 65536, 1048576};
  int checked = 0;
  for (size_t i = 0; i < sizeof values / sizeof values[0]; ++i) {
    std::vector<uint8_t> golden;
    if (!roam::test::read_file(std::string(ROAM_SHARED_GOLDEN_DIR) + "/varint/" + names[i] + ".bin", &golden)) continue;
    ByteBuffer b;
    put_varint(b, values[i]);
    assert_true(std::vector<uint8_t>(b.data(), b.data() + b.size()) == golden);
    ++checked;
  }
  if (checked == 0) skip();
}

void zigzag_round_trips(void **) {
  assert_true(zigzag_encode(0) == 0);
  assert_true(zigzag_encode(-1) == 1);
  assert_true(zigzag_encode(1) == 2);
  assert_true(zigzag_encode(INT64_MIN) == UINT64_MAX);
  for (int64_t v : {INT64_MIN, INT64_MIN + 1, (int64_t)-1000, (int64_t)0, (int64_t)77, INT64_MAX}) {
    assert_true(zigzag_decode(zigzag_encode(v)) == v);
  }
}

void u32_fields_reject_out_of_range_and_overlong(void **) {
  Reader ok(from_hex("ffffffff0f").data(), 5);
  uint32_t v = 0;
  std::vector<uint8_t> max = from_hex("ffffffff0f");
  Reader r1(max.data(), max.size());
  assert_int_equal(r1.read_varint_u32(&v), ROAM_OK);
  assert_true(v == UINT32_MAX);
  std::vector<uint8_t> big = from_hex("ffffffff1f");  // 2^32 + …
  Reader r2(big.data(), big.size());
  assert_int_equal(r2.read_varint_u32(&v), ROAM_ERANGE);
  std::vector<uint8_t> longer = from_hex("8080808080");  // continues past 5 bytes
  Reader r3(longer.data(), longer.size());
  assert_int_equal(r3.read_varint_u32(&v), ROAM_EOVERLONG);
  (void)ok;
}

// ---- each malformation has its own error ----------------------------------------

void truncated_input_is_etruncated(void **) {
  assert_int_equal(decode_hex(""), ROAM_ETRUNCATED);
  assert_int_equal(decode_hex("00"), ROAM_ETRUNCATED);        // conn id, no tag
  assert_int_equal(decode_hex("0009"), ROAM_ETRUNCATED);      // Ping without nonce
  assert_int_equal(decode_hex("000980"), ROAM_ETRUNCATED);    // nonce cut mid-varint
  assert_int_equal(decode_hex("00000700"), ROAM_ETRUNCATED);  // Hello cut after parity
}

void overlong_varint_is_eoverlong(void **) {
  assert_int_equal(decode_hex("ffffffffffffffffff8101"), ROAM_EOVERLONG);   // 11-byte conn id
  assert_int_equal(decode_hex("0009ffffffffffffffffff02"), ROAM_ERANGE);    // nonce > u64
  assert_int_equal(decode_hex("000088808080800107004000"), ROAM_EOVERLONG); // tag varint too long
}

void unknown_discriminants_are_ebadtag(void **) {
  assert_int_equal(decode_hex("000b"), ROAM_EBADTAG);                  // message kind 11
  assert_int_equal(decode_hex("00070103"), ROAM_EBADTAG);              // request body 3
  assert_int_equal(decode_hex("00080104"), ROAM_EBADTAG);              // channel body 4
  assert_int_equal(decode_hex("0000070240" "00"), ROAM_EBADTAG);       // parity 2
  assert_int_equal(decode_hex("000601" "01" "6b" "03" "00"), ROAM_EBADTAG);  // metadata value kind 3
}

void lengths_past_the_end_are_ebadlength(void **) {
  assert_int_equal(decode_hex("000205616263"), ROAM_EBADLENGTH);       // string says 5, has 3
  assert_int_equal(decode_hex("0006ffffffffffffffff7f"), ROAM_EBADLENGTH);  // metadata count huge
  assert_int_equal(decode_hex("0007010000" "05" "0102"), ROAM_EBADLENGTH);  // 5 channel ids, 2 bytes
  assert_int_equal(decode_hex("000601" "01" "6b" "01" "09" "aa"), ROAM_EBADLENGTH);  // bytes value
}

void trailing_bytes_are_etrailing(void **) {
  assert_int_equal(decode_hex("00090100"), ROAM_ETRAILING);   // Ping{1} + 1 byte
  assert_int_equal(decode_hex("010600ff"), ROAM_ETRAILING);   // Close{[]} + 1 byte
  // Payload-carrying messages own every trailing byte.
  Message m;
  assert_int_equal(decode_hex("01080300aabbcc", &m), ROAM_OK);
  assert_int_equal(m.channel.item.size, 3);
}

void invalid_utf8_is_ebadutf8(void **) {
  assert_int_equal(decode_hex("000202c328"), ROAM_EBADUTF8);          // bad continuation
  assert_int_equal(decode_hex("000202c0af"), ROAM_EBADUTF8);          // overlong '/'
  assert_int_equal(decode_hex("000203eda080"), ROAM_EBADUTF8);        // surrogate
  assert_int_equal(decode_hex("000204f4908080"), ROAM_EBADUTF8);      // > U+10FFFF
  assert_int_equal(decode_hex("00060101ff0000" "00"), ROAM_EBADUTF8); // metadata key
  assert_int_equal(decode_hex("000203e29c93"), ROAM_OK);              // ✓ is fine
}

// ---- views ------------------------------------------------------------------------

void decoded_fields_are_views_into_the_frame(void **) {
  std::vector<uint8_t> b = from_hex("0207" "0b" "00" "07" "020305" "01" "016b" "00" "0176" "00" "aabb");
  Message m;
  assert_int_equal(decode_message(b.data(), b.size(), &m), ROAM_OK);
  const uint8_t *lo = b.data(), *hi = b.data() + b.size();
  assert_true(m.request.payload.data >= lo && m.request.payload.data + 2 == hi);
  assert_true(m.request.metadata.entries().data > lo && m.request.metadata.entries().data < hi);
  assert_int_equal(m.request.channels.count(), 2);
  uint64_t ids[2] = {0, 0};
  m.request.channels.copy_to(ids);
  assert_true(ids[0] == 3 && ids[1] == 5);
  MetadataEntry e;
  assert_true(m.request.metadata.find("k", &e));
  assert_true(e.string_value() == "v");
  assert_true(reinterpret_cast<const uint8_t *>(e.key.data()) > lo);
}

void metadata_iterates_in_order_with_duplicates(void **) {
  MetadataList md;
  md.add_string("k", "1").add_u64("k", 2).add_bytes("b", ByteView(std::string_view("\x01\x02")), 3);
  std::vector<std::string> seen;
  for (const MetadataEntry &e : md.view()) {
    seen.push_back(std::string(e.key) + ":" + std::to_string((int)e.kind) + ":" +
                   std::to_string(e.flags));
  }
  roam::test::expect_lines(seen, {"k:0:0", "k:2:0", "b:1:3"});
  MetadataEntry first;
  assert_true(md.view().find("k", &first));
  assert_true(first.kind == MetadataKind::String);
}

// ---- robustness --------------------------------------------------------------------

// A well-formed message of every shape, to cut and mutate.
std::vector<std::vector<uint8_t>> corpus() {
  return {from_hex("00000700400308747261636"
                   "52d696400066162633132330004617574680104deadbeef0307617474656d7074020200"),
          from_hex("0207" "0b" "00" "81e0c39cacd6f5d0e501" "020305" "00" "f8acd19101"),
          from_hex("0207" "0b" "01" "0107" "00" "8ce0bad60f"),
          from_hex("0208030380" "08"), from_hex("000212626164206672616d652073657175656e6365"),
          from_hex("0903004000"), from_hex("000a2a")};
}

void every_prefix_of_a_message_fails_cleanly(void **) {
  for (const auto &full : corpus()) {
    Message m;
    assert_int_equal(decode_message(full.data(), full.size(), &m), ROAM_OK);
    for (size_t n = 0; n < full.size(); ++n) {
      // Copy into an exact-size heap buffer so ASan catches any overread.
      std::vector<uint8_t> cut(full.begin(), full.begin() + n);
      cut.shrink_to_fit();
      int rc = decode_message(cut.data(), cut.size(), &m);
      // A shorter payload-carrying message can still be valid; otherwise it
      // must be a decode error, not a crash.
      assert_true(rc == ROAM_OK || (rc <= ROAM_ETRUNCATED && rc >= ROAM_ERANGE));
    }
  }
}

void random_mutations_never_crash_and_round_trip_when_valid(void **) {
  std::mt19937 rng(12345);
  int valid = 0;
  for (const auto &full : corpus()) {
    for (int i = 0; i < 3000; ++i) {
      std::vector<uint8_t> b = full;
      int edits = 1 + rng() % 4;
      for (int k = 0; k < edits; ++k) {
        size_t at = rng() % b.size();
        switch (rng() % 3) {
          case 0: b[at] = static_cast<uint8_t>(rng()); break;
          case 1: b.erase(b.begin() + at); break;
          default: b.insert(b.begin() + at, static_cast<uint8_t>(rng())); break;
        }
        if (b.empty()) b.push_back(0);
      }
      b.shrink_to_fit();
      Message m;
      if (decode_message(b.data(), b.size(), &m) != ROAM_OK) continue;
      ++valid;
      ByteBuffer again;
      encode_message(again, m);
      // Re-encoding is canonical: a valid input with non-minimal varints may
      // shrink, but must decode to the same thing.
      Message m2;
      assert_int_equal(decode_message(again.data(), again.size(), &m2), ROAM_OK);
      ByteBuffer third;
      encode_message(third, m2);
      assert_true(third.size() == again.size() && std::memcmp(third.data(), again.data(), again.size()) == 0);
    }
  }
  assert_true(valid > 0);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(varints_match_postcard),
      cmocka_unit_test(varints_match_roam_golden_files),
      cmocka_unit_test(zigzag_round_trips),
      cmocka_unit_test(u32_fields_reject_out_of_range_and_overlong),
      cmocka_unit_test(truncated_input_is_etruncated),
      cmocka_unit_test(overlong_varint_is_eoverlong),
      cmocka_unit_test(unknown_discriminants_are_ebadtag),
      cmocka_unit_test(lengths_past_the_end_are_ebadlength),
      cmocka_unit_test(trailing_bytes_are_etrailing),
      cmocka_unit_test(invalid_utf8_is_ebadutf8),
      cmocka_unit_test(decoded_fields_are_views_into_the_frame),
      cmocka_unit_test(metadata_iterates_in_order_with_duplicates),
      cmocka_unit_test(every_prefix_of_a_message_fails_cleanly),
      cmocka_unit_test(random_mutations_never_crash_and_round_trip_when_valid),
  };
  return cmocka_run_group_tests_name("wire_codec", tests, nullptr, nullptr);
}
