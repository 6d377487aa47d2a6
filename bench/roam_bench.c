/* The libroam client of the benchmark suite (bench/suite.sh), on the public
 * API only. One runtime, one thread; every workload prints one RESULT line
 * (bench_common.h) and, given --server-pid (and --server-stats, the file
 * the server's alloc_shim.so reports to), the server's CPU time and heap
 * allocations in the measured window.
 *
 *   roam_bench unary ADDR --method ID [--calls N] [--inflight C] [--sessions S]
 *                    [--payload BYTES] [--warmup W] [--lat-out FILE]
 *       echo calls of a String of BYTES (default 16), C in flight on each of
 *       S sessions; calls/s, latency percentiles, MB/s of payload.
 *   roam_bench stream ADDR --method ID [--items N] [--size BYTES] [--i32]
 *       one call carrying one channel (a sink: roamcat serve --sink,
 *       roam_bench_server, or Rust sum(Rx<i32>) with --i32); items/s.
 *   roam_bench churn ADDR [--opens N] [--inflight C]
 *       open a virtual connection, close it once accepted; opens/s.
 *   roam_bench vconns ADDR [--count N] [--inflight C]
 *       N virtual connections opened and kept on one session: time per
 *       open by bucket (1k, 10k, 100k, 1M), bytes per idle connection
 *       (server: alloc_shim live bytes and RSS; client: live bytes through
 *       roam_set_allocator, and RSS). --teardown: then times the session's
 *       end with all of them open (every closed callback delivered).
 *   roam_bench idle ADDR [--sessions S]
 *       S sessions (real sockets) established and left idle: bytes per
 *       idle session, server and client, measured as for vconns.
 *   roam_bench framesize ADDR --method ID [--payload BYTES] [--sink ID]
 *       the sizes of one echo call's frames and of a 64-byte channel item's
 *       (for the plain echo's frames); the server must sink --sink's calls.
 * Common: --server-pid PID --server-stats FILE, --warmup W. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <roam/roam.h>

#include "bench_common.h"
#include "postcard.h"

/* ---- libroam's heap, through roam_set_allocator ---------------------------------- */

static long long g_lib_allocs, g_lib_live;

static void *count_malloc(size_t n) {
  void *p = malloc(n);
  if (p) ++g_lib_allocs, g_lib_live += (long long)malloc_usable_size(p);
  return p;
}
static void *count_calloc(size_t c, size_t n) {
  void *p = calloc(c, n);
  if (p) ++g_lib_allocs, g_lib_live += (long long)malloc_usable_size(p);
  return p;
}
static void *count_realloc(void *old, size_t n) {
  size_t before = old ? malloc_usable_size(old) : 0;
  void *p = realloc(old, n);
  if (p) ++g_lib_allocs, g_lib_live += (long long)malloc_usable_size(p) - (long long)before;
  return p;
}
static void count_free(void *p) {
  if (p) g_lib_live -= (long long)malloc_usable_size(p);
  free(p);
}

/* ---- sessions ----------------------------------------------------------------------- */

typedef struct sess {
  roam_session *s;
  roam_conn *root;
  int handshake; /* 1 ok, -1 failed */
  long inflight;
} sess;

static roam_runtime *g_rt;
static roam_options *g_opts;
static roam_callbacks *g_cbs;
static sess *g_sess;
static int g_nsess, g_handshakes, g_failed_handshakes;
static bench_probe g_probe;

static void die(const char *what, int rc) {
  fprintf(stderr, "roam_bench: %s: %s (%s)\n", what, roam_strerror(rc), roam_last_error_detail());
  exit(1);
}

static void on_handshake(roam_session *s, void *ud, int status, const roam_metadata *md) {
  sess *x = ud;
  x->handshake = status == 0 ? 1 : -1;
  if (status == 0) {
    roam_session_root(s, &x->root);
    ++g_handshakes;
  } else {
    ++g_failed_handshakes;
    fprintf(stderr, "roam_bench: handshake failed: %s\n", roam_strerror(status));
  }
  (void)md;
}

static void on_end(roam_session *s, void *ud, int error, const char *reason) {
  if (error != 0 && error != ROAM_ESHUTDOWN)
    fprintf(stderr, "roam_bench: session ended: %s (%s)\n", reason, roam_err_name(error));
  (void)s, (void)ud;
}

static void run_until(const long long *counter, long long target, const char *what) {
  uint64_t last = bench_now_ns();
  long long seen = *counter;
  while (*counter < target) {
    roam_runtime_run_once(g_rt);
    if (*counter != seen) {
      seen = *counter;
      last = bench_now_ns();
    } else if (bench_now_ns() - last > 30000000000ull) {
      fprintf(stderr, "roam_bench: no progress for 30 s waiting for %s (%lld of %lld)\n", what,
              *counter, target);
      exit(1);
    }
  }
}

/* Connects S sessions, at most 256 handshakes at a time. */
static void connect_sessions(const char *addr, int n) {
  g_sess = calloc((size_t)n, sizeof *g_sess);
  g_nsess = n;
  int started = 0;
  while (g_handshakes < n) {
    while (started < n && started - g_handshakes - g_failed_handshakes < 256) {
      int rc = roam_session_connect(g_rt, addr, g_opts, g_cbs, &g_sess[started], &g_sess[started].s);
      if (rc != 0) die("connect", rc);
      ++started;
    }
    if (g_failed_handshakes) exit(1);
    roam_runtime_run_once(g_rt);
  }
}

static void disconnect_all(void) {
  for (int i = 0; i < g_nsess; ++i) {
    if (g_sess[i].root) roam_conn_release(g_sess[i].root);
    roam_session_close(g_sess[i].s, NULL, NULL);
  }
  roam_runtime_run(g_rt);
  roam_runtime_free(g_rt);
}

static int has_flag(int argc, char **argv, const char *name) {
  for (int i = 0; i < argc; ++i)
    if (strcmp(argv[i], name) == 0) return 1;
  return 0;
}

static void self_usage(double *cpu_us) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  *cpu_us = (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec +
            (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec;
}

/* ---- unary ----------------------------------------------------------------------- */

typedef struct slot {
  sess *owner;
  uint64_t t0;
  struct slot *next_free;
} slot;

static uint64_t g_method;
static uint8_t *g_args;
static size_t g_args_len;
static long long g_issued, g_done, g_failed, g_limit; /* g_limit: issue up to this many */
static int g_inflight;
static slot *g_free_slots;
static bench_lat g_lat;
static int g_measuring;

static void issue(sess *x);

static void on_response(roam_conn *conn, void *ud, uint64_t request_id, int status,
                        const roam_metadata *md, const uint8_t *v, size_t len) {
  slot *sl = ud;
  if (g_measuring) bench_lat_add(&g_lat, bench_now_ns() - sl->t0);
  if (status != 0 || len != g_args_len || memcmp(v, g_args, len) != 0) {
    if (g_failed++ == 0) fprintf(stderr, "roam_bench: call failed: %s (%zu bytes back)\n", roam_err_name(status), len);
  }
  sess *x = sl->owner;
  x->inflight--;
  sl->next_free = g_free_slots;
  g_free_slots = sl;
  ++g_done;
  issue(x);
  (void)conn, (void)request_id, (void)md;
}

static void issue(sess *x) {
  while (g_issued < g_limit && x->inflight < g_inflight) {
    slot *sl = g_free_slots;
    g_free_slots = sl->next_free;
    sl->owner = x;
    sl->t0 = bench_now_ns();
    int rc = roam_conn_call(x->root, g_method, NULL, 0, NULL, g_args, g_args_len, on_response, sl, NULL);
    if (rc == ROAM_EAGAIN) { /* the peer's limit: a completion resumes */
      sl->next_free = g_free_slots;
      g_free_slots = sl;
      return;
    }
    if (rc != 0) die("call", rc);
    x->inflight++;
    ++g_issued;
  }
}

static void issue_all(void) {
  for (int i = 0; i < g_nsess; ++i) issue(&g_sess[i]);
}

static int cmd_unary(const char *addr, int argc, char **argv) {
  g_method = strtoull(bench_opt(argc, argv, "--method", "0"), NULL, 0);
  long long calls = bench_opt_ll(argc, argv, "--calls", 10000);
  g_inflight = (int)bench_opt_ll(argc, argv, "--inflight", 1);
  int nsess = (int)bench_opt_ll(argc, argv, "--sessions", 1);
  size_t payload = (size_t)bench_opt_ll(argc, argv, "--payload", 16);
  /* Every session warmed up too (a connection's driver is made on first use). */
  long long wdef = calls / 10;
  if (wdef < 4LL * nsess * g_inflight && payload <= 4096) wdef = 4LL * nsess * g_inflight;
  long long warmup = bench_opt_ll(argc, argv, "--warmup", wdef);
  g_args = malloc(payload + 10);
  char *text = malloc(payload + 1);
  for (size_t i = 0; i < payload; ++i) text[i] = (char)('a' + i % 26);
  text[payload] = 0;
  g_args_len = pc_put_string(g_args, text);
  free(text);
  connect_sessions(addr, nsess);
  size_t nslots = (size_t)nsess * (size_t)g_inflight;
  slot *slots = calloc(nslots, sizeof *slots);
  for (size_t i = 0; i < nslots; ++i) slots[i].next_free = i + 1 < nslots ? &slots[i + 1] : NULL;
  g_free_slots = slots;
  bench_lat_init(&g_lat, (size_t)calls);
  /* Warm-up, drained, then the measured window. */
  g_limit = warmup;
  issue_all();
  run_until(&g_done, warmup, "warm-up calls");
  bench_probe_begin(&g_probe);
  double cpu0, cpu1;
  self_usage(&cpu0);
  g_measuring = 1;
  uint64_t started = bench_now_ns();
  g_limit = warmup + calls;
  issue_all();
  run_until(&g_done, warmup + calls, "calls");
  double seconds = (double)(bench_now_ns() - started) / 1e9;
  self_usage(&cpu1);
  bench_probe_end(&g_probe);
  bench_lat_sort(&g_lat);
  bench_lat_write(&g_lat, bench_opt(argc, argv, "--lat-out", NULL));
  bench_result_begin((uint64_t)calls, seconds);
  bench_result_lat(&g_lat);
  bench_result_kv("mb_per_s", (double)calls * (double)payload / seconds / 1e6);
  bench_result_probe(&g_probe, (uint64_t)calls);
  bench_result_kv("client_cpu_us_per_op", (cpu1 - cpu0) / (double)calls);
  bench_result_kv("failed", (double)g_failed);
  bench_result_end();
  disconnect_all();
  return g_failed ? 1 : 0;
}

/* ---- stream ------------------------------------------------------------------------- */

typedef struct {
  sess *x;
  uint64_t channel;
  long long sent, target;
  int done, status;
  uint8_t item[1024];
  size_t item_len;
  int i32;
} streamer;

static void pump(streamer *st) {
  while (st->sent < st->target) {
    if (st->i32) st->item_len = pc_put_signed(st->item, (int64_t)(st->sent & 0x3fff));
    int rc = roam_channel_send(st->x->root, st->channel, st->item, st->item_len);
    if (rc == ROAM_EAGAIN) return; /* the writable callback resumes */
    if (rc != 0) die("channel send", rc);
    ++st->sent;
  }
  if (st->sent == st->target) {
    roam_channel_close(st->x->root, st->channel, NULL);
    ++st->sent; /* closed */
  }
}

static void on_writable(roam_conn *conn, uint64_t channel_id, void *ud) {
  pump(ud);
  (void)conn, (void)channel_id;
}

static void on_stream_done(roam_conn *conn, void *ud, uint64_t request_id, int status,
                           const roam_metadata *md, const uint8_t *v, size_t len) {
  streamer *st = ud;
  st->done = 1;
  st->status = status;
  (void)conn, (void)request_id, (void)md, (void)v, (void)len;
}

static void one_stream(streamer *st, uint64_t method, long long items, uint32_t credit) {
  st->target = items;
  st->sent = 0;
  st->done = 0;
  int rc = roam_conn_channel_open(st->x->root, ROAM_CHANNEL_SEND, credit, NULL, NULL, on_writable,
                                  st, &st->channel);
  if (rc != 0) die("channel open", rc);
  rc = roam_conn_call(st->x->root, method, &st->channel, 1, NULL, NULL, 0, on_stream_done, st, NULL);
  if (rc != 0) die("call", rc);
  pump(st);
  while (!st->done) roam_runtime_run_once(g_rt);
  if (st->status != 0) {
    fprintf(stderr, "roam_bench: stream call failed: %s\n", roam_err_name(st->status));
    exit(1);
  }
}

static int cmd_stream(const char *addr, int argc, char **argv) {
  uint64_t method = strtoull(bench_opt(argc, argv, "--method", "0"), NULL, 0);
  long long items = bench_opt_ll(argc, argv, "--items", 100000);
  long long warmup = bench_opt_ll(argc, argv, "--warmup", items / 10);
  uint32_t credit = (uint32_t)bench_opt_ll(argc, argv, "--credit", 0);
  static streamer st;
  st.item_len = (size_t)bench_opt_ll(argc, argv, "--size", 64);
  if (st.item_len > sizeof st.item) st.item_len = sizeof st.item;
  memset(st.item, 'x', st.item_len);
  st.i32 = has_flag(argc, argv, "--i32");
  connect_sessions(addr, 1);
  st.x = &g_sess[0];
  if (warmup > 0) one_stream(&st, method, warmup, credit);
  bench_probe_begin(&g_probe);
  double cpu0, cpu1;
  self_usage(&cpu0);
  uint64_t started = bench_now_ns();
  one_stream(&st, method, items, credit);
  double seconds = (double)(bench_now_ns() - started) / 1e9;
  self_usage(&cpu1);
  bench_probe_end(&g_probe);
  bench_result_begin((uint64_t)items, seconds);
  bench_result_kv("item_bytes", (double)st.item_len);
  bench_result_probe(&g_probe, (uint64_t)items);
  bench_result_kv("client_cpu_us_per_op", (cpu1 - cpu0) / (double)items);
  bench_result_end();
  disconnect_all();
  return 0;
}

/* ---- churn and vconns -------------------------------------------------------------- */

static long long g_opened, g_closed, g_open_issued, g_open_limit;
static int g_close_on_open;

static void on_open_result(roam_session *s, void *ud, roam_conn *conn, int status,
                           const roam_metadata *md) {
  if (status != 0) {
    fprintf(stderr, "roam_bench: open failed: %s\n", roam_err_name(status));
    exit(1);
  }
  ++g_opened;
  if (g_close_on_open) roam_conn_close(conn, NULL);
  (void)s, (void)ud, (void)md;
}

static void on_conn_closed(roam_session *s, void *ud, roam_conn *conn, int origin, int reason,
                           const roam_metadata *md) {
  ++g_closed;
  (void)s, (void)ud, (void)conn, (void)origin, (void)reason, (void)md;
}

/* Keeps `inflight` opens (or open + close cycles) going until g_open_limit. */
static void open_more(sess *x, int inflight) {
  long long busy = g_close_on_open ? g_open_issued - g_closed : g_open_issued - g_opened;
  while (g_open_issued < g_open_limit && busy < inflight) {
    roam_conn *c;
    int rc = roam_session_open(x->s, ROAM_PARITY_DEFAULT, 64, NULL, NULL, &c);
    if (rc != 0) die("open", rc);
    ++g_open_issued;
    ++busy;
  }
}

static void run_opens(sess *x, int inflight, long long target) {
  g_open_limit = target;
  const long long *counter = g_close_on_open ? &g_closed : &g_opened;
  uint64_t last = bench_now_ns();
  long long seen = *counter;
  while (*counter < target) {
    open_more(x, inflight);
    roam_runtime_run_once(g_rt);
    if (*counter != seen) {
      seen = *counter;
      last = bench_now_ns();
    } else if (bench_now_ns() - last > 30000000000ull) {
      fprintf(stderr, "roam_bench: opens stalled at %lld of %lld\n", *counter, target);
      exit(1);
    }
  }
}

static int cmd_churn(const char *addr, int argc, char **argv) {
  long long opens = bench_opt_ll(argc, argv, "--opens", 10000);
  int inflight = (int)bench_opt_ll(argc, argv, "--inflight", 16);
  long long warmup = bench_opt_ll(argc, argv, "--warmup", opens / 10);
  g_close_on_open = 1;
  connect_sessions(addr, 1);
  run_opens(&g_sess[0], inflight, warmup);
  bench_probe_begin(&g_probe);
  double cpu0, cpu1;
  self_usage(&cpu0);
  uint64_t started = bench_now_ns();
  run_opens(&g_sess[0], inflight, warmup + opens);
  double seconds = (double)(bench_now_ns() - started) / 1e9;
  self_usage(&cpu1);
  bench_probe_end(&g_probe);
  bench_result_begin((uint64_t)opens, seconds);
  bench_result_probe(&g_probe, (uint64_t)opens);
  bench_result_kv("client_cpu_us_per_op", (cpu1 - cpu0) / (double)opens);
  bench_result_end();
  disconnect_all();
  return 0;
}

/* Waits a little for the loop and the peer to settle (nothing in flight). */
static void settle(int ms) {
  uint64_t until = bench_now_ns() + (uint64_t)ms * 1000000ull;
  while (bench_now_ns() < until) {
    roam_runtime_run_nowait(g_rt);
    usleep(1000);
  }
}

static void report_memory(const char *what, long long n, long long lib0, uint64_t rss0) {
  long long lib1 = g_lib_live;
  uint64_t rss1 = bench_proc_rss_kb(getpid());
  if (g_probe.s0.ok && g_probe.s1.ok) {
    bench_result_kv("server_live_bytes_per", ((double)g_probe.s1.live_bytes - (double)g_probe.s0.live_bytes) / (double)n);
    bench_result_kv("server_rss_bytes_per", ((double)g_probe.s1.rss_kb - (double)g_probe.s0.rss_kb) * 1024.0 / (double)n);
  } else if (g_probe.pid > 0) {
    bench_result_kv("server_rss_bytes_per", 0);
  }
  bench_result_kv("client_lib_bytes_per", (double)(lib1 - lib0) / (double)n);
  bench_result_kv("client_rss_bytes_per", ((double)rss1 - (double)rss0) * 1024.0 / (double)n);
  (void)what;
}

static int cmd_vconns(const char *addr, int argc, char **argv) {
  long long count = bench_opt_ll(argc, argv, "--count", 100000);
  int inflight = (int)bench_opt_ll(argc, argv, "--inflight", 64);
  connect_sessions(addr, 1);
  settle(50);
  bench_probe_begin(&g_probe);
  long long lib0 = g_lib_live;
  uint64_t rss0 = bench_proc_rss_kb(getpid());
  uint64_t started = bench_now_ns(), bucket_start = started;
  long long bucket_from = 0;
  static const long long edges[] = {1000, 10000, 100000, 1000000, 10000000};
  char buckets[1024] = "";
  for (size_t e = 0; e < sizeof edges / sizeof edges[0] && bucket_from < count; ++e) {
    long long to = edges[e] < count ? edges[e] : count;
    run_opens(&g_sess[0], inflight, to);
    uint64_t now = bench_now_ns();
    size_t used = strlen(buckets);
    snprintf(buckets + used, sizeof buckets - used, " bucket_%lld_us_per_open=%.3f", to,
             (double)(now - bucket_start) / 1000.0 / (double)(to - bucket_from));
    bucket_from = to;
    bucket_start = now;
  }
  double seconds = (double)(bench_now_ns() - started) / 1e9;
  settle(200);
  bench_probe_end(&g_probe);
  uint64_t opens_in_session = 0;
  roam_session_stat(g_sess[0].s, ROAM_STAT_OPEN_CONNECTIONS, &opens_in_session);
  bench_result_begin((uint64_t)count, seconds);
  report_memory("vconn", count, lib0, rss0);
  bench_result_kv("open_connections", (double)opens_in_session);
  printf("%s", buckets);
  if (has_flag(argc, argv, "--teardown")) {
    /* How long a session holding all of them takes to end (every
     * connection gets its closed callback). */
    uint64_t t0 = bench_now_ns();
    long long closed0 = g_closed;
    roam_session_shutdown(g_sess[0].s);
    run_until(&g_closed, closed0 + count, "the closed callbacks");
    double td = (double)(bench_now_ns() - t0) / 1e9;
    bench_result_kv("teardown_s", td);
    bench_result_kv("teardown_us_per_conn", td * 1e6 / (double)count);
  }
  bench_result_end();
  /* Done: leave without ending a session that may hold a million
   * connections (the process exit closes the socket). */
  _exit(0);
}

static int cmd_idle(const char *addr, int argc, char **argv) {
  int n = (int)bench_opt_ll(argc, argv, "--sessions", 1000);
  bench_raise_nofile();
  settle(20);
  bench_probe_begin(&g_probe);
  long long lib0 = g_lib_live;
  uint64_t rss0 = bench_proc_rss_kb(getpid());
  uint64_t started = bench_now_ns();
  connect_sessions(addr, n);
  double seconds = (double)(bench_now_ns() - started) / 1e9;
  settle(300);
  bench_probe_end(&g_probe);
  bench_result_begin((uint64_t)n, seconds);
  report_memory("session", n, lib0, rss0);
  bench_result_end();
  disconnect_all();
  return 0;
}

/* ---- framesize --------------------------------------------------------------------- */

static size_t g_call_frame, g_response_frame, g_item_frame;

static void on_trace(roam_session *s, void *ud, int direction, uint64_t conn_id, int kind,
                     int sub_kind, uint64_t id, size_t frame_size) {
  if (kind == ROAM_MSG_REQUEST && sub_kind == ROAM_REQUEST_CALL && direction == ROAM_TRACE_OUT &&
      g_call_frame == 0)
    g_call_frame = frame_size + 4; /* the echo call (the stream's call comes after) */
  if (kind == ROAM_MSG_REQUEST && sub_kind == ROAM_REQUEST_RESPONSE && direction == ROAM_TRACE_IN &&
      g_response_frame == 0)
    g_response_frame = frame_size + 4;
  if (kind == ROAM_MSG_CHANNEL && sub_kind == ROAM_CHANNEL_ITEM && direction == ROAM_TRACE_OUT)
    g_item_frame = frame_size + 4;
  (void)s, (void)ud, (void)conn_id, (void)id;
}

static int cmd_framesize(const char *addr, int argc, char **argv) {
  roam_callbacks_set_trace(g_cbs, on_trace);
  g_method = strtoull(bench_opt(argc, argv, "--method", "0"), NULL, 0);
  size_t payload = (size_t)bench_opt_ll(argc, argv, "--payload", 16);
  g_args = malloc(payload + 10);
  char *text = malloc(payload + 1);
  memset(text, 'a', payload);
  text[payload] = 0;
  g_args_len = pc_put_string(g_args, text);
  connect_sessions(addr, 1);
  static slot one;
  g_free_slots = &one;
  g_inflight = 1;
  g_limit = 1;
  issue(&g_sess[0]);
  run_until(&g_done, 1, "the call");
  /* And one 64-byte channel item (the server must sink calls with channels). */
  static streamer st;
  st.x = &g_sess[0];
  st.item_len = 64;
  memset(st.item, 'x', st.item_len);
  one_stream(&st, strtoull(bench_opt(argc, argv, "--sink", "0"), NULL, 0), 1, 0);
  printf("FRAMES call=%zu response=%zu item=%zu\n", g_call_frame, g_response_frame, g_item_frame);
  disconnect_all();
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: roam_bench unary|stream|churn|vconns|idle|framesize ADDR [options]\n"
                    "(see the comment at the top of bench/roam_bench.c)\n");
    return 64;
  }
  if (roam_set_allocator(count_malloc, count_realloc, count_calloc, count_free) != 0)
    fprintf(stderr, "roam_bench: roam_set_allocator refused: client bytes not counted\n");
  bench_raise_nofile();
  const char *mode = argv[1], *addr = argv[2];
  argc -= 3;
  argv += 3;
  g_probe.pid = (int)bench_opt_ll(argc, argv, "--server-pid", 0);
  g_probe.stats_file = bench_opt(argc, argv, "--server-stats", NULL);
  if (roam_runtime_new(&g_rt) != 0) die("runtime", ROAM_ENOMEM);
  roam_options_new(&g_opts);
  roam_options_set_max_frame_size(g_opts, 64u << 20);
  roam_options_set_max_connections(g_opts, 4000000);
  roam_options_set_idle_timeout(g_opts, ROAM_NO_TIMEOUT);
  roam_options_set_handshake_timeout(g_opts, 60000);
  roam_options_set_outbound_limits(g_opts, 96u << 20, 256u << 20);
  roam_callbacks_new(&g_cbs);
  roam_callbacks_set_handshake(g_cbs, on_handshake);
  roam_callbacks_set_session_end(g_cbs, on_end);
  roam_callbacks_set_open_result(g_cbs, on_open_result);
  roam_callbacks_set_conn_closed(g_cbs, on_conn_closed);
  if (strcmp(mode, "unary") == 0) return cmd_unary(addr, argc, argv);
  if (strcmp(mode, "stream") == 0) return cmd_stream(addr, argc, argv);
  if (strcmp(mode, "churn") == 0) return cmd_churn(addr, argc, argv);
  if (strcmp(mode, "vconns") == 0) return cmd_vconns(addr, argc, argv);
  if (strcmp(mode, "idle") == 0) return cmd_idle(addr, argc, argv);
  if (strcmp(mode, "framesize") == 0) return cmd_framesize(addr, argc, argv);
  fprintf(stderr, "roam_bench: unknown workload %s\n", mode);
  return 64;
}
