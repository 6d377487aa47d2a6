// Byte views and the growable output buffer every encoder appends to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <cstdint>
#include <string_view>
#include <utility>

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

// Append-only byte buffer. Its own storage rather than a std::vector: bytes
// appended are copied once (no zero-fill, no range-insert machinery), and
// the common case of appending within capacity is a compare and a memcpy.
// Memory comes from operator new, so libroam's allocator hooks see it.
class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(const ByteBuffer &o) { append(o.data_, o.size_); }
  ByteBuffer(ByteBuffer &&o) noexcept
      : data_(o.data_), size_(o.size_), capacity_(o.capacity_) {
    o.data_ = nullptr;
    o.size_ = o.capacity_ = 0;
  }
  ByteBuffer &operator=(const ByteBuffer &o) {
    if (this != &o) {
      clear();
      append(o.data_, o.size_);
    }
    return *this;
  }
  ByteBuffer &operator=(ByteBuffer &&o) noexcept {
    ByteBuffer(std::move(o)).swap(*this);
    return *this;
  }
  ~ByteBuffer() { ::operator delete(data_); }

  const uint8_t *data() const { return data_; }
  uint8_t *data() { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  ByteView view() const { return ByteView(data_, size_); }

  void clear() { size_ = 0; }
  void truncate(size_t n) {
    if (n < size_) size_ = n;
  }
  void reserve(size_t n) {
    if (n > capacity_) reallocate(n);
  }
  // Releases the memory, not just the contents (after a burst).
  void shrink() { ByteBuffer().swap(*this); }
  void swap(ByteBuffer &o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
  }

  // Grows by n bytes and returns a pointer to them (contents unspecified).
  uint8_t *grow(size_t n) {
    make_room(n);
    uint8_t *p = data_ + size_;
    size_ += n;
    return p;
  }

  void push(uint8_t b) {
    make_room(1);
    data_[size_++] = b;
  }
  void append(const void *p, size_t n) {
    if (n == 0) return;
    make_room(n);
    std::memcpy(data_ + size_, p, n);
    size_ += n;
  }
  void append(ByteView v) { append(v.data, v.size); }

  // Moves the first n bytes out (used after a partial write).
  void consume_front(size_t n) {
    if (n >= size_) {
      size_ = 0;
    } else {
      std::memmove(data_, data_ + n, size_ - n);
      size_ -= n;
    }
  }

 private:
  void make_room(size_t n) {
    if (n > capacity_ - size_) grow_capacity(n);
  }
  // Doubling (at least 64 bytes), or what n needs.
  void grow_capacity(size_t n) {
    if (n > SIZE_MAX - size_) throw std::bad_alloc();
    size_t need = size_ + n;
    size_t doubled = capacity_ > SIZE_MAX / 2 ? SIZE_MAX : capacity_ * 2;
    reallocate(need > doubled ? need : (doubled < 64 ? 64 : doubled));
  }
  void reallocate(size_t capacity) {
    auto *d = static_cast<uint8_t *>(::operator new(capacity));
    if (size_ != 0) std::memcpy(d, data_, size_);
    ::operator delete(data_);
    data_ = d;
    capacity_ = capacity;
  }

  uint8_t *data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace roam::wire
