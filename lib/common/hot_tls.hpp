// ROAM_HOT_TLS: the TLS model for the few small thread-locals read on every
// call (a fixed offset from the thread pointer instead of a __tls_get_addr
// call per access in a shared library). Initial-exec takes room in the
// static TLS block; a library loaded later with dlopen (Python's ctypes,
// Ruby's ffi) gets it from the surplus glibc reserves for that, which these
// few words fit in easily. Nothing large may use it.
#pragma once

#if defined(__GNUC__) && !defined(_WIN32)
#define ROAM_HOT_TLS __attribute__((tls_model("initial-exec")))
#else
#define ROAM_HOT_TLS
#endif
