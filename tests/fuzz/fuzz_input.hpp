// A cursor over a fuzz input that never fails: reads past the end give
// zeros, so every byte string is a valid program for a target and the
// fuzzer can cut or extend inputs freely. Values are read from the front in
// order, which keeps hand-made seeds easy to write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace roam::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t *data, size_t size) : pos_(data), end_(data + size) {}

  bool empty() const { return pos_ == end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - pos_); }

  uint8_t u8() { return pos_ < end_ ? *pos_++ : 0; }
  bool flag() { return (u8() & 1) != 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | u8() << 8); }
  uint32_t u32() { return static_cast<uint32_t>(u16()) | static_cast<uint32_t>(u16()) << 16; }
  uint64_t u64() { return static_cast<uint64_t>(u32()) | static_cast<uint64_t>(u32()) << 32; }

  // Up to n bytes (fewer when the input runs out), copied: callers hand
  // them to the library in an allocation of exactly their size, so that
  // AddressSanitizer sees any read past them.
  std::vector<uint8_t> bytes(size_t n) {
    size_t take = n < remaining() ? n : remaining();
    std::vector<uint8_t> out(pos_, pos_ + take);
    pos_ += take;
    return out;
  }

 private:
  const uint8_t *pos_;
  const uint8_t *end_;
};

}  // namespace roam::fuzz
