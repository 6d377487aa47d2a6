// Fuzzes the session core with its per-connection RPC drivers, sans I/O:
// a valid handshake, then a program of peer traffic (raw bytes and
// well-formed messages), transport events, clock ticks and local
// operations, some of them re-entrant from inside callbacks. The input
// language is in session_input.hpp; the checks in session_fuzz_harness.hpp.
#include <cstddef>
#include <cstdint>

#include "session_fuzz_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  roam::fuzz::SessionFuzzHarness harness(data, size);
  harness.run();
  return 0;
}
