/* The libroam server of the benchmark: echo and sink, quiet (nothing is
 * printed per call, unlike `roamcat serve`), on 1..N runtimes, each on its
 * own thread.
 *
 *   roam_bench_server ADDR [--threads N]
 *
 * ADDR is tcp://HOST:PORT (port 0 picks one) or unix:PATH. The main thread
 * accepts transports and hands them round-robin to the N runtimes
 * (roam_runtime_post, then roam_session_adopt_fd on the runtime's thread).
 * Every session:
 *   - answers every call without channels Ok(its argument bytes) (echo);
 *   - binds every channel of a call that carries some, counts the items,
 *     and answers Ok(u64 items) once they all ended (sink);
 *   - accepts every virtual connection.
 * Frames up to 64 MiB, no idle timeout, up to 4,000,000 virtual
 * connections per session, 1024 calls in flight on the root. It covers
 * what `roamcat serve` cannot be told (16 MiB payloads, more than 4096
 * virtual connections, more than 10,000 sessions). Prints "listening on ADDR", then serves until
 * SIGTERM / SIGINT. Measure it from outside (CPU from /proc, heap through
 * alloc_shim.so). */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <roam/roam.h>
#include <uv.h>

#include "bench_common.h"
#include "echo_service.h"

typedef struct worker {
  roam_runtime *rt;
  roam_options *opts;
  roam_callbacks *cbs;
  uv_async_t keep; /* keeps the loop running while it has no session */
  pthread_t thread;
} worker;

/* Echo, and sink for calls that carry channels (tools/common/echo_service.h). */
static const echo_service g_service = {0, 0};

static void on_call(roam_session *s, void *ud, roam_conn *conn, uint64_t request_id,
                    uint64_t method, const uint64_t *channels, size_t n, const roam_metadata *md,
                    const uint8_t *args, size_t len) {
  echo_service_serve(&g_service, conn, request_id, method, channels, n, args, len);
  (void)s, (void)ud, (void)md;
}

static void on_inbound(roam_session *s, void *ud, roam_conn *conn, const roam_metadata *md) {
  roam_conn_accept(conn, ROAM_PARITY_DEFAULT, 64, NULL);
  (void)s, (void)ud, (void)md;
}

static void on_end(roam_session *s, void *ud, int error, const char *reason) {
  roam_session_close(s, NULL, NULL);
  (void)ud, (void)error, (void)reason;
}

static void noop_async(uv_async_t *a) { (void)a; }

static __thread worker *t_worker;

static void adopt_fd_cb(roam_runtime *rt, void *ud) {
  int fd = (int)(intptr_t)ud;
  roam_session *s;
  if (roam_session_adopt_fd(rt, fd, t_worker->opts, t_worker->cbs, NULL, &s) != 0)
    fprintf(stderr, "roam_bench_server: adopt: %s\n", roam_last_error_detail());
  (void)rt;
}

static void *worker_main(void *arg) {
  worker *w = arg;
  t_worker = w;
  roam_runtime_run(w->rt);
  return NULL;
}

static int listen_on(const char *addr, char *bound, size_t bound_size) {
  int fd;
  if (strncmp(addr, "unix:", 5) == 0) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", addr + 5);
    unlink(sa.sun_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 4096) != 0) return -1;
    snprintf(bound, bound_size, "%s", addr);
    return fd;
  }
  char host[256];
  const char *port;
  if (bench_split_tcp(addr, host, sizeof host, &port) != 0) return -1;
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
  if (getaddrinfo(host, port, &hints, &res) != 0) return -1;
  fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc = bind(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc != 0 || listen(fd, 4096) != 0) return -1;
  struct sockaddr_in sa;
  socklen_t len = sizeof sa;
  getsockname(fd, (struct sockaddr *)&sa, &len);
  snprintf(bound, bound_size, "tcp://%s:%d", host, ntohs(sa.sin_port));
  return fd;
}

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0) {
    fprintf(argc < 2 ? stderr : stdout, "usage: roam_bench_server ADDR [--threads N]\n");
    return argc < 2 ? 64 : 0;
  }
  int threads = 1;
  for (int i = 2; i + 1 < argc; ++i)
    if (strcmp(argv[i], "--threads") == 0) threads = atoi(argv[i + 1]);
  if (threads < 1) threads = 1;
  struct rlimit nofile; /* thousands of sessions: as many fds as allowed */
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  char bound[300];
  int lfd = listen_on(argv[1], bound, sizeof bound);
  if (lfd < 0) {
    fprintf(stderr, "roam_bench_server: cannot listen on %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  /* SIGINT / SIGTERM go to the main thread only (its accept() returns
   * EINTR): the workers start with them blocked. */
  sigset_t stop_signals, old;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, &old);
  worker *workers = calloc((size_t)threads, sizeof *workers);
  for (int i = 0; i < threads; ++i) {
    worker *w = &workers[i];
    if (roam_runtime_new(&w->rt) != 0) return 1;
    uv_async_init(roam_runtime_loop(w->rt), &w->keep, noop_async);
    roam_options_new(&w->opts);
    roam_options_set_role(w->opts, ROAM_ROLE_ACCEPTOR);
    roam_options_set_max_frame_size(w->opts, 64u << 20);
    roam_options_set_max_connections(w->opts, 4000000);
    roam_options_set_max_concurrent_requests(w->opts, 1024);
    roam_options_set_idle_timeout(w->opts, ROAM_NO_TIMEOUT);
    roam_options_set_outbound_limits(w->opts, 96u << 20, 256u << 20);
    roam_callbacks_new(&w->cbs);
    roam_callbacks_set_serve(w->cbs, on_call);
    roam_callbacks_set_inbound_open(w->cbs, on_inbound);
    roam_callbacks_set_session_end(w->cbs, on_end);
    pthread_create(&w->thread, NULL, worker_main, w);
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: accept() returns EINTR */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  printf("listening on %s (%d thread%s)\n", bound, threads, threads == 1 ? "" : "s");
  fflush(stdout);
  int is_tcp = strncmp(argv[1], "tcp://", 6) == 0;
  unsigned next = 0;
  while (!g_stop) {
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        usleep(1000);
        continue;
      }
      break;
    }
    if (is_tcp) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    worker *w = &workers[next++ % (unsigned)threads];
    roam_runtime_post(w->rt, adopt_fd_cb, (void *)(intptr_t)fd);
  }
  if (strncmp(argv[1], "unix:", 5) == 0) unlink(argv[1] + 5);
  _exit(0); /* sessions die with the process */
}
