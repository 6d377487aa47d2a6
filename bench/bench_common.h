/* What every benchmark client shares: clocks, latency percentiles, and the
 * probe of the server process (its CPU time from /proc, and its heap counts
 * from alloc_shim.so's SIGUSR1 report), printed on one RESULT line:
 *
 *   RESULT ops=N seconds=S rate=R [p50_us=… p99_us=… p999_us=…]
 *          [server_cpu_us_per_op=…] [allocs_per_op=…] …
 *
 * (key=value pairs, read by bench/suite.sh). */
#ifndef ROAM_BENCH_COMMON_H
#define ROAM_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

uint64_t bench_now_ns(void);

/* One alloc_shim report. */
typedef struct {
  int ok;
  uint64_t allocs, frees, live_bytes, rss_kb;
} bench_stats;

/* The server being measured: pid (0 = none) and the file its shim reports
 * to (NULL = no shim). */
typedef struct {
  int pid;
  const char *stats_file;
  uint64_t cpu0_ns;
  bench_stats s0;
  /* filled by bench_probe_end */
  uint64_t cpu_ns;
  bench_stats s1;
} bench_probe;

/* CPU time (user + system) of every thread of pid so far, in ns. */
uint64_t bench_proc_cpu_ns(int pid);
/* Resident set of pid in KiB (/proc/PID/status VmRSS). */
uint64_t bench_proc_rss_kb(int pid);
/* Asks the shim of pid for a report (SIGUSR1) and waits for it (2 s). */
int bench_server_mark(int pid, const char *file, bench_stats *out);
/* Opens the measured window / closes it. */
void bench_probe_begin(bench_probe *p);
void bench_probe_end(bench_probe *p);

/* Latency samples, in ns. */
typedef struct {
  uint64_t *v;
  size_t n, cap;
} bench_lat;
void bench_lat_init(bench_lat *l, size_t cap);
void bench_lat_add(bench_lat *l, uint64_t ns);
/* Sorts; then bench_lat_pct(l, 0.99) is the 99th percentile in µs. */
void bench_lat_sort(bench_lat *l);
double bench_lat_pct_us(const bench_lat *l, double q);
/* Writes at most 2,000 evenly spaced sorted samples (µs), one per line. */
void bench_lat_write(const bench_lat *l, const char *path);

/* The RESULT line: starts it, adds pairs, ends it. */
void bench_result_begin(uint64_t ops, double seconds);
void bench_result_kv(const char *key, double value);
void bench_result_lat(const bench_lat *l);
void bench_result_probe(const bench_probe *p, uint64_t ops);
void bench_result_end(void);

/* Common flags: "--name VALUE". */
const char *bench_opt(int argc, char **argv, const char *name, const char *fallback);
long long bench_opt_ll(int argc, char **argv, const char *name, long long fallback);

/* Raises RLIMIT_NOFILE to its hard limit (for thousands of sessions). */
void bench_raise_nofile(void);

/* "tcp://HOST:PORT" into host (NUL-terminated, at most host_size) and a
 * pointer to PORT inside it; 0, or -1 if addr is not of that form. */
int bench_split_tcp(const char *addr, char *host, size_t host_size, const char **port);

#ifdef __cplusplus
}
#endif

#endif
