/* Frame tracing (the trace entry of the callbacks table) on real sockets:
 * one event per message decoded or queued, with the exact frame sizes of
 * the golden vectors, in order with the other callbacks, and never inside
 * a libroam call. */
#include <stdio.h>
#include <string.h>

#include <roam/roam_experimental.h>

#include "harness.h"
#include "sides.h"

/* Frame sizes (the length prefix, not counting itself), from tests/vectors:
 * hello_odd_empty            00 00 07 00 40 00
 * hello_yourself_even_empty  00 01 01 40 00
 * request_call_minimal       00 07 01 00 f3 bb f5 8f a6 97 f1 d5 9a 01 00 00 02 68 69
 * request_response_ok        00 07 01 01 00 00 00 02 68 69
 * channel_item               (conn 0 here) 00 08 03 00 4d
 * so Hello is size=6 and HelloYourself size=5 below. */
#define CALL_SIZE 19
#define RESPONSE_SIZE 10
#define CHANNEL_ITEM_SIZE 5
/* The method and arguments of request_call_minimal: Testbed.echo("hi"). */
#define ECHO_METHOD 0x9aabc4ba61fd5df3ull
static const uint8_t kEchoArgs[] = {0x02, 'h', 'i'};

/* Set while the test is inside a libroam call: a trace callback that runs
 * then breaks the event ordering rule. */
static int g_inside_libroam;

typedef struct {
  const char *name;
  event_log *log;
  int events;
  int inside_call;    /* events that ran inside a libroam call */
  int shutdown_on;    /* message kind whose IN event shuts the session down (-1: none) */
} tracer;

static void tracer_init(tracer *t, const char *name, event_log *log) {
  memset(t, 0, sizeof *t);
  t->name = name;
  t->log = log;
  t->shutdown_on = -1;
}

typedef struct {
  roam_runtime *rt;
  event_log log;
  side a, b;
  tracer ta, tb;
} fixture;

static fixture *g;  /* session callbacks get the side as user_data */

/* The tracer of a side's session. */
static tracer *tracer_of(side *sd) {
  assert_non_null(g);
  assert_true(sd == &g->a || sd == &g->b);
  return sd == &g->a ? &g->ta : &g->tb;
}

static void on_trace(roam_session *s, void *ud, int direction, uint64_t conn_id, int kind,
                     int sub_kind, uint64_t id, size_t frame_size) {
  tracer *t = tracer_of(ud);
  t->events++;
  if (g_inside_libroam) t->inside_call++;
  log_add(t->log, "%s %s conn=%llu %s sub=%d id=%llu size=%zu", t->name,
          direction == ROAM_TRACE_IN ? "IN" : "OUT", (unsigned long long)conn_id,
          roam_message_kind_name(kind), sub_kind, (unsigned long long)id, frame_size);
  if (direction == ROAM_TRACE_IN && kind == t->shutdown_on) {
    /* Calling back into the session from a trace event is allowed. */
    assert_int_equal(roam_session_shutdown(s), 0);
  }
}

/* ---- sides that trace ---------------------------------------------------------------------
 * A table is fixed when a session is made and side_callbacks() has no
 * trace entry: these sides get tables from side_callbacks_new() (user_data:
 * the side). */

/* A new side table, with on_trace if `traced`. */
static roam_callbacks *side_table(int traced) {
  roam_callbacks *cbs = side_callbacks_new();
  if (traced) assert_int_equal(roam_callbacks_set_trace(cbs, on_trace), 0);
  return cbs;
}

/* A pair (A the initiator) made with these tables. */
static void make_pair(fixture *f, const roam_callbacks *a_cbs, const roam_callbacks *b_cbs) {
  side_init(&f->a, "A", &f->log);
  side_init(&f->b, "B", &f->log);
  g_inside_libroam = 1;
  assert_int_equal(
      roam_session_pair(f->rt, NULL, a_cbs, &f->a, NULL, b_cbs, &f->b, &f->a.s, &f->b.s), 0);
  g_inside_libroam = 0;
}

static int setup(void **state) {
  fixture *f = test_calloc(1, sizeof *f);
  g = f;
  assert_int_equal(roam_runtime_new(&f->rt), 0);
  tracer_init(&f->ta, "A", &f->log);
  tracer_init(&f->tb, "B", &f->log);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  assert_int_equal(f->ta.inside_call, 0);
  assert_int_equal(f->tb.inside_call, 0);
  assert_int_equal(roam_runtime_free(f->rt), 0);
  test_free(f);
  g = NULL;
  return 0;
}

/* Index of `line` in the log, failing the test (with the log) if absent. */
static int expect_at(const event_log *log, const char *line) {
  log_expect(log, line);
  return log_find(log, line, 0);
}

static void expect_before(const event_log *log, const char *first, const char *second) {
  int i = expect_at(log, first);
  int j = expect_at(log, second);
  if (i >= j) {
    print_error("expected \"%s\" before \"%s\"\n", first, second);
    log_dump(log);
    fail();
  }
}

/* A default pair (A initiator, Odd; B acceptor, Even) traced on both sides
 * from creation on, handshaken. */
static void traced_pair(fixture *f) {
  roam_callbacks *cbs = side_table(1);
  make_pair(f, cbs, cbs);
  roam_callbacks_free(cbs);
  assert_true(run_until(f->rt, &f->a.handshake_done, 2000));
  assert_true(run_until(f->rt, &f->b.handshake_done, 2000));
}

static void close_both(fixture *f) {
  side_close(f->rt, &f->a);
  side_close(f->rt, &f->b);
}

static void handshake_frames_in_order_with_exact_sizes(void **state) {
  fixture *f = *state;
  traced_pair(f);
  /* The initiator's Hello is queued as the session starts: it shows, first
   * (and after roam_session_pair returned: teardown checks no event ran
   * inside it). */
  assert_int_equal(log_find(&f->log, "A OUT conn=0 Hello sub=-1 id=0 size=6", 0), 0);
  expect_before(&f->log, "A OUT conn=0 Hello sub=-1 id=0 size=6",
                "A IN conn=0 HelloYourself sub=-1 id=0 size=5");
  expect_before(&f->log, "A IN conn=0 HelloYourself sub=-1 id=0 size=5", "A handshake ROAM_OK md=");
  expect_before(&f->log, "B IN conn=0 Hello sub=-1 id=0 size=6",
                "B OUT conn=0 HelloYourself sub=-1 id=0 size=5");
  expect_before(&f->log, "B OUT conn=0 HelloYourself sub=-1 id=0 size=5", "B handshake ROAM_OK md=");
  assert_int_equal(f->ta.events, 2);
  assert_int_equal(f->tb.events, 2);
  close_both(f);
}

static int g_responses;

static void on_response(roam_conn *conn, void *ud, uint64_t request_id, int status,
                        const roam_metadata *md, const uint8_t *value, size_t value_len) {
  event_log *log = ud;
  g_responses++;
  log_add(log, "A response id=%llu status=%s", (unsigned long long)request_id,
          roam_err_name(status));
  (void)conn;
  (void)md;
  (void)value;
  (void)value_len;
}

static void call_shows_request_and_response(void **state) {
  fixture *f = *state;
  traced_pair(f);
  f->b.echo_calls = 1;
  roam_conn *root;
  assert_int_equal(roam_session_root(f->a.s, &root), 0);
  int before = f->ta.events;
  uint64_t call = 0;
  g_responses = 0;
  g_inside_libroam = 1;
  assert_int_equal(roam_conn_call(root, ECHO_METHOD, NULL, 0, NULL, kEchoArgs, sizeof kEchoArgs,
                                  on_response, &f->log, &call),
                   0);
  g_inside_libroam = 0;
  /* The OUT event of a message our call queued comes after the call. */
  assert_int_equal(f->ta.events, before);
  assert_int_equal(call, 1);
  assert_true(run_until(f->rt, &g_responses, 2000));

  char call_line[128], response_line[128];
  snprintf(call_line, sizeof call_line, "A OUT conn=0 Request sub=%d id=1 size=%d",
           ROAM_REQUEST_CALL, CALL_SIZE);
  snprintf(response_line, sizeof response_line, "A IN conn=0 Request sub=%d id=1 size=%d",
           ROAM_REQUEST_RESPONSE, RESPONSE_SIZE);
  expect_before(&f->log, call_line, response_line);
  expect_before(&f->log, response_line, "A response id=1 status=ROAM_OK");
  /* The server saw the same frames the other way round, each event before
   * the callback its message caused. */
  snprintf(call_line, sizeof call_line, "B IN conn=0 Request sub=%d id=1 size=%d",
           ROAM_REQUEST_CALL, CALL_SIZE);
  snprintf(response_line, sizeof response_line, "B OUT conn=0 Request sub=%d id=1 size=%d",
           ROAM_REQUEST_RESPONSE, RESPONSE_SIZE);
  expect_before(&f->log, call_line, "B request conn=0 kind=0 id=1 method=11145218007645380083 "
                                    "channels=0 md= payload=\002hi");
  expect_before(&f->log, call_line, response_line);
  close_both(f);
}

static void channel_message_shows_kind_and_channel_id(void **state) {
  fixture *f = *state;
  traced_pair(f);
  roam_conn *root;
  assert_int_equal(roam_session_root(f->a.s, &root), 0);
  const uint8_t item = 0x4d; /* u16 77 */
  g_inside_libroam = 1;
  assert_int_equal(roam_conn_send_channel(root, ROAM_CHANNEL_ITEM, 3, NULL, &item, 1, 0), 0);
  g_inside_libroam = 0;
  assert_true(run_until(f->rt, &f->b.channels, 2000));
  char line[128];
  snprintf(line, sizeof line, "A OUT conn=0 Channel sub=%d id=3 size=%d", ROAM_CHANNEL_ITEM,
           CHANNEL_ITEM_SIZE);
  log_expect(&f->log, line);
  snprintf(line, sizeof line, "B IN conn=0 Channel sub=%d id=3 size=%d", ROAM_CHANNEL_ITEM,
           CHANNEL_ITEM_SIZE);
  expect_before(&f->log, line, "B channel conn=0 kind=0 id=3 md= payload=M additional=0");
  close_both(f);
}

static size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

static void ping_trace_comes_after_the_call_returns(void **state) {
  fixture *f = *state;
  traced_pair(f);
  int before_a = f->ta.events, before_b = f->tb.events;
  uint64_t nonce = 0;
  g_inside_libroam = 1;
  assert_int_equal(roam_session_ping(f->a.s, &nonce), 0);
  g_inside_libroam = 0;
  assert_int_equal(f->ta.events, before_a);
  assert_int_equal(f->tb.events, before_b);
  assert_true(run_until(f->rt, &f->a.pongs, 2000));

  /* Ping{nonce} is conn, tag, varint nonce; Pong the same (ping.hex: 00 09 01). */
  size_t size = 2 + varint_size(nonce);
  char ping_out[128], pong_in[128], pong_line[64];
  snprintf(ping_out, sizeof ping_out, "A OUT conn=0 Ping sub=-1 id=%llu size=%zu",
           (unsigned long long)nonce, size);
  snprintf(pong_in, sizeof pong_in, "A IN conn=0 Pong sub=-1 id=%llu size=%zu",
           (unsigned long long)nonce, size);
  snprintf(pong_line, sizeof pong_line, "A pong nonce=%llu", (unsigned long long)nonce);
  expect_before(&f->log, ping_out, pong_in);
  expect_before(&f->log, pong_in, pong_line);
  char line[128];
  snprintf(line, sizeof line, "B IN conn=0 Ping sub=-1 id=%llu size=%zu",
           (unsigned long long)nonce, size);
  char reply[128];
  snprintf(reply, sizeof reply, "B OUT conn=0 Pong sub=-1 id=%llu size=%zu",
           (unsigned long long)nonce, size);
  expect_before(&f->log, line, reply);
  close_both(f);
}

/* A table whose trace entry was cleared (set, then set to NULL) traces
 * nothing; a session keeps the table it was made with, so clearing the
 * entry on the table afterwards does not stop a session made from it. */
static void tracing_stops_when_the_callback_is_cleared(void **state) {
  fixture *f = *state;
  roam_callbacks *a_cbs = side_table(1), *b_cbs = side_table(1);
  assert_int_equal(roam_callbacks_set_trace(a_cbs, NULL), 0);
  make_pair(f, a_cbs, b_cbs);
  /* Cleared on B's table after B was made: B still traces. */
  assert_int_equal(roam_callbacks_set_trace(b_cbs, NULL), 0);
  roam_callbacks_free(a_cbs);
  roam_callbacks_free(b_cbs);
  assert_true(run_until(f->rt, &f->a.handshake_done, 2000));
  assert_true(run_until(f->rt, &f->b.handshake_done, 2000));
  assert_int_equal(roam_session_ping(f->a.s, NULL), 0);
  assert_true(run_until(f->rt, &f->a.pongs, 2000));
  assert_int_equal(f->ta.events, 0);  /* not even its Hello */
  /* B still traces. */
  assert_int_equal(log_count_prefix(&f->log, "B IN conn=0 Hello"), 1);
  assert_int_equal(log_count_prefix(&f->log, "B IN conn=0 Ping"), 1);
  assert_int_equal(log_count_prefix(&f->log, "B OUT conn=0 Pong"), 1);
  close_both(f);
}

static void trace_callback_may_shut_the_session_down(void **state) {
  fixture *f = *state;
  f->ta.shutdown_on = ROAM_MSG_HELLO_YOURSELF;
  roam_callbacks *a_cbs = side_table(1), *b_cbs = side_table(0);
  make_pair(f, a_cbs, b_cbs);
  roam_callbacks_free(a_cbs);
  roam_callbacks_free(b_cbs);
  assert_true(run_until(f->rt, &f->a.ended, 2000));
  assert_int_equal(f->a.end_error, ROAM_ESHUTDOWN);
  assert_true(run_until(f->rt, &f->b.ended, 2000));
  close_both(f);
}

/* The listener's table traces every session it accepts, from before the
 * session reads anything (the accept callback makes it side B). */
static void tcp_acceptor_and_connector_trace_their_handshakes(void **state) {
  fixture *f = *state;
  side_acceptor acc = {&f->b, "B", &f->log, 0};
  roam_callbacks *cbs = side_table(1);
  roam_listener *l;
  assert_int_equal(
      roam_listener_new(f->rt, "tcp://127.0.0.1:0", NULL, cbs, side_on_accept, &acc, &l), 0);
  char addr[64];
  size_t addr_len = sizeof addr;
  assert_true(roam_listener_address(l, addr, &addr_len) >= 0);
  assert_true(addr_len > 0);
  side_init(&f->a, "A", &f->log);
  assert_int_equal(roam_session_connect(f->rt, addr, NULL, cbs, &f->a, &f->a.s), 0);
  roam_callbacks_free(cbs);
  assert_true(run_until(f->rt, &acc.accepted, 2000));
  assert_true(run_until(f->rt, &f->a.handshake_done, 2000));
  assert_true(run_until(f->rt, &f->b.handshake_done, 2000));
  expect_before(&f->log, "A OUT conn=0 Hello sub=-1 id=0 size=6",
                "A IN conn=0 HelloYourself sub=-1 id=0 size=5");
  expect_before(&f->log, "B IN conn=0 Hello sub=-1 id=0 size=6",
                "B OUT conn=0 HelloYourself sub=-1 id=0 size=5");
  close_both(f);
  listener_close_and_wait(f->rt, l);
}

static void message_kinds_have_names(void **state) {
  (void)state;
  static const char *names[] = {"Hello",           "HelloYourself",    "ProtocolError",
                                "ConnectionOpen",  "ConnectionAccept", "ConnectionReject",
                                "ConnectionClose", "Request",          "Channel",
                                "Ping",            "Pong"};
  for (int k = ROAM_MSG_HELLO; k <= ROAM_MSG_PONG; ++k) {
    assert_string_equal(roam_message_kind_name(k), names[k]);
  }
  assert_string_equal(roam_message_kind_name(-1), "unknown");
  assert_string_equal(roam_message_kind_name(11), "unknown");
  assert_string_equal(roam_message_kind_name(256), "unknown");
  assert_int_equal(roam_callbacks_set_trace(NULL, on_trace), ROAM_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(handshake_frames_in_order_with_exact_sizes, setup, teardown),
      cmocka_unit_test_setup_teardown(call_shows_request_and_response, setup, teardown),
      cmocka_unit_test_setup_teardown(channel_message_shows_kind_and_channel_id, setup, teardown),
      cmocka_unit_test_setup_teardown(ping_trace_comes_after_the_call_returns, setup, teardown),
      cmocka_unit_test_setup_teardown(tracing_stops_when_the_callback_is_cleared, setup, teardown),
      cmocka_unit_test_setup_teardown(trace_callback_may_shut_the_session_down, setup, teardown),
      cmocka_unit_test_setup_teardown(tcp_acceptor_and_connector_trace_their_handshakes, setup,
                                      teardown),
      cmocka_unit_test(message_kinds_have_names),
  };
  return cmocka_run_group_tests_name("capi_trace", tests, NULL, NULL);
}
