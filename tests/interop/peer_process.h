/* The Rust reference peer as a child process: spawned with its arguments,
 * its stdout read line by line (without blocking our loop), and its end
 * waited for. See tests/interop/peer/SCENARIOS.md for its line protocol. */
#ifndef ROAM_INTEROP_PEER_PROCESS_H
#define ROAM_INTEROP_PEER_PROCESS_H

#include <sys/types.h>

#include <roam/roam.h>

#define PEER_MAX_LINES 2048

typedef struct {
  pid_t pid;
  int out_fd;
  char partial[4096];
  size_t partial_len;
  char *lines[PEER_MAX_LINES];
  int line_count;
  int exited;
  int exit_status;  /* exit code, or 128 + signal */
} peer_process;

/* Starts `argv[0]` with argv (NULL-terminated); stderr is inherited. */
int peer_start(peer_process *p, char *const argv[]);
/* Reads whatever output is ready (never blocks). */
void peer_poll(peer_process *p);
/* Runs the roam loop (rt may be NULL) until a line starting with `prefix`
 * appeared at index >= *from, or the timeout; returns the line (and moves
 * *from past it) or NULL. */
const char *peer_wait_line(peer_process *p, roam_runtime *rt, const char *prefix, int *from,
                           int timeout_ms);
/* Runs the loop and reads the peer's output for about ms milliseconds. */
void peer_pump(peer_process *p, roam_runtime *rt, int ms);
/* First line starting with `prefix`, or NULL. */
const char *peer_find_line(const peer_process *p, const char *prefix);
/* Runs the loop until the process exits (or the timeout, then kills it);
 * returns its exit status. */
int peer_wait_exit(peer_process *p, roam_runtime *rt, int timeout_ms);
void peer_kill(peer_process *p, int sig);
void peer_dump(const peer_process *p);
void peer_free(peer_process *p);

#endif
