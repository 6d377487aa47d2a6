// Tracing for triage: with ROAM_FUZZ_TRACE=1 in the environment, a target
// run on a single reproducer prints what it does and what it is told, one
// line each. Off (one branch) while fuzzing.
#pragma once

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace roam::fuzz {

inline bool tracing() {
  static const bool on = std::getenv("ROAM_FUZZ_TRACE") != nullptr;
  return on;
}

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
inline void trace(const char *fmt, ...) {
  if (!tracing()) return;
  va_list args;
  va_start(args, fmt);
  std::vfprintf(stderr, fmt, args);
  va_end(args);
  std::fputc('\n', stderr);
}

}  // namespace roam::fuzz
