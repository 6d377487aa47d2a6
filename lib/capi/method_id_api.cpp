// roam_method_id — method ids as the Rust crates compute them.
#include <cstring>
#include <string_view>

#include "capi/api_guard.hpp"
#include "hash/method_id.hpp"
#include "roam/roam_method_id.h"

extern "C" {

int roam_method_id(const char *service, size_t service_len, const char *method,
                   size_t method_len, const uint8_t *signature, size_t signature_len,
                   uint64_t *id) {
  return roam::capi::guarded(__func__, [&, api = __func__]() -> int {
    if (id == nullptr) return roam::capi::null_argument(api, "id");
    if (service == nullptr) return roam::capi::null_argument(api, "service");
    if (method == nullptr) return roam::capi::null_argument(api, "method");
    if (signature == nullptr && signature_len != 0) {
      return roam::capi::null_argument(api, "signature");
    }
    if (service_len == ROAM_NTS) service_len = std::strlen(service);
    if (method_len == ROAM_NTS) method_len = std::strlen(method);
    if (!roam::hash::method_id(std::string_view(service, service_len),
                               std::string_view(method, method_len), signature, signature_len,
                               id)) {
      return roam::capi::fail_with_detail(ROAM_EINVAL, "%s: names must be ASCII", api);
    }
    return ROAM_OK;
  });
}

}  // extern "C"
