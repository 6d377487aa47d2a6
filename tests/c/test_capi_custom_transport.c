/* Bring your own transport: a session with no libuv under it, carried by a
 * TCP socket this test owns and drives itself with poll(), against a normal
 * libroam session accepted by a listener on loopback. A full session over
 * it: handshake, calls both ways, channels both ways, keepalive, and a
 * close from each side, with the event rules of roam.h (callbacks only
 * inside receive / receive_eof / tick). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "postcard.h"
#include "sides.h"

enum { METHOD_ECHO = 1, METHOD_SUM = 2, METHOD_GENERATE = 3 };

typedef struct {
  roam_runtime *rt;
  roam_listener *listener;
  event_log log;
  side server;         /* the libroam session on the runtime */
  side_acceptor acceptor;
  side custom;         /* the session on our own socket */
  roam_session *cs;    /* the custom session (NULL once freed) */
  int fd;              /* our transport */
  int fd_eof;          /* the peer closed our socket */
  int in_callback;     /* a custom-session callback is running */
  int outside_calls;   /* callbacks that ran outside receive / tick */
  int driving;         /* inside roam_session_receive / receive_eof / tick */
  int closed;          /* the custom session's close callback ran */
  /* channels */
  long server_sum;
  int server_items;
  roam_conn *sum_conn;  /* the sum call the server answers once its channel is done */
  uint64_t sum_id;
  int custom_items;
  int custom_channel_ended;
  int custom_channel_reason;
} fixture;

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static fixture *g;  /* session callbacks get the side as user_data */

/* Every callback of the custom session notes whether it ran inside a
 * driving call. */
static void note_callback(fixture *f) {
  if (!f->driving) f->outside_calls++;
}

static void note_session(roam_session *s) {
  if (g && s != NULL && s == g->cs) note_callback(g);
}

/* ---- the sides' table and hooks -----------------------------------------------------------
 * Both sessions here serve calls, so each gets a table from
 * side_callbacks_new() with its serve callback; the custom side's hook
 * notes whether its callbacks ran inside a driving call. user_data: the
 * side. */

static void note_side_callback(side *sd, roam_session *s) {
  note_session(s);
  (void)sd;
}

static void conn_gone(side *sd, roam_conn *c) {
  if (g && c == g->sum_conn) g->sum_conn = NULL;  /* the last callback naming it */
  (void)sd;
}

/* Without raw callbacks: channel items that come before the serve callback
 * binds their channel are kept for it. */
static roam_callbacks *side_table(roam_serve_cb serve) {
  roam_callbacks *cbs = side_callbacks_new();
  side_callbacks_clear_raw(cbs);
  roam_callbacks_set_serve(cbs, serve);
  return cbs;
}

/* ---- the server side (a normal session): echo, sum over a channel, generate ----------- */

static void server_item(roam_conn *conn, uint64_t id, void *ud, const uint8_t *item, size_t len) {
  fixture *f = ud;
  f->server_sum += pc_get_signed(item, len);
  f->server_items++;
  (void)conn, (void)id;
}

static void server_channel_end(roam_conn *conn, uint64_t id, void *ud, int reason,
                               const roam_metadata *md) {
  fixture *f = ud;
  if (f->sum_conn && reason == 0) {
    uint8_t out[16];
    assert_int_equal(roam_reply_ok(f->sum_conn, f->sum_id, NULL, out,
                                   pc_put_signed(out, f->server_sum)), 0);
    f->sum_conn = NULL;
  }
  (void)conn, (void)id, (void)md;
}

static void server_serve(roam_session *s, void *ud, roam_conn *conn, uint64_t request_id,
                         uint64_t method, const uint64_t *channels, size_t n,
                         const roam_metadata *md, const uint8_t *args, size_t len) {
  fixture *f = g;
  if (method == METHOD_ECHO) {
    assert_int_equal(roam_reply_ok(conn, request_id, NULL, args, len), 0);
  } else if (method == METHOD_SUM && n == 1) {
    assert_int_equal(roam_conn_channel_bind(conn, channels[0], ROAM_CHANNEL_RECEIVE,
                                            ROAM_DEFAULT_CHANNEL_CREDIT, server_item,
                                            server_channel_end, NULL, f), 0);
    f->sum_conn = conn;
    f->sum_id = request_id;
  } else if (method == METHOD_GENERATE && n == 1) {
    assert_int_equal(roam_conn_channel_bind(conn, channels[0], ROAM_CHANNEL_SEND,
                                            ROAM_DEFAULT_CHANNEL_CREDIT, NULL, NULL, NULL, f), 0);
    for (int i = 0; i < 10; ++i) {
      uint8_t item[8];
      assert_int_equal(roam_channel_send(conn, channels[0], item, pc_put_signed(item, i)), 0);
    }
    assert_int_equal(roam_channel_close(conn, channels[0], NULL), 0);
    assert_int_equal(roam_reply_ok(conn, request_id, NULL, NULL, 0), 0);
  } else {
    roam_reply_fail(conn, request_id, ROAM_EUNKNOWNMETHOD, NULL);
  }
  (void)s, (void)ud, (void)md;
}

/* ---- the custom side ----------------------------------------------------------------------- */

static void custom_serve(roam_session *s, void *ud, roam_conn *conn, uint64_t request_id,
                         uint64_t method, const uint64_t *channels, size_t n,
                         const roam_metadata *md, const uint8_t *args, size_t len) {
  note_session(s);
  assert_true(s == g->cs);
  assert_int_equal(roam_reply_ok(conn, request_id, NULL, args, len), 0);
  (void)ud, (void)method, (void)channels, (void)n, (void)md;
}

static void custom_item(roam_conn *conn, uint64_t id, void *ud, const uint8_t *item, size_t len) {
  fixture *f = ud;
  note_callback(f);
  assert_int_equal(pc_get_signed(item, len), f->custom_items);
  f->custom_items++;
  (void)conn, (void)id;
}

static void custom_channel_end(roam_conn *conn, uint64_t id, void *ud, int reason,
                               const roam_metadata *md) {
  fixture *f = ud;
  note_callback(f);
  f->custom_channel_ended = 1;
  f->custom_channel_reason = reason;
  (void)conn, (void)id, (void)md;
}

/* The sending channel of the custom side: its callbacks are noted too. */
static void custom_tx_end(roam_conn *conn, uint64_t id, void *ud, int reason,
                          const roam_metadata *md) {
  note_callback(ud);
  (void)conn, (void)id, (void)reason, (void)md;
}

static void custom_tx_writable(roam_conn *conn, uint64_t id, void *ud) {
  note_callback(ud);
  (void)conn, (void)id;
}

static void custom_closed(roam_session *s, void *ud) {
  fixture *f = ud;
  note_callback(f);
  f->closed = 1;
  f->cs = NULL;
  (void)s;
}

typedef struct {
  int done;
  int status;
  uint8_t value[64];
  size_t len;
} outcome;

static void on_response(roam_conn *conn, void *ud, uint64_t request_id, int status,
                        const roam_metadata *md, const uint8_t *value, size_t len) {
  outcome *o = ud;
  note_session(roam_conn_session(conn));
  o->done++;
  o->status = status;
  o->len = len < sizeof o->value ? len : sizeof o->value;
  if (o->len) memcpy(o->value, value, o->len);
  (void)md, (void)request_id;
}

/* ---- the transport, driven by hand --------------------------------------------------------- */

/* One round: poll our socket and the runtime's backend fd, move bytes both
 * ways, tick the custom session when due, let the runtime run. */
static void pump_once(fixture *f, int max_wait_ms) {
  int timeout = max_wait_ms;
  if (f->cs) {
    uint64_t deadline;
    assert_int_equal(roam_session_next_deadline(f->cs, &deadline), 0);
    uint64_t now = now_us();
    int until = deadline <= now ? 0 : (int)((deadline - now) / 1000);
    if (until < timeout) timeout = until;
  }
  int rt_timeout = -1;
  assert_int_equal(roam_runtime_backend_timeout(f->rt, &rt_timeout), 0);
  if (rt_timeout >= 0 && rt_timeout < timeout) timeout = rt_timeout;

  const uint8_t *out = NULL;
  size_t out_len = 0;
  int out_rc = f->cs ? roam_session_pending_output(f->cs, &out, &out_len) : ROAM_ECLOSED;
  struct pollfd fds[2] = {{.fd = f->fd, .events = POLLIN}, {.fd = roam_runtime_backend_fd(f->rt), .events = POLLIN}};
  if (out_len > 0) fds[0].events |= POLLOUT;
  if (f->fd < 0 || f->fd_eof) fds[0].fd = -1;
  poll(fds, 2, timeout);

  if (f->cs && out_len > 0 && (fds[0].revents & POLLOUT)) {
    ssize_t n = send(f->fd, out, out_len, MSG_NOSIGNAL);
    if (n > 0) assert_int_equal(roam_session_consume_output(f->cs, (size_t)n), 0);
  }
  if (f->cs && out_rc == ROAM_ECLOSED && f->fd >= 0) {
    close(f->fd);  /* the roam side is done with our transport */
    f->fd = -1;
  }
  if (f->cs && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
    uint8_t buf[4096];
    ssize_t n = recv(f->fd, buf, sizeof buf, 0);
    f->driving = 1;
    if (n > 0) {
      roam_session *s = f->cs;
      int rc = roam_session_receive(s, buf, (size_t)n, now_us());
      assert_true(rc == 0 || rc == ROAM_ECLOSED);
    } else if (n == 0 || (n < 0 && errno != EAGAIN)) {
      f->fd_eof = 1;
      roam_session_receive_eof(f->cs, now_us());
    }
    f->driving = 0;
  }
  if (f->cs) {
    f->driving = 1;
    assert_int_equal(roam_session_tick(f->cs, now_us()), 0);
    f->driving = 0;
  }
  roam_runtime_run_nowait(f->rt);
}

static int pump_until(fixture *f, const int *flag, int target, int timeout_ms) {
  uint64_t end = now_us() + (uint64_t)timeout_ms * 1000u;
  while (*flag < target && now_us() < end) pump_once(f, 5);
  return *flag >= target;
}

static int setup(void **state) {
  fixture *f = test_calloc(1, sizeof *f);
  g = f;
  f->fd = -1;
  assert_int_equal(roam_runtime_new(&f->rt), 0);
  f->acceptor = (side_acceptor){&f->server, "server", &f->log, 0};
  roam_options *server_opts;
  assert_int_equal(roam_options_new(&server_opts), 0);
  roam_options_set_keepalive(server_opts, 30, 1000);
  roam_callbacks *server_cbs = side_table(server_serve);
  assert_int_equal(roam_listener_new(f->rt, "tcp://127.0.0.1:0", server_opts, server_cbs,
                                     side_on_accept, &f->acceptor, &f->listener), 0);
  roam_callbacks_free(server_cbs);
  roam_options_free(server_opts);
  int port = roam_listener_port(f->listener);

  f->fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(f->fd, (struct sockaddr *)&sa, sizeof sa), 0);
  fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) | O_NONBLOCK);

  roam_options *opts;
  assert_int_equal(roam_options_new(&opts), 0);
  roam_options_set_keepalive(opts, 20, 1000);
  side_init(&f->custom, "custom", &f->log);
  f->custom.on_callback = note_side_callback;
  f->custom.on_conn_gone = conn_gone;
  roam_callbacks *custom_cbs = side_table(custom_serve);
  assert_int_equal(roam_session_new_custom(opts, custom_cbs, &f->custom, now_us(), &f->cs), 0);
  roam_callbacks_free(custom_cbs);
  roam_options_free(opts);
  f->custom.s = f->cs;
  assert_null(roam_session_runtime(f->cs));

  assert_true(pump_until(f, &f->acceptor.accepted, 1, 2000));
  f->server.on_conn_gone = conn_gone;  /* side_on_accept reset the side */
  assert_true(pump_until(f, &f->custom.handshake_done, 1, 2000));
  assert_true(pump_until(f, &f->server.handshake_done, 1, 2000));
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  if (f->cs) {
    assert_int_equal(roam_session_close(f->cs, custom_closed, f), 0);
    assert_true(pump_until(f, &f->closed, 1, 3000));
  }
  if (f->fd >= 0) close(f->fd);
  if (!f->server.closed) side_close(f->rt, &f->server);
  listener_close_and_wait(f->rt, f->listener);
  assert_int_equal(roam_runtime_free(f->rt), 0);
  assert_int_equal(f->outside_calls, 0);
  test_free(f);
  g = NULL;
  return 0;
}

static void calls_go_both_ways(void **state) {
  fixture *f = *state;
  outcome mine = {0}, theirs = {0};
  assert_int_equal(roam_conn_call(session_root(f->cs), METHOD_ECHO, NULL, 0, NULL, "\x02hi", 3,
                                  on_response, &mine, NULL), 0);
  assert_int_equal(mine.done, 0);  /* never inside the call */
  assert_true(pump_until(f, &mine.done, 1, 2000));
  assert_int_equal(mine.status, 0);
  assert_memory_equal(mine.value, "\x02hi", 3);
  assert_int_equal(roam_conn_call(session_root(f->server.s), 77, NULL, 0, NULL, "\x03you", 4,
                                  on_response, &theirs, NULL), 0);
  assert_true(pump_until(f, &theirs.done, 1, 2000));
  assert_int_equal(theirs.status, 0);
  assert_memory_equal(theirs.value, "\x03you", 4);
}

static void channels_go_both_ways(void **state) {
  fixture *f = *state;
  /* custom -> server: 100 items summed */
  roam_conn *root = session_root(f->cs);
  uint64_t tx;
  assert_int_equal(roam_conn_channel_open(root, ROAM_CHANNEL_SEND, ROAM_DEFAULT_CHANNEL_CREDIT,
                                          NULL, custom_tx_end, custom_tx_writable, f, &tx), 0);
  static outcome sum;
  memset(&sum, 0, sizeof sum);
  assert_int_equal(roam_conn_call(root, METHOD_SUM, &tx, 1, NULL, NULL, 0, on_response, &sum,
                                  NULL), 0);
  int next = 0;
  while (next < 100) {
    uint8_t item[8];
    int rc = roam_channel_send(root, tx, item, pc_put_signed(item, next));
    if (rc == ROAM_EAGAIN) {
      pump_once(f, 5);
      continue;
    }
    assert_int_equal(rc, 0);
    next++;
  }
  assert_int_equal(roam_channel_close(root, tx, NULL), 0);
  assert_true(pump_until(f, &sum.done, 1, 3000));
  assert_int_equal(sum.status, 0);
  assert_int_equal(f->server_items, 100);
  assert_true(pc_get_signed(sum.value, sum.len) == 4950);
  /* server -> custom: generate 10 */
  uint64_t rx;
  assert_int_equal(roam_conn_channel_open(root, ROAM_CHANNEL_RECEIVE, ROAM_DEFAULT_CHANNEL_CREDIT,
                                          custom_item, custom_channel_end, NULL, f, &rx), 0);
  static outcome gen;
  memset(&gen, 0, sizeof gen);
  assert_int_equal(roam_conn_call(root, METHOD_GENERATE, &rx, 1, NULL, NULL, 0, on_response, &gen,
                                  NULL), 0);
  assert_true(pump_until(f, &f->custom_channel_ended, 1, 3000));
  assert_true(pump_until(f, &gen.done, 1, 3000));
  assert_int_equal(f->custom_items, 10);
  assert_int_equal(f->custom_channel_reason, 0);
}

static void keepalive_runs_on_the_applications_clock(void **state) {
  fixture *f = *state;
  /* Both sides ping (20 ms here, 30 ms there) and answer each other. */
  assert_true(pump_until(f, &f->custom.pongs, 5, 3000));
  assert_true(pump_until(f, &f->server.pongs, 5, 3000));
  assert_int_equal(f->custom.keepalive_timeouts, 0);
  assert_int_equal(f->server.keepalive_timeouts, 0);
}

static void closing_the_custom_side_ends_both(void **state) {
  fixture *f = *state;
  assert_int_equal(roam_session_close(f->cs, custom_closed, f), 0);
  assert_int_equal(f->closed, 0);
  assert_true(pump_until(f, &f->closed, 1, 3000));
  assert_null(f->cs);
  assert_int_equal(f->fd, -1);  /* the roam side said it was done: we closed it */
  assert_true(pump_until(f, &f->server.ended, 1, 3000));
  assert_int_equal(f->server.end_error, ROAM_EEOF);
}

static void the_peer_hanging_up_ends_the_custom_side(void **state) {
  fixture *f = *state;
  assert_int_equal(roam_session_shutdown(f->server.s), 0);
  assert_true(pump_until(f, &f->custom.ended, 1, 3000));
  assert_int_equal(f->custom.end_error, ROAM_EEOF);
  assert_true(f->fd_eof);
}

static void bad_arguments_are_rejected(void **state) {
  fixture *f = *state;
  const uint8_t *out;
  size_t len;
  uint64_t deadline;
  assert_int_equal(roam_session_receive(NULL, "x", 1, 0), ROAM_EINVAL);
  assert_int_equal(roam_session_receive(f->cs, NULL, 1, 0), ROAM_EINVAL);
  assert_int_equal(roam_session_pending_output(f->server.s, &out, &len), ROAM_EINVAL);  /* a libuv session */
  assert_int_equal(roam_session_tick(f->server.s, 0), ROAM_EINVAL);
  assert_int_equal(roam_session_next_deadline(f->cs, NULL), ROAM_EINVAL);
  assert_int_equal(roam_session_next_deadline(f->cs, &deadline), 0);
  assert_int_equal(roam_session_consume_output(f->cs, 1u << 30), ROAM_EINVAL);  /* more than pending */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(calls_go_both_ways, setup, teardown),
      cmocka_unit_test_setup_teardown(channels_go_both_ways, setup, teardown),
      cmocka_unit_test_setup_teardown(keepalive_runs_on_the_applications_clock, setup, teardown),
      cmocka_unit_test_setup_teardown(closing_the_custom_side_ends_both, setup, teardown),
      cmocka_unit_test_setup_teardown(the_peer_hanging_up_ends_the_custom_side, setup, teardown),
      cmocka_unit_test_setup_teardown(bad_arguments_are_rejected, setup, teardown),
  };
  return cmocka_run_group_tests_name("capi_custom_transport", tests, NULL, NULL);
}
