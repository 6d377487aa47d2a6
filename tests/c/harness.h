/* Shared helpers for the C tests of the public ABI: running the loop until
 * something happened (with a deadline, so no test can hang), an event log
 * to assert order, and scripted raw-socket peers for misbehaviour tests. */
#ifndef ROAM_TEST_HARNESS_H
#define ROAM_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <roam/roam.h>

#define LOG_MAX 4096
#define LINE_MAX_LEN 200

typedef struct {
  char lines[LOG_MAX][LINE_MAX_LEN];
  int count;
} event_log;

void log_add(event_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Index of the first line equal to `line` at or after `from`, or -1. */
int log_find(const event_log *log, const char *line, int from);
int log_count_prefix(const event_log *log, const char *prefix);
void log_dump(const event_log *log);
/* Fails the test (printing the log) unless `line` is in the log. */
void log_expect(const event_log *log, const char *line);

/* Runs the loop until *flag is non-zero or timeout_ms passes; returns the
 * final *flag. Never blocks longer than a few ms at a time. */
int run_until(roam_runtime *rt, const int *flag, int timeout_ms);
/* Runs the loop until *counter >= target or timeout_ms passes; returns 1 if
 * reached. */
int run_until_count(roam_runtime *rt, const int *counter, int target, int timeout_ms);
/* Runs the loop for ms milliseconds. */
void run_for(roam_runtime *rt, int ms);

/* roam_conn_id and roam_session_root, failing the test on an error. */
uint64_t conn_id_checked(const roam_conn *c);
roam_conn *session_root(roam_session *s);

/* Metadata helpers. */
roam_metadata *md_string(const char *key, const char *value);
/* "k=v,k2=v2" rendering of a list (strings and u64; bytes as hex). */
void md_render(const roam_metadata *md, char *buf, size_t len);

/* A listening loopback TCP socket (blocking) for raw peers: returns its fd
 * and writes the port. */
int raw_listen(int *port);
/* Reads one roam frame (u32 LE length + payload) with a timeout; returns
 * the payload length, -1 on EOF/timeout. */
int raw_read_frame(int fd, uint8_t *buf, size_t cap, int timeout_ms);
int raw_write_all(int fd, const void *buf, size_t len);
/* 1 if the peer closed (read returns 0) within timeout_ms. */
int raw_at_eof(int fd, int timeout_ms);

#endif
