/* Running a roam runtime until something happened, with a deadline, for
 * the command-line tools (single-threaded, step by step programs). */
#ifndef ROAM_TOOLS_WAIT_H
#define ROAM_TOOLS_WAIT_H

#include <roam/roam.h>

/* Runs the loop until *flag != 0 or timeout_ms passes; returns *flag. */
int wait_for(roam_runtime *rt, const int *flag, int timeout_ms);
/* Runs the loop until *counter >= target or timeout_ms passes. */
int wait_for_count(roam_runtime *rt, const int *counter, int target, int timeout_ms);
/* Monotonic microseconds. */
unsigned long long now_us(void);

#endif
