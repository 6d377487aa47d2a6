// The words behind a ROAM_E* code: roam_last_error_detail().
//
// Like errno, one per thread and only ever written by a failing call, so
// a caller can look at it after the code told it something went wrong
// (and a later successful call does not hide why the earlier one failed).
// Stored in a fixed thread-local buffer: recording a detail can neither
// allocate nor throw, so it is safe on every failure path, out-of-memory
// ones included, and from any thread (the options setters are callable
// from any).
#pragma once

namespace roam::capi {

// Records a printf-style detail for this thread and returns `code`, so a
// failing path reads `return fail_with_detail(ROAM_EINVAL, "...", ...)`.
// A detail too long for the buffer is cut at a UTF-8 character boundary
// and ends in "...".
int fail_with_detail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// For the NULL-argument checks: "roam_listener_new: address is NULL".
int null_argument(const char *function, const char *argument);

// This thread's last detail ("" when none was recorded).
const char *error_detail();

}  // namespace roam::capi
