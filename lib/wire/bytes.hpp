// Byte views and the growable output buffer every encoder appends to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>
#include <vector>

namespace roam::wire {

// A borrowed run of bytes. Never owns; whoever hands one out says how long
// the bytes stay valid.
struct ByteView {
  const uint8_t *data = nullptr;
  size_t size = 0;

  ByteView() = default;
  ByteView(const uint8_t *d, size_t n) : data(d), size(n) {}
  explicit ByteView(std::string_view s)
      : data(reinterpret_cast<const uint8_t *>(s.data())), size(s.size()) {}

  bool empty() const { return size == 0; }
  std::string_view as_string() const {
    return std::string_view(reinterpret_cast<const char *>(data), size);
  }
  bool operator==(const ByteView &o) const {
    return size == o.size && (size == 0 || std::memcmp(data, o.data, size) == 0);
  }
};

// Append-only byte buffer. Encoders reserve the worst case up front and then
// write through raw pointers, which keeps varint encoding branch-light.
class ByteBuffer {
 public:
  const uint8_t *data() const { return bytes_.data(); }
  uint8_t *data() { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  size_t capacity() const { return bytes_.capacity(); }
  bool empty() const { return bytes_.empty(); }
  ByteView view() const { return ByteView(bytes_.data(), bytes_.size()); }

  void clear() { bytes_.clear(); }
  void truncate(size_t n) {
    if (n < bytes_.size()) bytes_.resize(n);
  }
  void reserve(size_t n) { bytes_.reserve(n); }
  // Releases the memory, not just the contents (after a burst).
  void shrink() { std::vector<uint8_t>().swap(bytes_); }
  void swap(ByteBuffer &o) noexcept { bytes_.swap(o.bytes_); }

  // Grows by n bytes and returns a pointer to them (contents unspecified).
  uint8_t *grow(size_t n) {
    size_t old = bytes_.size();
    bytes_.resize(old + n);
    return bytes_.data() + old;
  }

  void push(uint8_t b) { bytes_.push_back(b); }
  void append(const void *p, size_t n) {
    if (n == 0) return;
    const uint8_t *b = static_cast<const uint8_t *>(p);
    bytes_.insert(bytes_.end(), b, b + n);
  }
  void append(ByteView v) { append(v.data, v.size); }

  // Moves the first n bytes out (used after a partial write).
  void consume_front(size_t n) {
    if (n >= bytes_.size()) {
      bytes_.clear();
    } else {
      bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(n));
    }
  }

 private:
  std::vector<uint8_t> bytes_;
};

}  // namespace roam::wire
