// Fuzzes wire::decode_message on arbitrary bytes, with a round-trip oracle:
// whatever decodes must encode to bytes that decode to an equal Message, and
// that second Message must encode to exactly the same bytes again, and
// render to the same transcript line.
// (The first encoding need not equal the input: postcard readers accept
// non-minimal varints, and the encoder always writes minimal ones.)
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "message_equality.hpp"
#include "view_access.hpp"
#include "wire/message_codec.hpp"
#include "wire/message_format.hpp"

using roam::wire::ByteBuffer;
using roam::wire::Message;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // An exact-size copy: the libFuzzer buffer is exact too, but this keeps
  // the property explicit for every later change of the harness.
  std::vector<uint8_t> input(data, data + size);
  Message first;
  if (roam::wire::decode_message(input.data(), input.size(), &first) != ROAM_OK) return 0;
  roam::fuzz::read_all(first.metadata);
  roam::fuzz::read_all(first.request);
  roam::fuzz::read_all(first.channel);

  ByteBuffer encoded;
  roam::wire::encode_message(encoded, first);
  Message second;
  int rc = roam::wire::decode_message(encoded.data(), encoded.size(), &second);
  FUZZ_CHECK(rc == ROAM_OK, "re-encoded message does not decode (%d)", rc);

  std::string why;
  FUZZ_CHECK(roam::fuzz::messages_equal(first, second, &why),
             "decode -> encode -> decode changed %s", why.c_str());

  ByteBuffer reencoded;
  roam::wire::encode_message(reencoded, second);
  FUZZ_CHECK(reencoded.view() == encoded.view(), "encoding is not stable (%zu vs %zu bytes)",
             reencoded.size(), encoded.size());

  // Transcripts render whatever a peer sent (any UTF-8, any bytes).
  FUZZ_CHECK(roam::wire::describe_message(first) == roam::wire::describe_message(second),
             "equal messages render differently");
  return 0;
}
