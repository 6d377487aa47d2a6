/* An LD_PRELOAD allocation counter for the benchmark's server processes
 * (libroam, the Rust reference, gRPC, the plain echo server alike).
 *
 * Counts malloc / calloc / realloc / aligned allocations and frees of the
 * whole process, and the live heap bytes (malloc_usable_size of what is
 * allocated minus what is freed), with relaxed atomics (servers may be
 * multi-threaded). With ROAM_ALLOC_STATS=FILE in the environment, every
 * SIGUSR1 appends one line to FILE:
 *
 *   STATS allocs=A frees=F live_bytes=L rss_kb=R
 *
 * A client takes two such marks around its measured window and divides
 * the difference by the calls (or items) made in between. Everything the
 * signal handler does is async-signal-safe (atomic loads, open/read of
 * /proc/self/statm, write). Without ROAM_ALLOC_STATS nothing is installed
 * and the counters are just kept. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static uint64_t g_allocs, g_frees;
static int64_t g_live;
static int g_out = -1;

static void count_alloc(void *p) {
  if (p == NULL) return;
  __atomic_fetch_add(&g_allocs, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&g_live, (int64_t)malloc_usable_size(p), __ATOMIC_RELAXED);
}

static void count_free(void *p) {
  if (p == NULL) return;
  __atomic_fetch_add(&g_frees, 1, __ATOMIC_RELAXED);
  __atomic_fetch_sub(&g_live, (int64_t)malloc_usable_size(p), __ATOMIC_RELAXED);
}

void *malloc(size_t n) {
  void *p = __libc_malloc(n);
  count_alloc(p);
  return p;
}

void *calloc(size_t count, size_t n) {
  void *p = __libc_calloc(count, n);
  count_alloc(p);
  return p;
}

void *realloc(void *old, size_t n) {
  if (old == NULL) return malloc(n);
  if (n == 0) {
    free(old);
    return NULL;
  }
  size_t before = malloc_usable_size(old);
  void *p = __libc_realloc(old, n);
  if (p == NULL) return NULL;
  __atomic_fetch_add(&g_allocs, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&g_live, (int64_t)malloc_usable_size(p) - (int64_t)before, __ATOMIC_RELAXED);
  return p;
}

void free(void *p) {
  count_free(p);
  __libc_free(p);
}

void *memalign(size_t align, size_t n) {
  void *p = __libc_memalign(align, n);
  count_alloc(p);
  return p;
}

void *aligned_alloc(size_t align, size_t n) { return memalign(align, n); }

int posix_memalign(void **out, size_t align, size_t n) {
  if (align < sizeof(void *) || (align & (align - 1)) != 0) return EINVAL;
  void *p = memalign(align, n);
  if (p == NULL) return ENOMEM;
  *out = p;
  return 0;
}

void *valloc(size_t n) { return memalign((size_t)sysconf(_SC_PAGESIZE), n); }

/* ---- the SIGUSR1 report ------------------------------------------------------------ */

static char *put_u64(char *at, uint64_t v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) *at++ = tmp[--n];
  return at;
}

static char *put_str(char *at, const char *s) {
  while (*s) *at++ = *s++;
  return at;
}

static uint64_t rss_kb(void) {
  int fd = open("/proc/self/statm", O_RDONLY);
  if (fd < 0) return 0;
  char buf[128];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  const char *p = buf;
  while (*p && *p != ' ') ++p; /* skip size */
  while (*p == ' ') ++p;
  uint64_t pages = 0;
  while (*p >= '0' && *p <= '9') pages = pages * 10 + (uint64_t)(*p++ - '0');
  return pages * (uint64_t)(sysconf(_SC_PAGESIZE) / 1024);
}

static void on_usr1(int sig) {
  (void)sig;
  int saved = errno;
  char line[160], *at = line;
  at = put_str(at, "STATS allocs=");
  at = put_u64(at, __atomic_load_n(&g_allocs, __ATOMIC_RELAXED));
  at = put_str(at, " frees=");
  at = put_u64(at, __atomic_load_n(&g_frees, __ATOMIC_RELAXED));
  at = put_str(at, " live_bytes=");
  int64_t live = __atomic_load_n(&g_live, __ATOMIC_RELAXED);
  at = put_u64(at, live > 0 ? (uint64_t)live : 0);
  at = put_str(at, " rss_kb=");
  at = put_u64(at, rss_kb());
  *at++ = '\n';
  if (g_out >= 0) {
    ssize_t unused = write(g_out, line, (size_t)(at - line));
    (void)unused;
  }
  errno = saved;
}

__attribute__((constructor)) static void shim_init(void) {
  const char *path = getenv("ROAM_ALLOC_STATS");
  if (path == NULL || *path == 0) return;
  g_out = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (g_out < 0) return;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);
}
