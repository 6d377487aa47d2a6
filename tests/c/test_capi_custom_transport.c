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
  roam_reply *sum_reply;
  int custom_items;
  int custom_channel_ended;
  int custom_channel_reason;
} fixture;

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- the server side (a normal session): echo, sum over a channel, generate ----------- */

static void server_item(roam_channel *ch, void *ud, const uint8_t *item, size_t len) {
  fixture *f = ud;
  f->server_sum += pc_get_signed(item, len);
  f->server_items++;
  (void)ch;
}

static void server_channel_end(roam_channel *ch, void *ud, int reason, const roam_metadata *md) {
  fixture *f = ud;
  if (f->sum_reply && reason == 0) {
    uint8_t out[16];
    assert_int_equal(roam_reply_ok(f->sum_reply, NULL, out, pc_put_signed(out, f->server_sum)), 0);
    f->sum_reply = NULL;
  }
  (void)ch, (void)md;
}

static void server_serve(roam_conn *conn, void *ud, roam_reply *reply, uint64_t method,
                         const uint64_t *channels, size_t n, const roam_metadata *md,
                         const uint8_t *args, size_t len) {
  fixture *f = ud;
  roam_channel *ch;
  if (method == METHOD_ECHO) {
    assert_int_equal(roam_reply_ok(reply, NULL, args, len), 0);
  } else if (method == METHOD_SUM && n == 1) {
    assert_int_equal(roam_conn_channel_bind(conn, channels[0], ROAM_CHANNEL_RECEIVE,
                                            ROAM_DEFAULT_CHANNEL_CREDIT, f, &ch), 0);
    f->sum_reply = reply;
  } else if (method == METHOD_GENERATE && n == 1) {
    assert_int_equal(roam_conn_channel_bind(conn, channels[0], ROAM_CHANNEL_SEND,
                                            ROAM_DEFAULT_CHANNEL_CREDIT, f, &ch), 0);
    for (int i = 0; i < 10; ++i) {
      uint8_t item[8];
      assert_int_equal(roam_channel_send(ch, item, pc_put_signed(item, i)), 0);
    }
    assert_int_equal(roam_channel_close(ch, NULL), 0);
    assert_int_equal(roam_reply_ok(reply, NULL, NULL, 0), 0);
  } else {
    roam_reply_fail(reply, ROAM_EUNKNOWNMETHOD);
  }
  (void)md;
}

/* ---- the custom side ----------------------------------------------------------------------- */

/* Every callback of the custom session notes whether it ran inside a
 * driving call. */
static void note_callback(fixture *f) {
  if (!f->driving) f->outside_calls++;
}

static void custom_serve(roam_conn *conn, void *ud, roam_reply *reply, uint64_t method,
                         const uint64_t *channels, size_t n, const roam_metadata *md,
                         const uint8_t *args, size_t len) {
  fixture *f = ud;
  note_callback(f);
  assert_int_equal(roam_reply_ok(reply, NULL, args, len), 0);
  (void)conn, (void)method, (void)channels, (void)n, (void)md;
}

static void custom_item(roam_channel *ch, void *ud, const uint8_t *item, size_t len) {
  fixture *f = ud;
  note_callback(f);
  assert_int_equal(pc_get_signed(item, len), f->custom_items);
  f->custom_items++;
  (void)ch;
}

static void custom_channel_end(roam_channel *ch, void *ud, int reason, const roam_metadata *md) {
  fixture *f = ud;
  note_callback(f);
  f->custom_channel_ended = 1;
  f->custom_channel_reason = reason;
  (void)ch, (void)md;
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

static fixture *g;

static void on_response(roam_call *call, void *ud, int status, const roam_metadata *md,
                        const uint8_t *value, size_t len) {
  outcome *o = ud;
  if (g && roam_conn_session(roam_call_conn(call)) == g->cs) note_callback(g);
  o->done++;
  o->status = status;
  o->len = len < sizeof o->value ? len : sizeof o->value;
  if (o->len) memcpy(o->value, value, o->len);
  (void)md;
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
  int rt_timeout = roam_runtime_backend_timeout(f->rt);
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
  roam_options *server_opts = roam_options_new();
  roam_options_set_keepalive(server_opts, 30, 1000);
  assert_int_equal(roam_listener_new(f->rt, "tcp://127.0.0.1:0", server_opts, side_on_accept,
                                     &f->acceptor, &f->listener), 0);
  roam_options_free(server_opts);
  int port = roam_listener_port(f->listener);

  f->fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(f->fd, (struct sockaddr *)&sa, sizeof sa), 0);
  fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) | O_NONBLOCK);

  roam_options *opts = roam_options_new();
  roam_options_set_keepalive(opts, 20, 1000);
  assert_int_equal(roam_session_new_custom(opts, now_us(), &f->cs), 0);
  roam_options_free(opts);
  assert_null(roam_session_runtime(f->cs));
  side_init(&f->custom, "custom", &f->log, f->cs);
  roam_session_on_call(f->cs, custom_serve, f);
  roam_session_on_channel_item(f->cs, custom_item, f);
  roam_session_on_channel_end(f->cs, custom_channel_end, f);

  assert_true(pump_until(f, &f->acceptor.accepted, 1, 2000));
  roam_session_on_call(f->server.s, server_serve, f);
  roam_session_on_channel_item(f->server.s, server_item, f);
  roam_session_on_channel_end(f->server.s, server_channel_end, f);
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

static roam_conn *root_of(roam_session *s) {
  roam_conn *root;
  assert_int_equal(roam_session_root(s, &root), 0);
  return root;
}

static void calls_go_both_ways(void **state) {
  fixture *f = *state;
  outcome mine = {0}, theirs = {0};
  assert_int_equal(roam_conn_call(root_of(f->cs), METHOD_ECHO, NULL, "\x02hi", 3, on_response, &mine, NULL), 0);
  assert_int_equal(mine.done, 0);  /* never inside the call */
  assert_true(pump_until(f, &mine.done, 1, 2000));
  assert_int_equal(mine.status, 0);
  assert_memory_equal(mine.value, "\x02hi", 3);
  assert_int_equal(roam_conn_call(root_of(f->server.s), 77, NULL, "\x03you", 4, on_response, &theirs, NULL), 0);
  assert_true(pump_until(f, &theirs.done, 1, 2000));
  assert_int_equal(theirs.status, 0);
  assert_memory_equal(theirs.value, "\x03you", 4);
}

static void channels_go_both_ways(void **state) {
  fixture *f = *state;
  /* custom -> server: 100 items summed */
  roam_channel *tx;
  assert_int_equal(roam_conn_channel_open(root_of(f->cs), ROAM_CHANNEL_SEND, ROAM_DEFAULT_CHANNEL_CREDIT, f, &tx), 0);
  uint64_t id = roam_channel_id(tx);
  static outcome sum;
  memset(&sum, 0, sizeof sum);
  assert_int_equal(roam_conn_call_with_channels(root_of(f->cs), METHOD_SUM, &id, 1, NULL, NULL, 0,
                                                on_response, &sum, NULL), 0);
  int next = 0;
  while (next < 100) {
    uint8_t item[8];
    int rc = roam_channel_send(tx, item, pc_put_signed(item, next));
    if (rc == ROAM_EAGAIN) {
      pump_once(f, 5);
      continue;
    }
    assert_int_equal(rc, 0);
    next++;
  }
  assert_int_equal(roam_channel_close(tx, NULL), 0);
  assert_true(pump_until(f, &sum.done, 1, 3000));
  assert_int_equal(sum.status, 0);
  assert_int_equal(f->server_items, 100);
  assert_true(pc_get_signed(sum.value, sum.len) == 4950);
  /* server -> custom: generate 10 */
  roam_channel *rx;
  assert_int_equal(roam_conn_channel_open(root_of(f->cs), ROAM_CHANNEL_RECEIVE, ROAM_DEFAULT_CHANNEL_CREDIT, f, &rx), 0);
  id = roam_channel_id(rx);
  static outcome gen;
  memset(&gen, 0, sizeof gen);
  assert_int_equal(roam_conn_call_with_channels(root_of(f->cs), METHOD_GENERATE, &id, 1, NULL, NULL, 0,
                                                on_response, &gen, NULL), 0);
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
