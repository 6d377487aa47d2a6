// The allocator every allocation of libroam goes through (roam_set_allocator).
//
// In the shared library, C++ allocation itself is routed: libroam.so has
// its own operator new / delete (operator_new.cpp), local to the library
// by the version script, so every `new`, container and std::string of
// ours lands here, and nothing of the host program's does. The library is
// compiled with _GLIBCXX_ASSERTIONS, which (besides its bounds checks)
// makes libstdc++ instantiate std::string inside our objects instead of
// using the copies in libstdc++.so that would allocate with the global
// operator new: memory never crosses between the two allocators.
#pragma once

#include <cstddef>

namespace roam::capi {

void *allocate(size_t size) noexcept;    // the malloc hook; null when it fails
void deallocate(void *ptr) noexcept;     // the free hook
// Whether operator new is routed here (the shared library; a static
// libroam.a leaves operator new to the program).
bool allocation_is_routed() noexcept;

}  // namespace roam::capi
