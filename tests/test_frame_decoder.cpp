// Stream framing: [u32 LE length][payload], reassembled across any split.
#include <string>
#include <vector>

#include "frame/frame_decoder.hpp"
#include "frame/frame_writer.hpp"
#include "support/assertions.hpp"

using namespace roam;
using roam::frame::FrameDecoder;

namespace {

// Frames a few payloads of awkward sizes (empty, 1 byte, around the header
// size, larger than a typical read) into one stream.
std::vector<std::string> sample_payloads() {
  std::vector<std::string> p = {"", "a", "abc", "abcd", "abcde", std::string(300, 'x'), ""};
  std::string big;
  for (int i = 0; i < 70000; ++i) big += static_cast<char>('a' + i % 26);
  p.push_back(big);
  return p;
}

std::vector<uint8_t> stream_of(const std::vector<std::string> &payloads) {
  wire::ByteBuffer out;
  for (const auto &p : payloads) {
    size_t mark = frame::begin_frame(out);
    out.append(p.data(), p.size());
    frame::finish_frame(out, mark);
  }
  return std::vector<uint8_t>(out.data(), out.data() + out.size());
}

// Feeds the stream in chunks of the given sizes (cycled) and collects frames.
std::vector<std::string> decode_in_chunks(const std::vector<uint8_t> &stream,
                                          const std::vector<size_t> &chunks) {
  FrameDecoder dec(1u << 20);
  std::vector<std::string> frames;
  size_t pos = 0, k = 0;
  while (pos < stream.size()) {
    size_t n = std::min(chunks[k++ % chunks.size()], stream.size() - pos);
    int rc = dec.feed(wire::ByteView(stream.data() + pos, n), [&](wire::ByteView f) {
      frames.emplace_back(f.as_string());
      return true;
    });
    assert_int_equal(rc, ROAM_OK);
    pos += n;
  }
  assert_false(dec.mid_frame());
  return frames;
}

void frames_survive_one_byte_reads(void **) {
  auto payloads = sample_payloads();
  auto frames = decode_in_chunks(stream_of(payloads), {1});
  assert_true(frames == payloads);
}

void frames_survive_every_split_pattern(void **) {
  auto payloads = sample_payloads();
  auto stream = stream_of(payloads);
  for (std::vector<size_t> chunks : std::vector<std::vector<size_t>>{
           {2}, {3}, {4}, {5}, {7}, {4096}, {65536}, {1, 3, 4, 9}, {stream.size()}}) {
    auto frames = decode_in_chunks(stream, chunks);
    assert_true(frames == payloads);
  }
}

void whole_frames_in_one_read_are_not_copied(void **) {
  auto stream = stream_of({"hello", "world"});
  FrameDecoder dec(1024);
  std::vector<const uint8_t *> where;
  dec.feed(wire::ByteView(stream.data(), stream.size()), [&](wire::ByteView f) {
    where.push_back(f.data);
    return true;
  });
  assert_int_equal(where.size(), 2);
  assert_ptr_equal(where[0], stream.data() + 4);
  assert_ptr_equal(where[1], stream.data() + 13);
}

void empty_payloads_are_frames(void **) {
  std::vector<uint8_t> stream = {0, 0, 0, 0, 0, 0, 0, 0};
  auto frames = decode_in_chunks(stream, {1});
  assert_int_equal(frames.size(), 2);
  assert_true(frames[0].empty() && frames[1].empty());
}

void header_over_the_maximum_is_refused_without_allocating(void **) {
  FrameDecoder dec(100);
  std::vector<uint8_t> stream = {0xff, 0xff, 0xff, 0xff};  // 4 GiB announced
  int calls = 0;
  // Split so the slow (gathering) path sees it too.
  int rc = dec.feed(wire::ByteView(stream.data(), 2), [&](wire::ByteView) { return ++calls, true; });
  assert_int_equal(rc, ROAM_OK);
  assert_true(dec.mid_frame());
  rc = dec.feed(wire::ByteView(stream.data() + 2, 2), [&](wire::ByteView) { return ++calls, true; });
  assert_int_equal(rc, ROAM_EFRAMESIZE);
  assert_int_equal(dec.rejected_size(), 0xffffffffu);
  assert_int_equal(calls, 0);

  FrameDecoder fast(100);
  std::vector<uint8_t> s2 = {101, 0, 0, 0};
  assert_int_equal(fast.feed(wire::ByteView(s2.data(), s2.size()), [&](wire::ByteView) { return true; }),
                   ROAM_EFRAMESIZE);
  assert_int_equal(fast.rejected_size(), 101);
}

// A header only announces a size: memory follows the bytes that arrived,
// so a peer announcing 16 MiB and sending a trickle costs a few KiB.
void announced_size_is_not_allocated_up_front(void **) {
  FrameDecoder dec(16u << 20);
  const uint8_t header[] = {0x00, 0x00, 0x00, 0x01};  // 16 MiB
  auto ignore = [](wire::ByteView) { return true; };
  assert_int_equal(dec.feed(wire::ByteView(header, 4), ignore), ROAM_OK);
  assert_true(dec.header_complete());
  assert_int_equal(dec.announced_size(), 16u << 20);
  std::vector<uint8_t> kib(1024, 0x5a);
  assert_int_equal(dec.feed(wire::ByteView(kib.data(), kib.size()), ignore), ROAM_OK);
  assert_int_equal(dec.body_received(), 1024);
  assert_true(dec.buffered_capacity() <= frame::kFirstGatherReserve);
  // Growth doubles with what arrives and stops at the announced size.
  std::vector<uint8_t> chunk(1u << 20, 0x5a);
  size_t have = 1024;
  while (have + chunk.size() <= (16u << 20)) {
    dec.feed(wire::ByteView(chunk.data(), chunk.size()), ignore);
    have += chunk.size();
    assert_true(dec.buffered_capacity() <= 2 * have);
  }
  std::string got;
  dec.feed(wire::ByteView(chunk.data(), (16u << 20) - have), [&](wire::ByteView f) {
    got.assign(reinterpret_cast<const char *>(f.data), 16);
    assert_int_equal(f.size, 16u << 20);
    assert_true(dec.buffered_capacity() == (16u << 20));  // never past the announcement
    return true;
  });
  assert_int_equal(got.size(), 16);
  // Delivered: the big buffer stays as a spare (the peer sent all of it)
  // until the session lets it go.
  assert_false(dec.mid_frame());
  assert_true(dec.holds_spare());
  assert_int_equal(dec.spare_capacity(), 16u << 20);
  dec.release_spare();
  assert_false(dec.holds_spare());
  assert_int_equal(dec.buffered_capacity(), 0);
}

// Big frames back to back reuse one buffer; the first frame much smaller
// than it (here a whole one inside a read, then a split one) lets it go.
void a_spare_serves_big_frames_until_a_small_one(void **) {
  FrameDecoder dec(4u << 20);
  std::string big(1u << 20, 'b');
  auto one_big = stream_of({big});
  size_t frames = 0;
  auto count = [&](wire::ByteView f) {
    ++frames;
    assert_int_equal(f.size, big.size());
    return true;
  };
  // Two big frames, each split in 64 KiB reads.
  for (int round = 0; round < 2; ++round) {
    for (size_t at = 0; at < one_big.size(); at += 64u << 10) {
      size_t n = std::min<size_t>(64u << 10, one_big.size() - at);
      assert_int_equal(dec.feed(wire::ByteView(one_big.data() + at, n), count), ROAM_OK);
    }
    assert_true(dec.holds_spare());
    assert_int_equal(dec.spare_capacity(), 1u << 20);
  }
  assert_int_equal(frames, 2);
  // A small frame arriving whole lets the spare go.
  auto small = stream_of({std::string(100, 's')});
  assert_int_equal(dec.feed(wire::ByteView(small.data(), small.size()),
                            [](wire::ByteView f) { return f.size == 100; }),
                   ROAM_OK);
  assert_false(dec.holds_spare());
  assert_int_equal(dec.buffered_capacity(), 0);
  // So does a small frame announced while the spare is there.
  for (size_t at = 0; at < one_big.size(); at += 64u << 10) {
    size_t n = std::min<size_t>(64u << 10, one_big.size() - at);
    dec.feed(wire::ByteView(one_big.data() + at, n), count);
  }
  assert_true(dec.holds_spare());
  assert_int_equal(dec.feed(wire::ByteView(small.data(), 6), [](wire::ByteView) { return true; }),
                   ROAM_OK);  // the header and 2 bytes of the small frame
  assert_true(dec.mid_frame());
  assert_true(dec.buffered_capacity() <= frame::kFirstGatherReserve);
}

void release_drops_a_partial_frame(void **) {
  FrameDecoder dec(1u << 20);
  const uint8_t partial[] = {0x00, 0x10, 0x00, 0x00, 1, 2, 3};
  dec.feed(wire::ByteView(partial, sizeof partial), [](wire::ByteView) { return true; });
  assert_true(dec.buffered_capacity() > 0);
  dec.release();
  assert_false(dec.mid_frame());
  assert_int_equal(dec.buffered_capacity(), 0);
}

void frame_at_exactly_the_maximum_is_accepted(void **) {
  auto stream = stream_of({std::string(100, 'm')});
  FrameDecoder dec(100);
  int calls = 0;
  assert_int_equal(dec.feed(wire::ByteView(stream.data(), stream.size()),
                            [&](wire::ByteView f) { return ++calls, f.size == 100; }),
                   ROAM_OK);
  assert_int_equal(calls, 1);
}

void mid_frame_is_reported_until_complete(void **) {
  auto stream = stream_of({"abcdef"});
  FrameDecoder dec(1024);
  auto ignore = [](wire::ByteView) { return true; };
  assert_false(dec.mid_frame());
  dec.feed(wire::ByteView(stream.data(), 1), ignore);
  assert_true(dec.mid_frame());  // inside the header
  dec.feed(wire::ByteView(stream.data() + 1, 5), ignore);
  assert_true(dec.mid_frame());  // inside the body
  dec.feed(wire::ByteView(stream.data() + 6, stream.size() - 6), ignore);
  assert_false(dec.mid_frame());
}

void stopping_discards_the_rest_of_the_read(void **) {
  auto stream = stream_of({"one", "two", "three"});
  FrameDecoder dec(1024);
  int calls = 0;
  dec.feed(wire::ByteView(stream.data(), stream.size()), [&](wire::ByteView) { return ++calls < 2; });
  assert_int_equal(calls, 2);
}

void writer_patches_little_endian_length(void **) {
  wire::ByteBuffer out;
  size_t mark = frame::begin_frame(out);
  std::string body(0x01020, 'z');
  out.append(body.data(), body.size());
  assert_int_equal(frame::finish_frame(out, mark), 0x1020);
  assert_int_equal(out.data()[0], 0x20);
  assert_int_equal(out.data()[1], 0x10);
  assert_int_equal(out.data()[2], 0x00);
  assert_int_equal(out.data()[3], 0x00);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(frames_survive_one_byte_reads),
      cmocka_unit_test(frames_survive_every_split_pattern),
      cmocka_unit_test(whole_frames_in_one_read_are_not_copied),
      cmocka_unit_test(empty_payloads_are_frames),
      cmocka_unit_test(header_over_the_maximum_is_refused_without_allocating),
      cmocka_unit_test(announced_size_is_not_allocated_up_front),
      cmocka_unit_test(a_spare_serves_big_frames_until_a_small_one),
      cmocka_unit_test(release_drops_a_partial_frame),
      cmocka_unit_test(frame_at_exactly_the_maximum_is_accepted),
      cmocka_unit_test(mid_frame_is_reported_until_complete),
      cmocka_unit_test(stopping_discards_the_rest_of_the_read),
      cmocka_unit_test(writer_patches_little_endian_length),
  };
  return cmocka_run_group_tests_name("frame_decoder", tests, nullptr, nullptr);
}
