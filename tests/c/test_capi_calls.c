/* Calls through the public API over real sockets: responses and roam
 * errors, replies now or later, cancels both ways, the races (a call racing
 * a close, a cancel racing a response, a reply after the close), and both
 * max_concurrent_requests limits. */
#include <stdio.h>
#include <string.h>

#include <roam/roam_experimental.h>

#include "harness.h"
#include "sides.h"

enum { METHOD_ECHO = 1, METHOD_FAIL = 2, METHOD_HOLD = 3, METHOD_BAD = 4 };

/* A served request the server keeps for later, by (connection, id). conn
 * is NULL once it was answered, or once its connection's closed callback
 * ran (the last callback naming that connection). */
typedef struct {
  roam_conn *conn;
  uint64_t id;
  uint64_t method;
} held_request;

typedef struct {
  roam_runtime *rt;
  event_log log;
  side client, server;
  held_request held[64];  /* requests the server keeps for later */
  int held_count;
  int served;
  int cancelled_replies;
  /* reply_after_the_connection_closed: answer held requests from inside
   * the closed callback of their connection, and what that returned. */
  int answer_in_closed;
  int answer_in_closed_rc;
  int answered_in_closed;
} fixture;

static fixture *g;  /* callbacks get the side as user_data */

/* ---- the sides' hook ---------------------------------------------------------------------
 * Sessions that serve calls (or take raw requests their own way) are made
 * with tables from side_callbacks_new(); each side has this hook. */

/* The closed callback is the last one naming a connection: forget it. */
static void conn_gone(side *sd, roam_conn *c) {
  if (g == NULL) return;
  for (int i = 0; i < g->held_count; ++i) {
    if (g->held[i].conn != c) continue;
    if (g->answer_in_closed) {
      g->answer_in_closed_rc = roam_reply_ok(c, g->held[i].id, NULL, "x", 1);
      g->answered_in_closed++;
    }
    g->held[i].conn = NULL;
  }
  (void)sd;
}

/* ---- the server ------------------------------------------------------------------------- */

static void serve(roam_session *s, void *ud, roam_conn *conn, uint64_t request_id,
                  uint64_t method, const uint64_t *channels, size_t n, const roam_metadata *md,
                  const uint8_t *args, size_t len) {
  fixture *f = g;
  f->served++;
  (void)s, (void)ud, (void)channels, (void)n, (void)md;
  switch (method) {
    case METHOD_ECHO: {
      roam_metadata *out = md_string("served-by", "server");
      assert_int_equal(roam_reply_ok(conn, request_id, out, args, len), 0);
      roam_metadata_free(out);
      break;
    }
    case METHOD_FAIL:
      assert_int_equal(roam_reply_user_error(conn, request_id, NULL, "\x01", 1), 0);
      break;
    case METHOD_BAD:
      assert_int_equal(roam_reply_fail(conn, request_id, ROAM_EINVALIDPAYLOAD, NULL), 0);
      break;
    case METHOD_HOLD:
      f->held[f->held_count++] = (held_request){conn, request_id, method};
      break;
    default:
      assert_int_equal(roam_reply_fail(conn, request_id, ROAM_EUNKNOWNMETHOD, NULL), 0);
  }
}

static void on_server_call_cancelled(roam_session *s, void *ud, roam_conn *conn,
                                     uint64_t request_id) {
  fixture *f = g;
  f->cancelled_replies++;
  log_add(&f->log, "server call %llu cancelled", (unsigned long long)request_id);
  (void)s, (void)ud, (void)conn;
}

/* The server's answer to held request i; it is over whatever that returns. */
static int answer_held(fixture *f, int i, const void *value, size_t len) {
  assert_non_null(f->held[i].conn);
  int rc = roam_reply_ok(f->held[i].conn, f->held[i].id, NULL, value, len);
  f->held[i].conn = NULL;
  return rc;
}

static int release_held(fixture *f, int i) {
  assert_non_null(f->held[i].conn);
  int rc = roam_reply_release(f->held[i].conn, f->held[i].id);
  f->held[i].conn = NULL;
  return rc;
}

/* ---- the client ------------------------------------------------------------------------- */

typedef struct {
  int done;
  int status;
  char md[128];
  char value[128];
  size_t value_len;
} outcome;

static void on_response(roam_conn *conn, void *ud, uint64_t request_id, int status,
                        const roam_metadata *md, const uint8_t *value, size_t len) {
  outcome *o = ud;
  assert_int_equal(o->done, 0);  /* exactly once */
  o->done = 1;
  o->status = status;
  md_render(md, o->md, sizeof o->md);
  o->value_len = len < sizeof o->value ? len : sizeof o->value - 1;
  if (o->value_len) memcpy(o->value, value, o->value_len);
  o->value[o->value_len] = '\0';
  if (g) log_add(&g->log, "client call %llu done %s", (unsigned long long)request_id,
                 roam_err_name(status));
  (void)conn;
}

/* A raw client: responses to requests it sent with roam_conn_send_request
 * come here (nobody else waits for them). */
static int raw_responses;
static int raw_cancelled;
static void raw_on_request(roam_session *s, void *ud, roam_conn *c, int kind, uint64_t id,
                           uint64_t method, const uint64_t *ch, size_t n, const roam_metadata *md,
                           const uint8_t *payload, size_t len) {
  if (kind == ROAM_REQUEST_RESPONSE) {
    raw_responses++;
    if (len == 2 && payload[0] == 1 && payload[1] == 3) raw_cancelled++;
  }
  (void)s, (void)c, (void)ud, (void)id, (void)method, (void)ch, (void)n, (void)md;
}

static roam_callbacks *server_table(roam_serve_cb serve_cb) {
  roam_callbacks *cbs = side_callbacks_new();
  roam_callbacks_set_serve(cbs, serve_cb);
  roam_callbacks_set_serve_cancelled(cbs, on_server_call_cancelled);
  return cbs;
}

static roam_callbacks *client_table(void) {
  roam_callbacks *cbs = side_callbacks_new();
  roam_callbacks_set_raw_request(cbs, raw_on_request);
  return cbs;
}

static int setup(void **state) {
  fixture *f = test_calloc(1, sizeof *f);
  g = f;
  raw_responses = raw_cancelled = 0;
  assert_int_equal(roam_runtime_new(&f->rt), 0);
  roam_options *server_opts;
  assert_int_equal(roam_options_new(&server_opts), 0);
  roam_options_set_max_concurrent_requests(server_opts, 4);
  roam_callbacks *ccbs = client_table(), *scbs = server_table(serve);
  f->client = (side){.name = "client", .on_conn_gone = conn_gone};
  f->server = (side){.name = "server", .on_conn_gone = conn_gone};
  side_pair_with(f->rt, &f->log, &f->client, NULL, ccbs, &f->server, server_opts, scbs);
  roam_callbacks_free(ccbs);
  roam_callbacks_free(scbs);
  roam_options_free(server_opts);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  if (!f->client.closed) side_close(f->rt, &f->client);
  if (!f->server.closed) side_close(f->rt, &f->server);
  /* Requests still held ended with their connections: each closed callback
   * came (and was the last word on them), so no id outlives its session. */
  for (int i = 0; i < f->held_count; ++i) assert_null(f->held[i].conn);
  assert_int_equal(roam_runtime_free(f->rt), 0);
  test_free(f);
  g = NULL;
  return 0;
}

static roam_conn *client_root(fixture *f) { return session_root(f->client.s); }

static size_t backlog(roam_session *s) {
  size_t bytes = 0;
  assert_int_equal(roam_session_outbound_backlog(s, &bytes), 0);
  return bytes;
}

static void call_returns_value_and_metadata(void **state) {
  fixture *f = *state;
  outcome o = {0};
  uint64_t id = 0;
  assert_int_equal(roam_conn_call(client_root(f), METHOD_ECHO, NULL, 0, NULL, "\x05hello", 6,
                                  on_response, &o, &id), 0);
  assert_int_equal(id, 1);  /* odd: the initiator's root parity */
  assert_true(run_until(f->rt, &o.done, 2000));
  assert_int_equal(o.status, 0);
  assert_string_equal(o.value, "\x05hello");
  assert_string_equal(o.md, "served-by=server");
}

static void roam_errors_reach_the_caller(void **state) {
  fixture *f = *state;
  outcome user = {0}, unknown = {0}, invalid = {0};
  roam_conn_call(client_root(f), METHOD_FAIL, NULL, 0, NULL, NULL, 0, on_response, &user, NULL);
  roam_conn_call(client_root(f), 99, NULL, 0, NULL, NULL, 0, on_response, &unknown, NULL);
  roam_conn_call(client_root(f), METHOD_BAD, NULL, 0, NULL, NULL, 0, on_response, &invalid, NULL);
  assert_true(run_until(f->rt, &invalid.done, 2000));
  assert_true(run_until(f->rt, &unknown.done, 2000));
  assert_true(run_until(f->rt, &user.done, 2000));
  assert_int_equal(user.status, ROAM_EUSER);
  assert_int_equal(user.value_len, 1);
  assert_int_equal(unknown.status, ROAM_EUNKNOWNMETHOD);
  assert_int_equal(invalid.status, ROAM_EINVALIDPAYLOAD);
}

/* A session made without a serve callback (and without a raw request
 * callback to take calls instead) answers UnknownMethod; so does one made
 * with no callbacks table at all. */
static void session_without_a_server_answers_unknown_method(void **state) {
  fixture *f = *state;
  roam_callbacks *no_serve = side_callbacks_new();
  side_callbacks_clear_raw(no_serve);
  const roam_callbacks *tables[] = {no_serve, NULL};
  for (int i = 0; i < 2; ++i) {
    event_log log = {0};
    side client = {.name = "c2"}, server = {.name = "s2"};
    side_init(&client, client.name, &log);
    side_init(&server, server.name, &log);
    assert_int_equal(roam_session_pair(f->rt, NULL, side_callbacks(), &client, NULL, tables[i],
                                       &server, &client.s, &server.s), 0);
    assert_true(run_until(f->rt, &client.handshake_done, 2000));
    roam_conn *root = session_root(client.s);
    outcome o = {0};
    assert_int_equal(roam_conn_call(root, METHOD_ECHO, NULL, 0, NULL, "x", 1, on_response, &o,
                                    NULL), 0);
    assert_true(run_until(f->rt, &o.done, 2000));
    assert_int_equal(o.status, ROAM_EUNKNOWNMETHOD);
    side_close(f->rt, &client);
    side_close(f->rt, &server);
  }
  roam_callbacks_free(no_serve);
}

static void reply_later_and_reply_released_unanswered(void **state) {
  fixture *f = *state;
  outcome later = {0}, dropped = {0};
  uint64_t later_id, dropped_id;
  roam_conn_call(client_root(f), METHOD_HOLD, NULL, 0, NULL, NULL, 0, on_response, &later, &later_id);
  roam_conn_call(client_root(f), METHOD_HOLD, NULL, 0, NULL, NULL, 0, on_response, &dropped, &dropped_id);
  assert_true(run_until_count(f->rt, &f->held_count, 2, 2000));
  run_for(f->rt, 20);
  assert_int_equal(later.done + dropped.done, 0);
  /* The serve callback named the request by the caller's id on the root. */
  assert_non_null(f->held[0].conn);
  assert_int_equal(conn_id_checked(f->held[0].conn), 0);
  assert_int_equal(f->held[0].id, later_id);
  assert_int_equal(f->held[1].id, dropped_id);
  assert_int_equal(f->held[0].method, METHOD_HOLD);
  assert_int_equal(answer_held(f, 0, "\x2a", 1), 0);
  assert_int_equal(release_held(f, 1), 0);  /* never answered */
  assert_true(run_until(f->rt, &later.done, 2000));
  assert_true(run_until(f->rt, &dropped.done, 2000));
  assert_int_equal(later.status, 0);
  assert_int_equal(dropped.status, ROAM_ECANCELLED);
}

static void cancel_completes_the_call_and_tells_the_server(void **state) {
  fixture *f = *state;
  outcome o = {0};
  uint64_t id;
  roam_conn_call(client_root(f), METHOD_HOLD, NULL, 0, NULL, NULL, 0, on_response, &o, &id);
  assert_true(run_until(f->rt, &f->held_count, 2000));
  assert_int_equal(roam_call_cancel(client_root(f), id, NULL), 0);
  assert_int_equal(o.done, 0);  /* completed after the call returns */
  assert_true(run_until(f->rt, &o.done, 2000));
  assert_int_equal(o.status, ROAM_ECANCELLED);
  assert_true(run_until(f->rt, &f->cancelled_replies, 2000));
  char line[64];
  snprintf(line, sizeof line, "server call %llu cancelled", (unsigned long long)id);
  log_expect(&f->log, line);
  /* The server's late answer is refused; nothing reaches the client twice. */
  assert_int_equal(answer_held(f, 0, "\x01", 1), ROAM_ECANCELLED);
  run_for(f->rt, 20);
}

static void cancel_racing_a_response_completes_once(void **state) {
  fixture *f = *state;
  enum { N = 4 };  /* the server's limit */
  outcome o[N];
  memset(o, 0, sizeof o);
  uint64_t ids[N];
  for (int i = 0; i < N; ++i) {
    assert_int_equal(roam_conn_call(client_root(f), METHOD_ECHO, NULL, 0, NULL, "r", 1, on_response,
                                    &o[i], &ids[i]), 0);
  }
  /* The server answers as soon as it reads them; we cancel every other one
   * before reading anything, so their responses arrive after the cancel. */
  for (int i = 0; i < N; i += 2) assert_int_equal(roam_call_cancel(client_root(f), ids[i], NULL), 0);
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
  outcome o = {0}, held = {0}, refused = {0};
  assert_int_equal(roam_conn_call(c, METHOD_ECHO, NULL, 0, NULL, "x", 1, on_response, &o, NULL), 0);
  assert_int_equal(roam_conn_call(c, METHOD_HOLD, NULL, 0, NULL, "x", 1, on_response, &held, NULL), 0);
  assert_int_equal(roam_conn_close(c, NULL), 0);
  assert_int_equal(roam_conn_call(c, METHOD_ECHO, NULL, 0, NULL, "x", 1, on_response, &refused, NULL),
                   ROAM_ECLOSED);
  assert_true(run_until(f->rt, &o.done, 2000));
  assert_true(run_until(f->rt, &held.done, 2000));
  assert_int_equal(o.status, ROAM_ECLOSED);
  assert_int_equal(held.status, ROAM_ECLOSED);
  /* The completions come before the connection's closed callback. */
  int done_at = log_find(&f->log, "client call 3 done ROAM_ECLOSED", 0);
  int closed_at = log_find(&f->log, "client closed conn=1 origin=local reason=ROAM_OK md=", 0);
  if (!(done_at >= 0 && closed_at > done_at)) {
    log_dump(&f->log);
    fail();
  }
  run_for(f->rt, 20);
  assert_int_equal(refused.done, 0);  /* the refused call never completes */
  roam_metadata_free(want);
}

static void reply_after_the_connection_closed_is_an_error_not_a_crash(void **state) {
  fixture *f = *state;
  roam_metadata *want = md_string("want", "accept");
  roam_conn *c;
  roam_session_open(f->client.s, ROAM_PARITY_DEFAULT, 8, want, NULL, &c);
  assert_true(run_until(f->rt, &f->client.opens_answered, 2000));
  outcome o = {0};
  uint64_t id;
  roam_conn_call(c, METHOD_HOLD, NULL, 0, NULL, NULL, 0, on_response, &o, &id);
  assert_true(run_until(f->rt, &f->held_count, 2000));
  /* The client closes; the server answers from the closed callback of the
   * connection (its handle still valid there): the request ended with it. */
  f->answer_in_closed = 1;
  roam_conn_close(c, NULL);
  assert_true(run_until(f->rt, &f->server.conns_closed, 2000));
  f->answer_in_closed = 0;
  /* The server was told the request went away, before the closed callback. */
  assert_int_equal(f->cancelled_replies, 1);
  char cancelled[64];
  snprintf(cancelled, sizeof cancelled, "server call %llu cancelled", (unsigned long long)id);
  int cancelled_at = log_find(&f->log, cancelled, 0);
  int closed_at = log_find(&f->log, "server closed conn=1 origin=remote reason=ROAM_OK md=", 0);
  if (!(cancelled_at >= 0 && closed_at > cancelled_at)) {
    log_dump(&f->log);
    fail();
  }
  assert_int_equal(f->answered_in_closed, 1);
  assert_int_equal(f->answer_in_closed_rc, ROAM_ECLOSED);
  assert_null(f->held[0].conn);
  assert_true(run_until(f->rt, &o.done, 2000));
  assert_int_equal(o.status, ROAM_ECLOSED);
  /* Same when the whole session goes: after roam_session_close and before
   * the root's closed callback the request answers ROAM_ECLOSED. */
  outcome o2 = {0};
  roam_conn_call(client_root(f), METHOD_HOLD, NULL, 0, NULL, NULL, 0, on_response, &o2, NULL);
  assert_true(run_until_count(f->rt, &f->held_count, 2, 2000));
  held_request h = f->held[1];
  assert_int_equal(roam_session_close(f->server.s, side_on_closed, &f->server), 0);
  assert_int_equal(roam_reply_release(h.conn, h.id), ROAM_ECLOSED);
  assert_int_equal(roam_reply_ok(h.conn, h.id, NULL, "x", 1), ROAM_ECLOSED);
  assert_true(run_until(f->rt, &f->server.closed, 2000));
  assert_null(f->held[1].conn);  /* the root's closed callback came */
  assert_true(run_until(f->rt, &o2.done, 2000));
  assert_int_equal(o2.status, ROAM_EEOF);
  roam_metadata_free(want);
}

static void peers_limit_gives_eagain_not_a_violation(void **state) {
  fixture *f = *state;  /* the server advertised max_concurrent_requests 4 */
  static outcome o[5];  /* calls still pending at teardown complete into it */
  memset(o, 0, sizeof o);
  for (int i = 0; i < 4; ++i) {
    assert_int_equal(roam_conn_call(client_root(f), METHOD_HOLD, NULL, 0, NULL, NULL, 0, on_response,
                                    &o[i], NULL), 0);
  }
  assert_int_equal(roam_conn_call(client_root(f), METHOD_HOLD, NULL, 0, NULL, NULL, 0, on_response,
                                  &o[4], NULL),
                   ROAM_EAGAIN);
  assert_true(run_until_count(f->rt, &f->held_count, 4, 2000));
  assert_int_equal(answer_held(f, 0, "", 0), 0);
  assert_true(run_until(f->rt, &o[0].done, 2000));
  assert_int_equal(roam_conn_call(client_root(f), METHOD_HOLD, NULL, 0, NULL, NULL, 0, on_response,
                                  &o[4], NULL), 0);
}

static void our_limit_is_enforced_against_a_peer_that_exceeds_it(void **state) {
  fixture *f = *state;  /* the server serves at most 4 at once */
  /* A raw client ignores the limit and sends 6 calls the server holds. */
  roam_conn *root = client_root(f);
  for (int i = 0; i < 6; ++i) {
    assert_int_equal(roam_conn_send_request(root, ROAM_REQUEST_CALL, (uint64_t)(101 + 2 * i), METHOD_HOLD,
                                            NULL, 0, NULL, NULL, 0), 0);
  }
  assert_true(run_until_count(f->rt, &raw_responses, 2, 2000));
  assert_int_equal(f->held_count, 4);
  assert_int_equal(raw_cancelled, 2);  /* the two over the limit, answered Cancelled */
}

/* Hardening, finding 5: a served call the peer cancelled keeps counting
 * against max_concurrent_requests while the application has not released
 * it. A raw client sends Call + Cancel pairs without waiting: the server
 * application never holds more than its limit of 4. */
static void cancelled_calls_count_until_the_server_releases_them(void **state) {
  fixture *f = *state;
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
    int rc = release_held(f, i);
    assert_true(rc == 0 || rc == ROAM_ECANCELLED);
  }
  f->held_count = 0;
  static outcome o;  /* completes at teardown, after this function returns */
  memset(&o, 0, sizeof o);
  roam_conn_call(root, METHOD_HOLD, NULL, 0, NULL, NULL, 0, on_response, &o, NULL);
  assert_true(run_until(f->rt, &f->held_count, 2000));
}

/* Hardening, finding 1: roam_call_cancel sends its Cancel forced past the
 * soft limit; when that crosses the hard limit the session ends inside the
 * send and completes every pending call. The cancelled call must still
 * complete exactly once (on_response asserts it), and nothing freed may be
 * touched (ASan in the sanitizer pass). Deterministic: a forced reply fills
 * the backlog to 4 bytes short of the hard limit within one loop turn
 * (nothing is flushed before the turn ends), so the Cancel crosses it. */
static held_request held_on_a[2];
static int held_on_a_count;
static void hold_on_a(roam_session *s, void *ud, roam_conn *conn, uint64_t request_id,
                      uint64_t method, const uint64_t *channels, size_t n, const roam_metadata *md,
                      const uint8_t *args, size_t len) {
  held_on_a[held_on_a_count++] = (held_request){conn, request_id, method};
  (void)s, (void)ud, (void)channels, (void)n, (void)md, (void)args, (void)len;
}

static void cancel_that_crosses_the_hard_limit_completes_the_call_once(void **state) {
  fixture *f = *state;
  enum { HARD = 64 * 1024 };
  /* A fresh pair: the client (a) has a small hard limit and serves calls
   * from the server side (b), which holds a's call. */
  roam_options *opts;
  assert_int_equal(roam_options_new(&opts), 0);
  assert_int_equal(roam_options_set_outbound_limits(opts, 4096, HARD), 0);
  event_log log = {0};
  side sa = {.name = "a", .on_conn_gone = conn_gone};
  side sb = {.name = "b", .on_conn_gone = conn_gone};
  roam_callbacks *acbs = server_table(hold_on_a), *bcbs = server_table(serve);
  held_on_a_count = 0;
  side_pair_with(f->rt, &log, &sa, opts, acbs, &sb, NULL, bcbs);
  roam_callbacks_free(acbs);
  roam_callbacks_free(bcbs);
  roam_options_free(opts);
  roam_session *a = sa.s;
  roam_conn *ra, *rb;
  roam_session_root(a, &ra);
  roam_session_root(sb.s, &rb);
  static outcome from_b[2];
  memset(from_b, 0, sizeof from_b);
  roam_conn_call(rb, METHOD_HOLD, NULL, 0, NULL, NULL, 0, on_response, &from_b[0], NULL);
  roam_conn_call(rb, METHOD_HOLD, NULL, 0, NULL, NULL, 0, on_response, &from_b[1], NULL);
  outcome mine = {0};
  uint64_t call;
  int held_before = f->held_count;
  assert_int_equal(roam_conn_call(ra, METHOD_HOLD, NULL, 0, NULL, NULL, 0, on_response, &mine, &call), 0);
  assert_true(run_until_count(f->rt, &held_on_a_count, 2, 2000));
  assert_true(run_until_count(f->rt, &f->held_count, held_before + 1, 2000));
  run_for(f->rt, 10);  /* everything flushed: a's backlog is empty */
  /* One reply measures a response's overhead; the second fills the backlog. */
  size_t start = backlog(a);
  assert_int_equal(roam_reply_ok(held_on_a[0].conn, held_on_a[0].id, NULL, NULL, 0), 0);
  size_t overhead = backlog(a) - start;
  size_t fill = HARD - backlog(a) - overhead - 4;
  uint8_t *value = test_calloc(1, fill);
  assert_int_equal(roam_reply_ok(held_on_a[1].conn, held_on_a[1].id, NULL, value, fill), 0);
  test_free(value);
  assert_int_equal(backlog(a), HARD - 4);
  /* The Cancel (more than 4 bytes) crosses the hard limit inside this call. */
  roam_call_cancel(ra, call, NULL);
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
  roam_options *opts;
  assert_int_equal(roam_options_new(&opts), 0);
  assert_int_equal(roam_options_set_idle_timeout(opts, 200), 0);
  event_log log = {0};
  side client = {.name = "client", .on_conn_gone = conn_gone};
  side server = {.name = "server", .on_conn_gone = conn_gone};
  roam_callbacks *scbs = server_table(serve);
  side_pair_with(f->rt, &log, &client, NULL, side_callbacks(), &server, opts, scbs);
  roam_callbacks_free(scbs);
  roam_options_free(opts);
  roam_conn *root;
  roam_session_root(client.s, &root);
  static outcome o;
  memset(&o, 0, sizeof o);
  int held_before = f->held_count;
  assert_int_equal(roam_conn_call(root, METHOD_HOLD, NULL, 0, NULL, NULL, 0, on_response, &o, NULL), 0);
  assert_true(run_until_count(f->rt, &f->held_count, held_before + 1, 2000));
  run_for(f->rt, 700);  /* three idle timeouts with nothing on the wire */
  assert_int_equal(server.ended, 0);
  assert_int_equal(answer_held(f, held_before, "\x01", 1), 0);
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
