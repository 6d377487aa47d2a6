// roam_metadata: an owned list the user builds, or a read-only view of a
// received list handed to a callback. Both are stored in wire form, so
// passing either to a send is a byte copy.
#pragma once

#include <vector>

#include "roam/roam.h"
#include "wire/metadata.hpp"

struct roam_metadata {
  roam_metadata() = default;
  explicit roam_metadata(const roam::wire::MetadataView &v) : is_view(true), borrowed(v) {}

  roam::wire::MetadataView view() const { return is_view ? borrowed : owned.view(); }
  // Entry i, decoding the list once on first indexed access.
  const roam::wire::MetadataEntry *entry(size_t i) const;
  void changed() { indexed = false; }

  bool is_view = false;
  roam::wire::MetadataList owned;
  roam::wire::MetadataView borrowed;
  mutable std::vector<roam::wire::MetadataEntry> index;
  mutable bool indexed = false;
};

namespace roam::capi {
// The view for an optional user list (NULL = empty).
inline wire::MetadataView view_of(const roam_metadata *md) {
  return md ? md->view() : wire::MetadataView();
}
}  // namespace roam::capi
