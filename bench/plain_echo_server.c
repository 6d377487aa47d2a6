/* The limit: a plain libuv server with no protocol at all. It reassembles
 * length-prefixed frames (4-byte little-endian length, then the bytes) and
 * answers each with a frame of the same size (its own bytes back), all the
 * answers to one read in one coalesced write. One thread, one loop, like
 * libroam's runtime, so what separates the two is the roam protocol work.
 *
 *   plain_echo_server tcp://HOST:PORT | unix:PATH
 * Prints "listening on ADDR" (the bound address), then runs until killed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "bench_common.h"

typedef struct {
  char *data;
  size_t len, cap;
} buf;

typedef struct {
  union {
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } h;
  buf in;
  buf out[2]; /* out[0] being written, out[1] collecting */
  int writing;
  uv_write_t req;
} conn;

static uv_loop_t *loop;
static int is_unix;

static void reserve(buf *b, size_t more) {
  if (b->len + more <= b->cap) return;
  size_t cap = b->cap ? b->cap : 65536;
  while (cap < b->len + more) cap *= 2;
  b->data = realloc(b->data, cap);
  if (b->data == NULL) abort();
  b->cap = cap;
}

static void on_closed(uv_handle_t *h) {
  conn *c = h->data;
  free(c->in.data);
  free(c->out[0].data);
  free(c->out[1].data);
  free(c);
}

static void start_write(conn *c);

static void on_written(uv_write_t *req, int status) {
  conn *c = req->data;
  c->writing = 0;
  c->out[0].len = 0;
  if (status < 0) return; /* the read side sees the end */
  if (c->out[1].len) start_write(c);
}

static void start_write(conn *c) {
  buf t = c->out[0];
  c->out[0] = c->out[1];
  c->out[1] = t;
  c->writing = 1;
  c->req.data = c;
  uv_buf_t b = uv_buf_init(c->out[0].data, (unsigned)c->out[0].len);
  if (uv_write(&c->req, &c->h.stream, &b, 1, on_written) != 0) {
    c->writing = 0;
    uv_close((uv_handle_t *)&c->h, on_closed);
  }
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *out) {
  conn *c = h->data;
  reserve(&c->in, 65536);
  *out = uv_buf_init(c->in.data + c->in.len, (unsigned)(c->in.cap - c->in.len));
  (void)hint;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  conn *c = s->data;
  (void)b;
  if (n < 0) {
    uv_close((uv_handle_t *)s, on_closed);
    return;
  }
  c->in.len += (size_t)n;
  size_t pos = 0;
  buf *out = &c->out[1];
  while (c->in.len - pos >= 4) {
    const unsigned char *p = (const unsigned char *)c->in.data + pos;
    size_t flen = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
    if (c->in.len - pos - 4 < flen) break;
    reserve(out, 4 + flen);
    memcpy(out->data + out->len, p, 4 + flen);
    out->len += 4 + flen;
    pos += 4 + flen;
  }
  if (pos) {
    memmove(c->in.data, c->in.data + pos, c->in.len - pos);
    c->in.len -= pos;
  }
  if (out->len && !c->writing) start_write(c);
}

static void on_connection(uv_stream_t *server, int status) {
  if (status < 0) return;
  conn *c = calloc(1, sizeof *c);
  if (is_unix)
    uv_pipe_init(loop, &c->h.pipe, 0);
  else
    uv_tcp_init(loop, &c->h.tcp);
  c->h.stream.data = c;
  if (uv_accept(server, &c->h.stream) != 0) {
    uv_close((uv_handle_t *)&c->h, on_closed);
    return;
  }
  if (!is_unix) uv_tcp_nodelay(&c->h.tcp, 1);
  uv_read_start(&c->h.stream, on_alloc, on_read);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: plain_echo_server tcp://HOST:PORT | unix:PATH\n");
    return 64;
  }
  loop = uv_default_loop();
  const char *addr = argv[1];
  union {
    uv_stream_t stream;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } l;
  int rc;
  if (strncmp(addr, "unix:", 5) == 0) {
    is_unix = 1;
    uv_pipe_init(loop, &l.pipe, 0);
    unlink(addr + 5);
    rc = uv_pipe_bind(&l.pipe, addr + 5);
    if (rc == 0) rc = uv_listen(&l.stream, 4096, on_connection);
    if (rc != 0) {
      fprintf(stderr, "plain_echo_server: %s: %s\n", addr, uv_strerror(rc));
      return 1;
    }
    printf("listening on %s\n", addr);
  } else if (strncmp(addr, "tcp://", 6) == 0) {
    char host[256];
    const char *port;
    if (bench_split_tcp(addr, host, sizeof host, &port) != 0) return 64;
    struct sockaddr_in sa;
    rc = uv_ip4_addr(host, atoi(port), &sa);
    uv_tcp_init(loop, &l.tcp);
    if (rc == 0) rc = uv_tcp_bind(&l.tcp, (const struct sockaddr *)&sa, 0);
    if (rc == 0) rc = uv_listen(&l.stream, 4096, on_connection);
    if (rc != 0) {
      fprintf(stderr, "plain_echo_server: %s: %s\n", addr, uv_strerror(rc));
      return 1;
    }
    struct sockaddr_in bound;
    int len = sizeof bound;
    uv_tcp_getsockname(&l.tcp, (struct sockaddr *)&bound, &len);
    printf("listening on tcp://%s:%d\n", host, ntohs(bound.sin_port));
  } else {
    fprintf(stderr, "plain_echo_server: address is tcp://HOST:PORT or unix:PATH\n");
    return 64;
  }
  fflush(stdout);
  return uv_run(loop, UV_RUN_DEFAULT);
}
