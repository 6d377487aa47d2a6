/* Peers that misbehave, played by raw sockets in a thread (real loopback
 * TCP): garbage, a disconnect in the middle of a frame, a peer that never
 * says Hello, one that stops answering pings, a wrong protocol version, and
 * one that stops reading. Each must end our session with the right error,
 * tell the peer why where the spec says so, and leak nothing (the ASan run). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <roam/roam_experimental.h>

#include "harness.h"
#include "sides.h"

/* Frames as the wire notes give them (link payloads, no length prefix). */
static const uint8_t kHelloYourself[] = {0x00, 0x01, 0x01, 0x40, 0x00};  /* Even, 64, [] */
static const uint8_t kHelloV7[] = {0x00, 0x00, 0x07, 0x00, 0x40, 0x00};   /* Odd, 64, [] */
static const uint8_t kHelloV8[] = {0x00, 0x00, 0x08, 0x00, 0x40, 0x00};

typedef struct raw_peer raw_peer;
typedef void (*raw_script)(raw_peer *p);

struct raw_peer {
  int listen_fd;
  int port;
  int fd;
  raw_script script;
  pthread_t thread;
  /* What the script saw, for the test to check. */
  uint8_t last_frame[512];
  int last_frame_len;
  int frames_seen;
  int saw_eof;
  volatile int release;  /* the test lets a waiting script go on */
  int done;              /* the script finished (set by its thread) */
};

static void send_frame(int fd, const uint8_t *payload, size_t len) {
  uint8_t h[4] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24)};
  raw_write_all(fd, h, 4);
  raw_write_all(fd, payload, len);
}

/* Reads frames until EOF (or timeout), remembering the last one. */
static void read_until_eof(raw_peer *p, int timeout_ms) {
  uint8_t buf[512];
  int n;
  while ((n = raw_read_frame(p->fd, buf, sizeof buf, timeout_ms)) >= 0) {
    memcpy(p->last_frame, buf, (size_t)n);
    p->last_frame_len = n;
    p->frames_seen++;
  }
  p->saw_eof = raw_at_eof(p->fd, 1000);
}

static void *raw_thread(void *arg) {
  raw_peer *p = arg;
  p->fd = accept(p->listen_fd, NULL, NULL);
  if (p->fd >= 0) {
    p->script(p);
    close(p->fd);
  }
  __atomic_store_n(&p->done, 1, __ATOMIC_SEQ_CST);
  return NULL;
}

static void raw_start(raw_peer *p, raw_script script) {
  memset(p, 0, sizeof *p);
  p->listen_fd = raw_listen(&p->port);
  p->script = script;
  pthread_create(&p->thread, NULL, raw_thread, p);
}

/* Keeps our loop running (so our side can flush and close) until the
 * script is done. */
static void raw_join(roam_runtime *rt, raw_peer *p) {
  p->release = 1;
  assert_true(run_until(rt, &p->done, 10000));
  pthread_join(p->thread, NULL);
  close(p->listen_fd);
}

typedef struct {
  roam_runtime *rt;
  event_log log;
  side a;
  raw_peer peer;
} fixture;

static int setup(void **state) {
  fixture *f = test_calloc(1, sizeof *f);
  assert_int_equal(roam_runtime_new(&f->rt), 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  assert_int_equal(roam_runtime_free(f->rt), 0);
  test_free(f);
  return 0;
}

/* Our initiator connects to the raw peer, with the sides' callbacks or
 * another table (its user_data is f->a all the same). */
static void connect_to_peer_with(fixture *f, const roam_options *opts, const roam_callbacks *cbs) {
  char addr[64];
  snprintf(addr, sizeof addr, "tcp://127.0.0.1:%d", f->peer.port);
  side_init(&f->a, "A", &f->log);
  assert_int_equal(roam_session_connect(f->rt, addr, opts, cbs, &f->a, &f->a.s), 0);
}

static void connect_to_peer(fixture *f, const roam_options *opts) {
  connect_to_peer_with(f, opts, side_callbacks());
}

static void expect_end(fixture *f, int code) {
  assert_true(run_until(f->rt, &f->a.ended, 5000));
  if (f->a.end_error != code) {
    log_dump(&f->log);
    fail_msg("ended with %s, expected %s", roam_err_name(f->a.end_error), roam_err_name(code));
  }
}

/* ---- garbage ------------------------------------------------------------------------ */

static void script_garbage_after_handshake(raw_peer *p) {
  uint8_t buf[256];
  raw_read_frame(p->fd, buf, sizeof buf, 2000);  /* our Hello */
  send_frame(p->fd, kHelloYourself, sizeof kHelloYourself);
  static const uint8_t junk[] = {0x00, 0x63, 0xde, 0xad};  /* message kind 99 */
  send_frame(p->fd, junk, sizeof junk);
  read_until_eof(p, 3000);
}

static void garbage_ends_session_with_protocol_error_sent(void **state) {
  fixture *f = *state;
  raw_start(&f->peer, script_garbage_after_handshake);
  connect_to_peer(f, NULL);
  expect_end(f, ROAM_EBADTAG);
  assert_int_equal(f->a.handshake_status, 0);
  raw_join(f->rt, &f->peer);
  /* The peer was told why (ProtocolError on conn 0), then saw EOF. */
  assert_true(f->peer.saw_eof);
  assert_true(f->peer.last_frame_len > 3);
  assert_int_equal(f->peer.last_frame[0], 0x00);
  assert_int_equal(f->peer.last_frame[1], 0x02);
  assert_non_null(strstr(roam_session_last_error(f->a.s), "unknown discriminant"));
  side_close(f->rt, &f->a);
}

static void script_huge_frame(raw_peer *p) {
  uint8_t buf[256];
  raw_read_frame(p->fd, buf, sizeof buf, 2000);
  static const uint8_t huge[] = {0xff, 0xff, 0xff, 0x7f, 0x00, 0x00};
  raw_write_all(p->fd, huge, sizeof huge);
  read_until_eof(p, 3000);
}

static void oversized_frame_is_refused_during_handshake(void **state) {
  fixture *f = *state;
  raw_start(&f->peer, script_huge_frame);
  roam_options *o;
  assert_int_equal(roam_options_new(&o), 0);
  roam_options_set_max_frame_size(o, 4096);
  connect_to_peer(f, o);
  roam_options_free(o);
  expect_end(f, ROAM_EFRAMESIZE);
  assert_int_equal(f->a.handshake_status, ROAM_EFRAMESIZE);  /* reported as a failed handshake */
  raw_join(f->rt, &f->peer);
  assert_true(f->peer.saw_eof);
  side_close(f->rt, &f->a);
}

/* ---- disconnect mid-frame ------------------------------------------------------------ */

static void script_cut_mid_frame(raw_peer *p) {
  uint8_t buf[256];
  raw_read_frame(p->fd, buf, sizeof buf, 2000);
  send_frame(p->fd, kHelloYourself, sizeof kHelloYourself);
  static const uint8_t half[] = {0x10, 0x00, 0x00, 0x00, 0x00, 0x07, 0x01};
  raw_write_all(p->fd, half, sizeof half);
  usleep(50 * 1000);
}

static void disconnect_mid_frame_is_truncation(void **state) {
  fixture *f = *state;
  raw_start(&f->peer, script_cut_mid_frame);
  connect_to_peer(f, NULL);
  expect_end(f, ROAM_ETRUNCATED);
  log_expect(&f->log, "A closed conn=0 origin=session reason=ROAM_ETRUNCATED md=");
  raw_join(f->rt, &f->peer);
  side_close(f->rt, &f->a);
}

/* ---- silent peer (handshake timeout), both roles -------------------------------------- */

static void script_silent(raw_peer *p) { read_until_eof(p, 5000); }

static void initiator_gives_up_on_silent_acceptor(void **state) {
  fixture *f = *state;
  raw_start(&f->peer, script_silent);
  roam_options *o;
  assert_int_equal(roam_options_new(&o), 0);
  roam_options_set_handshake_timeout(o, 150);
  connect_to_peer(f, o);
  roam_options_free(o);
  expect_end(f, ROAM_ETIMEDOUT);
  assert_int_equal(f->a.handshake_status, ROAM_ETIMEDOUT);
  assert_string_equal(roam_session_last_error(f->a.s), "handshake not completed within 150 ms");
  raw_join(f->rt, &f->peer);
  assert_true(f->peer.saw_eof);  /* we closed the socket */
  /* Our Hello, then a ProtocolError saying why we give up. */
  assert_int_equal(f->peer.frames_seen, 2);
  side_close(f->rt, &f->a);
}

/* A raw client connecting to our listener, running `script`. */
typedef struct {
  int done;
  int port;
  const uint8_t *first;
  size_t first_len;
  uint8_t reply[512];
  int reply_len;
  int saw_eof;
} raw_client;

static void *raw_client_thread(void *arg) {
  raw_client *c = arg;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)c->port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
    if (c->first) send_frame(fd, c->first, c->first_len);
    c->reply_len = raw_read_frame(fd, c->reply, sizeof c->reply, 3000);
    c->saw_eof = raw_at_eof(fd, 2000);
  }
  close(fd);
  __atomic_store_n(&c->done, 1, __ATOMIC_SEQ_CST);
  return NULL;
}

static roam_listener *listen_with(fixture *f, side_acceptor *ctx, const roam_options *o, int *port) {
  roam_listener *l;
  assert_int_equal(
      roam_listener_new(f->rt, "tcp://127.0.0.1:0", o, side_callbacks(), side_on_accept, ctx, &l),
      0);
  *port = roam_listener_port(l);
  return l;
}

static void acceptor_gives_up_on_client_that_never_says_hello(void **state) {
  fixture *f = *state;
  side_acceptor ctx = {&f->a, "A", &f->log, 0};
  roam_options *o;
  assert_int_equal(roam_options_new(&o), 0);
  roam_options_set_handshake_timeout(o, 150);
  raw_client c = {0};
  roam_listener *l = listen_with(f, &ctx, o, &c.port);
  roam_options_free(o);
  pthread_t t;
  pthread_create(&t, NULL, raw_client_thread, &c);
  assert_true(run_until(f->rt, &ctx.accepted, 2000));
  expect_end(f, ROAM_ETIMEDOUT);
  assert_true(run_until(f->rt, &c.done, 10000));
  pthread_join(t, NULL);
  /* A ProtocolError saying why (conn 0, kind 2, the reason), then EOF. */
  static const char kTimedOut[] = "handshake not completed within 150 ms";
  assert_int_equal(c.reply_len, 3 + (int)strlen(kTimedOut));
  assert_int_equal(c.reply[1], 0x02);
  assert_memory_equal(c.reply + 3, kTimedOut, strlen(kTimedOut));
  listener_close_and_wait(f->rt, l);
  side_close(f->rt, &f->a);
}

static void acceptor_refuses_other_protocol_version(void **state) {
  fixture *f = *state;
  side_acceptor ctx = {&f->a, "A", &f->log, 0};
  raw_client c = {0};
  c.first = kHelloV8;
  c.first_len = sizeof kHelloV8;
  roam_listener *l = listen_with(f, &ctx, NULL, &c.port);
  pthread_t t;
  pthread_create(&t, NULL, raw_client_thread, &c);
  assert_true(run_until(f->rt, &ctx.accepted, 2000));
  expect_end(f, ROAM_EVERSION);
  assert_string_equal(roam_session_last_error(f->a.s), "version mismatch: got 8, expected 7");
  assert_true(run_until(f->rt, &c.done, 10000));
  pthread_join(t, NULL);
  /* The client got ProtocolError{"version mismatch: got 8, expected 7"}, then EOF. */
  static const char kWhy[] = "version mismatch: got 8, expected 7";
  assert_int_equal(c.reply_len, 3 + (int)strlen(kWhy));
  assert_int_equal(c.reply[1], 0x02);
  assert_memory_equal(c.reply + 3, kWhy, strlen(kWhy));
  assert_true(c.saw_eof);
  listener_close_and_wait(f->rt, l);
  side_close(f->rt, &f->a);
}

static void acceptor_answers_a_good_raw_hello(void **state) {
  fixture *f = *state;
  side_acceptor ctx = {&f->a, "A", &f->log, 0};
  raw_client c = {0};
  c.first = kHelloV7;
  c.first_len = sizeof kHelloV7;
  roam_listener *l = listen_with(f, &ctx, NULL, &c.port);
  pthread_t t;
  pthread_create(&t, NULL, raw_client_thread, &c);
  assert_true(run_until(f->rt, &f->a.handshake_done, 2000));
  assert_true(run_until(f->rt, &c.done, 10000));
  pthread_join(t, NULL);
  /* HelloYourself{Even (the opposite of the client's Odd), 64, []} */
  assert_int_equal(c.reply_len, 5);
  assert_memory_equal(c.reply, kHelloYourself, 5);
  expect_end(f, ROAM_EEOF);
  listener_close_and_wait(f->rt, l);
  side_close(f->rt, &f->a);
}

/* ---- one ordered event queue ------------------------------------------------------------------ */

/* Two frames in one read: a Call on conn 2, whose handler closes conn 2,
 * then a ConnectionOpen for conn 4. The closed callback (caused while
 * handling frame 1) must come before the inbound open of frame 2. */
static void script_call_then_open_in_one_read(raw_peer *p) {
  uint8_t buf[256];
  raw_read_frame(p->fd, buf, sizeof buf, 2000);  /* our Hello */
  send_frame(p->fd, kHelloYourself, sizeof kHelloYourself);
  static const uint8_t open2[] = {0x02, 0x03, 0x01, 0x40, 0x00};  /* conn 2: Even, 64, [] */
  send_frame(p->fd, open2, sizeof open2);
  raw_read_frame(p->fd, buf, sizeof buf, 2000);  /* our ConnectionAccept */
  /* Request{conn 2, id 2, Call{method 5, [], [], ()}} then ConnectionOpen{conn 4} */
  static const uint8_t both[] = {7, 0, 0, 0, 0x02, 0x07, 0x02, 0x00, 0x05, 0x00, 0x00,
                                 5, 0, 0, 0, 0x04, 0x03, 0x01, 0x40, 0x00};
  raw_write_all(p->fd, both, sizeof both);
  read_until_eof(p, 3000);
}

/* A serve callback that closes the connection it serves on. */
static void close_in_call_handler(roam_session *s, void *ud, roam_conn *conn, uint64_t request_id,
                                  uint64_t method, const uint64_t *channels, size_t n,
                                  const roam_metadata *md, const uint8_t *args, size_t len) {
  side *sd = ud;
  log_add(sd->log, "%s serving conn=%llu", sd->name, (unsigned long long)conn_id_checked(conn));
  assert_int_equal(roam_reply_release(conn, request_id), 0);
  assert_int_equal(roam_conn_close(conn, NULL), 0);
  (void)s, (void)method, (void)channels, (void)n, (void)md, (void)args, (void)len;
}

static void events_keep_the_order_of_the_frames_that_caused_them(void **state) {
  fixture *f = *state;
  raw_start(&f->peer, script_call_then_open_in_one_read);
  roam_callbacks *cbs = side_callbacks_new();
  assert_int_equal(roam_callbacks_set_serve(cbs, close_in_call_handler), 0);
  connect_to_peer_with(f, NULL, cbs);
  roam_callbacks_free(cbs);  /* the session keeps its own copy */
  f->a.accept_all = 1;
  assert_true(run_until_count(f->rt, &f->a.inbound_opens, 2, 2000));
  int served = log_find(&f->log, "A serving conn=2", 0);
  int closed = log_find(&f->log, "A closed conn=2 origin=local reason=ROAM_OK md=", 0);
  int opened = log_find(&f->log, "A inbound_open conn=4 md=", 0);
  if (!(served >= 0 && closed > served && opened > closed)) {
    log_dump(&f->log);
    fail_msg("expected serving conn=2, closed conn=2, inbound_open conn=4 in that order");
  }
  roam_session_shutdown(f->a.s);
  raw_join(f->rt, &f->peer);
  side_close(f->rt, &f->a);
}

/* ---- a peer that stops answering pings ---------------------------------------------------- */

static void script_deaf_after_handshake(raw_peer *p) {
  uint8_t buf[256];
  raw_read_frame(p->fd, buf, sizeof buf, 2000);
  send_frame(p->fd, kHelloYourself, sizeof kHelloYourself);
  read_until_eof(p, 5000);  /* reads pings, answers none */
}

static void unanswered_pings_end_session_with_keepalive_timeout(void **state) {
  fixture *f = *state;
  raw_start(&f->peer, script_deaf_after_handshake);
  roam_options *o;
  assert_int_equal(roam_options_new(&o), 0);
  roam_options_set_keepalive(o, 50, 150);
  connect_to_peer(f, o);
  roam_options_free(o);
  expect_end(f, ROAM_EKEEPALIVE);
  assert_int_equal(f->a.keepalive_timeouts, 1);
  int timeout_at = log_find(&f->log, "A keepalive_timeout", 0);
  int end_at = log_find(&f->log, "A end ROAM_EKEEPALIVE: keepalive timeout: no Pong for ping 1 within 150 ms", 0);
  assert_true(timeout_at >= 0 && end_at > timeout_at);
  raw_join(f->rt, &f->peer);
  /* It saw our Ping{1} on conn 0 (00 09 01) before we gave up. */
  assert_int_equal(f->peer.frames_seen, 1);  /* one ping, never a second while waiting */
  assert_int_equal(f->peer.last_frame_len, 3);
  assert_memory_equal(f->peer.last_frame, "\x00\x09\x01", 3);
  side_close(f->rt, &f->a);
}

/* ---- a peer that stops reading ----------------------------------------------------------------- */

static void script_stop_reading(raw_peer *p) {
  uint8_t buf[256];
  raw_read_frame(p->fd, buf, sizeof buf, 2000);
  send_frame(p->fd, kHelloYourself, sizeof kHelloYourself);
  while (!p->release) usleep(1000);
  /* Now drain everything. */
  uint8_t big[65536];
  while (read(p->fd, big, sizeof big) > 0) {
  }
}

static void slow_reader_bounds_outbound_memory(void **state) {
  fixture *f = *state;
  raw_start(&f->peer, script_stop_reading);
  roam_options *o;
  assert_int_equal(roam_options_new(&o), 0);
  enum { SOFT = 256 * 1024, HARD = 64 * 1024 * 1024, CHUNK = 16 * 1024 };
  roam_options_set_outbound_limits(o, SOFT, HARD);
  connect_to_peer(f, o);
  roam_options_free(o);
  assert_true(run_until(f->rt, &f->a.handshake_done, 2000));
  roam_conn *root;
  roam_session_root(f->a.s, &root);
  static uint8_t chunk[CHUNK];
  size_t max_backlog = 0;
  long sent = 0;
  int eagain = 0;
  /* Keep producing for a while: the socket buffers fill, then we must say
   * EAGAIN instead of buffering more. */
  for (int round = 0; round < 200; ++round) {
    int rc;
    while ((rc = roam_conn_send_request(root, ROAM_REQUEST_CALL, (uint64_t)(2 * sent + 1), 1, NULL,
                                        0, NULL, chunk, sizeof chunk)) == 0) {
      ++sent;
    }
    assert_int_equal(rc, ROAM_EAGAIN);
    ++eagain;
    size_t b = 0;
    assert_int_equal(roam_session_outbound_backlog(f->a.s, &b), 0);
    if (b > max_backlog) max_backlog = b;
    run_for(f->rt, 2);
  }
  assert_true(eagain > 0);
  /* Never more than the soft limit plus the one message that crossed it. */
  assert_true(max_backlog <= SOFT + CHUNK + 64);
  assert_int_equal(f->a.ended, 0);
  /* The reader wakes up: we are told to resume. */
  f->a.writable = 0;
  f->peer.release = 1;
  assert_true(run_until(f->rt, &f->a.writable, 5000));
  assert_int_equal(roam_conn_send_request(root, ROAM_REQUEST_CALL, 99999, 1, NULL, 0, NULL, chunk,
                                          sizeof chunk),
                   0);
  side_close(f->rt, &f->a);
  raw_join(f->rt, &f->peer);
  print_message("slow reader: %ld messages of %d bytes accepted, peak backlog %zu bytes\n", sent,
                CHUNK, max_backlog);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(garbage_ends_session_with_protocol_error_sent, setup, teardown),
      cmocka_unit_test_setup_teardown(oversized_frame_is_refused_during_handshake, setup, teardown),
      cmocka_unit_test_setup_teardown(disconnect_mid_frame_is_truncation, setup, teardown),
      cmocka_unit_test_setup_teardown(initiator_gives_up_on_silent_acceptor, setup, teardown),
      cmocka_unit_test_setup_teardown(acceptor_gives_up_on_client_that_never_says_hello, setup, teardown),
      cmocka_unit_test_setup_teardown(acceptor_refuses_other_protocol_version, setup, teardown),
      cmocka_unit_test_setup_teardown(acceptor_answers_a_good_raw_hello, setup, teardown),
      cmocka_unit_test_setup_teardown(events_keep_the_order_of_the_frames_that_caused_them, setup, teardown),
      cmocka_unit_test_setup_teardown(unanswered_pings_end_session_with_keepalive_timeout, setup, teardown),
      cmocka_unit_test_setup_teardown(slow_reader_bounds_outbound_memory, setup, teardown),
  };
  return cmocka_run_group_tests_name("capi_bad_peers", tests, NULL, NULL);
}
