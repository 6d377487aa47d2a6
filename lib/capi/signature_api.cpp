// roam_sig_* — describing a method signature for roam_method_id.
#include <cstring>
#include <new>
#include <string_view>

#include "capi/api_guard.hpp"
#include "hash/signature_builder.hpp"
#include "roam/roam_method_id.h"

namespace sig = roam::hash::sig;
using roam::hash::SignatureBuilder;
using roam::hash::SigStatus;

struct roam_sig_builder {
  SignatureBuilder sig;
};

namespace {

using NamedStep = SigStatus (SignatureBuilder::*)(std::string_view);
using CountedStep = SigStatus (SignatureBuilder::*)(std::string_view, uint64_t);

// Runs one builder step: the NULL check, and the step's refusal turned
// into a code with its detail.
template <class Step>
int build(const char *api, roam_sig_builder *b, Step &&step) {
  return roam::capi::guarded(api, [&]() -> int {
    if (b == nullptr) return roam::capi::null_argument(api, "b");
    SigStatus s = step(b->sig);
    return s ? ROAM_OK : roam::capi::fail_with_detail(s.code, "%s: %s", api, s.why);
  });
}

// A step taking a name (a ROAM_NTS-able string) and maybe a count.
int build_named(const char *api, roam_sig_builder *b, const char *name, size_t len,
                NamedStep step) {
  if (name == nullptr) return roam::capi::null_argument(api, "name");
  std::string_view view(name, len == ROAM_NTS ? std::strlen(name) : len);
  return build(api, b, [&](SignatureBuilder &sig) { return (sig.*step)(view); });
}

int build_counted(const char *api, roam_sig_builder *b, const char *name, size_t len,
                  uint64_t count, CountedStep step) {
  if (name == nullptr) return roam::capi::null_argument(api, "name");
  std::string_view view(name, len == ROAM_NTS ? std::strlen(name) : len);
  return build(api, b, [&](SignatureBuilder &sig) { return (sig.*step)(view, count); });
}

int build_wrapper(const char *api, roam_sig_builder *b, uint8_t tag) {
  return build(api, b, [&](SignatureBuilder &sig) { return sig.wrapper(tag); });
}

}  // namespace

extern "C" {

int roam_sig_builder_new(roam_sig_builder **out) {
  return roam::capi::guarded(__func__, [&, api = __func__]() -> int {
    if (out == nullptr) return roam::capi::null_argument(api, "out");
    *out = new roam_sig_builder();
    return ROAM_OK;
  });
}

void roam_sig_builder_free(roam_sig_builder *b) { delete b; }

int roam_sig_builder_reset(roam_sig_builder *b) {
  return build(__func__, b, [](SignatureBuilder &sig) {
    sig = SignatureBuilder();
    return SigStatus{};
  });
}

int roam_sig_primitive(roam_sig_builder *b, int type) {
  return build(__func__, b, [&](SignatureBuilder &sig) {
    return type < 0 || type > 0xff ? sig.primitive(0) : sig.primitive(static_cast<uint8_t>(type));
  });
}

int roam_sig_list(roam_sig_builder *b) { return build_wrapper(__func__, b, sig::kList); }
int roam_sig_option(roam_sig_builder *b) { return build_wrapper(__func__, b, sig::kOption); }
int roam_sig_set(roam_sig_builder *b) { return build_wrapper(__func__, b, sig::kSet); }
int roam_sig_tx(roam_sig_builder *b) { return build_wrapper(__func__, b, sig::kTx); }
int roam_sig_rx(roam_sig_builder *b) { return build_wrapper(__func__, b, sig::kRx); }

int roam_sig_map(roam_sig_builder *b) {
  return build(__func__, b, [](SignatureBuilder &sig) { return sig.map(); });
}

int roam_sig_array(roam_sig_builder *b, uint64_t len) {
  return build(__func__, b, [&](SignatureBuilder &sig) { return sig.array(len); });
}

int roam_sig_tuple(roam_sig_builder *b, size_t count) {
  return build(__func__, b, [&](SignatureBuilder &sig) { return sig.tuple(count); });
}

int roam_sig_tuple_struct(roam_sig_builder *b, const char *type_name, size_t type_name_len,
                          size_t count) {
  return build_counted(__func__, b, type_name, type_name_len, count,
                       &SignatureBuilder::tuple_struct);
}

int roam_sig_struct(roam_sig_builder *b, const char *type_name, size_t type_name_len,
                    size_t field_count) {
  return build_counted(__func__, b, type_name, type_name_len, field_count,
                       &SignatureBuilder::structure);
}

int roam_sig_field(roam_sig_builder *b, const char *name, size_t name_len) {
  return build_named(__func__, b, name, name_len, &SignatureBuilder::field);
}

int roam_sig_enum(roam_sig_builder *b, const char *type_name, size_t type_name_len,
                  size_t variant_count) {
  return build_counted(__func__, b, type_name, type_name_len, variant_count,
                       &SignatureBuilder::enumeration);
}

int roam_sig_variant_unit(roam_sig_builder *b, const char *name, size_t name_len) {
  return build_named(__func__, b, name, name_len, &SignatureBuilder::variant_unit);
}

int roam_sig_variant_newtype(roam_sig_builder *b, const char *name, size_t name_len) {
  return build_named(__func__, b, name, name_len, &SignatureBuilder::variant_newtype);
}

int roam_sig_variant_tuple(roam_sig_builder *b, const char *name, size_t name_len, size_t count) {
  return build_counted(__func__, b, name, name_len, count, &SignatureBuilder::variant_tuple);
}

int roam_sig_variant_struct(roam_sig_builder *b, const char *name, size_t name_len,
                            size_t field_count) {
  return build_counted(__func__, b, name, name_len, field_count,
                       &SignatureBuilder::variant_struct);
}

int roam_sig_ref(roam_sig_builder *b, const char *type_name, size_t type_name_len) {
  return build_named(__func__, b, type_name, type_name_len, &SignatureBuilder::back_reference);
}

int roam_sig_finish(roam_sig_builder *b, const uint8_t **bytes, size_t *len) {
  if (bytes == nullptr) return roam::capi::null_argument(__func__, "bytes");
  if (len == nullptr) return roam::capi::null_argument(__func__, "len");
  return build(__func__, b, [&](SignatureBuilder &sig) {
    SigStatus s = sig.complete();
    if (s) {
      *bytes = sig.bytes().data();
      *len = sig.bytes().size();
    }
    return s;
  });
}

}  // extern "C"
