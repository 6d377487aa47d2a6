// Fuzzes frame::FrameDecoder, the reassembly of [u32 LE length][payload]
// frames across arbitrary read boundaries, against a one-shot reference
// parser written here: whatever the split, the decoder must hand out exactly
// the frames the reference finds in the whole stream, byte for byte, fail
// with the same oversize frame, and agree on the partial frame left at the
// end. Its memory must follow the bytes that arrived, not the size a header
// announces.
//
// Input layout (see seed_corpus.cpp for seeds):
//   u16 LE   maximum frame size (0xFFFF stands for UINT32_MAX)
//   u8       stop after this many frames (on_frame returns false; 0 = never)
//   u8       number of chunk lengths that follow (0 = feed everything at once)
//   u8 × n   chunk lengths, used in turn and cycled (0 = an empty read)
//   rest     the byte stream
#include <algorithm>
#include <cstdint>
#include <vector>

#include "frame/frame_decoder.hpp"
#include "fuzz_check.hpp"
#include "fuzz_input.hpp"

namespace {

using roam::wire::ByteView;

struct ParsedStream {
  std::vector<ByteView> frames;
  int error = ROAM_OK;
  uint32_t rejected_size = 0;
  bool ends_mid_frame = false;
  // The partial frame at the end, when its header is complete.
  bool partial_header_complete = false;
  uint32_t partial_announced = 0;
  size_t partial_received = 0;
};

uint32_t le32(const uint8_t *p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

// The obvious parser: it sees the whole stream at once, so it has no state
// to get wrong across reads.
ParsedStream parse_whole(const uint8_t *data, size_t size, uint32_t max_frame_size) {
  ParsedStream out;
  size_t pos = 0;
  while (size - pos >= 4) {
    uint32_t len = le32(data + pos);
    if (len > max_frame_size) {
      out.error = ROAM_EFRAMESIZE;
      out.rejected_size = len;
      return out;
    }
    if (size - pos - 4 < len) break;
    out.frames.push_back(ByteView(data + pos + 4, len));
    pos += 4 + static_cast<size_t>(len);
  }
  out.ends_mid_frame = pos < size;
  if (size - pos >= 4) {
    out.partial_header_complete = true;
    out.partial_announced = le32(data + pos);
    out.partial_received = size - pos - 4;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  roam::fuzz::FuzzInput in(data, size);
  uint16_t max_selector = in.u16();
  uint32_t max_frame_size = max_selector == 0xFFFF ? UINT32_MAX : max_selector;
  size_t stop_after = in.u8();
  std::vector<uint8_t> chunk_lengths = in.bytes(in.u8());
  std::vector<uint8_t> stream = in.bytes(in.remaining());

  ParsedStream expected = parse_whole(stream.data(), stream.size(), max_frame_size);

  roam::frame::FrameDecoder decoder(max_frame_size);
  std::vector<std::vector<uint8_t>> got;
  bool stopped = false;
  int rc = ROAM_OK;
  size_t lengths_total = 0;
  for (uint8_t n : chunk_lengths) lengths_total += n;
  size_t pos = 0;
  size_t turn = 0;
  while (pos < stream.size() && rc == ROAM_OK && !stopped) {
    size_t want = lengths_total == 0 ? stream.size() : chunk_lengths[turn++ % chunk_lengths.size()];
    size_t take = want < stream.size() - pos ? want : stream.size() - pos;
    // Each read in its own allocation of exactly its size, freed right
    // after: a decoder that kept a view into it, or read past it, trips ASan.
    std::vector<uint8_t> chunk(stream.begin() + static_cast<std::ptrdiff_t>(pos),
                               stream.begin() + static_cast<std::ptrdiff_t>(pos + take));
    pos += take;
    rc = decoder.feed(ByteView(chunk.data(), chunk.size()), [&](ByteView frame) {
      FUZZ_CHECK(!stopped, "a frame was delivered after on_frame returned false");
      got.emplace_back(frame.data, frame.data + frame.size);
      if (stop_after != 0 && got.size() == stop_after) stopped = true;
      return !stopped;
    });
    // A peer announcing a huge frame and sending little must cost little:
    // what the decoder holds follows the bytes received (or a spare kept
    // from a big frame the peer did send whole).
    size_t bound = std::max({roam::frame::kKeptGatherCapacity, 2 * decoder.body_received(),
                             decoder.spare_capacity()});
    FUZZ_CHECK(decoder.buffered_capacity() <= bound,
               "holds %zu bytes for a partial frame with %zu bytes received",
               decoder.buffered_capacity(), decoder.body_received());
  }

  if (stopped) {
    // Decoding stopped at the caller's request: what came before must match.
    FUZZ_CHECK(rc == ROAM_OK, "feed returned %d after on_frame returned false", rc);
    FUZZ_CHECK(got.size() == stop_after && got.size() <= expected.frames.size(),
               "stopped after %zu frames, reference has %zu", got.size(), expected.frames.size());
  } else {
    FUZZ_CHECK(got.size() == expected.frames.size(), "decoder gave %zu frames, reference %zu",
               got.size(), expected.frames.size());
    FUZZ_CHECK(rc == expected.error, "decoder returned %d, reference %d", rc, expected.error);
    if (rc == ROAM_EFRAMESIZE) {
      FUZZ_CHECK(decoder.rejected_size() == expected.rejected_size,
                 "rejected size %u, reference %u", decoder.rejected_size(), expected.rejected_size);
    } else {
      FUZZ_CHECK(decoder.mid_frame() == expected.ends_mid_frame,
                 "mid_frame() is %d, reference %d", decoder.mid_frame(), expected.ends_mid_frame);
      FUZZ_CHECK(decoder.header_complete() == expected.partial_header_complete &&
                     decoder.announced_size() == expected.partial_announced &&
                     decoder.body_received() == expected.partial_received,
                 "partial frame: header %d, %u announced, %zu received; reference %d, %u, %zu",
                 decoder.header_complete(), decoder.announced_size(), decoder.body_received(),
                 expected.partial_header_complete, expected.partial_announced,
                 expected.partial_received);
    }
  }
  for (size_t i = 0; i < got.size(); ++i) {
    const ByteView &want = expected.frames[i];
    FUZZ_CHECK(ByteView(got[i].data(), got[i].size()) == want,
               "frame %zu differs (%zu bytes, reference %zu)", i, got[i].size(), want.size);
  }
  return 0;
}
