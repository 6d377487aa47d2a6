/* Handles that cannot dangle (roam.h, "Handles"): calls, served requests
 * and channels are ids on their connection, and an id that has ended is
 * answered with a clear code, never a touch of freed memory (this runs
 * under ASan in make test); a connection that is closing answers
 * ROAM_ECLOSED until its final callback, which is the last one naming it.
 * And the "Ordering" rule: what a callback of frame 1 causes comes before
 * what frame 2 of the same read causes. */
#include <stdio.h>
#include <string.h>

#include <roam/roam_experimental.h>

#include "harness.h"
#include "sides.h"

enum { METHOD_ECHO = 1, METHOD_HOLD = 2, METHOD_CHAN = 3 };

typedef struct {
  roam_conn *conn;  /* NULL once answered or once its connection's closed callback ran */
  uint64_t id;
} held_request;

/* What one call has seen (its user_data). */
typedef struct {
  int done;
  int status;
  int watched;  /* made on the watched connection */
} outcome;

/* What one channel end has seen (its user_data). */
typedef struct {
  int items;
  int ended;  /* end callbacks: exactly one */
  int end_reason;
  int watched;
  const char *name;
} chan_state;

typedef struct {
  roam_runtime *rt;
  event_log log;
  side client, server;
  held_request held[16];
  int held_count;
  int cancelled;                /* serve-cancelled callbacks */
  uint64_t last_cancelled;
  /* the channel the server bound (METHOD_CHAN) */
  chan_state server_chan;
  roam_conn *server_chan_conn;
  uint64_t server_chan_id;
  /* a connection whose last callbacks we watch */
  roam_conn *watched;
  int watched_closed;
  int after_watched_closed;     /* callbacks naming it after its closed callback */
  /* answer held requests from the closed callback of their connection */
  int answer_in_closed;
  int answer_in_closed_rc;
  int answered_in_closed;
} fixture;

static fixture *g;  /* session callbacks get the side as user_data */

/* ---- the sides' hook ---------------------------------------------------------------------
 * The server serves calls, so both sessions are made with tables from
 * side_callbacks_new(); each side has this hook. */

/* The final callback of a connection: after it, nothing may name it. */
static void conn_gone(side *sd, roam_conn *c) {
  fixture *f = g;
  for (int i = 0; i < f->held_count; ++i) {
    if (f->held[i].conn != c) continue;
    if (f->answer_in_closed) {
      f->answer_in_closed_rc = roam_reply_ok(c, f->held[i].id, NULL, "x", 1);
      f->answered_in_closed++;
    }
    f->held[i].conn = NULL;
  }
  if (f->server_chan_conn == c) f->server_chan_conn = NULL;
  if (f->watched == c) {
    f->watched = NULL;
    f->watched_closed = 1;
  }
  (void)sd;
}

static void chan_item(roam_conn *conn, uint64_t id, void *ud, const uint8_t *item, size_t len) {
  chan_state *st = ud;
  assert_int_equal(st->ended, 0);  /* nothing after the end callback */
  if (st->watched && g->watched_closed) g->after_watched_closed++;
  st->items++;
  (void)conn, (void)id, (void)item, (void)len;
}

static void chan_end(roam_conn *conn, uint64_t id, void *ud, int reason, const roam_metadata *md) {
  chan_state *st = ud;
  assert_int_equal(st->ended, 0);  /* exactly one end callback */
  if (st->watched && g->watched_closed) g->after_watched_closed++;
  st->ended = 1;
  st->end_reason = reason;
  log_add(&g->log, "%s channel %llu end %s", st->name, (unsigned long long)id,
          roam_err_name(reason));
  (void)conn, (void)md;
}

static void chan_writable(roam_conn *conn, uint64_t id, void *ud) {
  chan_state *st = ud;
  assert_int_equal(st->ended, 0);
  if (st->watched && g->watched_closed) g->after_watched_closed++;
  (void)conn, (void)id;
}

static void serve(roam_session *s, void *ud, roam_conn *conn, uint64_t request_id,
                  uint64_t method, const uint64_t *channels, size_t n, const roam_metadata *md,
                  const uint8_t *args, size_t len) {
  fixture *f = g;
  (void)s, (void)ud, (void)md;
  switch (method) {
    case METHOD_ECHO:
      assert_int_equal(roam_reply_ok(conn, request_id, NULL, args, len), 0);
      break;
    case METHOD_CHAN:
      assert_int_equal(n, 1);
      memset(&f->server_chan, 0, sizeof f->server_chan);
      f->server_chan.name = "server";
      assert_int_equal(roam_conn_channel_bind(conn, channels[0], ROAM_CHANNEL_RECEIVE, 0, chan_item,
                                              chan_end, NULL, &f->server_chan), 0);
      f->server_chan_conn = conn;
      f->server_chan_id = channels[0];
      f->held[f->held_count++] = (held_request){conn, request_id};  /* held */
      break;
    case METHOD_HOLD:
      f->held[f->held_count++] = (held_request){conn, request_id};
      break;
    default:
      assert_int_equal(roam_reply_fail(conn, request_id, ROAM_EUNKNOWNMETHOD, NULL), 0);
  }
}

static void serve_cancelled(roam_session *s, void *ud, roam_conn *conn, uint64_t request_id) {
  fixture *f = g;
  f->cancelled++;
  f->last_cancelled = request_id;
  log_add(&f->log, "server request %llu cancelled", (unsigned long long)request_id);
  (void)s, (void)ud, (void)conn;
}

static void on_response(roam_conn *conn, void *ud, uint64_t request_id, int status,
                        const roam_metadata *md, const uint8_t *value, size_t len) {
  outcome *o = ud;
  assert_int_equal(o->done, 0);  /* exactly once */
  if (o->watched && g->watched_closed) g->after_watched_closed++;
  o->done = 1;
  o->status = status;
  log_add(&g->log, "client call %llu done %s", (unsigned long long)request_id,
          roam_err_name(status));
  (void)conn, (void)md, (void)value, (void)len;
}

static int setup(void **state) {
  fixture *f = test_calloc(1, sizeof *f);
  g = f;
  assert_int_equal(roam_runtime_new(&f->rt), 0);
  /* Without raw callbacks: calls to the client are answered UnknownMethod. */
  roam_callbacks *ccbs = side_callbacks_new(), *scbs = side_callbacks_new();
  side_callbacks_clear_raw(ccbs);
  side_callbacks_clear_raw(scbs);
  roam_callbacks_set_serve(scbs, serve);
  roam_callbacks_set_serve_cancelled(scbs, serve_cancelled);
  f->client = (side){.name = "client", .on_conn_gone = conn_gone};
  f->server = (side){.name = "server", .on_conn_gone = conn_gone};
  side_pair_with(f->rt, &f->log, &f->client, NULL, ccbs, &f->server, NULL, scbs);
  roam_callbacks_free(ccbs);
  roam_callbacks_free(scbs);
  f->client.accept_all = f->server.accept_all = 1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  if (!f->client.closed) side_close(f->rt, &f->client);
  if (!f->server.closed) side_close(f->rt, &f->server);
  for (int i = 0; i < f->held_count; ++i) assert_null(f->held[i].conn);
  assert_int_equal(f->after_watched_closed, 0);
  assert_int_equal(roam_runtime_free(f->rt), 0);
  test_free(f);
  g = NULL;
  return 0;
}

/* Makes a call the server holds (METHOD_HOLD); its id in *id unless NULL. */
static void call_hold(roam_conn *conn, outcome *o, uint64_t *id) {
  assert_int_equal(roam_conn_call(conn, METHOD_HOLD, NULL, 0, NULL, NULL, 0, on_response, o, id),
                   0);
}

/* Opens a virtual connection from the client, accepted by the server;
 * the server's handle is f->server.last_inbound. */
static roam_conn *open_virtual(fixture *f) {
  roam_conn *c;
  int answered = f->client.opens_answered;
  assert_int_equal(roam_session_open(f->client.s, ROAM_PARITY_DEFAULT, 0, NULL, NULL, &c), 0);
  assert_true(run_until_count(f->rt, &f->client.opens_answered, answered + 1, 2000));
  assert_int_equal(roam_conn_state(c), ROAM_CONN_OPEN);
  return c;
}

/* The detail of the failure just seen names the id it was about. */
static void expect_detail_names(uint64_t id) {
  char num[32];
  snprintf(num, sizeof num, "%llu", (unsigned long long)id);
  const char *detail = roam_last_error_detail();
  if (strstr(detail, num) == NULL) {
    print_error("expected the error detail to name %s: \"%s\"\n", num, detail);
    fail();
  }
}

/* ---- 1. a call ------------------------------------------------------------------------- */

static void call_id_after_its_completion_is_not_found(void **state) {
  fixture *f = *state;
  roam_conn *root = session_root(f->client.s);
  /* Completed: its id is gone. */
  static outcome done;
  memset(&done, 0, sizeof done);
  uint64_t id = 0;
  assert_int_equal(roam_conn_call(root, METHOD_ECHO, NULL, 0, NULL, "x", 1, on_response, &done, &id), 0);
  assert_true(run_until(f->rt, &done.done, 2000));
  assert_int_equal(done.status, 0);
  assert_int_equal(roam_call_cancel(root, id, NULL), ROAM_ENOTFOUND);
  expect_detail_names(id);

  /* Cancelled twice: the second is not found, before and after the
   * completion callback ran. */
  static outcome held;
  memset(&held, 0, sizeof held);
  uint64_t held_id = 0;
  call_hold(root, &held, &held_id);
  assert_true(run_until(f->rt, &f->held_count, 2000));
  assert_int_equal(roam_call_cancel(root, held_id, NULL), 0);
  assert_int_equal(roam_call_cancel(root, held_id, NULL), ROAM_ENOTFOUND);
  assert_int_equal(held.done, 0);
  assert_true(run_until(f->rt, &held.done, 2000));
  assert_int_equal(held.status, ROAM_ECANCELLED);
  assert_int_equal(roam_call_cancel(root, held_id, NULL), ROAM_ENOTFOUND);

  /* Ids never used: one of ours ahead of the allocator, one of the peer's
   * parity, and 0. */
  assert_int_equal(roam_call_cancel(root, 999, NULL), ROAM_ENOTFOUND);
  expect_detail_names(999);
  assert_int_equal(roam_call_cancel(root, 2, NULL), ROAM_ENOTFOUND);
  assert_int_equal(roam_call_cancel(root, 0, NULL), ROAM_ENOTFOUND);

  /* The server's held request ended with the Cancel; each call completed
   * exactly once (on_response asserts it). */
  assert_true(run_until(f->rt, &f->cancelled, 2000));
  assert_int_equal(f->last_cancelled, held_id);
  int rc = roam_reply_release(f->held[0].conn, f->held[0].id);
  assert_true(rc == 0 || rc == ROAM_ECANCELLED);
  f->held[0].conn = NULL;
  run_for(f->rt, 20);
  assert_int_equal(done.done, 1);
  assert_int_equal(held.done, 1);
}

/* ---- 2. a served request ---------------------------------------------------------------- */

static void served_request_id_after_its_answer_is_not_found(void **state) {
  fixture *f = *state;
  roam_conn *root = session_root(f->client.s);
  static outcome o[3];
  memset(o, 0, sizeof o);
  for (int i = 0; i < 3; ++i) call_hold(root, &o[i], NULL);
  assert_true(run_until_count(f->rt, &f->held_count, 3, 2000));
  held_request a = f->held[0], b = f->held[1], c = f->held[2];
  f->held[0].conn = f->held[1].conn = f->held[2].conn = NULL;

  /* Answered: every further answer, and the release, is not found. */
  assert_int_equal(roam_reply_ok(a.conn, a.id, NULL, "\x01", 1), 0);
  assert_int_equal(roam_reply_ok(a.conn, a.id, NULL, "\x02", 1), ROAM_ENOTFOUND);
  expect_detail_names(a.id);
  assert_int_equal(roam_reply_user_error(a.conn, a.id, NULL, "\x03", 1), ROAM_ENOTFOUND);
  assert_int_equal(roam_reply_fail(a.conn, a.id, ROAM_EUNKNOWNMETHOD, NULL), ROAM_ENOTFOUND);
  assert_int_equal(roam_reply_raw(a.conn, a.id, NULL, "\x00\x04", 2), ROAM_ENOTFOUND);
  assert_int_equal(roam_reply_release(a.conn, a.id), ROAM_ENOTFOUND);

  /* Released: answering it afterwards is not found either. */
  assert_int_equal(roam_reply_release(b.conn, b.id), 0);
  assert_int_equal(roam_reply_release(b.conn, b.id), ROAM_ENOTFOUND);
  assert_int_equal(roam_reply_ok(b.conn, b.id, NULL, "\x01", 1), ROAM_ENOTFOUND);

  /* Failed with a roam error: the same. */
  assert_int_equal(roam_reply_fail(c.conn, c.id, ROAM_EINVALIDPAYLOAD, NULL), 0);
  assert_int_equal(roam_reply_user_error(c.conn, c.id, NULL, "\x01", 1), ROAM_ENOTFOUND);
  assert_int_equal(roam_reply_release(c.conn, c.id), ROAM_ENOTFOUND);

  /* Never served: an id the client never used, and the id of a call the
   * server itself has in flight (a call is not a served request). */
  roam_conn *server_root = session_root(f->server.s);
  assert_int_equal(roam_reply_ok(server_root, 1001, NULL, "\x01", 1), ROAM_ENOTFOUND);
  assert_int_equal(roam_reply_release(server_root, 1001), ROAM_ENOTFOUND);
  static outcome mine;
  memset(&mine, 0, sizeof mine);
  uint64_t mine_id = 0;
  call_hold(server_root, &mine, &mine_id);
  assert_int_equal(roam_reply_ok(server_root, mine_id, NULL, "\x01", 1), ROAM_ENOTFOUND);

  /* Each call got exactly its one answer. */
  for (int i = 0; i < 3; ++i) assert_true(run_until(f->rt, &o[i].done, 2000));
  run_for(f->rt, 20);
  assert_int_equal(o[0].status, 0);
  assert_int_equal(o[1].status, ROAM_ECANCELLED);
  assert_int_equal(o[2].status, ROAM_EINVALIDPAYLOAD);
}

static void served_request_the_caller_cancelled(void **state) {
  fixture *f = *state;
  roam_conn *root = session_root(f->client.s);
  static outcome o[2];
  memset(o, 0, sizeof o);
  uint64_t ids[2];
  for (int i = 0; i < 2; ++i) call_hold(root, &o[i], &ids[i]);
  assert_true(run_until_count(f->rt, &f->held_count, 2, 2000));
  for (int i = 0; i < 2; ++i) assert_int_equal(roam_call_cancel(root, ids[i], NULL), 0);
  assert_true(run_until_count(f->rt, &f->cancelled, 2, 2000));
  held_request a = f->held[0], b = f->held[1];
  f->held[0].conn = f->held[1].conn = NULL;
  /* An answer after the cancel is dropped with ROAM_ECANCELLED, and ends
   * the request: a further answer is not found. */
  assert_int_equal(roam_reply_ok(a.conn, a.id, NULL, "\x01", 1), ROAM_ECANCELLED);
  assert_int_equal(roam_reply_ok(a.conn, a.id, NULL, "\x01", 1), ROAM_ENOTFOUND);
  assert_int_equal(roam_reply_release(a.conn, a.id), ROAM_ENOTFOUND);
  /* Released after the cancel: it still existed until then. */
  int rc = roam_reply_release(b.conn, b.id);
  assert_true(rc == 0 || rc == ROAM_ECANCELLED);
  assert_int_equal(roam_reply_release(b.conn, b.id), ROAM_ENOTFOUND);
  assert_int_equal(roam_reply_user_error(b.conn, b.id, NULL, "\x01", 1), ROAM_ENOTFOUND);
  run_for(f->rt, 20);
  for (int i = 0; i < 2; ++i) {
    assert_int_equal(o[i].done, 1);
    assert_int_equal(o[i].status, ROAM_ECANCELLED);
  }
}

static void served_request_on_a_closing_connection_is_closed(void **state) {
  fixture *f = *state;
  /* The server closes the connection it serves on: until its closed
   * callback, answering there is ROAM_ECLOSED. */
  roam_conn *c = open_virtual(f);
  roam_conn *sc = f->server.last_inbound;
  static outcome o[2];
  memset(o, 0, sizeof o);
  for (int i = 0; i < 2; ++i) call_hold(c, &o[i], NULL);
  assert_true(run_until_count(f->rt, &f->held_count, 2, 2000));
  assert_true(f->held[0].conn == sc && f->held[1].conn == sc);
  int server_closed = f->server.conns_closed;
  assert_int_equal(roam_conn_close(sc, NULL), 0);
  assert_int_equal(roam_reply_ok(sc, f->held[0].id, NULL, "x", 1), ROAM_ECLOSED);
  assert_int_equal(roam_reply_user_error(sc, f->held[0].id, NULL, "x", 1), ROAM_ECLOSED);
  assert_int_equal(roam_reply_fail(sc, f->held[1].id, ROAM_ECANCELLED, NULL), ROAM_ECLOSED);
  assert_int_equal(roam_reply_release(sc, f->held[1].id), ROAM_ECLOSED);
  assert_int_equal(roam_reply_release(sc, 999), ROAM_ECLOSED);  /* any id, once closing */
  assert_true(run_until_count(f->rt, &f->server.conns_closed, server_closed + 1, 2000));
  assert_null(f->held[0].conn);
  assert_null(f->held[1].conn);
  for (int i = 0; i < 2; ++i) {
    assert_true(run_until(f->rt, &o[i].done, 2000));
    assert_int_equal(o[i].status, ROAM_ECLOSED);  /* no response will come */
  }

  /* The client closes: inside the server's closed callback (the handle is
   * valid there) the request has ended with its connection. */
  c = open_virtual(f);
  sc = f->server.last_inbound;
  static outcome o2;
  memset(&o2, 0, sizeof o2);
  call_hold(c, &o2, NULL);
  assert_true(run_until_count(f->rt, &f->held_count, 3, 2000));
  assert_true(f->held[2].conn == sc);
  f->answer_in_closed = 1;
  server_closed = f->server.conns_closed;
  assert_int_equal(roam_conn_close(c, NULL), 0);
  assert_true(run_until_count(f->rt, &f->server.conns_closed, server_closed + 1, 2000));
  f->answer_in_closed = 0;
  assert_int_equal(f->answered_in_closed, 1);
  assert_int_equal(f->answer_in_closed_rc, ROAM_ECLOSED);
  assert_true(run_until(f->rt, &o2.done, 2000));
  assert_int_equal(o2.status, ROAM_ECLOSED);
}

/* ---- 3. a channel ----------------------------------------------------------------------- */

/* Every roam_channel_* operation on (conn, id) answers `code`. */
static void expect_channel_ops(roam_conn *conn, uint64_t id, int code) {
  uint32_t credit = 0;
  size_t queued = 0;
  assert_int_equal(roam_channel_send(conn, id, "x", 1), code);
  assert_int_equal(roam_channel_close(conn, id, NULL), code);
  assert_int_equal(roam_channel_reset(conn, id, NULL), code);
  assert_int_equal(roam_channel_set_manual_credit(conn, id, 1), code);
  assert_int_equal(roam_channel_grant(conn, id, 1), code);
  assert_int_equal(roam_channel_credit(conn, id, &credit), code);
  assert_int_equal(roam_channel_queued(conn, id, &queued), code);
}

/* Opens a sending channel on conn (its end *st, named "client") and makes
 * a call that carries it (METHOD_CHAN: the server binds it, then holds the
 * call); returns the channel's id. */
static uint64_t call_with_channel(roam_conn *conn, chan_state *st, outcome *o) {
  *st = (chan_state){.name = "client"};
  memset(o, 0, sizeof *o);
  uint64_t tx = 0;
  assert_int_equal(roam_conn_channel_open(conn, ROAM_CHANNEL_SEND, 0, NULL, chan_end,
                                          chan_writable, st, &tx), 0);
  assert_int_equal(roam_conn_call(conn, METHOD_CHAN, &tx, 1, NULL, NULL, 0, on_response, o, NULL),
                   0);
  return tx;
}

static void channel_id_after_its_end_is_not_found(void **state) {
  fixture *f = *state;
  roam_conn *root = session_root(f->client.s);
  static chan_state tx_state;
  static outcome o;
  uint64_t tx = call_with_channel(root, &tx_state, &o);
  assert_true(run_until(f->rt, &f->held_count, 2000));
  roam_conn *sc = f->server_chan_conn;
  assert_non_null(sc);
  assert_int_equal(f->server_chan_id, tx);
  assert_int_equal(roam_channel_send(root, tx, "\x01", 1), 0);
  assert_true(run_until(f->rt, &f->server_chan.items, 2000));

  /* Ops of the other direction on a live channel: sending on a receiving
   * channel, closing it (a sender's op), resetting or granting a sending
   * one (receiver's ops). roam.h does not name the code; libroam answers
   * ROAM_EINVAL (the wrong kind of channel for the op), never a crash. */
  assert_int_equal(roam_channel_send(sc, tx, "x", 1), ROAM_EINVAL);
  assert_int_equal(roam_channel_close(sc, tx, NULL), ROAM_EINVAL);
  assert_int_equal(roam_channel_reset(root, tx, NULL), ROAM_EINVAL);
  assert_int_equal(roam_channel_grant(root, tx, 1), ROAM_EINVAL);
  assert_int_equal(roam_channel_set_manual_credit(root, tx, 1), ROAM_EINVAL);
  uint32_t credit = 0;
  assert_int_equal(roam_channel_credit(root, tx, &credit), 0);
  assert_int_equal(credit, ROAM_DEFAULT_CHANNEL_CREDIT - 1);  /* credit 0 meant the default */

  /* Binding an id no call announced (a clear error), or one bound already
   * (ROAM_ESTATE): refused. */
  static chan_state stray;
  stray = (chan_state){.name = "stray"};
  int rc = roam_conn_channel_bind(sc, 777, ROAM_CHANNEL_RECEIVE, 0, chan_item, chan_end, NULL,
                                  &stray);
  if (rc != ROAM_ENOTFOUND && rc != ROAM_EINVAL) {
    print_error("roam_conn_channel_bind of channel 777, which no call announced: %s\n",
                roam_err_name(rc));
    fail();
  }
  expect_detail_names(777);
  assert_int_equal(roam_conn_channel_bind(sc, tx, ROAM_CHANNEL_RECEIVE, 0, chan_item, chan_end,
                                          NULL, &stray), ROAM_ESTATE);
  /* Ids never opened. */
  expect_channel_ops(root, 999, ROAM_ENOTFOUND);
  expect_channel_ops(sc, 999, ROAM_ENOTFOUND);

  /* The sender closes: both ends get their one end callback, and after it
   * every operation on the id is not found, on either side. */
  assert_int_equal(roam_channel_close(root, tx, NULL), 0);
  assert_true(run_until(f->rt, &tx_state.ended, 2000));
  assert_true(run_until(f->rt, &f->server_chan.ended, 2000));
  assert_int_equal(tx_state.end_reason, 0);
  assert_int_equal(f->server_chan.end_reason, 0);
  expect_channel_ops(root, tx, ROAM_ENOTFOUND);
  expect_detail_names(tx);
  expect_channel_ops(sc, tx, ROAM_ENOTFOUND);
  /* Nor can the ended id be bound again. */
  static chan_state stray2;
  stray2 = (chan_state){.name = "stray2"};
  rc = roam_conn_channel_bind(sc, tx, ROAM_CHANNEL_RECEIVE, 0, chan_item, chan_end, NULL, &stray2);
  if (rc >= 0) {
    print_error("roam_conn_channel_bind of channel %llu, which ended: %s\n",
                (unsigned long long)tx, roam_err_name(rc));
    fail();
  }

  /* A channel the receiver reset: the same once its end callback ran. */
  static chan_state tx2_state;
  static outcome o2;
  uint64_t tx2 = call_with_channel(root, &tx2_state, &o2);
  assert_true(run_until_count(f->rt, &f->held_count, 2, 2000));
  assert_int_equal(roam_channel_reset(sc, tx2, NULL), 0);
  assert_true(run_until(f->rt, &f->server_chan.ended, 2000));
  assert_int_equal(f->server_chan.end_reason, ROAM_ERESET);
  expect_channel_ops(sc, tx2, ROAM_ENOTFOUND);
  assert_true(run_until(f->rt, &tx2_state.ended, 2000));
  assert_int_equal(tx2_state.end_reason, ROAM_ERESET);
  expect_channel_ops(root, tx2, ROAM_ENOTFOUND);

  for (int i = 0; i < 2; ++i) {
    assert_int_equal(roam_reply_ok(f->held[i].conn, f->held[i].id, NULL, NULL, 0), 0);
    f->held[i].conn = NULL;
  }
  assert_true(run_until(f->rt, &o.done, 2000));
  assert_true(run_until(f->rt, &o2.done, 2000));
  run_for(f->rt, 20);
  assert_int_equal(tx_state.ended, 1);
  assert_int_equal(stray.ended + stray2.ended, 0);  /* the refused binds made nothing */
}

/* ---- 4. a connection -------------------------------------------------------------------- */

static void closing_connection_answers_closed_until_its_final_callback(void **state) {
  fixture *f = *state;
  roam_conn *c = open_virtual(f);
  uint64_t cid = conn_id_checked(c);
  f->watched = c;
  /* On it: a call the server holds, and a sending channel. */
  static outcome call, refused;
  call = (outcome){.watched = 1};
  refused = (outcome){.watched = 1};
  uint64_t call_id = 0;
  call_hold(c, &call, &call_id);
  static chan_state ch_state;
  ch_state = (chan_state){.watched = 1, .name = "client"};
  uint64_t ch = 0;
  assert_int_equal(roam_conn_channel_open(c, ROAM_CHANNEL_SEND, 0, chan_item, chan_end,
                                          chan_writable, &ch_state, &ch), 0);
  assert_true(run_until(f->rt, &f->held_count, 2000));

  assert_int_equal(roam_conn_close(c, NULL), 0);
  assert_int_equal(roam_conn_state(c), ROAM_CONN_CLOSED);
  assert_int_equal(roam_conn_call(c, METHOD_ECHO, NULL, 0, NULL, "x", 1, on_response, &refused, NULL),
                   ROAM_ECLOSED);
  static chan_state refused_ch;
  refused_ch = (chan_state){.watched = 1, .name = "refused"};
  uint64_t refused_id = 0;
  assert_int_equal(roam_conn_channel_open(c, ROAM_CHANNEL_SEND, 0, chan_item, chan_end,
                                          chan_writable, &refused_ch, &refused_id), ROAM_ECLOSED);
  assert_int_equal(roam_conn_channel_bind(c, 2, ROAM_CHANNEL_RECEIVE, 0, chan_item, chan_end, NULL,
                                          &refused_ch), ROAM_ECLOSED);
  assert_int_equal(roam_conn_close(c, NULL), ROAM_ECLOSED);
  assert_int_equal(roam_conn_release(c), ROAM_ECLOSED);
  assert_int_equal(roam_call_cancel(c, call_id, NULL), ROAM_ECLOSED);
  expect_channel_ops(c, ch, ROAM_ECLOSED);
  /* Nothing ran inside those calls. */
  assert_int_equal(call.done, 0);
  assert_int_equal(ch_state.ended, 0);
  assert_int_equal(f->watched_closed, 0);

  assert_true(run_until(f->rt, &f->watched_closed, 2000));
  /* Its call and its channel ended before its closed callback... */
  char closed_line[96], done_line[64], end_line[64];
  snprintf(closed_line, sizeof closed_line,
           "client closed conn=%llu origin=local reason=ROAM_OK md=", (unsigned long long)cid);
  snprintf(done_line, sizeof done_line, "client call %llu done ROAM_ECLOSED",
           (unsigned long long)call_id);
  snprintf(end_line, sizeof end_line, "client channel %llu end ", (unsigned long long)ch);
  int closed_at = log_find(&f->log, closed_line, 0);
  int done_at = log_find(&f->log, done_line, 0);
  int end_at = -1;
  for (int i = 0; i < f->log.count; ++i) {
    if (strncmp(f->log.lines[i], end_line, strlen(end_line)) == 0) end_at = i;
  }
  if (!(closed_at >= 0 && done_at >= 0 && end_at >= 0 && done_at < closed_at && end_at < closed_at)) {
    log_dump(&f->log);
    fail();
  }
  assert_int_equal(call.status, ROAM_ECLOSED);
  /* ...which was the last callback naming it (teardown checks the rest). */
  run_for(f->rt, 50);
  assert_int_equal(f->after_watched_closed, 0);
  assert_int_equal(refused.done, 0);
  assert_int_equal(refused_ch.ended, 0);

  /* A connection closed while its open is pending: its failed open result
   * is its final callback, and until then it answers ROAM_ECLOSED. */
  roam_conn *p;
  int answered = f->client.opens_answered;
  int closed_before = f->client.conns_closed;
  assert_int_equal(roam_session_open(f->client.s, ROAM_PARITY_DEFAULT, 0, NULL, NULL, &p), 0);
  uint64_t pid = conn_id_checked(p);
  f->watched = p;
  f->watched_closed = 0;
  assert_int_equal(roam_conn_close(p, NULL), 0);
  assert_int_equal(roam_conn_call(p, METHOD_ECHO, NULL, 0, NULL, "x", 1, on_response, &refused, NULL),
                   ROAM_ECLOSED);
  assert_int_equal(roam_conn_close(p, NULL), ROAM_ECLOSED);
  assert_true(run_until_count(f->rt, &f->client.opens_answered, answered + 1, 2000));
  char open_line[64];
  snprintf(open_line, sizeof open_line, "client open conn=%llu status=ROAM_ECLOSED md=",
           (unsigned long long)pid);
  log_expect(&f->log, open_line);
  assert_true(f->watched_closed);
  run_for(f->rt, 50);
  assert_int_equal(f->client.conns_closed, closed_before);  /* no closed callback after it */
  assert_int_equal(refused.done, 0);
}

/* ---- 5. ordering ------------------------------------------------------------------------
 * A custom-transport session fed by hand (deterministic): one receive()
 * carries frame 1, a Call whose serve callback closes its connection, and
 * frame 2, a ConnectionOpen. The closed callback (caused inside frame 1's
 * callback) comes before the inbound-open callback of frame 2; and frame
 * 3, a Call on the closed connection, reaches nobody. */

typedef struct {
  event_log log;
  int handshake_done;
  int closed;
  int close_rc;       /* roam_conn_close in the serve callback */
  int reply_rc;       /* an answer right after it */
} order_side;

static void o_handshake(roam_session *s, void *ud, int status, const roam_metadata *md) {
  order_side *o = ud;
  o->handshake_done = 1;
  log_add(&o->log, "handshake %s", roam_err_name(status));
  (void)s, (void)md;
}

static void o_inbound_open(roam_session *s, void *ud, roam_conn *c, const roam_metadata *md) {
  order_side *o = ud;
  log_add(&o->log, "inbound_open conn=%llu", (unsigned long long)conn_id_checked(c));
  assert_int_equal(roam_conn_accept(c, ROAM_PARITY_DEFAULT, 0, NULL), 0);
  (void)s, (void)md;
}

static void o_serve(roam_session *s, void *ud, roam_conn *conn, uint64_t request_id,
                    uint64_t method, const uint64_t *channels, size_t n, const roam_metadata *md,
                    const uint8_t *args, size_t len) {
  order_side *o = ud;
  log_add(&o->log, "serve conn=%llu id=%llu", (unsigned long long)conn_id_checked(conn),
          (unsigned long long)request_id);
  if (conn_id_checked(conn) == 2) {
    o->close_rc = roam_conn_close(conn, NULL);
    o->reply_rc = roam_reply_ok(conn, request_id, NULL, NULL, 0);
  }
  (void)s, (void)method, (void)channels, (void)n, (void)md, (void)args, (void)len;
}

static void o_closed(roam_session *s, void *ud, roam_conn *c, int origin, int reason,
                     const roam_metadata *md) {
  order_side *o = ud;
  log_add(&o->log, "closed conn=%llu origin=%d reason=%s", (unsigned long long)conn_id_checked(c),
          origin, roam_err_name(reason));
  (void)s, (void)md;
}

static void o_session_closed(roam_session *s, void *ud) {
  order_side *o = ud;
  o->closed = 1;
  (void)s;
}

/* Appends a frame (u32 LE length + payload) to buf at *len. */
static void put_frame(uint8_t *buf, size_t *len, const uint8_t *payload, size_t n) {
  buf[(*len)++] = (uint8_t)n;
  buf[(*len)++] = (uint8_t)(n >> 8);
  buf[(*len)++] = (uint8_t)(n >> 16);
  buf[(*len)++] = (uint8_t)(n >> 24);
  memcpy(buf + *len, payload, n);
  *len += n;
}

/* Takes everything the session wants to write; returns how many frames it
 * was and copies the frames' payloads (first bytes) into out. */
static int drain(roam_session *s, uint8_t out[][16], int max) {
  static uint8_t acc[4096];
  size_t got = 0;
  for (;;) {
    const uint8_t *data;
    size_t len = 0;
    int rc = roam_session_pending_output(s, &data, &len);
    if (len == 0) break;
    assert_true(rc == 0);
    assert_true(got + len <= sizeof acc);
    memcpy(acc + got, data, len);
    got += len;
    assert_int_equal(roam_session_consume_output(s, len), 0);
  }
  int frames = 0;
  size_t at = 0;
  while (at + 4 <= got) {
    uint32_t n = (uint32_t)acc[at] | (uint32_t)acc[at + 1] << 8 | (uint32_t)acc[at + 2] << 16 |
                 (uint32_t)acc[at + 3] << 24;
    assert_true(at + 4 + n <= got);
    if (frames < max) {
      memset(out[frames], 0xff, 16);
      memcpy(out[frames], acc + at + 4, n < 16 ? n : 16);
    }
    frames++;
    at += 4 + n;
  }
  assert_int_equal(at, got);
  return frames;
}

static void callbacks_of_one_read_follow_frame_order(void **state) {
  (void)state;
  static order_side o;
  memset(&o, 0, sizeof o);
  roam_callbacks *cbs;
  assert_int_equal(roam_callbacks_new(&cbs), 0);
  roam_callbacks_set_handshake(cbs, o_handshake);
  roam_callbacks_set_inbound_open(cbs, o_inbound_open);
  roam_callbacks_set_serve(cbs, o_serve);
  roam_callbacks_set_conn_closed(cbs, o_closed);
  roam_session *s;
  uint64_t now = 1000;
  assert_int_equal(roam_session_new_custom(NULL, cbs, &o, now, &s), 0);
  roam_callbacks_free(cbs);
  uint8_t out[8][16];
  assert_int_equal(drain(s, out, 8), 1);  /* our Hello */
  assert_int_equal(out[0][1], ROAM_MSG_HELLO);

  /* The peer (acceptor, even) says HelloYourself, then opens connection 2
   * (even ids on it); we accept it (odd). */
  uint8_t in[256];
  size_t in_len = 0;
  static const uint8_t kHelloYourself[] = {0x00, 0x01, 0x01, 0x40, 0x00};
  static const uint8_t kOpen2[] = {0x02, 0x03, 0x01, 0x40, 0x00};
  put_frame(in, &in_len, kHelloYourself, sizeof kHelloYourself);
  put_frame(in, &in_len, kOpen2, sizeof kOpen2);
  assert_int_equal(roam_session_receive(s, in, in_len, ++now), 0);
  assert_int_equal(roam_session_tick(s, ++now), 0);
  assert_true(o.handshake_done);
  log_expect(&o.log, "inbound_open conn=2");
  assert_int_equal(drain(s, out, 8), 1);
  static const uint8_t kAccept2[] = {0x02, 0x04, 0x00, 0x40, 0x00};  /* odd, 64, [] */
  assert_memory_equal(out[0], kAccept2, sizeof kAccept2);

  /* One read: frame 1 a Call on connection 2 (request 2, method 5), frame
   * 2 a ConnectionOpen of connection 4, frame 3 a Call on connection 2
   * (request 4), which our side has closed by then. */
  static const uint8_t kCall2[] = {0x02, 0x07, 0x02, 0x00, 0x05, 0x00, 0x00};
  static const uint8_t kOpen4[] = {0x04, 0x03, 0x01, 0x40, 0x00};
  static const uint8_t kCall4[] = {0x02, 0x07, 0x04, 0x00, 0x05, 0x00, 0x00};
  int mark = o.log.count;
  in_len = 0;
  put_frame(in, &in_len, kCall2, sizeof kCall2);
  put_frame(in, &in_len, kOpen4, sizeof kOpen4);
  put_frame(in, &in_len, kCall4, sizeof kCall4);
  assert_int_equal(roam_session_receive(s, in, in_len, ++now), 0);
  assert_int_equal(roam_session_tick(s, ++now), 0);
  assert_int_equal(o.close_rc, 0);
  assert_int_equal(o.reply_rc, ROAM_ECLOSED);
  int serve_at = log_find(&o.log, "serve conn=2 id=2", mark);
  int closed_at = log_find(&o.log, "closed conn=2 origin=0 reason=ROAM_OK", mark);
  int open_at = log_find(&o.log, "inbound_open conn=4", mark);
  if (!(serve_at >= 0 && closed_at > serve_at && open_at > closed_at) ||
      log_find(&o.log, "serve conn=2 id=4", mark) >= 0 || o.log.count != mark + 3) {
    print_error("expected serve(2), closed(2), inbound_open(4) and nothing else:\n");
    log_dump(&o.log);
    fail();
  }
  /* On the wire, in the same order: our Close of 2 before the Accept of 4. */
  int frames = drain(s, out, 8);
  int close_frame = -1, accept_frame = -1;
  for (int i = 0; i < frames && i < 8; ++i) {
    if (out[i][0] == 0x02 && out[i][1] == ROAM_MSG_CONNECTION_CLOSE) close_frame = i;
    if (out[i][0] == 0x04 && out[i][1] == ROAM_MSG_CONNECTION_ACCEPT) accept_frame = i;
  }
  assert_true(close_frame >= 0 && accept_frame > close_frame);

  assert_int_equal(roam_session_close(s, o_session_closed, &o), 0);
  for (int i = 0; i < 10 && !o.closed; ++i) {
    drain(s, out, 8);
    const uint8_t *data;
    size_t len;
    if (roam_session_pending_output(s, &data, &len) == ROAM_ECLOSED) {
      assert_int_equal(roam_session_tick(s, ++now), 0);
    }
  }
  assert_true(o.closed);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(call_id_after_its_completion_is_not_found, setup, teardown),
      cmocka_unit_test_setup_teardown(served_request_id_after_its_answer_is_not_found, setup, teardown),
      cmocka_unit_test_setup_teardown(served_request_the_caller_cancelled, setup, teardown),
      cmocka_unit_test_setup_teardown(served_request_on_a_closing_connection_is_closed, setup, teardown),
      cmocka_unit_test_setup_teardown(channel_id_after_its_end_is_not_found, setup, teardown),
      cmocka_unit_test_setup_teardown(closing_connection_answers_closed_until_its_final_callback,
                                      setup, teardown),
      cmocka_unit_test(callbacks_of_one_read_follow_frame_order),
  };
  return cmocka_run_group_tests_name("capi_handles", tests, NULL, NULL);
}
