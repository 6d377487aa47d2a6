// Versions and error names.
#include "common/error_text.hpp"
#include "roam/roam.h"

#define ROAM_STR2(x) #x
#define ROAM_STR(x) ROAM_STR2(x)

extern "C" {

const char *roam_version(void) {
  return ROAM_STR(ROAM_VERSION_MAJOR) "." ROAM_STR(ROAM_VERSION_MINOR) "." ROAM_STR(
      ROAM_VERSION_PATCH);
}

unsigned roam_version_number(void) {
  return (ROAM_VERSION_MAJOR << 16) | (ROAM_VERSION_MINOR << 8) | ROAM_VERSION_PATCH;
}

uint32_t roam_protocol_version(void) { return ROAM_PROTOCOL_VERSION; }

const char *roam_strerror(int code) { return roam::error_text(code); }

const char *roam_err_name(int code) { return roam::error_name(code); }

}  // extern "C"
