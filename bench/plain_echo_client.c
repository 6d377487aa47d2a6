/* The plain client of the limit: length-prefixed frames of a given size
 * (4-byte little-endian length, then the bytes) to plain_echo_server over
 * S connections with C frames in flight on each; a frame is answered by a
 * frame of the same size. Blocking sockets, epoll for reading: nothing
 * but the frames; the frames a read makes room for go out in one write.
 *
 *   plain_echo_client ADDR --frame BYTES --count N [--inflight C] [--conns S]
 *                     [--warmup W] [--server-pid PID] [--server-stats FILE]
 *                     [--lat-out FILE]
 * BYTES is the whole frame, prefix included (the size of a roam call's
 * frame, for the comparison). Prints a RESULT line (bench_common.h): ops =
 * frames answered in the measured window, latency per frame. */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench_common.h"

typedef struct {
  int fd;
  char *in;
  size_t in_len;
  uint64_t *sent_at; /* FIFO of send times (the echo answers in order) */
  size_t head, inflight;
} pconn;

static size_t g_frame, g_cap_in;
static char *g_out;
static long long g_issued, g_done, g_total, g_warmup;
static int g_c;
static bench_lat g_lat;
static int g_measuring;

static int dial(const char *addr) {
  int fd;
  if (strncmp(addr, "unix:", 5) == 0) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", addr + 5);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) return -1;
    return fd;
  }
  char host[256];
  const char *port;
  if (bench_split_tcp(addr, host, sizeof host, &port) != 0) return -1;
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
  if (getaddrinfo(host, port, &hints, &res) != 0) return -1;
  fd = socket(res->ai_family, res->ai_socktype, 0);
  int rc = connect(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc != 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static void write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      perror("plain_echo_client: write");
      exit(1);
    }
    p += w;
    n -= (size_t)w;
  }
}

/* Up to `n` more frames on c, all in one write (as libroam coalesces a loop
 * turn's frames into one write). */
static void send_frames(pconn *c, long long n) {
  if (n > g_total - g_issued) n = g_total - g_issued;
  if (n <= 0) return;
  uint64_t now = bench_now_ns();
  for (long long k = 0; k < n; ++k) {
    c->sent_at[(c->head + c->inflight) % (size_t)g_c] = now;
    c->inflight++;
  }
  g_issued += n;
  write_all(c->fd, g_out, (size_t)n * g_frame);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: plain_echo_client ADDR --frame BYTES --count N [--inflight C] [--conns S] "
                    "[--warmup W] [--server-pid PID] [--server-stats FILE] [--lat-out FILE]\n");
    return 64;
  }
  const char *addr = argv[1];
  g_frame = (size_t)bench_opt_ll(argc, argv, "--frame", 40);
  long long count = bench_opt_ll(argc, argv, "--count", 10000);
  g_c = (int)bench_opt_ll(argc, argv, "--inflight", 1);
  int nconns = (int)bench_opt_ll(argc, argv, "--conns", 1);
  /* Every connection warmed up too (buffers are made on first use). */
  long long wdef = count / 10;
  if (wdef < 4LL * nconns * g_c) wdef = 4LL * nconns * g_c;
  g_warmup = bench_opt_ll(argc, argv, "--warmup", wdef);
  bench_probe probe = {.pid = (int)bench_opt_ll(argc, argv, "--server-pid", 0),
                       .stats_file = bench_opt(argc, argv, "--server-stats", NULL)};
  if (g_frame < 5) g_frame = 5;
  g_total = g_warmup + count;
  bench_raise_nofile();
  g_out = calloc((size_t)g_c, g_frame); /* C frames back to back */
  size_t body = g_frame - 4;
  for (int f = 0; f < g_c; ++f) {
    char *o = g_out + (size_t)f * g_frame;
    o[0] = (char)body, o[1] = (char)(body >> 8), o[2] = (char)(body >> 16), o[3] = (char)(body >> 24);
    for (size_t i = 4; i < g_frame; ++i) o[i] = (char)('a' + i % 26);
  }
  g_cap_in = g_frame * (size_t)g_c + 65536;
  pconn *conns = calloc((size_t)nconns, sizeof *conns);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event *events = calloc((size_t)nconns, sizeof *events);
  for (int i = 0; i < nconns; ++i) {
    conns[i].fd = dial(addr);
    if (conns[i].fd < 0) {
      fprintf(stderr, "plain_echo_client: cannot connect to %s (connection %d): %s\n", addr, i,
              strerror(errno));
      return 1;
    }
    conns[i].in = malloc(g_cap_in);
    conns[i].sent_at = calloc((size_t)g_c, sizeof(uint64_t));
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
  }
  bench_lat_init(&g_lat, (size_t)count);
  uint64_t started = 0;
  if (g_warmup == 0) {
    bench_probe_begin(&probe);
    started = bench_now_ns();
    g_measuring = 1;
  }
  for (int i = 0; i < nconns; ++i) send_frames(&conns[i], g_c);
  while (g_done < g_total) {
    int n = epoll_wait(ep, events, nconns, 10000);
    if (n <= 0) {
      fprintf(stderr, "plain_echo_client: no answer for 10 s (%lld of %lld)\n", g_done, g_total);
      return 1;
    }
    for (int e = 0; e < n; ++e) {
      int i = (int)events[e].data.u32;
      pconn *c = &conns[i];
      ssize_t r = read(c->fd, c->in + c->in_len, g_cap_in - c->in_len);
      if (r <= 0) {
        fprintf(stderr, "plain_echo_client: connection %d ended\n", i);
        return 1;
      }
      c->in_len += (size_t)r;
      size_t frames = c->in_len / g_frame;
      uint64_t now = bench_now_ns();
      for (size_t f = 0; f < frames; ++f) {
        if (g_measuring) bench_lat_add(&g_lat, now - c->sent_at[c->head]);
        c->head = (c->head + 1) % (size_t)g_c;
        c->inflight--;
        g_done++;
        if (!g_measuring && g_done == g_warmup) {
          bench_probe_begin(&probe);
          started = bench_now_ns();
          g_measuring = 1;
        }
      }
      memmove(c->in, c->in + frames * g_frame, c->in_len - frames * g_frame);
      c->in_len -= frames * g_frame;
      send_frames(c, (long long)g_c - (long long)c->inflight);
    }
  }
  double seconds = (double)(bench_now_ns() - started) / 1e9;
  bench_probe_end(&probe);
  bench_lat_sort(&g_lat);
  bench_lat_write(&g_lat, bench_opt(argc, argv, "--lat-out", NULL));
  bench_result_begin((uint64_t)count, seconds);
  bench_result_lat(&g_lat);
  bench_result_kv("mb_per_s", (double)count * (double)g_frame / seconds / 1e6);
  bench_result_probe(&probe, (uint64_t)count);
  bench_result_end();
  return 0;
}
