#include "message_equality.hpp"

#include "view_access.hpp"

namespace roam::fuzz {

namespace {

bool same_entry(const wire::MetadataEntry &a, const wire::MetadataEntry &b) {
  return a.key == b.key && a.kind == b.kind && a.bytes == b.bytes && a.u64 == b.u64 &&
         a.flags == b.flags;
}

bool same_metadata(const wire::MetadataView &a, const wire::MetadataView &b) {
  if (a.count() != b.count()) return false;
  auto ia = a.begin();
  auto ib = b.begin();
  for (uint64_t i = 0; i < a.count(); ++i, ++ia, ++ib) {
    if (!same_entry(*ia, *ib)) return false;
  }
  return true;
}

bool same_settings(const wire::ConnectionSettings &a, const wire::ConnectionSettings &b) {
  return a.parity == b.parity && a.max_concurrent_requests == b.max_concurrent_requests;
}

// Records the first difference and keeps going quietly after it.
struct Comparison {
  std::string *why;
  bool equal = true;
  void field(bool same, const char *name) {
    if (same || !equal) return;
    equal = false;
    if (why) *why = name;
  }
};

}  // namespace

bool messages_equal(const wire::Message &a, const wire::Message &b, std::string *why) {
  Comparison c{why};
  c.field(a.connection_id == b.connection_id, "connection_id");
  c.field(a.kind == b.kind, "kind");
  c.field(a.version == b.version, "version");
  c.field(same_settings(a.settings, b.settings), "settings");
  c.field(same_metadata(a.metadata, b.metadata), "metadata");
  c.field(a.description == b.description, "description");

  const wire::RequestMessage &qa = a.request, &qb = b.request;
  c.field(qa.id == qb.id, "request.id");
  c.field(qa.kind == qb.kind, "request.kind");
  c.field(qa.method_id == qb.method_id, "request.method_id");
  c.field(qa.channels.count() == qb.channels.count() && ids_of(qa.channels) == ids_of(qb.channels),
          "request.channels");
  c.field(same_metadata(qa.metadata, qb.metadata), "request.metadata");
  c.field(qa.payload == qb.payload, "request.payload");

  const wire::ChannelMessage &ca = a.channel, &cb = b.channel;
  c.field(ca.id == cb.id, "channel.id");
  c.field(ca.kind == cb.kind, "channel.kind");
  c.field(ca.item == cb.item, "channel.item");
  c.field(same_metadata(ca.metadata, cb.metadata), "channel.metadata");
  c.field(ca.additional == cb.additional, "channel.additional");

  c.field(a.nonce == b.nonce, "nonce");
  return c.equal;
}

}  // namespace roam::fuzz
