// roam_set_allocator and the hooks behind roam::capi::allocate.
#include "capi/allocator.hpp"

#include <atomic>
#include <cstdlib>

#include "capi/error_detail.hpp"
#include "roam/roam.h"

// Defined by operator_new.cpp, which only the shared library contains.
extern "C" const int roam_internal_operator_new_routed __attribute__((weak));

namespace {

struct Hooks {
  roam_malloc_fn malloc_fn;
  roam_realloc_fn realloc_fn;
  roam_calloc_fn calloc_fn;
  roam_free_fn free_fn;
};

const Hooks kSystem = {std::malloc, std::realloc, std::calloc, std::free};

// Read on every allocation, written only while nothing is allocated (so
// no allocation can be in flight with the old hooks: the count says so).
std::atomic<const Hooks *> g_hooks{&kSystem};
Hooks g_custom;
// Blocks allocated and not yet freed, all threads together.
std::atomic<long> g_live{0};

}  // namespace

namespace roam::capi {

void *allocate(size_t size) noexcept {
  void *p = g_hooks.load(std::memory_order_acquire)->malloc_fn(size == 0 ? 1 : size);
  if (p != nullptr) g_live.fetch_add(1, std::memory_order_relaxed);
  return p;
}

void deallocate(void *ptr) noexcept {
  if (ptr == nullptr) return;
  g_live.fetch_sub(1, std::memory_order_relaxed);
  g_hooks.load(std::memory_order_acquire)->free_fn(ptr);
}

bool allocation_is_routed() noexcept { return &roam_internal_operator_new_routed != nullptr; }

}  // namespace roam::capi

extern "C" {

int roam_set_allocator(roam_malloc_fn malloc_fn, roam_realloc_fn realloc_fn,
                       roam_calloc_fn calloc_fn, roam_free_fn free_fn) {
  int given = (malloc_fn != nullptr) + (realloc_fn != nullptr) + (calloc_fn != nullptr) +
              (free_fn != nullptr);
  if (given != 0 && given != 4) {
    return roam::capi::fail_with_detail(ROAM_EINVAL,
                                        "roam_set_allocator: give all four functions, or none "
                                        "to restore malloc, realloc, calloc and free");
  }
  if (!roam::capi::allocation_is_routed()) {
    return roam::capi::fail_with_detail(
        ROAM_ESTATE,
        "roam_set_allocator: the static libroam.a allocates with the program's operator new; "
        "replace that, or link the shared library");
  }
  long live = g_live.load(std::memory_order_acquire);
  if (live != 0) {
    return roam::capi::fail_with_detail(
        ROAM_ESTATE,
        "roam_set_allocator: libroam still holds %ld blocks from the current allocator: set it "
        "before creating anything, or after freeing everything",
        live);
  }
  if (given == 0) {
    g_hooks.store(&kSystem, std::memory_order_release);
  } else {
    g_custom = Hooks{malloc_fn, realloc_fn, calloc_fn, free_fn};
    g_hooks.store(&g_custom, std::memory_order_release);
  }
  return ROAM_OK;
}

}  // extern "C"
