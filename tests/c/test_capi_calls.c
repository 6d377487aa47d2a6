/* Calls through the public API over real sockets: responses and roam
 * errors, replies now or later, cancels both ways, the races (a call racing
 * a close, a cancel racing a response, a reply after the close), and both
 * max_concurrent_requests limits. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "sides.h"

enum { METHOD_ECHO = 1, METHOD_FAIL = 2, METHOD_HOLD = 3, METHOD_BAD = 4 };

typedef struct {
  roam_runtime *rt;
  event_log log;
  side client, server;
  roam_reply *held[64];  /* replies the server keeps for later */
  int held_count;
  int served;
  int cancelled_replies;
} fixture;

static fixture *g;  /* for callbacks that only get a reply or call */

static void serve(roam_conn *conn, void *ud, roam_reply *reply, uint64_t method,
                  const uint64_t *channels, size_t n, const roam_metadata *md,
                  const uint8_t *args, size_t len) {
  fixture *f = ud;
  f->served++;
  (void)conn;
  (void)channels;
  (void)n;
  (void)md;
  switch (method) {
    case METHOD_ECHO: {
      roam_metadata *out = md_string("served-by", "server");
      assert_int_equal(roam_reply_ok(reply, out, args, len), 0);
      roam_metadata_free(out);
      break;
    }
    case METHOD_FAIL:
      assert_int_equal(roam_reply_user_error(reply, NULL, "\x01", 1), 0);
      break;
    case METHOD_BAD:
      assert_int_equal(roam_reply_fail(reply, ROAM_EINVALIDPAYLOAD), 0);
      break;
    case METHOD_HOLD:
      f->held[f->held_count++] = reply;
      break;
    default:
      assert_int_equal(roam_reply_fail(reply, ROAM_EUNKNOWNMETHOD), 0);
  }
}

static void on_server_call_cancelled(roam_reply *reply, void *ud) {
  fixture *f = ud;
  f->cancelled_replies++;
  log_add(&f->log, "server call %llu cancelled", (unsigned long long)roam_reply_request_id(reply));
}

typedef struct {
  int done;
  int status;
  char md[128];
  char value[128];
  size_t value_len;
} outcome;

static void on_response(roam_call *call, void *ud, int status, const roam_metadata *md,
                        const uint8_t *value, size_t len) {
  outcome *o = ud;
  assert_int_equal(o->done, 0);  /* exactly once */
  o->done = 1;
  o->status = status;
  md_render(md, o->md, sizeof o->md);
  o->value_len = len < sizeof o->value ? len : sizeof o->value - 1;
  if (o->value_len) memcpy(o->value, value, o->value_len);
  o->value[o->value_len] = '\0';
  if (g) log_add(&g->log, "client call %llu done %s", (unsigned long long)roam_call_request_id(call),
                 roam_err_name(status));
}

static int setup(void **state) {
  fixture *f = test_calloc(1, sizeof *f);
  g = f;
  assert_int_equal(roam_runtime_new(&f->rt), 0);
  roam_options *server_opts = roam_options_new();
  roam_options_set_max_concurrent_requests(server_opts, 4);
  roam_session *c, *s;
  assert_int_equal(roam_session_pair(f->rt, NULL, server_opts, &c, &s), 0);
  roam_options_free(server_opts);
  side_init(&f->client, "client", &f->log, c);
  side_init(&f->server, "server", &f->log, s);
  roam_session_on_call(s, serve, f);
  roam_session_on_call_cancelled(s, on_server_call_cancelled, f);
  assert_true(run_until(f->rt, &f->client.handshake_done, 2000));
  assert_true(run_until(f->rt, &f->server.handshake_done, 2000));
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  if (!f->client.closed) side_close(f->rt, &f->client);
  if (!f->server.closed) side_close(f->rt, &f->server);
  /* Replies are the server's to release even after its session is gone
   * (they are detached, so this only frees them). */
  for (int i = 0; i < f->held_count; ++i) {
    if (f->held[i]) {
      assert_null(roam_reply_conn(f->held[i]));
      roam_reply_release(f->held[i]);
    }
  }
  assert_int_equal(roam_runtime_free(f->rt), 0);
  test_free(f);
  g = NULL;
  return 0;
}

static roam_conn *client_root(fixture *f) {
  roam_conn *root;
  assert_int_equal(roam_session_root(f->client.s, &root), 0);
  return root;
}

static void call_returns_value_and_metadata(void **state) {
  fixture *f = *state;
  outcome o = {0};
  roam_call *call;
  assert_int_equal(roam_conn_call(client_root(f), METHOD_ECHO, NULL, "\x05hello", 6, on_response, &o, &call), 0);
  assert_int_equal(roam_call_request_id(call), 1);  /* odd: the initiator's root parity */
  assert_true(run_until(f->rt, &o.done, 2000));
  assert_int_equal(o.status, 0);
  assert_string_equal(o.value, "\x05hello");
  assert_string_equal(o.md, "served-by=server");
}

static void roam_errors_reach_the_caller(void **state) {
  fixture *f = *state;
  outcome user = {0}, unknown = {0}, invalid = {0};
  roam_conn_call(client_root(f), METHOD_FAIL, NULL, NULL, 0, on_response, &user, NULL);
  roam_conn_call(client_root(f), 99, NULL, NULL, 0, on_response, &unknown, NULL);
  roam_conn_call(client_root(f), METHOD_BAD, NULL, NULL, 0, on_response, &invalid, NULL);
  assert_true(run_until(f->rt, &invalid.done, 2000));
  assert_true(run_until(f->rt, &unknown.done, 2000));
  assert_true(run_until(f->rt, &user.done, 2000));
  assert_int_equal(user.status, ROAM_EUSER);
  assert_int_equal(user.value_len, 1);
  assert_int_equal(unknown.status, ROAM_EUNKNOWNMETHOD);
  assert_int_equal(invalid.status, ROAM_EINVALIDPAYLOAD);
}

static void session_without_a_server_answers_unknown_method(void **state) {
  fixture *f = *state;
  roam_session_on_call(f->server.s, NULL, NULL);
  roam_session_on_request(f->server.s, NULL, NULL);
  outcome o = {0};
  roam_conn_call(client_root(f), METHOD_ECHO, NULL, "x", 1, on_response, &o, NULL);
  assert_true(run_until(f->rt, &o.done, 2000));
  assert_int_equal(o.status, ROAM_EUNKNOWNMETHOD);
}

static void reply_later_and_reply_released_unanswered(void **state) {
  fixture *f = *state;
  outcome later = {0}, dropped = {0};
  roam_conn_call(client_root(f), METHOD_HOLD, NULL, NULL, 0, on_response, &later, NULL);
  roam_conn_call(client_root(f), METHOD_HOLD, NULL, NULL, 0, on_response, &dropped, NULL);
  assert_true(run_until_count(f->rt, &f->held_count, 2, 2000));
  run_for(f->rt, 20);
  assert_int_equal(later.done + dropped.done, 0);
  assert_non_null(roam_reply_conn(f->held[0]));
  assert_int_equal(roam_reply_method_id(f->held[0]), METHOD_HOLD);
  assert_int_equal(roam_reply_ok(f->held[0], NULL, "\x2a", 1), 0);
  f->held[0] = NULL;
  assert_int_equal(roam_reply_release(f->held[1]), 0);  /* never answered */
  f->held[1] = NULL;
  assert_true(run_until(f->rt, &later.done, 2000));
  assert_true(run_until(f->rt, &dropped.done, 2000));
  assert_int_equal(later.status, 0);
  assert_int_equal(dropped.status, ROAM_ECANCELLED);
}

static void cancel_completes_the_call_and_tells_the_server(void **state) {
  fixture *f = *state;
  outcome o = {0};
  roam_call *call;
  roam_conn_call(client_root(f), METHOD_HOLD, NULL, NULL, 0, on_response, &o, &call);
  assert_true(run_until(f->rt, &f->held_count, 2000));
  assert_int_equal(roam_call_cancel(call, NULL), 0);
  assert_int_equal(o.done, 0);  /* completed after the call returns */
  assert_true(run_until(f->rt, &o.done, 2000));
  assert_int_equal(o.status, ROAM_ECANCELLED);
  assert_true(run_until(f->rt, &f->cancelled_replies, 2000));
  /* The server's late answer is refused; nothing reaches the client twice. */
  assert_int_equal(roam_reply_ok(f->held[0], NULL, "\x01", 1), ROAM_ECANCELLED);
  f->held[0] = NULL;
  run_for(f->rt, 20);
}

static void cancel_racing_a_response_completes_once(void **state) {
  fixture *f = *state;
  enum { N = 4 };  /* the server's limit */
  outcome o[N];
  memset(o, 0, sizeof o);
  roam_call *calls[N];
  for (int i = 0; i < N; ++i) {
    assert_int_equal(roam_conn_call(client_root(f), METHOD_ECHO, NULL, "r", 1, on_response, &o[i], &calls[i]), 0);
  }
  /* The server answers as soon as it reads them; we cancel every other one
   * before reading anything, so their responses arrive after the cancel. */
  for (int i = 0; i < N; i += 2) assert_int_equal(roam_call_cancel(calls[i], NULL), 0);
  int total = 0;
  for (int t = 0; t < 400 && total < N; ++t) {
    run_for(f->rt, 5);
    total = 0;
    for (int i = 0; i < N; ++i) total += o[i].done;
  }
  for (int i = 0; i < N; ++i) {
    assert_int_equal(o[i].done, 1);
    assert_int_equal(o[i].status, i % 2 == 0 ? ROAM_ECANCELLED : 0);
  }
  run_for(f->rt, 20);  /* the late responses are dropped silently */
}

static void call_racing_a_close_completes_with_closed(void **state) {
  fixture *f = *state;
  roam_metadata *want = md_string("want", "accept");
  roam_conn *c;
  roam_session_open(f->client.s, ROAM_PARITY_DEFAULT, 8, want, NULL, &c);
  assert_true(run_until(f->rt, &f->client.opens_answered, 2000));
  outcome o = {0}, held = {0};
  assert_int_equal(roam_conn_call(c, METHOD_ECHO, NULL, "x", 1, on_response, &o, NULL), 0);
  assert_int_equal(roam_conn_call(c, METHOD_HOLD, NULL, "x", 1, on_response, &held, NULL), 0);
  assert_int_equal(roam_conn_close(c, NULL), 0);
  assert_int_equal(roam_conn_call(c, METHOD_ECHO, NULL, "x", 1, on_response, &o, NULL), ROAM_ECLOSED);
  assert_true(run_until(f->rt, &o.done, 2000));
  assert_true(run_until(f->rt, &held.done, 2000));
  assert_int_equal(o.status, ROAM_ECLOSED);
  assert_int_equal(held.status, ROAM_ECLOSED);
  /* The completions come before the connection's closed callback. */
  int done_at = log_find(&f->log, "client call 3 done ROAM_ECLOSED", 0);
  int closed_at = log_find(&f->log, "client closed conn=1 origin=local reason=ROAM_OK md=", 0);
  assert_true(done_at >= 0 && closed_at > done_at);
  roam_metadata_free(want);
}

static void reply_after_the_connection_closed_is_an_error_not_a_crash(void **state) {
  fixture *f = *state;
  roam_metadata *want = md_string("want", "accept");
  roam_conn *c;
  roam_session_open(f->client.s, ROAM_PARITY_DEFAULT, 8, want, NULL, &c);
  assert_true(run_until(f->rt, &f->client.opens_answered, 2000));
  outcome o = {0};
  roam_conn_call(c, METHOD_HOLD, NULL, NULL, 0, on_response, &o, NULL);
  assert_true(run_until(f->rt, &f->held_count, 2000));
  roam_conn_close(c, NULL);
  assert_true(run_until(f->rt, &f->server.conns_closed, 2000));
  assert_true(run_until(f->rt, &f->cancelled_replies, 2000));  /* told it went away */
  assert_null(roam_reply_conn(f->held[0]));
  assert_int_equal(roam_reply_ok(f->held[0], NULL, "x", 1), ROAM_ECLOSED);
  f->held[0] = NULL;
  /* Same after the whole session is gone. */
  outcome o2 = {0};
  roam_conn_call(client_root(f), METHOD_HOLD, NULL, NULL, 0, on_response, &o2, NULL);
  assert_true(run_until_count(f->rt, &f->held_count, 2, 2000));
  side_close(f->rt, &f->server);
  assert_int_equal(roam_reply_release(f->held[1]), 0);
  f->held[1] = NULL;
  assert_true(run_until(f->rt, &o2.done, 2000));
  assert_int_equal(o2.status, ROAM_EEOF);
  roam_metadata_free(want);
}

static void peers_limit_gives_eagain_not_a_violation(void **state) {
  fixture *f = *state;  /* the server advertised max_concurrent_requests 4 */
  static outcome o[5];  /* calls still pending at teardown complete into it */
  memset(o, 0, sizeof o);
  for (int i = 0; i < 4; ++i) {
    assert_int_equal(roam_conn_call(client_root(f), METHOD_HOLD, NULL, NULL, 0, on_response, &o[i], NULL), 0);
  }
  assert_int_equal(roam_conn_call(client_root(f), METHOD_HOLD, NULL, NULL, 0, on_response, &o[4], NULL),
                   ROAM_EAGAIN);
  assert_true(run_until_count(f->rt, &f->held_count, 4, 2000));
  roam_reply_ok(f->held[0], NULL, "", 0);
  f->held[0] = NULL;
  assert_true(run_until(f->rt, &o[0].done, 2000));
  assert_int_equal(roam_conn_call(client_root(f), METHOD_HOLD, NULL, NULL, 0, on_response, &o[4], NULL), 0);
}

static int raw_responses;
static int raw_cancelled;
static void raw_on_request(roam_conn *c, void *ud, int kind, uint64_t id, uint64_t method,
                           const uint64_t *ch, size_t n, const roam_metadata *md,
                           const uint8_t *payload, size_t len) {
  if (kind == ROAM_REQUEST_RESPONSE) {
    raw_responses++;
    if (len == 2 && payload[0] == 1 && payload[1] == 3) raw_cancelled++;
  }
  (void)c, (void)ud, (void)id, (void)method, (void)ch, (void)n, (void)md;
}

static void our_limit_is_enforced_against_a_peer_that_exceeds_it(void **state) {
  fixture *f = *state;  /* the server serves at most 4 at once */
  /* A raw client ignores the limit and sends 6 calls the server holds. */
  roam_session_on_request(f->client.s, raw_on_request, NULL);
  roam_conn *root = client_root(f);
  for (int i = 0; i < 6; ++i) {
    assert_int_equal(roam_conn_send_request(root, ROAM_REQUEST_CALL, (uint64_t)(101 + 2 * i), METHOD_HOLD,
                                            NULL, 0, NULL, NULL, 0), 0);
  }
  assert_true(run_until_count(f->rt, &raw_responses, 2, 2000));
  assert_int_equal(f->held_count, 4);
  assert_int_equal(raw_cancelled, 2);  /* the two over the limit, answered Cancelled */
  raw_responses = raw_cancelled = 0;
}

/* Hardening, finding 5: a served call the peer cancelled keeps counting
 * against max_concurrent_requests while the application still holds its
 * reply. A raw client sends Call + Cancel pairs without waiting: the server
 * application never holds more than its limit of 4. */
static void cancelled_calls_count_until_the_server_releases_them(void **state) {
  fixture *f = *state;
  roam_session_on_request(f->client.s, raw_on_request, NULL);
  roam_conn *root = client_root(f);
  enum { PAIRS = 2000 };
  for (int i = 0; i < PAIRS; ++i) {
    uint64_t id = (uint64_t)(1001 + 2 * i);
    assert_int_equal(roam_conn_send_request(root, ROAM_REQUEST_CALL, id, METHOD_HOLD, NULL, 0,
                                            NULL, NULL, 0), 0);
    assert_int_equal(roam_conn_send_request(root, ROAM_REQUEST_CANCEL, id, 0, NULL, 0, NULL,
                                            NULL, 0), 0);
    if (i % 100 == 99) run_for(f->rt, 2);
  }
  /* Every call is answered (Cancelled) exactly once. */
  assert_true(run_until_count(f->rt, &raw_responses, PAIRS, 5000));
  assert_int_equal(raw_cancelled, PAIRS);
  assert_int_equal(f->held_count, 4);
  assert_int_equal(f->cancelled_replies, 4);
  /* Once released, the slots serve new calls again. */
  for (int i = 0; i < 4; ++i) {
    roam_reply_release(f->held[i]);
    f->held[i] = NULL;
  }
  f->held_count = 0;
  static outcome o;  /* completes at teardown, after this function returns */
  memset(&o, 0, sizeof o);
  roam_conn_call(root, METHOD_HOLD, NULL, NULL, 0, on_response, &o, NULL);
  assert_true(run_until(f->rt, &f->held_count, 2000));
  raw_responses = raw_cancelled = 0;
}

/* Hardening, finding 1: roam_call_cancel sends its Cancel forced past the
 * soft limit; when that crosses the hard limit the session ends inside the
 * send and completes every pending call. The cancelled call must still
 * complete exactly once (on_response asserts it), and nothing freed may be
 * touched (ASan in the sanitizer pass). Deterministic: a forced reply fills
 * the backlog to 4 bytes short of the hard limit within one loop turn
 * (nothing is flushed before the turn ends), so the Cancel crosses it. */
static roam_reply *held_on_a[2];
static int held_on_a_count;
static void hold_on_a(roam_conn *conn, void *ud, roam_reply *reply, uint64_t method,
                      const uint64_t *channels, size_t n, const roam_metadata *md,
                      const uint8_t *args, size_t len) {
  held_on_a[held_on_a_count++] = reply;
  (void)conn, (void)ud, (void)method, (void)channels, (void)n, (void)md, (void)args, (void)len;
}

static void cancel_that_crosses_the_hard_limit_completes_the_call_once(void **state) {
  fixture *f = *state;
  enum { HARD = 64 * 1024 };
  /* A fresh pair: the client (a) has a small hard limit and serves calls
   * from the server side (b), which holds a's call. */
  roam_options *opts = roam_options_new();
  assert_int_equal(roam_options_set_outbound_limits(opts, 4096, HARD), 0);
  event_log log = {0};
  side sa = {.name = "a"}, sb = {.name = "b"};
  side_pair(f->rt, &log, &sa, opts, &sb, NULL);
  roam_options_free(opts);
  roam_session *a = sa.s, *b = sb.s;
  held_on_a_count = 0;
  roam_session_on_call(a, hold_on_a, NULL);
  roam_session_on_call(b, serve, f);
  roam_conn *ra, *rb;
  roam_session_root(a, &ra);
  roam_session_root(b, &rb);
  static outcome from_b[2];
  memset(from_b, 0, sizeof from_b);
  roam_conn_call(rb, METHOD_HOLD, NULL, NULL, 0, on_response, &from_b[0], NULL);
  roam_conn_call(rb, METHOD_HOLD, NULL, NULL, 0, on_response, &from_b[1], NULL);
  outcome mine = {0};
  roam_call *call;
  int held_before = f->held_count;
  assert_int_equal(roam_conn_call(ra, METHOD_HOLD, NULL, NULL, 0, on_response, &mine, &call), 0);
  assert_true(run_until_count(f->rt, &held_on_a_count, 2, 2000));
  assert_true(run_until_count(f->rt, &f->held_count, held_before + 1, 2000));
  run_for(f->rt, 10);  /* everything flushed: a's backlog is empty */
  /* One reply measures a response's overhead; the second fills the backlog. */
  size_t start = roam_session_outbound_backlog(a);
  assert_int_equal(roam_reply_ok(held_on_a[0], NULL, NULL, 0), 0);
  size_t overhead = roam_session_outbound_backlog(a) - start;
  size_t fill = HARD - roam_session_outbound_backlog(a) - overhead - 4;
  uint8_t *value = test_calloc(1, fill);
  assert_int_equal(roam_reply_ok(held_on_a[1], NULL, value, fill), 0);
  test_free(value);
  assert_int_equal(roam_session_outbound_backlog(a), HARD - 4);
  /* The Cancel (more than 4 bytes) crosses the hard limit inside this call. */
  roam_call_cancel(call, NULL);
  assert_true(run_until(f->rt, &mine.done, 2000));
  assert_int_equal(mine.status, ROAM_ECANCELLED);
  assert_true(run_until(f->rt, &sa.ended, 2000));
  assert_int_equal(sa.end_error, ROAM_ELIMIT);
  run_for(f->rt, 20);
  assert_int_equal(mine.done, 1);
  side_close(f->rt, &sa);
  side_close(f->rt, &sb);
}

/* Hardening, finding 4: the idle timeout cuts off a peer that says
 * nothing, but a quiet session with a call in progress is not idle: a
 * server holding a call longer than its idle timeout keeps the session,
 * and the timeout applies again once the call is answered. */
static void idle_timeout_waits_for_calls_in_progress(void **state) {
  fixture *f = *state;
  roam_options *opts = roam_options_new();
  assert_int_equal(roam_options_set_idle_timeout(opts, 200), 0);
  event_log log = {0};
  side client = {.name = "client"}, server = {.name = "server"};
  side_pair(f->rt, &log, &client, NULL, &server, opts);
  roam_options_free(opts);
  roam_session_on_call(server.s, serve, f);
  roam_conn *root;
  roam_session_root(client.s, &root);
  static outcome o;
  memset(&o, 0, sizeof o);
  int held_before = f->held_count;
  assert_int_equal(roam_conn_call(root, METHOD_HOLD, NULL, NULL, 0, on_response, &o, NULL), 0);
  assert_true(run_until_count(f->rt, &f->held_count, held_before + 1, 2000));
  run_for(f->rt, 700);  /* three idle timeouts with nothing on the wire */
  assert_int_equal(server.ended, 0);
  assert_int_equal(roam_reply_ok(f->held[held_before], NULL, "\x01", 1), 0);
  f->held[held_before] = NULL;
  assert_true(run_until(f->rt, &o.done, 2000));
  assert_int_equal(o.status, 0);
  assert_true(run_until(f->rt, &server.ended, 2000));
  assert_int_equal(server.end_error, ROAM_ETIMEDOUT);
  side_close(f->rt, &client);
  side_close(f->rt, &server);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(call_returns_value_and_metadata, setup, teardown),
      cmocka_unit_test_setup_teardown(roam_errors_reach_the_caller, setup, teardown),
      cmocka_unit_test_setup_teardown(session_without_a_server_answers_unknown_method, setup, teardown),
      cmocka_unit_test_setup_teardown(reply_later_and_reply_released_unanswered, setup, teardown),
      cmocka_unit_test_setup_teardown(cancel_completes_the_call_and_tells_the_server, setup, teardown),
      cmocka_unit_test_setup_teardown(cancel_racing_a_response_completes_once, setup, teardown),
      cmocka_unit_test_setup_teardown(call_racing_a_close_completes_with_closed, setup, teardown),
      cmocka_unit_test_setup_teardown(reply_after_the_connection_closed_is_an_error_not_a_crash, setup, teardown),
      cmocka_unit_test_setup_teardown(peers_limit_gives_eagain_not_a_violation, setup, teardown),
      cmocka_unit_test_setup_teardown(our_limit_is_enforced_against_a_peer_that_exceeds_it, setup, teardown),
      cmocka_unit_test_setup_teardown(cancelled_calls_count_until_the_server_releases_them, setup, teardown),
      cmocka_unit_test_setup_teardown(cancel_that_crosses_the_hard_limit_completes_the_call_once, setup, teardown),
      cmocka_unit_test_setup_teardown(idle_timeout_waits_for_calls_in_progress, setup, teardown),
  };
  return cmocka_run_group_tests_name("capi_calls", tests, NULL, NULL);
}
