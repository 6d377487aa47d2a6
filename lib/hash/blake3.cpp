// BLAKE3 per its specification: 1024-byte chunks of 64-byte blocks, each
// chunk compressed into a chaining value, chaining values merged pairwise
// into a binary tree whose root block is compressed with the ROOT flag.
#include "hash/blake3.hpp"

#include <cstring>

namespace roam::hash {
namespace {

constexpr uint32_t kIv[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                             0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};
constexpr unsigned kPermutation[16] = {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8};

constexpr uint32_t kChunkStart = 1;
constexpr uint32_t kChunkEnd = 2;
constexpr uint32_t kParent = 4;
constexpr uint32_t kRoot = 8;

constexpr size_t kBlockLen = 64;
constexpr size_t kChunkLen = 1024;

using Words8 = std::array<uint32_t, 8>;

uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

void mix(uint32_t *v, unsigned a, unsigned b, unsigned c, unsigned d, uint32_t x, uint32_t y) {
  v[a] = v[a] + v[b] + x;
  v[d] = rotr(v[d] ^ v[a], 16);
  v[c] = v[c] + v[d];
  v[b] = rotr(v[b] ^ v[c], 12);
  v[a] = v[a] + v[b] + y;
  v[d] = rotr(v[d] ^ v[a], 8);
  v[c] = v[c] + v[d];
  v[b] = rotr(v[b] ^ v[c], 7);
}

// The compression function: the whole 16-word state (the first 8 words are
// the next chaining value).
std::array<uint32_t, 16> compress(const Words8 &cv, const uint32_t block[16], uint64_t counter,
                                  uint32_t block_len, uint32_t flags) {
  const auto counter_low = static_cast<uint32_t>(counter);
  const auto counter_high = static_cast<uint32_t>(counter >> 32);
  // The state: the chaining value, the first half of the IV, the block's
  // counter, length and flags.
  std::array<uint32_t, 16> v = {cv[0],  cv[1],  cv[2],  cv[3], cv[4], cv[5], cv[6], cv[7],
                                kIv[0], kIv[1], kIv[2], kIv[3],
                                counter_low, counter_high, block_len, flags};
  uint32_t m[16];
  std::memcpy(m, block, sizeof m);
  for (int round = 0; round < 7; ++round) {
    mix(v.data(), 0, 4, 8, 12, m[0], m[1]);
    mix(v.data(), 1, 5, 9, 13, m[2], m[3]);
    mix(v.data(), 2, 6, 10, 14, m[4], m[5]);
    mix(v.data(), 3, 7, 11, 15, m[6], m[7]);
    mix(v.data(), 0, 5, 10, 15, m[8], m[9]);
    mix(v.data(), 1, 6, 11, 12, m[10], m[11]);
    mix(v.data(), 2, 7, 8, 13, m[12], m[13]);
    mix(v.data(), 3, 4, 9, 14, m[14], m[15]);
    uint32_t permuted[16];
    for (int i = 0; i < 16; ++i) permuted[i] = m[kPermutation[i]];
    std::memcpy(m, permuted, sizeof m);
  }
  for (int i = 0; i < 8; ++i) {
    v[i] ^= v[i + 8];
    v[i + 8] ^= cv[i];
  }
  return v;
}

// Up to 64 bytes as little-endian words, zero-padded.
void load_block(const uint8_t *bytes, size_t len, uint32_t out[16]) {
  uint8_t padded[kBlockLen] = {};
  if (len > 0) std::memcpy(padded, bytes, len);
  for (int i = 0; i < 16; ++i) {
    out[i] = uint32_t(padded[4 * i]) | uint32_t(padded[4 * i + 1]) << 8 |
             uint32_t(padded[4 * i + 2]) << 16 | uint32_t(padded[4 * i + 3]) << 24;
  }
}

// A node's last compression, held back until we know whether it is the root.
struct Output {
  Words8 cv;
  uint32_t block[16];
  uint64_t counter;
  uint32_t block_len;
  uint32_t flags;

  Words8 chaining_value() const {
    auto v = compress(cv, block, counter, block_len, flags);
    Words8 out;
    std::memcpy(out.data(), v.data(), sizeof out);
    return out;
  }
};

// One chunk (up to 1024 bytes, at least one block even when empty).
Output chunk_output(const uint8_t *data, size_t len, uint64_t chunk_counter) {
  Words8 cv;
  std::memcpy(cv.data(), kIv, sizeof cv);
  uint32_t flags = kChunkStart;
  uint32_t block[16];
  while (len > kBlockLen) {
    load_block(data, kBlockLen, block);
    auto v = compress(cv, block, chunk_counter, kBlockLen, flags);
    std::memcpy(cv.data(), v.data(), sizeof cv);
    data += kBlockLen;
    len -= kBlockLen;
    flags = 0;
  }
  Output out{cv, {}, chunk_counter, static_cast<uint32_t>(len), flags | kChunkEnd};
  load_block(data, len, out.block);
  return out;
}

Output parent_output(const Words8 &left, const Words8 &right) {
  Output out{};
  std::memcpy(out.cv.data(), kIv, sizeof out.cv);
  std::memcpy(out.block, left.data(), sizeof left);
  std::memcpy(out.block + 8, right.data(), sizeof right);
  out.counter = 0;
  out.block_len = kBlockLen;
  out.flags = kParent;
  return out;
}

}  // namespace

Blake3Digest blake3(const uint8_t *data, size_t len) {
  // Completed subtrees' chaining values, largest first: at most one per
  // bit of the chunk count, so 54 suffice for any 64-bit length.
  Words8 stack[54];
  size_t depth = 0;
  uint64_t chunks = 0;
  while (len > kChunkLen) {
    Words8 cv = chunk_output(data, kChunkLen, chunks).chaining_value();
    data += kChunkLen;
    len -= kChunkLen;
    ++chunks;
    // Merge every subtree this chunk completes (one per trailing zero bit).
    for (uint64_t total = chunks; (total & 1) == 0; total >>= 1) {
      cv = parent_output(stack[--depth], cv).chaining_value();
    }
    stack[depth++] = cv;
  }
  Output out = chunk_output(data, len, chunks);
  while (depth > 0) out = parent_output(stack[--depth], out.chaining_value());

  auto v = compress(out.cv, out.block, 0, out.block_len, out.flags | kRoot);
  Blake3Digest digest;
  for (int i = 0; i < 8; ++i) {
    for (int b = 0; b < 4; ++b) digest[4 * i + b] = static_cast<uint8_t>(v[i] >> (8 * b));
  }
  return digest;
}

}  // namespace roam::hash
