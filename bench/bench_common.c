#define _GNU_SOURCE
#include "bench_common.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t task_cpu_ns(int pid, const char *tid) {
  char path[96];
  snprintf(path, sizeof path, "/proc/%d/task/%s/schedstat", pid, tid);
  FILE *f = fopen(path, "r");
  unsigned long long ns = 0;
  if (f) {
    if (fscanf(f, "%llu", &ns) != 1) ns = 0;
    fclose(f);
    return ns;
  }
  /* No schedstat: utime + stime in clock ticks. */
  snprintf(path, sizeof path, "/proc/%d/task/%s/stat", pid, tid);
  f = fopen(path, "r");
  if (!f) return 0;
  char line[1024];
  if (!fgets(line, sizeof line, f)) line[0] = 0;
  fclose(f);
  const char *p = strrchr(line, ')');
  unsigned long long ut = 0, st = 0;
  if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2)
    return (ut + st) * (1000000000ull / (unsigned long long)sysconf(_SC_CLK_TCK));
  return 0;
}

uint64_t bench_proc_cpu_ns(int pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR *d = opendir(path);
  if (!d) return 0;
  uint64_t total = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    total += task_cpu_ns(pid, e->d_name);
  }
  closedir(d);
  return total;
}

uint64_t bench_proc_rss_kb(int pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char line[256];
  unsigned long long kb = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %llu", &kb) == 1) break;
  fclose(f);
  return kb;
}

static int count_lines(const char *file, char *last, size_t last_size) {
  FILE *f = fopen(file, "r");
  if (!f) return 0;
  int n = 0;
  char line[256];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "STATS ", 6) != 0) continue;
    ++n;
    if (last) snprintf(last, last_size, "%s", line);
  }
  fclose(f);
  return n;
}

int bench_server_mark(int pid, const char *file, bench_stats *out) {
  memset(out, 0, sizeof *out);
  if (pid <= 0 || file == NULL) return 0;
  int before = count_lines(file, NULL, 0);
  if (kill(pid, SIGUSR1) != 0) return 0;
  char last[256];
  for (int i = 0; i < 2000; ++i) {
    if (count_lines(file, last, sizeof last) > before) {
      unsigned long long a, f, l, r;
      if (sscanf(last, "STATS allocs=%llu frees=%llu live_bytes=%llu rss_kb=%llu", &a, &f, &l, &r) == 4) {
        out->ok = 1;
        out->allocs = a, out->frees = f, out->live_bytes = l, out->rss_kb = r;
      }
      return out->ok;
    }
    usleep(1000);
  }
  return 0;
}

void bench_probe_begin(bench_probe *p) {
  if (p->pid <= 0) return;
  bench_server_mark(p->pid, p->stats_file, &p->s0);
  p->cpu0_ns = bench_proc_cpu_ns(p->pid);
}

void bench_probe_end(bench_probe *p) {
  if (p->pid <= 0) return;
  p->cpu_ns = bench_proc_cpu_ns(p->pid) - p->cpu0_ns;
  bench_server_mark(p->pid, p->stats_file, &p->s1);
}

void bench_lat_init(bench_lat *l, size_t cap) {
  l->v = malloc((cap ? cap : 1) * sizeof *l->v);
  l->n = 0;
  l->cap = cap;
}

void bench_lat_add(bench_lat *l, uint64_t ns) {
  if (l->n < l->cap) l->v[l->n++] = ns;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

void bench_lat_sort(bench_lat *l) { qsort(l->v, l->n, sizeof *l->v, cmp_u64); }

double bench_lat_pct_us(const bench_lat *l, double q) {
  if (l->n == 0) return 0;
  size_t i = (size_t)(q * (double)(l->n - 1) + 0.5);
  if (i >= l->n) i = l->n - 1;
  return (double)l->v[i] / 1000.0;
}

void bench_lat_write(const bench_lat *l, const char *path) {
  if (path == NULL || l->n == 0) return;
  FILE *f = fopen(path, "w");
  if (!f) return;
  size_t points = l->n < 2000 ? l->n : 2000;
  for (size_t k = 0; k < points; ++k) {
    size_t i = points == 1 ? 0 : k * (l->n - 1) / (points - 1);
    fprintf(f, "%.3f\n", (double)l->v[i] / 1000.0);
  }
  fclose(f);
}

void bench_result_begin(uint64_t ops, double seconds) {
  printf("RESULT ops=%llu seconds=%.6f rate=%.1f", (unsigned long long)ops, seconds,
         seconds > 0 ? (double)ops / seconds : 0.0);
}

void bench_result_kv(const char *key, double value) { printf(" %s=%.6g", key, value); }

void bench_result_lat(const bench_lat *l) {
  if (l->n == 0) return;
  bench_result_kv("p50_us", bench_lat_pct_us(l, 0.50));
  bench_result_kv("p99_us", bench_lat_pct_us(l, 0.99));
  bench_result_kv("p999_us", bench_lat_pct_us(l, 0.999));
}

void bench_result_probe(const bench_probe *p, uint64_t ops) {
  if (p->pid <= 0 || ops == 0) return;
  bench_result_kv("server_cpu_us_per_op", (double)p->cpu_ns / 1000.0 / (double)ops);
  if (p->s0.ok && p->s1.ok) {
    bench_result_kv("allocs_per_op", (double)(p->s1.allocs - p->s0.allocs) / (double)ops);
    bench_result_kv("server_allocs", (double)(p->s1.allocs - p->s0.allocs));
  }
}

void bench_result_end(void) {
  printf("\n");
  fflush(stdout);
}

const char *bench_opt(int argc, char **argv, const char *name, const char *fallback) {
  for (int i = 0; i + 1 < argc; ++i)
    if (strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}

long long bench_opt_ll(int argc, char **argv, const char *name, long long fallback) {
  const char *v = bench_opt(argc, argv, name, NULL);
  return v ? strtoll(v, NULL, 0) : fallback;
}

void bench_raise_nofile(void) {
  struct rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return;
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
}

int bench_split_tcp(const char *addr, char *host, size_t host_size, const char **port) {
  if (strncmp(addr, "tcp://", 6) != 0) return -1;
  snprintf(host, host_size, "%s", addr + 6);
  char *colon = strrchr(host, ':');
  if (colon == NULL) return -1;
  *colon = 0;
  *port = colon + 1;
  return 0;
}
