// Metadata: the (key, value, flags) lists carried by handshakes, connection
// control and requests.
//
// Metadata is kept in its wire form everywhere: a received MetadataView points
// at the entries inside the frame (validated once, decoded lazily while
// iterating), and a locally built MetadataList owns its encoded entries. So
// encoding metadata into a message, or forwarding it through a proxy, is a
// copy of bytes, never a re-encode.
#pragma once

#include <cstdint>
#include <string_view>

#include "wire/bytes.hpp"
#include "wire/reader.hpp"

namespace roam::wire {

enum class MetadataKind : uint8_t { String = 0, Bytes = 1, U64 = 2 };

// Flag bits (rpc.metadata.flags); other bits are reserved and preserved.
constexpr uint64_t kMetadataSensitive = 1u << 0;    // never log the value
constexpr uint64_t kMetadataNoPropagate = 1u << 1;  // never forward downstream

struct MetadataEntry {
  std::string_view key;
  MetadataKind kind = MetadataKind::String;
  ByteView bytes;     // String (UTF-8) and Bytes values
  uint64_t u64 = 0;   // U64 values
  uint64_t flags = 0;

  std::string_view string_value() const { return bytes.as_string(); }
};

// Smallest possible encoded entry: empty key, tag, empty value, flags.
constexpr size_t kMinMetadataEntrySize = 4;

// A validated, borrowed Metadata list (entries in wire form).
class MetadataView {
 public:
  MetadataView() = default;
  MetadataView(uint64_t count, ByteView entries) : count_(count), entries_(entries) {}

  // Reads `count + entries` at the reader, validating every entry.
  static int parse(Reader &r, MetadataView *out);

  uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // The encoded entries, without the leading count.
  ByteView entries() const { return entries_; }
  // Bytes this list takes on the wire, count included.
  size_t encoded_size() const;

  class iterator {
   public:
    iterator(const uint8_t *pos, const uint8_t *end, uint64_t left);
    const MetadataEntry &operator*() const { return current_; }
    const MetadataEntry *operator->() const { return &current_; }
    iterator &operator++();
    bool operator!=(const iterator &o) const { return left_ != o.left_; }
    bool operator==(const iterator &o) const { return left_ == o.left_; }

   private:
    void load();
    Reader reader_;
    uint64_t left_;
    MetadataEntry current_;
  };
  iterator begin() const;
  iterator end() const;

  // First entry with this key, if any.
  bool find(std::string_view key, MetadataEntry *out) const;

 private:
  uint64_t count_ = 0;
  ByteView entries_;
};

// Appends `count + entries` for a view (the encoder's half of MetadataView).
void encode_metadata(ByteBuffer &out, const MetadataView &md);

// An owned metadata list under construction, stored encoded.
class MetadataList {
 public:
  MetadataList &add_string(std::string_view key, std::string_view value, uint64_t flags = 0);
  MetadataList &add_bytes(std::string_view key, ByteView value, uint64_t flags = 0);
  MetadataList &add_u64(std::string_view key, uint64_t value, uint64_t flags = 0);
  // Appends every entry of a view (copying its encoded bytes).
  MetadataList &append(const MetadataView &md);
  void clear();

  MetadataView view() const { return MetadataView(count_, entries_.view()); }
  uint64_t count() const { return count_; }
  size_t encoded_size() const { return view().encoded_size(); }

 private:
  void put_key(std::string_view key);
  ByteBuffer entries_;
  uint64_t count_ = 0;
};

}  // namespace roam::wire
