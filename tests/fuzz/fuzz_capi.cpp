// Fuzzes the whole library through its public C API, as an application
// would use it, with no sockets and no loop: custom-transport sessions back
// to back or facing a hostile peer, driven by a program of traffic, clock
// ticks and user operations, some re-entrant from inside callbacks. The
// input language is in capi_input.hpp; the checks in capi_fuzz_harness.hpp.
#include <cstddef>
#include <cstdint>

#include "capi_fuzz_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  roam::fuzz::capi::CapiFuzzHarness harness(data, size);
  harness.run();
  return 0;
}
