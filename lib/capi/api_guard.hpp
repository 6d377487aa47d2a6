// The C boundary: nothing thrown inside libroam reaches the caller. Every
// exported function runs its body through one of these; std::bad_alloc
// becomes ROAM_ENOMEM and anything else ROAM_EINTERNAL, each with a detail
// for roam_last_error_detail().
#pragma once

#include <exception>
#include <new>

#include "capi/error_detail.hpp"
#include "roam/roam_errors.h"

namespace roam::capi {

// Records why an exception stopped `api` and returns its code.
inline int exception_code(const char *api) noexcept {
  try {
    throw;
  } catch (const std::bad_alloc &) {
    return fail_with_detail(ROAM_ENOMEM, "%s: out of memory", api);
  } catch (const std::exception &e) {
    return fail_with_detail(ROAM_EINTERNAL, "%s: internal error: %s", api, e.what());
  } catch (...) {
    return fail_with_detail(ROAM_EINTERNAL, "%s: internal error", api);
  }
}

// For functions returning a code.
template <class Fn>
int guarded(const char *api, Fn &&fn) noexcept {
  try {
    return fn();
  } catch (...) {
    return exception_code(api);
  }
}

// For functions returning a value (a pointer, a count) or nothing: on an
// exception they return `fallback` (the detail says why).
template <class T, class Fn>
T guarded_value(const char *api, T fallback, Fn &&fn) noexcept {
  try {
    return fn();
  } catch (...) {
    exception_code(api);
    return fallback;
  }
}

template <class Fn>
void guarded_void(const char *api, Fn &&fn) noexcept {
  try {
    fn();
  } catch (...) {
    exception_code(api);
  }
}

}  // namespace roam::capi
