// Triage aids, both from the environment:
//  - ROAM_FUZZ_TRACE=1: a target run on a single reproducer prints what it
//    does and what it is told, one line each. Off (one branch) while fuzzing.
//  - ROAM_FUZZ_TOLERATE=tag,tag: checks for library bugs that are reported
//    (reproducer in regressions/) but not fixed yet are skipped, so a
//    campaign can look past them. Never set for the regression replay.
#pragma once

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace roam::fuzz {

inline bool tracing() {
  static const bool on = std::getenv("ROAM_FUZZ_TRACE") != nullptr;
  return on;
}

// Whether the known bug `tag` is to be looked past in this run.
inline bool tolerated(const char *tag) {
  static const char *list = std::getenv("ROAM_FUZZ_TOLERATE");
  if (list == nullptr) return false;
  const char *hit = std::strstr(list, tag);
  size_t n = std::strlen(tag);
  return hit != nullptr && (hit == list || hit[-1] == ',') && (hit[n] == '\0' || hit[n] == ',');
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
