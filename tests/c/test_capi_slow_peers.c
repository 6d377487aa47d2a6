/* Slow and idle peers, and a listener's caps, on real loopback sockets: a
 * peer that announces a 16 MiB frame and trickles it is cut off by the frame
 * timeout; a quiet session ends at its idle timeout; a listener over its
 * caps turns connections away with a ProtocolError the client can read; and
 * memory per idle or trickling connection stays small, measured on the heap
 * (mallinfo2, or the sanitizer's allocator in the ASan build).
 *
 * The raw peers run on the test's own thread, step by step, with the loop
 * run between steps: one thread keeps the heap figures to one arena. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "sides.h"

#if defined(__SANITIZE_ADDRESS__)
#define SLOW_PEERS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLOW_PEERS_ASAN 1
#endif
#endif

#ifdef SLOW_PEERS_ASAN
#if __has_include(<sanitizer/allocator_interface.h>)
#include <sanitizer/allocator_interface.h>
#else
/* GCC's runtime has it but not the header (clang ships it). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif
static size_t heap_in_use(void) { return __sanitizer_get_current_allocated_bytes(); }
#else
#include <malloc.h>
/* Bytes handed out by malloc: small chunks plus mmapped big ones. */
static size_t heap_in_use(void) {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}
#endif

/* Link payloads as the wire notes give them. */
static const uint8_t kHelloV7[] = {0x00, 0x00, 0x07, 0x00, 0x40, 0x00};  /* Odd, 64, [] */
static const uint8_t kHelloYourself[] = {0x00, 0x01, 0x01, 0x40, 0x00};  /* Even, 64, [] */
static const uint8_t kHeader16MiB[] = {0x00, 0x00, 0x00, 0x01};

static uint64_t ms_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- raw clients, driven from this thread ------------------------------------------------ */

typedef struct {
  int fd;
  uint8_t buf[1024];
  size_t have;
  int eof;
} raw_conn;

static void raw_connect(raw_conn *c, int port) {
  memset(c, 0, sizeof *c);
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(c->fd >= 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  /* Loopback connects complete in the kernel's backlog, before accept. */
  assert_int_equal(connect(c->fd, (struct sockaddr *)&a, sizeof a), 0);
  fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
}

static void raw_close(raw_conn *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
}

static void raw_send(raw_conn *c, const void *bytes, size_t len) {
  assert_int_equal(raw_write_all(c->fd, bytes, len), 0);
}

static void raw_send_frame(raw_conn *c, const uint8_t *payload, size_t len) {
  uint8_t h[4] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24)};
  raw_send(c, h, 4);
  raw_send(c, payload, len);
}

/* Takes whatever arrived, without blocking. */
static void raw_pump(raw_conn *c) {
  while (!c->eof && c->have < sizeof c->buf) {
    ssize_t r = read(c->fd, c->buf + c->have, sizeof c->buf - c->have);
    if (r > 0) {
      c->have += (size_t)r;
    } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
      c->eof = 1;
    } else {
      break;
    }
  }
}

/* Runs the loop until a whole frame arrived; returns its payload length
 * (copied to out), or -1 on EOF or timeout. */
static int raw_next_frame(roam_runtime *rt, raw_conn *c, uint8_t *out, size_t cap, int timeout_ms) {
  uint64_t deadline = ms_now() + (uint64_t)timeout_ms;
  for (;;) {
    raw_pump(c);
    if (c->have >= 4) {
      size_t len = (size_t)c->buf[0] | (size_t)c->buf[1] << 8 | (size_t)c->buf[2] << 16 |
                   (size_t)c->buf[3] << 24;
      if (len <= cap && c->have >= 4 + len) {
        memcpy(out, c->buf + 4, len);
        memmove(c->buf, c->buf + 4 + len, c->have - 4 - len);
        c->have -= 4 + len;
        return (int)len;
      }
    }
    if (c->eof || ms_now() >= deadline) return -1;
    run_for(rt, 2);
  }
}

/* Runs the loop until the server hung up (1) or timeout (0). */
static int raw_wait_eof(roam_runtime *rt, raw_conn *c, int timeout_ms) {
  uint64_t deadline = ms_now() + (uint64_t)timeout_ms;
  while (ms_now() < deadline) {
    raw_pump(c);
    c->have = 0;  /* not interested in what came before */
    if (c->eof) return 1;
    run_for(rt, 2);
  }
  return 0;
}

/* Hello, and the server's HelloYourself back. */
static void raw_handshake(roam_runtime *rt, raw_conn *c) {
  uint8_t reply[64];
  raw_send_frame(c, kHelloV7, sizeof kHelloV7);
  assert_int_equal(raw_next_frame(rt, c, reply, sizeof reply, 3000), (int)sizeof kHelloYourself);
  assert_memory_equal(reply, kHelloYourself, sizeof kHelloYourself);
}

/* The text of a ProtocolError frame (conn 0, tag 2, varint length, UTF-8),
 * or fails the test. */
static void expect_protocol_error(const uint8_t *p, int n, char *text, size_t cap) {
  if (n < 3 || p[0] != 0x00 || p[1] != 0x02) fail_msg("not a ProtocolError frame (%d bytes)", n);
  size_t len = 0;
  int i = 2, shift = 0;
  while (i < n) {
    uint8_t b = p[i++];
    len |= (size_t)(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) break;
  }
  assert_int_equal((size_t)(n - i), len);
  assert_true(len < cap);
  memcpy(text, p + i, len);
  text[len] = '\0';
}

/* Reads the ProtocolError a server sends before hanging up, and the EOF. */
static void expect_farewell(roam_runtime *rt, raw_conn *c, const char *prefix) {
  uint8_t frame[512];
  char text[512];
  int n = raw_next_frame(rt, c, frame, sizeof frame, 5000);
  assert_true(n > 0);
  expect_protocol_error(frame, n, text, sizeof text);
  if (strncmp(text, prefix, strlen(prefix)) != 0) {
    fail_msg("ProtocolError \"%s\", expected one starting \"%s\"", text, prefix);
  }
  assert_true(raw_wait_eof(rt, c, 5000));
}

/* ---- the server side: a listener and what it accepted --------------------------------------- */

enum { MAX_SERVED = 600 };

typedef struct fixture fixture;

typedef struct {
  fixture *f;
  roam_session *s;
  int handshake_done;
  int ended;
  int end_error;
  char reason[256];
  uint64_t ended_at_ms;
} served;

struct fixture {
  roam_runtime *rt;
  roam_listener *l;
  int port;
  served sessions[MAX_SERVED];
  int accepted;
  int handshakes;
  int ended;
  int closed;
};

static void on_served_handshake(roam_session *s, void *ud, int status, const roam_metadata *md) {
  served *sv = ud;
  if (status == 0) {
    sv->handshake_done = 1;
    sv->f->handshakes++;
  }
  (void)s, (void)md;
}

static void on_served_end(roam_session *s, void *ud, int error, const char *reason) {
  served *sv = ud;
  sv->ended = 1;
  sv->end_error = error;
  snprintf(sv->reason, sizeof sv->reason, "%s", reason);
  sv->ended_at_ms = ms_now();
  sv->f->ended++;
  (void)s;
}

static void on_accept(roam_listener *l, void *ud, int status, roam_session *s) {
  fixture *f = ud;
  assert_int_equal(status, 0);
  assert_true(f->accepted < MAX_SERVED);
  served *sv = &f->sessions[f->accepted++];
  sv->f = f;
  sv->s = s;
  /* Accepted with the listener's user_data (f): from now on, its own. */
  assert_ptr_equal(roam_session_get_user_data(s), f);
  roam_session_set_user_data(s, sv);
  (void)l;
}

static void listen_with(fixture *f, const roam_options *o) {
  roam_callbacks *cbs;
  assert_int_equal(roam_callbacks_new(&cbs), 0);
  assert_int_equal(roam_callbacks_set_handshake(cbs, on_served_handshake), 0);
  assert_int_equal(roam_callbacks_set_session_end(cbs, on_served_end), 0);
  assert_int_equal(roam_listener_new(f->rt, "tcp://127.0.0.1:0", o, cbs, on_accept, f, &f->l), 0);
  roam_callbacks_free(cbs);  /* the listener keeps its own copy */
  f->port = roam_listener_port(f->l);
}

static uint64_t listener_stat(fixture *f, int which) {
  uint64_t v = 0;
  assert_int_equal(roam_listener_stat(f->l, which, &v), 0);
  return v;
}

static int setup(void **state) {
  fixture *f = test_calloc(1, sizeof *f);
  assert_int_equal(roam_runtime_new(&f->rt), 0);
  *state = f;
  return 0;
}

static void on_served_closed(roam_session *s, void *ud) {
  ((fixture *)ud)->closed++;
  (void)s;
}

static int teardown(void **state) {
  fixture *f = *state;
  for (int i = 0; i < f->accepted; ++i) {
    assert_int_equal(roam_session_close(f->sessions[i].s, on_served_closed, f), 0);
  }
  assert_true(run_until_count(f->rt, &f->closed, f->accepted, 10000));
  if (f->l) listener_close_and_wait(f->rt, f->l);
  assert_int_equal(roam_runtime_free(f->rt), 0);
  test_free(f);
  return 0;
}

/* ---- frame timeout --------------------------------------------------------------------------- */

/* After Hello, a peer announces a 16 MiB frame and sends one byte every
 * 50 ms: the session must end once the frame has taken 300 ms, and the
 * peer be told why. */
static void trickling_peer_is_cut_off_by_the_frame_timeout(void **state) {
  fixture *f = *state;
  roam_options *o;
  assert_int_equal(roam_options_new(&o), 0);
  assert_int_equal(roam_options_set_frame_timeout(o, 300), 0);
  listen_with(f, o);
  roam_options_free(o);
  raw_conn c;
  raw_connect(&c, f->port);
  raw_handshake(f->rt, &c);
  served *sv = &f->sessions[0];
  assert_true(run_until(f->rt, &sv->handshake_done, 2000));

  uint64_t started = ms_now();
  raw_send(&c, kHeader16MiB, sizeof kHeader16MiB);
  int trickled = 0;
  while (!sv->ended && ms_now() - started < 3000) {
    uint8_t b = 0x5a;
    if (write(c.fd, &b, 1) == 1) ++trickled;
    run_for(f->rt, 50);
  }
  assert_true(sv->ended);
  assert_int_equal(sv->end_error, ROAM_ETIMEDOUT);
  uint64_t took = sv->ended_at_ms - started;
  print_message("trickling peer: cut off after %llu ms, %d bytes trickled\n",
                (unsigned long long)took, trickled);
  assert_true(took >= 300 && took < 1500);
  assert_non_null(
      strstr(sv->reason, "frame timeout: frame of 16777216 bytes not completed within 300 ms"));
  expect_farewell(f->rt, &c, "frame timeout: frame of 16777216 bytes");
  raw_close(&c);
}

/* ---- idle timeout ---------------------------------------------------------------------------- */

/* Pings every 100 ms keep a session with a 300 ms idle timeout alive; once
 * they stop, it ends at the timeout and the peer is told why. */
static void quiet_session_ends_at_the_idle_timeout(void **state) {
  fixture *f = *state;
  roam_options *o;
  assert_int_equal(roam_options_new(&o), 0);
  assert_int_equal(roam_options_set_idle_timeout(o, 300), 0);
  listen_with(f, o);
  roam_options_free(o);
  raw_conn c;
  raw_connect(&c, f->port);
  raw_handshake(f->rt, &c);
  served *sv = &f->sessions[0];
  assert_true(run_until(f->rt, &sv->handshake_done, 2000));

  uint64_t quiet_since = 0;
  for (uint8_t nonce = 1; nonce <= 10; ++nonce) {
    if (nonce > 1) run_for(f->rt, 100);
    const uint8_t ping[] = {0x00, 0x09, nonce};
    quiet_since = ms_now();
    raw_send_frame(&c, ping, sizeof ping);
    uint8_t pong[16];
    assert_int_equal(raw_next_frame(f->rt, &c, pong, sizeof pong, 2000), 3);
    assert_int_equal(pong[1], 0x0a);  /* Pong */
  }
  assert_int_equal(sv->ended, 0);  /* a second of traffic, never 300 ms apart */

  assert_true(run_until(f->rt, &sv->ended, 3000));
  uint64_t took = sv->ended_at_ms - quiet_since;
  print_message("quiet session: ended after %llu ms\n", (unsigned long long)took);
  assert_true(took >= 250 && took < 1500);
  assert_int_equal(sv->end_error, ROAM_ETIMEDOUT);
  assert_string_equal(sv->reason, "idle timeout: no frame received for 300 ms");
  expect_farewell(f->rt, &c, "idle timeout: no frame received for 300 ms");
  raw_close(&c);
}

/* ---- listener caps --------------------------------------------------------------------------- */

/* A listener that keeps at most 3 sessions turns the 4th connection away:
 * a raw client reads the ProtocolError, a roam client ends its handshake
 * with ROAM_EPEERERROR and the text. Once a session ends, there is room. */
static void listener_refuses_connections_over_its_session_cap(void **state) {
  fixture *f = *state;
  roam_options *o;
  assert_int_equal(roam_options_new(&o), 0);
  assert_int_equal(roam_options_set_listener_limits(o, 3, 0), 0);
  listen_with(f, o);
  roam_options_free(o);
  raw_conn c[5];
  for (int i = 0; i < 3; ++i) {
    raw_connect(&c[i], f->port);
    raw_handshake(f->rt, &c[i]);
  }
  assert_true(run_until_count(f->rt, &f->handshakes, 3, 2000));
  assert_int_equal(listener_stat(f, ROAM_LISTENER_STAT_SESSIONS), 3);
  assert_int_equal(listener_stat(f, ROAM_LISTENER_STAT_HANDSHAKING), 0);

  raw_connect(&c[3], f->port);
  raw_send_frame(&c[3], kHelloV7, sizeof kHelloV7);
  expect_farewell(f->rt, &c[3], "server busy: at the limit of 3 sessions");
  raw_close(&c[3]);
  assert_int_equal(f->accepted, 3);  /* the accept callback never heard of it */
  assert_int_equal(listener_stat(f, ROAM_LISTENER_STAT_REFUSED), 1);

  /* A roam client sees the refusal as a failed handshake with that reason. */
  char addr[64];
  snprintf(addr, sizeof addr, "tcp://127.0.0.1:%d", f->port);
  event_log log = {0};
  side sd;
  side_init(&sd, "C", &log);
  assert_int_equal(roam_session_connect(f->rt, addr, NULL, side_callbacks(), &sd, &sd.s), 0);
  roam_session *client = sd.s;
  assert_true(run_until(f->rt, &sd.ended, 5000));
  assert_int_equal(sd.handshake_status, ROAM_EPEERERROR);
  assert_string_equal(roam_session_last_error(client), "server busy: at the limit of 3 sessions");
  side_close(f->rt, &sd);
  assert_int_equal(listener_stat(f, ROAM_LISTENER_STAT_REFUSED), 2);

  /* One session ends: the next connection gets a session. */
  raw_close(&c[0]);
  assert_true(run_until(f->rt, &f->sessions[0].ended, 2000));
  assert_int_equal(listener_stat(f, ROAM_LISTENER_STAT_SESSIONS), 2);
  raw_connect(&c[4], f->port);
  raw_handshake(f->rt, &c[4]);
  assert_int_equal(f->accepted, 4);
  assert_int_equal(listener_stat(f, ROAM_LISTENER_STAT_ACCEPTED), 4);
  for (int i = 1; i < 5; ++i) {
    if (i != 3) raw_close(&c[i]);
  }
}

/* At most 2 sessions in handshake: a 3rd connection is refused while two
 * silent ones wait; once one of them says Hello there is room again. */
static void listener_refuses_connections_over_its_handshake_cap(void **state) {
  fixture *f = *state;
  roam_options *o;
  assert_int_equal(roam_options_new(&o), 0);
  assert_int_equal(roam_options_set_listener_limits(o, 0, 2), 0);
  listen_with(f, o);
  roam_options_free(o);
  raw_conn silent[2], c;
  for (int i = 0; i < 2; ++i) raw_connect(&silent[i], f->port);
  assert_true(run_until_count(f->rt, &f->accepted, 2, 2000));
  assert_int_equal(listener_stat(f, ROAM_LISTENER_STAT_HANDSHAKING), 2);

  raw_connect(&c, f->port);
  raw_send_frame(&c, kHelloV7, sizeof kHelloV7);
  expect_farewell(f->rt, &c, "server busy: at the limit of 2 sessions in handshake");
  raw_close(&c);
  assert_int_equal(f->accepted, 2);
  assert_int_equal(listener_stat(f, ROAM_LISTENER_STAT_REFUSED), 1);

  raw_handshake(f->rt, &silent[0]);
  assert_int_equal(listener_stat(f, ROAM_LISTENER_STAT_HANDSHAKING), 1);
  raw_connect(&c, f->port);
  raw_handshake(f->rt, &c);
  assert_int_equal(f->accepted, 3);
  raw_close(&c);
  raw_close(&silent[0]);
  raw_close(&silent[1]);
}

/* ---- memory ---------------------------------------------------------------------------------- */

/* Opens n raw connections to the listener, in batches the kernel's accept
 * backlog holds, and runs the loop until each has a session. */
static void open_silent_connections(fixture *f, raw_conn *conns, int n) {
  int opened = 0;
  while (opened < n) {
    int batch = n - opened < 50 ? n - opened : 50;
    for (int i = 0; i < batch; ++i) raw_connect(&conns[opened + i], f->port);
    opened += batch;
    int target = f->accepted + batch;
    assert_true(run_until_count(f->rt, &f->accepted, target, 5000));
  }
}

/* Makes room for ~2 descriptors per connection, or says how many fit. */
static int connections_that_fit(int wanted) {
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  int fit = (int)((rl.rlim_cur - 64) / 2);
  return fit < wanted ? fit : wanted;
}

/* Connections that never say Hello each cost the library a small session:
 * no read buffer of their own (one per loop is shared), nothing else big. */
static void connections_before_hello_cost_little_memory(void **state) {
  fixture *f = *state;
  enum { WANTED = 500, WARMUP = 10 };
  static raw_conn conns[WANTED + WARMUP];
  int n = connections_that_fit(WANTED);
  if (n < 100) skip();
  roam_options *o;
  assert_int_equal(roam_options_new(&o), 0);
  assert_int_equal(roam_options_set_listener_limits(o, 2000, 2000), 0);
  listen_with(f, o);
  roam_options_free(o);
  /* The first few pay for one-time growth (libuv's watcher table, …). */
  open_silent_connections(f, conns, WARMUP);
  size_t before = heap_in_use();
  open_silent_connections(f, conns + WARMUP, n);
  run_for(f->rt, 20);
  size_t after = heap_in_use();
  long per = ((long)after - (long)before) / n;
  print_message("pre-handshake sessions: %d open, %ld heap bytes each\n", n, per);
  assert_true(per < 8 * 1024);
  assert_int_equal(listener_stat(f, ROAM_LISTENER_STAT_HANDSHAKING), (uint64_t)(n + WARMUP));
  for (int i = 0; i < n + WARMUP; ++i) raw_close(&conns[i]);
  assert_true(run_until_count(f->rt, &f->ended, n + WARMUP, 10000));
}

/* 20 peers announce 16 MiB frames and send ~1 KiB of each: the library
 * holds about what arrived, not what was announced. */
static void trickling_peers_cost_what_they_sent_not_what_they_announced(void **state) {
  fixture *f = *state;
  enum { PEERS = 20, SENT = 1024 };
  listen_with(f, NULL);
  static raw_conn c[PEERS];
  for (int i = 0; i < PEERS; ++i) {
    raw_connect(&c[i], f->port);
    raw_handshake(f->rt, &c[i]);
  }
  assert_true(run_until_count(f->rt, &f->handshakes, PEERS, 3000));
  run_for(f->rt, 20);
  size_t before = heap_in_use();
  static uint8_t body[SENT];
  memset(body, 0x5a, sizeof body);
  for (int i = 0; i < PEERS; ++i) {
    raw_send(&c[i], kHeader16MiB, sizeof kHeader16MiB);
    raw_send(&c[i], body, sizeof body);
  }
  /* Until every session has read it all. */
  uint64_t want = sizeof kHelloV7 + 4 + sizeof kHeader16MiB + SENT;
  uint64_t deadline = ms_now() + 5000;
  int all_read = 0;
  while (!all_read && ms_now() < deadline) {
    run_for(f->rt, 5);
    all_read = 1;
    for (int i = 0; i < PEERS; ++i) {
      uint64_t in = 0;
      roam_session_stat(f->sessions[i].s, ROAM_STAT_BYTES_IN, &in);
      if (in < want) all_read = 0;
    }
  }
  assert_true(all_read);
  size_t after = heap_in_use();
  long grew = (long)after - (long)before;
  print_message("%d trickling peers (16 MiB announced, %d bytes sent each): heap grew %ld bytes\n",
                PEERS, SENT, grew);
  assert_true(grew < 1024 * 1024);
  for (int i = 0; i < PEERS; ++i) {
    assert_int_equal(f->sessions[i].ended, 0);
    raw_close(&c[i]);
  }
  assert_true(run_until_count(f->rt, &f->ended, PEERS, 5000));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(trickling_peer_is_cut_off_by_the_frame_timeout, setup, teardown),
      cmocka_unit_test_setup_teardown(quiet_session_ends_at_the_idle_timeout, setup, teardown),
      cmocka_unit_test_setup_teardown(listener_refuses_connections_over_its_session_cap, setup, teardown),
      cmocka_unit_test_setup_teardown(listener_refuses_connections_over_its_handshake_cap, setup, teardown),
      cmocka_unit_test_setup_teardown(connections_before_hello_cost_little_memory, setup, teardown),
      cmocka_unit_test_setup_teardown(trickling_peers_cost_what_they_sent_not_what_they_announced,
                                      setup, teardown),
  };
  return cmocka_run_group_tests_name("capi_slow_peers", tests, NULL, NULL);
}
