#include "view_access.hpp"

#include "fuzz_check.hpp"

namespace roam::fuzz {

namespace {
// Where the bytes go, so the reads cannot be optimized away.
volatile uint8_t g_sink;
}  // namespace

void read_all(wire::ByteView bytes) {
  uint8_t acc = 0;
  for (size_t i = 0; i < bytes.size; ++i) acc ^= bytes.data[i];
  g_sink = acc;
}

void read_all(const wire::MetadataView &md) {
  read_all(md.entries());
  uint64_t seen = 0;
  for (const wire::MetadataEntry &e : md) {
    read_all(wire::ByteView(e.key));
    read_all(e.bytes);
    ++seen;
  }
  FUZZ_CHECK(seen == md.count(), "metadata iterated %llu entries of %llu",
             static_cast<unsigned long long>(seen), static_cast<unsigned long long>(md.count()));
}

void read_all(const wire::RequestMessage &m) {
  ids_of(m.channels);
  read_all(m.metadata);
  read_all(m.payload);
}

void read_all(const wire::ChannelMessage &m) {
  read_all(m.item);
  read_all(m.metadata);
}

std::vector<uint64_t> ids_of(const wire::IdList &ids) {
  std::vector<uint64_t> out;
  ids.for_each([&out](uint64_t id) { out.push_back(id); });
  FUZZ_CHECK(out.size() == ids.count(), "an id list of %llu ids yields %zu",
             static_cast<unsigned long long>(ids.count()), out.size());
  return out;
}

}  // namespace roam::fuzz
