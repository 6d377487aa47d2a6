#include "harness.h"

#include "wait.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void log_add(event_log *log, const char *fmt, ...) {
  if (log->count >= LOG_MAX) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(log->lines[log->count++], LINE_MAX_LEN, fmt, ap);
  va_end(ap);
}

int log_find(const event_log *log, const char *line, int from) {
  for (int i = from; i < log->count; ++i) {
    if (strcmp(log->lines[i], line) == 0) return i;
  }
  return -1;
}

int log_count_prefix(const event_log *log, const char *prefix) {
  int n = 0;
  size_t len = strlen(prefix);
  for (int i = 0; i < log->count; ++i) n += strncmp(log->lines[i], prefix, len) == 0;
  return n;
}

void log_dump(const event_log *log) {
  for (int i = 0; i < log->count; ++i) print_message("  [%d] %s\n", i, log->lines[i]);
}

void log_expect(const event_log *log, const char *line) {
  if (log_find(log, line, 0) >= 0) return;
  print_error("expected event: %s\nlog:\n", line);
  log_dump(log);
  fail();
}

int run_until(roam_runtime *rt, const int *flag, int timeout_ms) {
  wait_for(rt, flag, timeout_ms);
  return *flag;
}

int run_until_count(roam_runtime *rt, const int *counter, int target, int timeout_ms) {
  return wait_for_count(rt, counter, target, timeout_ms);
}

void run_for(roam_runtime *rt, int ms) {
  int never = 0;
  run_until(rt, &never, ms);
}

uint64_t conn_id_checked(const roam_conn *c) {
  uint64_t id = 0;
  assert_int_equal(roam_conn_id(c, &id), 0);
  return id;
}

roam_conn *session_root(roam_session *s) {
  roam_conn *root = NULL;
  assert_int_equal(roam_session_root(s, &root), 0);
  return root;
}

roam_metadata *md_string(const char *key, const char *value) {
  roam_metadata *md = NULL;
  assert_int_equal(roam_metadata_new(&md), 0);
  assert_int_equal(roam_metadata_add_string(md, key, ROAM_NTS, value, ROAM_NTS, 0), 0);
  return md;
}

void md_render(const roam_metadata *md, char *buf, size_t len) {
  size_t used = 0;
  buf[0] = '\0';
  size_t n = roam_metadata_count(md);
  for (size_t i = 0; i < n; ++i) {
    const char *key;
    size_t key_len, value_len;
    int kind;
    const uint8_t *value;
    uint64_t u64, flags;
    roam_metadata_get(md, i, &key, &key_len, &kind, &value, &value_len, &u64, &flags);
    int w;
    if (kind == ROAM_METADATA_U64) {
      w = snprintf(buf + used, len - used, "%s%.*s=%llu", i ? "," : "", (int)key_len, key,
                   (unsigned long long)u64);
    } else if (kind == ROAM_METADATA_STRING) {
      w = snprintf(buf + used, len - used, "%s%.*s=%.*s", i ? "," : "", (int)key_len, key,
                   (int)value_len, (const char *)value);
    } else {
      w = snprintf(buf + used, len - used, "%s%.*s=0x", i ? "," : "", (int)key_len, key);
      for (size_t k = 0; k < value_len && w > 0 && used + (size_t)w + 3 < len; ++k) {
        w += snprintf(buf + used + w, len - used - (size_t)w, "%02x", value[k]);
      }
    }
    if (w < 0 || used + (size_t)w >= len) break;
    used += (size_t)w;
  }
}

int raw_listen(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(fd, 8), 0);
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  *port = ntohs(a.sin_port);
  return fd;
}

static int read_exact(int fd, uint8_t *buf, size_t n, uint64_t deadline) {
  size_t got = 0;
  while (got < n) {
    int wait = (int)(deadline > now_ms() ? deadline - now_ms() : 0);
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, wait) <= 0) return -1;
    ssize_t r = read(fd, buf + got, n - got);
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

int raw_read_frame(int fd, uint8_t *buf, size_t cap, int timeout_ms) {
  uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
  uint8_t h[4];
  if (read_exact(fd, h, 4, deadline) != 0) return -1;
  uint32_t len = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
  if (len > cap) return -1;
  if (read_exact(fd, buf, len, deadline) != 0) return -1;
  return (int)len;
}

int raw_write_all(int fd, const void *buf, size_t len) {
  const uint8_t *p = buf;
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

int raw_at_eof(int fd, int timeout_ms) {
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return 0;
  char c;
  return read(fd, &c, 1) == 0;
}
