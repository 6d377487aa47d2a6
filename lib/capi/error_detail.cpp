#include "capi/error_detail.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "roam/roam.h"

namespace {

// Long enough for a message quoting an address twice (a Unix socket path
// is at most 107 bytes; a host name at most 253).
constexpr size_t kDetailCapacity = 1024;

thread_local char t_detail[kDetailCapacity];

void mark_truncated(char *buf, size_t capacity) {
  constexpr char kEllipsis[] = "...";
  size_t cut = capacity - sizeof kEllipsis;
  // Never leave half a UTF-8 sequence: bindings decode this as UTF-8.
  while (cut > 0 && (static_cast<unsigned char>(buf[cut]) & 0xC0) == 0x80) --cut;
  std::memcpy(buf + cut, kEllipsis, sizeof kEllipsis);
}

}  // namespace

namespace roam::capi {

int fail_with_detail(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(t_detail, kDetailCapacity, fmt, ap);
  va_end(ap);
  if (n < 0) {
    t_detail[0] = '\0';
  } else if (static_cast<size_t>(n) >= kDetailCapacity) {
    mark_truncated(t_detail, kDetailCapacity);
  }
  return code;
}

int null_argument(const char *function, const char *argument) {
  return fail_with_detail(ROAM_EINVAL, "%s: %s is NULL", function, argument);
}

const char *error_detail() { return t_detail; }

}  // namespace roam::capi

extern "C" const char *roam_last_error_detail(void) { return roam::capi::error_detail(); }
