#include "wire/metadata.hpp"

#include "wire/varint.hpp"

namespace roam::wire {
namespace {

// Reads one entry. Used both to validate (parse) and to iterate; iteration
// only runs over validated bytes, so there it cannot fail.
int read_entry(Reader &r, MetadataEntry *e) {
  int rc = r.read_string(&e->key);
  if (rc != ROAM_OK) return rc;
  uint32_t tag = 0;
  rc = r.read_tag(3, &tag);
  if (rc != ROAM_OK) return rc;
  e->kind = static_cast<MetadataKind>(tag);
  e->bytes = ByteView();
  e->u64 = 0;
  switch (e->kind) {
    case MetadataKind::String: {
      std::string_view s;
      rc = r.read_string(&s);
      e->bytes = ByteView(s);
      break;
    }
    case MetadataKind::Bytes:
      rc = r.read_blob(&e->bytes);
      break;
    case MetadataKind::U64:
      rc = r.read_varint_u64(&e->u64);
      break;
  }
  if (rc != ROAM_OK) return rc;
  return r.read_varint_u64(&e->flags);
}

}  // namespace

int MetadataView::parse(Reader &r, MetadataView *out) {
  uint64_t count = 0;
  int rc = r.read_count(kMinMetadataEntrySize, &count);
  if (rc != ROAM_OK) return rc;
  const uint8_t *start = r.position();
  MetadataEntry scratch;
  for (uint64_t i = 0; i < count; ++i) {
    rc = read_entry(r, &scratch);
    if (rc != ROAM_OK) return rc;
  }
  *out = MetadataView(count, ByteView(start, static_cast<size_t>(r.position() - start)));
  return ROAM_OK;
}

size_t MetadataView::encoded_size() const { return varint_size(count_) + entries_.size; }

MetadataView::iterator::iterator(const uint8_t *pos, const uint8_t *end, uint64_t left)
    : reader_(pos, static_cast<size_t>(end - pos)), left_(left) {
  load();
}

void MetadataView::iterator::load() {
  if (left_ > 0) read_entry(reader_, &current_);
}

MetadataView::iterator &MetadataView::iterator::operator++() {
  --left_;
  load();
  return *this;
}

MetadataView::iterator MetadataView::begin() const {
  return iterator(entries_.data, entries_.data + entries_.size, count_);
}

MetadataView::iterator MetadataView::end() const {
  return iterator(entries_.data + entries_.size, entries_.data + entries_.size, 0);
}

bool MetadataView::find(std::string_view key, MetadataEntry *out) const {
  for (const MetadataEntry &e : *this) {
    if (e.key == key) {
      *out = e;
      return true;
    }
  }
  return false;
}

void encode_metadata(ByteBuffer &out, const MetadataView &md) {
  put_varint(out, md.count());
  out.append(md.entries());
}

void MetadataList::put_key(std::string_view key) {
  put_varint(entries_, key.size());
  entries_.append(key.data(), key.size());
}

MetadataList &MetadataList::add_string(std::string_view key, std::string_view value,
                                       uint64_t flags) {
  put_key(key);
  entries_.push(static_cast<uint8_t>(MetadataKind::String));
  put_varint(entries_, value.size());
  entries_.append(value.data(), value.size());
  put_varint(entries_, flags);
  ++count_;
  return *this;
}

MetadataList &MetadataList::add_bytes(std::string_view key, ByteView value, uint64_t flags) {
  put_key(key);
  entries_.push(static_cast<uint8_t>(MetadataKind::Bytes));
  put_varint(entries_, value.size);
  entries_.append(value);
  put_varint(entries_, flags);
  ++count_;
  return *this;
}

MetadataList &MetadataList::add_u64(std::string_view key, uint64_t value, uint64_t flags) {
  put_key(key);
  entries_.push(static_cast<uint8_t>(MetadataKind::U64));
  put_varint(entries_, value);
  put_varint(entries_, flags);
  ++count_;
  return *this;
}

MetadataList &MetadataList::append(const MetadataView &md) {
  entries_.append(md.entries());
  count_ += md.count();
  return *this;
}

void MetadataList::clear() {
  entries_.clear();
  count_ = 0;
}

}  // namespace roam::wire
