// The public codec structs carry their size (design.md: a public struct
// starts with a size field so it can grow): _init refuses a caller's
// struct shorter than the one this library was built with.
#pragma once

#include <cstddef>

#include "capi/error_detail.hpp"
#include "roam/roam_errors.h"

namespace roam::postcard {

inline int struct_too_small(const char *api, size_t given, size_t needed) {
  return capi::fail_with_detail(ROAM_EINVAL,
                                "%s: size %zu is smaller than this libroam's struct (%zu bytes): "
                                "pass sizeof of the struct",
                                api, given, needed);
}

}  // namespace roam::postcard
