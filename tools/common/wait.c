#include "wait.h"

#include <poll.h>
#include <time.h>

unsigned long long now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000ull;
}

int wait_for_count(roam_runtime *rt, const int *counter, int target, int timeout_ms) {
  unsigned long long deadline = now_us() + (unsigned long long)timeout_ms * 1000ull;
  while (*counter < target && now_us() < deadline) {
    roam_runtime_run_nowait(rt);
    if (*counter >= target) break;
    /* Sleep in the loop's own poll set, at most until its next timer. */
    int wait = -1;
    if (roam_runtime_backend_timeout(rt, &wait) != 0 || wait < 0 || wait > 10) wait = 10;
    struct pollfd p = {roam_runtime_backend_fd(rt), POLLIN, 0};
    poll(&p, 1, wait);
  }
  return *counter >= target;
}

int wait_for(roam_runtime *rt, const int *flag, int timeout_ms) {
  return wait_for_count(rt, flag, 1, timeout_ms);
}
