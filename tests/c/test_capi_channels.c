/* Channels through the public API over real sockets: streams in both
 * directions alongside a call, credit never exceeded under a flood (checked
 * from the receiving side), the bounded queue and its writable callback,
 * reset, and channels ending with their connection. */
#include <stdio.h>
#include <string.h>

#include <roam/roam_experimental.h>

#include "harness.h"
#include "postcard.h"
#include "sides.h"

enum { METHOD_SUM = 10, METHOD_GENERATE = 11, METHOD_SINK = 12, METHOD_NO_BIND = 13 };
enum { CREDIT = 16 };

/* What one channel end has seen (the channel's user_data). */
typedef struct {
  int items;
  long sum;
  int ended;
  int end_reason;
  char end_md[64];
  int writable;
  /* receiver-side credit accounting */
  int manual;
  long granted;
  int max_over;  /* most items ever received beyond the credit given */
  int next_expected;
  int out_of_order;
} chan_state;

typedef struct {
  roam_runtime *rt;
  event_log log;
  side client, server;
  /* the call the server is working on, by (connection, request id) */
  roam_conn *reply_conn;
  uint64_t reply_id;
  int bound;                /* calls whose channel the server bound */
  chan_state server_chan;
  /* the server's channel, by (connection, channel id); conn NULL once ended */
  roam_conn *server_conn;
  uint64_t server_ch;
  int generate_count;
} fixture;

static fixture *g;  /* session callbacks get the side as user_data */

/* ---- the sides' hook ---------------------------------------------------------------------
 * Sessions that serve calls (or take raw channel messages their own way)
 * are made with tables from side_callbacks_new(); each side has this
 * hook. */

/* The closed callback is the last one naming a connection: forget it. */
static void conn_gone(side *sd, roam_conn *c) {
  if (g && g->reply_conn == c) g->reply_conn = NULL;
  if (g && g->server_conn == c) g->server_conn = NULL;
  (void)sd;
}

/* ---- channel callbacks ------------------------------------------------------------------ */

static void put_i32(uint8_t *out, size_t *len, int32_t v) { *len = pc_put_signed(out, v); }

static int32_t get_i32(const uint8_t *in, size_t len) { return (int32_t)pc_get_signed(in, len); }

static void on_item(roam_conn *conn, uint64_t id, void *ud, const uint8_t *item, size_t len) {
  chan_state *st = ud;
  int32_t v = get_i32(item, len);
  if (v != st->next_expected) st->out_of_order++;
  st->next_expected = v + 1;
  st->items++;
  st->sum += v;
  long over = st->items - (CREDIT + st->granted);
  if (over > st->max_over) st->max_over = (int)over;
  if (st->manual && st->items % (CREDIT / 2) == 0) {
    assert_int_equal(roam_channel_grant(conn, id, CREDIT / 2), 0);
    st->granted += CREDIT / 2;
  }
}

static void on_end(roam_conn *conn, uint64_t id, void *ud, int reason, const roam_metadata *md) {
  chan_state *st = ud;
  st->ended = 1;
  st->end_reason = reason;
  md_render(md, st->end_md, sizeof st->end_md);
  fixture *f = g;
  if (st == &f->server_chan && f->server_conn == conn && f->server_ch == id) {
    f->server_conn = NULL;
    /* sum: answer once the stream is done */
    if (f->reply_conn && reason == 0) {
      uint8_t out[16];
      assert_int_equal(roam_reply_ok(f->reply_conn, f->reply_id, NULL, out,
                                     pc_put_signed(out, st->sum)), 0);
      f->reply_conn = NULL;
    }
  }
}

static void on_writable(roam_conn *conn, uint64_t id, void *ud) {
  chan_state *st = ud;
  st->writable++;
  (void)conn, (void)id;
}

/* Sends items start.. until `total` are out or the queue is full. */
static int pump(roam_conn *conn, uint64_t ch, int *next, int total) {
  while (*next < total) {
    uint8_t item[8];
    size_t n;
    put_i32(item, &n, *next);
    int rc = roam_channel_send(conn, ch, item, n);
    if (rc == ROAM_EAGAIN) return rc;
    assert_int_equal(rc, 0);
    (*next)++;
  }
  return 0;
}

static int gen_next;
static void on_server_writable(roam_conn *conn, uint64_t id, void *ud) {
  on_writable(conn, id, ud);
  if (pump(conn, id, &gen_next, g->generate_count) == 0) roam_channel_close(conn, id, NULL);
}

static void serve(roam_session *s, void *ud, roam_conn *conn, uint64_t request_id,
                  uint64_t method, const uint64_t *channels, size_t n, const roam_metadata *md,
                  const uint8_t *args, size_t len) {
  fixture *f = g;
  assert_int_equal(n, 1);
  (void)s, (void)ud, (void)md;
  if (method == METHOD_NO_BIND) {  /* works on it, but never binds the channel */
    f->reply_conn = conn;
    f->reply_id = request_id;
    return;
  }
  memset(&f->server_chan, 0, sizeof f->server_chan);
  f->bound++;
  f->server_conn = conn;
  f->server_ch = channels[0];
  if (method == METHOD_SUM || method == METHOD_SINK) {
    /* The caller sends: we receive, granting credit ourselves to count it. */
    assert_int_equal(roam_conn_channel_bind(conn, channels[0], ROAM_CHANNEL_RECEIVE, CREDIT,
                                            on_item, on_end, NULL, &f->server_chan), 0);
    f->server_chan.manual = method == METHOD_SUM;
    roam_channel_set_manual_credit(conn, channels[0], f->server_chan.manual);
    if (method == METHOD_SINK) {
      roam_channel_set_manual_credit(conn, channels[0], 1);  /* and never grant */
      f->server_chan.manual = 0;
    }
    f->reply_conn = conn;
    f->reply_id = request_id;
  } else if (method == METHOD_GENERATE) {
    assert_int_equal(roam_conn_channel_bind(conn, channels[0], ROAM_CHANNEL_SEND, CREDIT, NULL,
                                            on_end, on_server_writable, &f->server_chan), 0);
    f->generate_count = get_i32(args, len);
    gen_next = 0;
    if (pump(conn, channels[0], &gen_next, f->generate_count) == 0) {
      roam_channel_close(conn, channels[0], NULL);
    }
    assert_int_equal(roam_reply_ok(conn, request_id, NULL, NULL, 0), 0);  /* Ok(()) */
  }
}

/* A raw client that ignores credit: counts the Resets it is sent. */
static int raw_resets;
static void raw_on_channel(roam_session *s, void *ud, roam_conn *conn, int kind, uint64_t id,
                           const roam_metadata *md, const uint8_t *payload, size_t len,
                           uint32_t additional) {
  if (kind == ROAM_CHANNEL_RESET) raw_resets++;
  (void)s, (void)conn, (void)ud, (void)id, (void)md, (void)payload, (void)len, (void)additional;
}

/* A side's table without raw callbacks: messages for a channel not bound
 * yet are kept for the bind (past the buffer limit, they end the session). */
static roam_callbacks *plain_table(void) {
  roam_callbacks *cbs = side_callbacks_new();
  side_callbacks_clear_raw(cbs);
  return cbs;
}

static roam_callbacks *server_table(void) {
  roam_callbacks *cbs = plain_table();
  roam_callbacks_set_serve(cbs, serve);
  return cbs;
}

static int setup(void **state) {
  fixture *f = test_calloc(1, sizeof *f);
  g = f;
  raw_resets = 0;
  assert_int_equal(roam_runtime_new(&f->rt), 0);
  roam_callbacks *ccbs = plain_table(), *scbs = server_table();
  roam_callbacks_set_raw_channel(ccbs, raw_on_channel);
  f->client = (side){.name = "client", .on_conn_gone = conn_gone};
  f->server = (side){.name = "server", .on_conn_gone = conn_gone};
  side_pair_with(f->rt, &f->log, &f->client, NULL, ccbs, &f->server, NULL, scbs);
  roam_callbacks_free(ccbs);
  roam_callbacks_free(scbs);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  /* A call still being worked on is given up while its connection lives. */
  if (f->reply_conn) roam_reply_release(f->reply_conn, f->reply_id);
  f->reply_conn = NULL;
  if (!f->client.closed) side_close(f->rt, &f->client);
  if (!f->server.closed) side_close(f->rt, &f->server);
  assert_int_equal(roam_runtime_free(f->rt), 0);
  test_free(f);
  g = NULL;
  return 0;
}

typedef struct {
  int done;
  int status;
  uint8_t value[16];
  size_t len;
} outcome;

static void on_response(roam_conn *conn, void *ud, uint64_t request_id, int status,
                        const roam_metadata *md, const uint8_t *value, size_t len) {
  outcome *o = ud;
  o->done++;
  o->status = status;
  o->len = len < sizeof o->value ? len : sizeof o->value;
  if (o->len) memcpy(o->value, value, o->len);
  (void)conn, (void)request_id, (void)md;
}

static roam_conn *client_root(fixture *f) { return session_root(f->client.s); }

static void flood_from_caller_never_exceeds_credit(void **state) {
  fixture *f = *state;
  enum { TOTAL = 10000 };
  static chan_state mine;
  memset(&mine, 0, sizeof mine);
  roam_conn *root = client_root(f);
  uint64_t tx;
  assert_int_equal(roam_conn_channel_open(root, ROAM_CHANNEL_SEND, CREDIT, on_item, on_end,
                                          on_writable, &mine, &tx), 0);
  assert_int_equal(tx, 1);  /* odd: the client's parity */
  static outcome o;
  memset(&o, 0, sizeof o);
  assert_int_equal(roam_conn_call(root, METHOD_SUM, &tx, 1, NULL, NULL, 0, on_response, &o, NULL), 0);
  int next = 0, eagains = 0;
  while (next < TOTAL) {
    if (pump(root, tx, &next, TOTAL) == ROAM_EAGAIN) {
      eagains++;
      uint32_t credit = 99;
      assert_int_equal(roam_channel_credit(root, tx, &credit), 0);
      assert_true(credit == 0);  /* full only when out of credit */
      int before = mine.writable;
      assert_true(run_until_count(f->rt, &mine.writable, before + 1, 5000));
    }
  }
  assert_int_equal(roam_channel_close(root, tx, NULL), 0);
  assert_true(run_until(f->rt, &o.done, 10000));
  assert_int_equal(o.status, 0);
  assert_int_equal(f->server_chan.items, TOTAL);
  assert_int_equal(f->server_chan.out_of_order, 0);
  /* The receiver never saw an item it had not given credit for. */
  assert_true(f->server_chan.max_over <= 0);
  assert_int_equal(f->server_chan.end_reason, 0);
  assert_true(mine.ended);  /* our channel ended when the close went out */
  assert_true(eagains > 0);
  print_message("flood: %d items, %d times the sender waited for credit\n", TOTAL, eagains);
  /* 0 + 1 + … + 9999 = 49995000, as a zigzag i64 varint */
  assert_true(pc_get_signed(o.value, o.len) == (int64_t)TOTAL * (TOTAL - 1) / 2);
}

static void stream_from_server_arrives_in_order_then_closes(void **state) {
  fixture *f = *state;
  static chan_state mine;
  memset(&mine, 0, sizeof mine);
  roam_conn *root = client_root(f);
  uint64_t rx;
  assert_int_equal(roam_conn_channel_open(root, ROAM_CHANNEL_RECEIVE, CREDIT, on_item, on_end,
                                          on_writable, &mine, &rx), 0);
  uint8_t args[8];
  size_t n;
  put_i32(args, &n, 5000);
  static outcome o;
  memset(&o, 0, sizeof o);
  assert_int_equal(roam_conn_call(root, METHOD_GENERATE, &rx, 1, NULL, args, n, on_response, &o,
                                  NULL), 0);
  assert_true(run_until(f->rt, &mine.ended, 10000));
  assert_true(run_until(f->rt, &o.done, 2000));
  assert_int_equal(mine.items, 5000);
  assert_int_equal(mine.out_of_order, 0);
  assert_int_equal(mine.end_reason, 0);
  assert_int_equal(o.status, 0);
  assert_true(f->server_chan.writable > 0);  /* the server waited for our credit */
}

static void full_queue_says_eagain_until_credit_arrives(void **state) {
  fixture *f = *state;
  static chan_state mine;
  memset(&mine, 0, sizeof mine);
  roam_conn *root = client_root(f);
  uint64_t tx;
  roam_conn_channel_open(root, ROAM_CHANNEL_SEND, CREDIT, on_item, on_end, on_writable, &mine, &tx);
  static outcome o;
  memset(&o, 0, sizeof o);
  roam_conn_call(root, METHOD_SINK, &tx, 1, NULL, NULL, 0, on_response, &o, NULL);
  int next = 0;
  assert_int_equal(pump(root, tx, &next, 1000), ROAM_EAGAIN);
  assert_int_equal(next, CREDIT + 64);  /* the credit, then the 64-item queue */
  size_t queued = 0;
  assert_int_equal(roam_channel_queued(root, tx, &queued), 0);
  assert_int_equal(queued, 64);
  run_for(f->rt, 50);
  assert_int_equal(f->server_chan.items, CREDIT);
  assert_int_equal(mine.writable, 0);
  assert_non_null(f->server_conn);
  assert_int_equal(roam_channel_grant(f->server_conn, f->server_ch, 8), 0);
  assert_true(run_until(f->rt, &mine.writable, 2000));
  assert_int_equal(roam_channel_queued(root, tx, &queued), 0);
  assert_int_equal(queued, 56);
  assert_int_equal(pump(root, tx, &next, next + 8), 0);
}

static void reset_by_receiver_ends_the_sender(void **state) {
  fixture *f = *state;
  static chan_state mine;
  memset(&mine, 0, sizeof mine);
  roam_conn *root = client_root(f);
  uint64_t tx;
  roam_conn_channel_open(root, ROAM_CHANNEL_SEND, CREDIT, on_item, on_end, on_writable, &mine, &tx);
  static outcome o;
  memset(&o, 0, sizeof o);
  roam_conn_call(root, METHOD_SINK, &tx, 1, NULL, NULL, 0, on_response, &o, NULL);
  int next = 0;
  pump(root, tx, &next, 3);
  assert_true(run_until_count(f->rt, &f->server_chan.items, 3, 2000));
  roam_metadata *why = md_string("why", "enough");
  assert_non_null(f->server_conn);
  assert_int_equal(roam_channel_reset(f->server_conn, f->server_ch, why), 0);
  roam_metadata_free(why);
  assert_true(run_until(f->rt, &mine.ended, 2000));
  assert_int_equal(mine.end_reason, ROAM_ERESET);
  assert_string_equal(mine.end_md, "why=enough");
  assert_true(f->server_chan.ended);
  assert_int_equal(f->server_chan.end_reason, ROAM_ERESET);
}

static void channels_end_with_their_connection(void **state) {
  fixture *f = *state;
  static chan_state mine;
  memset(&mine, 0, sizeof mine);
  roam_conn *root = client_root(f);
  uint64_t tx;
  roam_conn_channel_open(root, ROAM_CHANNEL_SEND, CREDIT, on_item, on_end, on_writable, &mine, &tx);
  static outcome o;
  memset(&o, 0, sizeof o);
  roam_conn_call(root, METHOD_SINK, &tx, 1, NULL, NULL, 0, on_response, &o, NULL);
  assert_true(run_until(f->rt, &f->bound, 2000));
  assert_int_equal(roam_session_shutdown(f->client.s), 0);
  assert_true(run_until(f->rt, &mine.ended, 2000));
  assert_int_equal(mine.end_reason, ROAM_ESHUTDOWN);
  assert_true(run_until(f->rt, &f->server_chan.ended, 2000));
  assert_int_equal(f->server_chan.end_reason, ROAM_EEOF);
  assert_true(run_until(f->rt, &o.done, 2000));
  assert_int_equal(o.status, ROAM_ESHUTDOWN);
}

/* Hardening, finding 7: credit is enforced, not only counted. A sender
 * that pushes 2,000 items on a credit of 16 gets exactly 16 delivered; the
 * 17th resets the channel (the sender is told to stop) and the receiving
 * application sees it end with ROAM_EPROTO. Nothing is buffered for it. */
static void items_beyond_credit_reset_the_channel(void **state) {
  fixture *f = *state;
  roam_conn *root = client_root(f);
  /* Named in a raw call and sent on raw: no credit accounting on our side
   * (the client's raw channel callback sees the Reset). */
  uint64_t id = 1;
  assert_int_equal(roam_conn_send_request(root, ROAM_REQUEST_CALL, 1, METHOD_SINK, &id, 1, NULL,
                                          NULL, 0), 0);
  for (int i = 0; i < 2000; ++i) {
    uint8_t item[8];
    size_t n;
    put_i32(item, &n, i);
    assert_int_equal(roam_conn_send_channel(root, ROAM_CHANNEL_ITEM, id, NULL, item, n, 0), 0);
  }
  assert_true(run_until(f->rt, &f->server_chan.ended, 2000));
  assert_int_equal(f->server_chan.end_reason, ROAM_EPROTO);
  assert_int_equal(f->server_chan.items, CREDIT);
  assert_true(run_until(f->rt, &raw_resets, 2000));
  run_for(f->rt, 20);
  assert_int_equal(raw_resets, 1);
  assert_int_equal(f->server_chan.items, CREDIT);
  assert_int_equal(f->server.ended, 0);  /* the session and the call live on */
  assert_non_null(f->reply_conn);
}

/* Hardening, finding 3: what is kept for channels nobody bound is bounded
 * in bytes. The server names-but-never-binds; the client floods 64 KiB
 * items at it. Past the server's 1 MiB per-connection limit the client is
 * sent a ProtocolError and the server's session ends with ROAM_ELIMIT
 * (before: every item was kept, 1,000 x 1 MiB took 1 GB). */
static void unbound_channel_flood_is_bounded_in_bytes(void **state) {
  fixture *f = *state;
  roam_options *opts;
  assert_int_equal(roam_options_new(&opts), 0);
  assert_int_equal(roam_options_set_channel_buffer_limits(opts, 1u << 20, 2u << 20), 0);
  event_log log = {0};
  side client = {.name = "client", .on_conn_gone = conn_gone};
  side server = {.name = "server", .on_conn_gone = conn_gone};
  /* The server's table has no raw channel callback to take them instead. */
  roam_callbacks *ccbs = plain_table(), *scbs = server_table();
  side_pair_with(f->rt, &log, &client, NULL, ccbs, &server, opts, scbs);
  roam_callbacks_free(ccbs);
  roam_callbacks_free(scbs);
  roam_options_free(opts);
  roam_session *c = client.s, *s = server.s;
  roam_conn *root;
  roam_session_root(c, &root);
  static chan_state mine;
  memset(&mine, 0, sizeof mine);
  uint64_t id;
  assert_int_equal(roam_conn_channel_open(root, ROAM_CHANNEL_SEND, CREDIT, on_item, on_end,
                                          on_writable, &mine, &id), 0);
  static outcome o;
  memset(&o, 0, sizeof o);
  assert_int_equal(roam_conn_call(root, METHOD_NO_BIND, &id, 1, NULL, NULL, 0, on_response, &o,
                                  NULL), 0);
  /* Raw items, past the channel's credit: the server never binds it, so it
   * only buffers them, up to its byte limit. */
  static uint8_t item[64 * 1024];
  int sent = 0;
  for (int i = 0; i < 200 && !server.ended; ++i) {
    int rc = roam_conn_send_channel(root, ROAM_CHANNEL_ITEM, id, NULL, item, sizeof item, 0);
    if (rc == ROAM_EAGAIN) {
      run_for(f->rt, 5);
      continue;
    }
    if (rc != 0) break;
    sent++;
    if (sent % 4 == 0) run_for(f->rt, 2);
  }
  assert_true(run_until(f->rt, &server.ended, 5000));
  assert_int_equal(server.end_error, ROAM_ELIMIT);
  assert_true(strstr(roam_session_last_error(s), "channel buffer limit") != NULL);
  assert_true(run_until(f->rt, &client.ended, 5000));
  assert_int_equal(client.end_error, ROAM_EPEERERROR);
  assert_true(strstr(roam_session_last_error(c), "channel buffer limit") != NULL);
  /* About 1 MiB went in before the limit cut it off, not the whole flood. */
  assert_true(sent >= 15 && sent < 200);
  print_message("unbound flood: cut off after %d items of 64 KiB\n", sent);
  assert_true(run_until(f->rt, &o.done, 2000));
  assert_true(mine.ended);
  /* The request the server never answered ended with its connection. */
  assert_null(f->reply_conn);
  side_close(f->rt, &client);
  side_close(f->rt, &server);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(flood_from_caller_never_exceeds_credit, setup, teardown),
      cmocka_unit_test_setup_teardown(stream_from_server_arrives_in_order_then_closes, setup, teardown),
      cmocka_unit_test_setup_teardown(full_queue_says_eagain_until_credit_arrives, setup, teardown),
      cmocka_unit_test_setup_teardown(reset_by_receiver_ends_the_sender, setup, teardown),
      cmocka_unit_test_setup_teardown(channels_end_with_their_connection, setup, teardown),
      cmocka_unit_test_setup_teardown(items_beyond_credit_reset_the_channel, setup, teardown),
      cmocka_unit_test_setup_teardown(unbound_channel_flood_is_bounded_in_bytes, setup, teardown),
  };
  return cmocka_run_group_tests_name("capi_channels", tests, NULL, NULL);
}
