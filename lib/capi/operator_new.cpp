// libroam.so's own operator new and delete: every C++ allocation of the
// library goes to roam_set_allocator's hooks (see allocator.hpp). The
// version script keeps these local to the library, so the program's
// allocations are never affected. Only the shared library is built with
// this file.
#include <new>

#include "capi/allocator.hpp"

extern "C" {
// Tells allocator.cpp that operator new is routed in this build.
extern const int roam_internal_operator_new_routed;
const int roam_internal_operator_new_routed = 1;
}

namespace {

void *allocate_or_throw(std::size_t size) {
  void *p = roam::capi::allocate(size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

void *operator new(std::size_t size) { return allocate_or_throw(size); }
void *operator new[](std::size_t size) { return allocate_or_throw(size); }
void *operator new(std::size_t size, const std::nothrow_t &) noexcept {
  return roam::capi::allocate(size);
}
void *operator new[](std::size_t size, const std::nothrow_t &) noexcept {
  return roam::capi::allocate(size);
}
void operator delete(void *p) noexcept { roam::capi::deallocate(p); }
void operator delete[](void *p) noexcept { roam::capi::deallocate(p); }
void operator delete(void *p, std::size_t) noexcept { roam::capi::deallocate(p); }
void operator delete[](void *p, std::size_t) noexcept { roam::capi::deallocate(p); }
void operator delete(void *p, const std::nothrow_t &) noexcept { roam::capi::deallocate(p); }
void operator delete[](void *p, const std::nothrow_t &) noexcept { roam::capi::deallocate(p); }
