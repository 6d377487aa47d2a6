// roam_metadata_* — building and reading metadata lists.
#include <cstring>
#include <memory>
#include <new>
#include <string_view>

#include "capi/api_guard.hpp"
#include "capi/metadata_handle.hpp"
#include "wire/reader.hpp"

using roam::wire::ByteView;
using roam::wire::MetadataEntry;

const MetadataEntry *roam_metadata::entry(size_t i) const {
  if (!indexed) {
    index.clear();
    for (const MetadataEntry &e : view()) index.push_back(e);
    indexed = true;
  }
  return i < index.size() ? &index[i] : nullptr;
}

namespace {

bool text_arg(const char *s, size_t len, std::string_view *out) {
  if (s == nullptr && len != 0) return false;
  if (len == ROAM_NTS) len = s ? std::strlen(s) : 0;
  *out = std::string_view(s ? s : "", len);
  return roam::wire::is_valid_utf8(reinterpret_cast<const uint8_t *>(out->data()), out->size());
}

bool writable(const roam_metadata *md) { return md != nullptr && !md->is_view; }

}  // namespace

extern "C" {

int roam_metadata_new(roam_metadata **out) {
  if (out == nullptr) return roam::capi::null_argument(__func__, "out");
  *out = new (std::nothrow) roam_metadata();
  return *out ? ROAM_OK : roam::capi::fail_with_detail(ROAM_ENOMEM, "%s: out of memory", __func__);
}

void roam_metadata_free(roam_metadata *md) {
  if (md != nullptr && !md->is_view) delete md;
}

int roam_metadata_copy(const roam_metadata *md, roam_metadata **out) {
  return roam::capi::guarded(__func__, [&, api = __func__]() -> int {
    if (out == nullptr) return roam::capi::null_argument(api, "out");
    *out = nullptr;
    std::unique_ptr<roam_metadata> copy(new roam_metadata());
    if (md != nullptr) copy->owned.append(md->view());
    *out = copy.release();
    return ROAM_OK;
  });
}

int roam_metadata_add_string(roam_metadata *md, const char *key, size_t key_len,
                             const char *value, size_t value_len, uint64_t flags) {
  std::string_view k, v;
  if (!writable(md) || !text_arg(key, key_len, &k) || !text_arg(value, value_len, &v)) {
    return ROAM_EINVAL;
  }
  return roam::capi::guarded(__func__, [&]() -> int {
  md->owned.add_string(k, v, flags);
    md->changed();
    return ROAM_OK;
  });
}

int roam_metadata_add_bytes(roam_metadata *md, const char *key, size_t key_len,
                            const void *value, size_t value_len, uint64_t flags) {
  std::string_view k;
  if (!writable(md) || !text_arg(key, key_len, &k) || (value == nullptr && value_len != 0)) {
    return ROAM_EINVAL;
  }
  return roam::capi::guarded(__func__, [&]() -> int {
  md->owned.add_bytes(k, ByteView(static_cast<const uint8_t *>(value), value_len), flags);
    md->changed();
    return ROAM_OK;
  });
}

int roam_metadata_add_u64(roam_metadata *md, const char *key, size_t key_len, uint64_t value,
                          uint64_t flags) {
  std::string_view k;
  if (!writable(md) || !text_arg(key, key_len, &k)) return ROAM_EINVAL;
  return roam::capi::guarded(__func__, [&]() -> int {
  md->owned.add_u64(k, value, flags);
    md->changed();
    return ROAM_OK;
  });
}

size_t roam_metadata_count(const roam_metadata *md) {
  return md ? static_cast<size_t>(md->view().count()) : 0;
}

int roam_metadata_get(const roam_metadata *md, size_t index, const char **key, size_t *key_len,
                      int *kind, const uint8_t **value, size_t *value_len, uint64_t *u64,
                      uint64_t *flags) {
  if (md == nullptr) return ROAM_EINVAL;
  const MetadataEntry *e = md->entry(index);
  if (e == nullptr) return ROAM_ENOTFOUND;
  bool is_u64 = e->kind == roam::wire::MetadataKind::U64;
  if (key) *key = e->key.data();
  if (key_len) *key_len = e->key.size();
  if (kind) *kind = static_cast<int>(e->kind);
  if (value) *value = is_u64 ? nullptr : e->bytes.data;
  if (value_len) *value_len = is_u64 ? 0 : e->bytes.size;
  if (u64) *u64 = is_u64 ? e->u64 : 0;
  if (flags) *flags = e->flags;
  return ROAM_OK;
}

int roam_metadata_find(const roam_metadata *md, const char *key, size_t key_len) {
  std::string_view k;
  if (md == nullptr || !text_arg(key, key_len, &k)) return ROAM_EINVAL;
  for (size_t i = 0;; ++i) {
    const MetadataEntry *e = md->entry(i);
    if (e == nullptr) return ROAM_ENOTFOUND;
    if (e->key == k) return static_cast<int>(i);
  }
}

}  // extern "C"
