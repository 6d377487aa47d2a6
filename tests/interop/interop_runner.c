/* The interop matrix: libroam against the Rust reference (the published
 * roam 7.3.0 crates, in tests/interop/peer) over real sockets.
 *
 *   interop_runner PEER_BINARY SCENARIO ROLE TRANSPORT
 *
 * ROLE is libroam's role (initiator or acceptor; the peer takes the other),
 * TRANSPORT tcp or unix. As initiator libroam connects to the listening
 * peer; as acceptor the peer connects to libroam's listener. Each scenario
 * checks both what libroam saw (callbacks) and what the peer reported (its
 * output lines, ending with RESULT ok). See peer/SCENARIOS.md. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <roam/roam_experimental.h>
#include <roam/roam_postcard.h>

#include "../c/harness.h"
#include "../c/sides.h"
#include "peer_process.h"
#include "postcard.h"

typedef struct {
  const char *peer_bin;
  const char *scenario;
  int our_role;
  int unix_transport;
  roam_runtime *rt;
  event_log log;
  peer_process peer;
  side me;
  roam_listener *listener;
  int accepted;
  char sock_path[128];
  /* method ids of the peer's Interop service */
  uint64_t m_echo, m_add, m_divide, m_sleep, m_sum, m_generate;
} runner;

static runner R;

/* A scenario's settings for our session, fixed before it is made (a peer's
 * first call can arrive in the same read as its handshake): the serve
 * callback of its table (NULL: calls are answered UnknownMethod), and a
 * hook on its side once reset. */
static roam_serve_cb serve_session;
typedef void (*configure_fn)(side *sd);
static configure_fn configure_session;
static void configure(side *sd) {
  if (configure_session) configure_session(sd);
}

/* ---- our sessions' callbacks table -------------------------------------------------------
 * A side's table (sides.c: its bookkeeping and log lines, user_data: the
 * side) with the scenario's serve callback (may be NULL). The caller frees
 * it once the session or listener is made. */
static roam_callbacks *our_callbacks(roam_serve_cb serve) {
  roam_callbacks *cbs = side_callbacks_new();
  roam_callbacks_set_serve(cbs, serve);
  return cbs;
}

/* ---- plumbing --------------------------------------------------------------------------- */

static void fail_with_peer(const char *what) {
  print_error("interop %s: %s\n", R.scenario, what);
  log_dump(&R.log);
  peer_dump(&R.peer);
  fail();
}

#define REQUIRE(cond, what)           \
  do {                                \
    if (!(cond)) fail_with_peer(what); \
  } while (0)

static const char *wait_peer(const char *prefix, int timeout_ms) {
  int from = 0;
  const char *line = peer_wait_line(&R.peer, R.rt, prefix, &from, timeout_ms);
  if (line == NULL) {
    char what[160];
    snprintf(what, sizeof what, "the peer never printed '%s'", prefix);
    fail_with_peer(what);
  }
  return line;
}

static void load_method_ids(void) {
  peer_process p;
  char *argv[] = {(char *)R.peer_bin, "method-ids", NULL};
  assert_int_equal(peer_start(&p, argv), 0);
  assert_int_equal(peer_wait_exit(&p, NULL, 20000), 0);
  struct {
    const char *name;
    uint64_t *id;
  } want[] = {{"echo", &R.m_echo},  {"add", &R.m_add}, {"divide", &R.m_divide},
              {"sleep_ms", &R.m_sleep}, {"sum", &R.m_sum}, {"generate", &R.m_generate}};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; ++i) {
    char prefix[64];
    snprintf(prefix, sizeof prefix, "METHOD %s ", want[i].name);
    const char *line = peer_find_line(&p, prefix);
    if (line == NULL) {
      peer_dump(&p);
      fail_msg("no method id for %s", want[i].name);
    }
    *want[i].id = strtoull(line + strlen(prefix), NULL, 16);
  }
  peer_free(&p);
}

/* The listener's user_data, and so the accepted session's, is our side
 * (reset before the listener was made). */
static void on_accept(roam_listener *l, void *ud, int status, roam_session *s) {
  assert_int_equal(status, 0);
  assert_ptr_equal(ud, &R.me);
  assert_ptr_equal(roam_session_get_user_data(s), &R.me);
  R.me.s = s;
  R.accepted = 1;
  (void)l;
}

/* Hello metadata we send, so the peer can show it saw it. */
static roam_options *our_options(void) {
  roam_options *o;
  assert_int_equal(roam_options_new(&o), 0);
  roam_metadata *md = md_string("who", "libroam");
  roam_options_set_hello_metadata(o, md);
  roam_metadata_free(md);
  roam_options_set_role(o, R.our_role);
  return o;
}

/* Starts the peer in the other role and connects the two; returns our
 * session (its callbacks are the `side` ones, logged as "libroam …"). */
static roam_session *establish_with(roam_options *o, int wait_handshake) {
  side_init(&R.me, "libroam", &R.log);
  configure(&R.me);
  roam_callbacks *cbs = our_callbacks(serve_session);
  const char *peer_role = R.our_role == ROAM_ROLE_INITIATOR ? "acceptor" : "initiator";
  char peer_addr[160], our_addr[160];
  if (R.our_role == ROAM_ROLE_INITIATOR) {
    if (R.unix_transport) {
      snprintf(peer_addr, sizeof peer_addr, "unix:%s", R.sock_path);
    } else {
      snprintf(peer_addr, sizeof peer_addr, "tcp:127.0.0.1:0");
    }
    char *argv[] = {(char *)R.peer_bin, "run", "--role", (char *)peer_role, "--listen", peer_addr,
                    "--scenario", (char *)R.scenario, NULL};
    assert_int_equal(peer_start(&R.peer, argv), 0);
    const char *line = wait_peer("LISTENING ", 30000);
    const char *addr = line + strlen("LISTENING ");
    if (strncmp(addr, "tcp:", 4) == 0) {
      snprintf(our_addr, sizeof our_addr, "tcp://%s", addr + 4);
    } else {
      snprintf(our_addr, sizeof our_addr, "%s", addr);
    }
    assert_int_equal(roam_session_connect(R.rt, our_addr, o, cbs, &R.me, &R.me.s), 0);
  } else {
    const char *listen = R.unix_transport ? NULL : "tcp://127.0.0.1:0";
    char unix_addr[160];
    if (R.unix_transport) {
      snprintf(unix_addr, sizeof unix_addr, "unix:%s", R.sock_path);
      listen = unix_addr;
    }
    assert_int_equal(roam_listener_new(R.rt, listen, o, cbs, on_accept, &R.me, &R.listener), 0);
    if (R.unix_transport) {
      snprintf(peer_addr, sizeof peer_addr, "unix:%s", R.sock_path);
    } else {
      snprintf(peer_addr, sizeof peer_addr, "tcp:127.0.0.1:%d", roam_listener_port(R.listener));
    }
    char *argv[] = {(char *)R.peer_bin, "run", "--role", (char *)peer_role, "--connect", peer_addr,
                    "--scenario", (char *)R.scenario, NULL};
    assert_int_equal(peer_start(&R.peer, argv), 0);
    int from = 0;
    while (!R.accepted && peer_wait_line(&R.peer, R.rt, "RESULT", &from, 20) == NULL) {
      if (R.peer.line_count > 0 && R.peer.exited) break;
      roam_runtime_run_nowait(R.rt);
    }
    REQUIRE(R.accepted, "the peer never connected");
  }
  roam_callbacks_free(cbs);
  if (wait_handshake) {
    int ok = 0;
    for (int i = 0; i < 3000 && !R.me.handshake_done; ++i) peer_pump(&R.peer, R.rt, 10);
    ok = R.me.handshake_done && R.me.handshake_status == 0;
    REQUIRE(ok, "no handshake with the peer");
  }
  return R.me.s;
}

static roam_session *establish(void) {
  roam_options *o = our_options();
  roam_session *s = establish_with(o, 1);
  roam_options_free(o);
  return s;
}

/* Runs the loop (and reads the peer) until *flag, or fails. */
static void await(const int *flag, int timeout_ms, const char *what) {
  for (int waited = 0; !*flag && waited < timeout_ms; waited += 5) {
    peer_pump(&R.peer, R.rt, 5);
  }
  REQUIRE(*flag, what);
}

static void await_count(const int *counter, int target, int timeout_ms, const char *what) {
  for (int waited = 0; *counter < target && waited < timeout_ms; waited += 5) {
    peer_pump(&R.peer, R.rt, 5);
  }
  REQUIRE(*counter >= target, what);
}

/* Lets the peer finish: RESULT ok and exit status 0. */
static void expect_peer_ok(void) {
  const char *result = wait_peer("RESULT", 30000);
  int status = peer_wait_exit(&R.peer, R.rt, 10000);
  if (strcmp(result, "RESULT ok") != 0 || status != 0) fail_with_peer("the peer reported a failure");
}

/* Ends our side: let go of the root (the session ends once nothing is
 * open), as a program that is done would. */
static void release_root(void) {
  roam_conn *root;
  if (roam_session_root(R.me.s, &root) == 0) roam_conn_release(root);
}

static int setup(void **state) {
  (void)state;
  assert_int_equal(roam_runtime_new(&R.rt), 0);
  snprintf(R.sock_path, sizeof R.sock_path, "/tmp/roam-interop-%d.sock", (int)getpid());
  unlink(R.sock_path);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  if (R.me.s && !R.me.closed) side_close(R.rt, &R.me);
  if (R.listener) {
    roam_listener_close(R.listener, NULL, NULL);
    R.listener = NULL;
  }
  run_for(R.rt, 20);
  peer_free(&R.peer);
  assert_int_equal(roam_runtime_free(R.rt), 0);
  unlink(R.sock_path);
  return 0;
}

/* ---- scenarios -------------------------------------------------------------------------- */

static void scenario_handshake(void) {
  establish();
  log_expect(&R.log, "libroam handshake ROAM_OK md=peer=roam-rust,roam-version=7.3.0");
  const char *hello = wait_peer("PEER_HELLO", 5000);
  REQUIRE(strstr(hello, "who:s:libroam:0") != NULL, "the peer did not see our hello metadata");
  int parity = roam_session_parity(R.me.s);
  /* The acceptor always takes the opposite of the initiator (odd). */
  REQUIRE(parity == (R.our_role == ROAM_ROLE_INITIATOR ? ROAM_PARITY_ODD : ROAM_PARITY_EVEN),
          "wrong session parity");
  release_root();
  await(&R.me.ended, 5000, "our session did not end");
  wait_peer("SESSION_ENDED", 5000);
  expect_peer_ok();
}

static void scenario_version_mismatch(void) {
  roam_options *o = our_options();
  if (R.our_role == ROAM_ROLE_INITIATOR) {
    /* We send Hello{version 8}; roam-core refuses and hangs up. */
    roam_options_set_protocol_version_for_testing(o, 8);
    establish_with(o, 0);
    roam_options_free(o);
    await(&R.me.ended, 10000, "our session did not end");
    REQUIRE(R.me.handshake_status != 0, "the handshake should have failed");
    const char *failed = wait_peer("HANDSHAKE_FAILED", 5000);
    REQUIRE(strstr(failed, "version") != NULL, "the peer's reason does not name the version");
  } else {
    /* The peer (raw) sends Hello{version 6}: we refuse with a ProtocolError. */
    establish_with(o, 0);
    roam_options_free(o);
    await(&R.me.ended, 10000, "our session did not end");
    REQUIRE(R.me.end_error == ROAM_EVERSION, "expected ROAM_EVERSION");
    REQUIRE(strcmp(roam_session_last_error(R.me.s), "version mismatch: got 6, expected 7") == 0,
            "unexpected reason");
    const char *got = wait_peer("RECEIVED_PROTOCOL_ERROR", 5000);
    REQUIRE(strstr(got, "got") != NULL && strstr(got, "6") != NULL,
            "the peer did not get our ProtocolError naming both versions");
    wait_peer("EOF", 5000);
  }
  expect_peer_ok();
}

static void scenario_open_accept_reject(void) {
  establish();
  /* The peer opens two: we accept want=accept, refuse the other. */
  await_count(&R.me.inbound_opens, 2, 10000, "the peer's two opens");
  wait_peer("OPEN_ACCEPTED", 5000);
  const char *rejected = wait_peer("OPEN_REJECTED", 5000);
  REQUIRE(strstr(rejected, "reason:s:policy:0") != NULL, "the peer did not get our reject metadata");
  /* We open two on the peer. */
  roam_metadata *yes = md_string("want", "accept"), *no = md_string("want", "reject");
  roam_conn *a, *b;
  assert_int_equal(roam_session_open(R.me.s, ROAM_PARITY_DEFAULT, 64, yes, NULL, &a), 0);
  assert_int_equal(roam_session_open(R.me.s, ROAM_PARITY_DEFAULT, 64, no, NULL, &b), 0);
  /* b's handle is gone once its open fails: keep the ids. */
  uint64_t a_id = conn_id_checked(a), b_id = conn_id_checked(b);
  roam_metadata_free(yes);
  roam_metadata_free(no);
  await_count(&R.me.opens_answered, 2, 10000, "answers to our opens");
  char line[128];
  snprintf(line, sizeof line, "libroam open conn=%llu status=ROAM_OK md=accepted-by=roam-rust",
           (unsigned long long)a_id);
  log_expect(&R.log, line);
  snprintf(line, sizeof line, "libroam open conn=%llu status=ROAM_EREJECTED md=reason=policy",
           (unsigned long long)b_id);
  log_expect(&R.log, line);
  int parity;
  roam_conn_peer_settings(a, &parity, NULL);
  REQUIRE(parity != roam_session_parity(R.me.s), "the peer should answer with the other parity");
  /* Two INBOUND_OPEN lines at the peer, with our metadata. */
  int from = 0;
  REQUIRE(peer_wait_line(&R.peer, R.rt, "INBOUND_OPEN", &from, 5000) != NULL, "first INBOUND_OPEN");
  REQUIRE(peer_wait_line(&R.peer, R.rt, "INBOUND_OPEN", &from, 5000) != NULL, "second INBOUND_OPEN");
  /* The connection the peer opened is still open, so letting go of the
   * root would not end the session: shut it down. */
  assert_int_equal(roam_session_shutdown(R.me.s), 0);
  await(&R.me.ended, 5000, "our session did not end");
  REQUIRE(R.me.end_error == ROAM_ESHUTDOWN, "expected ROAM_ESHUTDOWN");
  expect_peer_ok();
}

static void accept_everything(side *sd) {
  sd->accept_all = 1;  /* the one valid open is accepted */
}

static void scenario_wrong_parity_raw(void) {
  roam_options *o = our_options();
  configure_session = accept_everything;
  establish_with(o, 1);
  roam_options_free(o);
  /* The raw peer sent a wrong-parity open, a good one and a duplicate of
   * the good one: only the good one may reach us. */
  int from = 0;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(peer_wait_line(&R.peer, R.rt, "RECEIVED", &from, 10000) != NULL, "an answer at the peer");
  }
  REQUIRE(R.me.inbound_opens == 1, "exactly one inbound open should reach the application");
  roam_session_shutdown(R.me.s);
  wait_peer("EOF", 5000);
  expect_peer_ok();
}

static void scenario_close(void) {
  establish();
  /* The peer opens one (want=accept); we close it with metadata. */
  await(&R.me.inbound_opens, 10000, "the peer's open");
  roam_conn *c = R.me.last_inbound;
  run_for(R.rt, 20);
  roam_metadata *bye = md_string("bye", "libroam");
  assert_int_equal(roam_conn_close(c, bye), 0);
  roam_metadata_free(bye);
  wait_peer("CLOSED_BY_PEER", 5000);
  /* It opens a second and closes it itself, with its metadata. */
  await_count(&R.me.inbound_opens, 2, 10000, "the peer's second open");
  wait_peer("CLOSED_LOCAL", 5000);
  await_count(&R.me.conns_closed, 2, 5000, "the second close");
  char line[128];
  snprintf(line, sizeof line, "libroam closed conn=%llu origin=remote reason=ROAM_OK md=bye=rust",
           (unsigned long long)R.me.last_inbound_id);
  log_expect(&R.log, line);
  release_root();
  await(&R.me.ended, 5000, "our session did not end");
  expect_peer_ok();
}

static void scenario_root_liveness(void) {
  establish();
  await(&R.me.inbound_opens, 10000, "the peer's open");
  wait_peer("ROOT_DROPPED", 5000);
  /* The peer closes its virtual connection; with its root gone too, the
   * Rust session shuts down and we see the transport close. */
  await(&R.me.ended, 10000, "our session did not end when the peer's session did");
  REQUIRE(R.me.end_error == ROAM_EEOF, "expected the peer to hang up");
  char line[128];
  snprintf(line, sizeof line, "libroam closed conn=%llu origin=remote reason=ROAM_OK md=",
           (unsigned long long)R.me.last_inbound_id);
  log_expect(&R.log, line);
  REQUIRE(log_find(&R.log, line, 0) < log_find(&R.log, "libroam end ROAM_EEOF: peer closed the transport", 0),
          "the virtual close should come before the end");
  expect_peer_ok();
}

static void scenario_keepalive(void) {
  roam_options *o = our_options();
  roam_options_set_keepalive(o, 50, 500);
  establish_with(o, 1);
  roam_options_free(o);
  wait_peer("KEEPALIVE_SURVIVED", 10000);  /* we answered the peer's pings */
  REQUIRE(R.me.pongs >= 3, "the peer did not answer our pings");
  uint64_t answered = 0;
  roam_session_stat(R.me.s, ROAM_STAT_PONGS_SENT, &answered);
  REQUIRE(answered >= 3, "we should have answered the peer's pings");
  release_root();
  await(&R.me.ended, 5000, "our session did not end");
  expect_peer_ok();
}

static void scenario_keepalive_timeout(void) {
  roam_options *o = our_options();
  roam_options_set_keepalive(o, 100, 300);
  establish_with(o, 1);
  roam_options_free(o);
  peer_kill(&R.peer, SIGSTOP);  /* the peer stops answering */
  await(&R.me.ended, 5000, "our keepalive did not fire");
  peer_kill(&R.peer, SIGCONT);
  REQUIRE(R.me.end_error == ROAM_EKEEPALIVE, "expected ROAM_EKEEPALIVE");
  REQUIRE(R.me.keepalive_timeouts == 1, "the keepalive callback should fire once");
  wait_peer("SESSION_ENDED", 10000);
  expect_peer_ok();
}

/* ---- calling the peer's service ---------------------------------------------------------- */

typedef struct {
  int done, status;
  uint8_t value[64];
  size_t len;
} outcome;

static void on_done(roam_conn *c, void *ud, uint64_t request_id, int status, const roam_metadata *md,
                    const uint8_t *v, size_t len) {
  outcome *o = ud;
  o->done = 1;
  o->status = status;
  o->len = len < sizeof o->value ? len : sizeof o->value;
  if (o->len) memcpy(o->value, v, o->len);
  (void)c, (void)request_id, (void)md;
}

static outcome call_sync(roam_conn *c, uint64_t method, const uint8_t *args, size_t len) {
  outcome o = {0};
  assert_int_equal(roam_conn_call(c, method, NULL, 0, NULL, args, len, on_done, &o, NULL), 0);
  await(&o.done, 10000, "a response from the peer");
  return o;
}

typedef struct {
  int items, ended, end_reason, next, out_of_order;
} stream_state;

/* A channel's callbacks; user_data: its stream_state. */
static void on_item(roam_conn *c, uint64_t channel_id, void *ud, const uint8_t *item, size_t len) {
  stream_state *st = ud;
  int64_t v = pc_get_signed(item, len);
  if (v != st->next) st->out_of_order++;
  st->next = (int)v + 1;
  st->items++;
  (void)c, (void)channel_id;
}

static void on_channel_end(roam_conn *c, uint64_t channel_id, void *ud, int reason,
                           const roam_metadata *md) {
  stream_state *st = ud;
  st->ended = 1;
  st->end_reason = reason;
  (void)c, (void)channel_id, (void)md;
}

static void exercise_service(roam_conn *c) {
  uint8_t args[128];
  size_t n = pc_put_string(args, "hello from libroam");
  outcome o = call_sync(c, R.m_echo, args, n);
  REQUIRE(o.status == 0 && o.len == n && memcmp(o.value, args, n) == 0, "echo");
  n = pc_put_signed(args, 40);
  n += pc_put_signed(args + n, 2);
  o = call_sync(c, R.m_add, args, n);
  REQUIRE(o.status == 0 && pc_get_signed(o.value, o.len) == 42, "add(40, 2)");
  n = pc_put_signed(args, 7);
  n += pc_put_signed(args + n, 0);
  o = call_sync(c, R.m_divide, args, n);
  REQUIRE(o.status == ROAM_EUSER && o.len == 1 && o.value[0] == 0, "divide(7, 0) = Err(User(DivisionByZero))");
  n = pc_put_signed(args, 84);
  n += pc_put_signed(args + n, 2);
  o = call_sync(c, R.m_divide, args, n);
  REQUIRE(o.status == 0 && pc_get_signed(o.value, o.len) == 42, "divide(84, 2)");
  o = call_sync(c, 0x0123456789abcdefull, NULL, 0);
  REQUIRE(o.status == ROAM_EUNKNOWNMETHOD, "an unknown method");
  o = call_sync(c, R.m_echo, (const uint8_t *)"\x05hi", 3);
  REQUIRE(o.status == ROAM_EINVALIDPAYLOAD, "undecodable arguments");

  /* Cancel: a slow call, cancelled; the peer aborts its handler. */
  n = pc_put_varint(args, 5000);
  outcome slow = {0};
  uint64_t slow_id;
  assert_int_equal(roam_conn_call(c, R.m_sleep, NULL, 0, NULL, args, n, on_done, &slow, &slow_id), 0);
  wait_peer("SERVED method=sleep_ms", 5000);
  assert_int_equal(roam_call_cancel(c, slow_id, NULL), 0);
  await(&slow.done, 2000, "the cancelled call's completion");
  REQUIRE(slow.status == ROAM_ECANCELLED, "cancel");

  /* sum(Rx<i32>): we send 1..=100 through a channel with roam's credit. */
  static stream_state up;
  memset(&up, 0, sizeof up);
  uint64_t tx_id;
  assert_int_equal(roam_conn_channel_open(c, ROAM_CHANNEL_SEND, ROAM_DEFAULT_CHANNEL_CREDIT, on_item,
                                          on_channel_end, NULL, &up, &tx_id),
                   0);
  outcome sum = {0};
  assert_int_equal(roam_conn_call(c, R.m_sum, &tx_id, 1, NULL, NULL, 0, on_done, &sum, NULL), 0);
  for (int v = 1; v <= 100;) {
    uint8_t item[10];
    int rc = roam_channel_send(c, tx_id, item, pc_put_signed(item, v));
    if (rc == ROAM_EAGAIN) {
      peer_pump(&R.peer, R.rt, 5);  /* wait for credit */
      continue;
    }
    assert_int_equal(rc, 0);
    ++v;
  }
  roam_channel_close(c, tx_id, NULL);
  await(&sum.done, 10000, "sum");
  REQUIRE(sum.status == 0 && pc_get_signed(sum.value, sum.len) == 5050, "sum(1..=100) = 5050");

  /* generate(40, Tx<i32>): the peer streams 0..40 to us. */
  static stream_state down;
  memset(&down, 0, sizeof down);
  uint64_t rx_id;
  assert_int_equal(roam_conn_channel_open(c, ROAM_CHANNEL_RECEIVE, ROAM_DEFAULT_CHANNEL_CREDIT, on_item,
                                          on_channel_end, NULL, &down, &rx_id),
                   0);
  n = pc_put_varint(args, 40);
  outcome gen = {0};
  assert_int_equal(roam_conn_call(c, R.m_generate, &rx_id, 1, NULL, args, n, on_done, &gen, NULL), 0);
  await(&down.ended, 10000, "the generated stream");
  await(&gen.done, 10000, "generate's response");
  REQUIRE(down.items == 40 && down.out_of_order == 0 && down.end_reason == 0, "generate(40) items 0..39");
  REQUIRE(gen.status == 0, "generate returns Ok(())");
}

static void scenario_serve(void) {
  roam_session *s = establish();
  roam_conn *root;
  roam_session_root(s, &root);
  exercise_service(root);
  /* Again on a virtual connection the peer accepts. */
  roam_metadata *want = md_string("want", "accept");
  roam_conn *v;
  assert_int_equal(roam_session_open(s, ROAM_PARITY_DEFAULT, 64, want, NULL, &v), 0);
  roam_metadata_free(want);
  await(&R.me.opens_answered, 10000, "the peer accepting our connection");
  REQUIRE(roam_conn_state(v) == ROAM_CONN_OPEN, "virtual connection accepted");
  exercise_service(v);
  roam_conn_close(v, NULL);
  release_root();
  await(&R.me.ended, 5000, "our session did not end");
  expect_peer_ok();
}

/* ---- serving the peer's calls ---------------------------------------------------------- */

/* A sum being served: request `request_id` of `conn`, answered when its
 * channel ends (the channel's user_data). */
typedef struct {
  roam_conn *conn;
  uint64_t request_id;
  int64_t total;
} sum_job;

static void sum_item(roam_conn *c, uint64_t channel_id, void *ud, const uint8_t *item, size_t len) {
  sum_job *job = ud;
  job->total += pc_get_signed(item, len);
  (void)c, (void)channel_id;
}

static void sum_end(roam_conn *c, uint64_t channel_id, void *ud, int reason, const roam_metadata *md) {
  sum_job *job = ud;
  uint8_t out[10];
  roam_reply_ok(job->conn, job->request_id, NULL, out, pc_put_signed(out, job->total));
  free(job);
  (void)c, (void)channel_id, (void)reason, (void)md;
}

/* The arguments (i64, i64) of add and divide. */
static int read_two_i64(const uint8_t *args, size_t len, int64_t *a, int64_t *b) {
  roam_postcard_reader r;
  roam_postcard_reader_init(&r, sizeof r, args, len);
  roam_postcard_read_i64(&r, a);
  roam_postcard_read_i64(&r, b);
  return roam_postcard_reader_finish(&r);
}

static void serve_interop(roam_session *s, void *ud, roam_conn *c, uint64_t request_id, uint64_t method,
                          const uint64_t *ch, size_t nch, const roam_metadata *md, const uint8_t *args,
                          size_t len) {
  uint8_t out[32];
  int64_t a = 0, b = 0;
  if (method == R.m_echo) {
    roam_reply_ok(c, request_id, NULL, args, len);
  } else if ((method == R.m_add || method == R.m_divide) && read_two_i64(args, len, &a, &b) != 0) {
    roam_reply_fail(c, request_id, ROAM_EINVALIDPAYLOAD, NULL);
  } else if (method == R.m_add) {
    roam_reply_ok(c, request_id, NULL, out, pc_put_signed(out, a + b));
  } else if (method == R.m_divide) {
    if (b == 0) {
      roam_reply_user_error(c, request_id, NULL, "\x00", 1);  /* MathError::DivisionByZero */
    } else {
      roam_reply_ok(c, request_id, NULL, out, pc_put_signed(out, a / b));
    }
  } else if (method == R.m_sum && nch == 1) {
    sum_job *job = calloc(1, sizeof *job);
    job->conn = c;
    job->request_id = request_id;
    int rc = roam_conn_channel_bind(c, ch[0], ROAM_CHANNEL_RECEIVE, ROAM_DEFAULT_CHANNEL_CREDIT, sum_item,
                                    sum_end, NULL, job);
    if (rc != 0) {
      print_error("sum: bind %llu: %s\n", (unsigned long long)ch[0], roam_strerror(rc));
      roam_reply_release(c, request_id);
      free(job);
    }
  } else if (method == R.m_generate && nch == 1) {
    uint64_t count = pc_get_varint(args, len, NULL);
    uint64_t tx = ch[0];
    roam_conn_channel_bind(c, tx, ROAM_CHANNEL_SEND, ROAM_DEFAULT_CHANNEL_CREDIT, NULL, NULL, NULL, NULL);
    for (uint64_t i = 0; i < count; ++i) {
      uint8_t item[10];
      int rc = roam_channel_send(c, tx, item, pc_put_signed(item, (int64_t)i));
      if (rc != 0) print_error("generate: send %llu: %s\n", (unsigned long long)i, roam_strerror(rc));
    }
    roam_channel_close(c, tx, NULL);
    roam_reply_ok(c, request_id, NULL, NULL, 0);
  } else {
    roam_reply_fail(c, request_id, ROAM_EUNKNOWNMETHOD, NULL);
  }
  (void)s, (void)ud, (void)md;
}

static void scenario_call(void) {
  roam_options *o = our_options();
  roam_options_set_max_concurrent_requests(o, 256);  /* the peer makes 200 at once */
  serve_session = serve_interop;
  establish_with(o, 1);
  roam_options_free(o);
  const char *result = wait_peer("RESULT", 30000);
  if (strcmp(result, "RESULT ok") != 0) fail_with_peer("the peer's calls to us went wrong");
  REQUIRE(peer_find_line(&R.peer, "CALL method=sum result=5050") != NULL, "sum result line");
  await(&R.me.ended, 10000, "the peer ending the session");
  REQUIRE(peer_wait_exit(&R.peer, R.rt, 10000) == 0, "peer exit status");
}

/* ---- Rust's proxy_connections between two of our sessions ------------------------------ */

static int proxy_echoes;
static void serve_echo(roam_session *s, void *ud, roam_conn *c, uint64_t request_id, uint64_t method,
                       const uint64_t *ch, size_t nch, const roam_metadata *md, const uint8_t *args,
                       size_t len) {
  proxy_echoes++;
  roam_reply_ok(c, request_id, md, args, len);
  (void)s, (void)ud, (void)method, (void)ch, (void)nch;
}

typedef struct {
  int issued, completed, bad;
  roam_conn *conn;
} proxy_caller;

static void proxy_issue(proxy_caller *pc);
static void proxy_done(roam_conn *c, void *ud, uint64_t request_id, int status, const roam_metadata *md,
                       const uint8_t *v, size_t len) {
  proxy_caller *pc = ud;
  pc->completed++;
  uint32_t i;
  if (status != 0 || len != 4) {
    pc->bad++;
  } else {
    memcpy(&i, v, 4);
    if (request_id != 2u * i + 1) pc->bad++;
  }
  proxy_issue(pc);
  (void)c, (void)md;
}

static void proxy_issue(proxy_caller *pc) {
  while (pc->issued < 1000 && pc->issued - pc->completed < 32) {
    uint32_t i = (uint32_t)pc->issued;
    if (roam_conn_call(pc->conn, 0xfeed, NULL, 0, NULL, &i, 4, proxy_done, pc, NULL) != 0) return;
    pc->issued++;
  }
}

static void scenario_proxy(void) {
  /* The peer accepts two sessions and splices one connection of each. */
  char *argv[] = {(char *)R.peer_bin, "run", "--role", "acceptor", "--listen",
                  R.unix_transport ? NULL : "tcp:127.0.0.1:0", "--scenario", "proxy", NULL};
  char unix_addr[160];
  if (R.unix_transport) {
    snprintf(unix_addr, sizeof unix_addr, "unix:%s", R.sock_path);
    argv[5] = unix_addr;
  }
  assert_int_equal(peer_start(&R.peer, argv), 0);
  const char *addr = wait_peer("LISTENING ", 30000) + strlen("LISTENING ");
  char ours[160];
  if (strncmp(addr, "tcp:", 4) == 0) {
    snprintf(ours, sizeof ours, "tcp://%s", addr + 4);
  } else {
    snprintf(ours, sizeof ours, "%s", addr);
  }
  static side caller, server;
  side_init(&caller, "caller", &R.log);
  side_init(&server, "server", &R.log);
  roam_callbacks *caller_cbs = our_callbacks(NULL), *server_cbs = our_callbacks(serve_echo);
  assert_int_equal(roam_session_connect(R.rt, ours, NULL, caller_cbs, &caller, &caller.s), 0);
  await(&caller.handshake_done, 10000, "the caller's handshake");
  assert_int_equal(roam_session_connect(R.rt, ours, NULL, server_cbs, &server, &server.s), 0);
  roam_callbacks_free(caller_cbs);
  roam_callbacks_free(server_cbs);
  roam_session *sa = caller.s, *sb = server.s;
  await(&server.handshake_done, 10000, "the server's handshake");

  /* Parities line up: the caller calls with odd ids; the server's far
   * side (the peer) must use odd ids too, so the server opens even. */
  roam_metadata *m1 = md_string("proxy-side", "caller"), *m2 = md_string("proxy-side", "server");
  roam_conn *cc, *sc;
  assert_int_equal(roam_session_open(sa, ROAM_PARITY_ODD, 64, m1, NULL, &cc), 0);
  await(&caller.opens_answered, 10000, "the caller's connection");
  assert_int_equal(roam_session_open(sb, ROAM_PARITY_EVEN, 64, m2, NULL, &sc), 0);
  await(&server.opens_answered, 10000, "the server's connection");
  roam_metadata_free(m1);
  roam_metadata_free(m2);
  REQUIRE(roam_conn_state(cc) == ROAM_CONN_OPEN && roam_conn_state(sc) == ROAM_CONN_OPEN, "both accepted");
  wait_peer("PROXY_STARTED", 10000);

  static proxy_caller pc;
  memset(&pc, 0, sizeof pc);
  pc.conn = cc;
  proxy_issue(&pc);
  await_count(&pc.completed, 1000, 30000, "1000 calls through the Rust proxy");
  REQUIRE(pc.bad == 0 && proxy_echoes == 1000, "calls intact through the proxy");

  /* Closing one side makes the proxy close the other. */
  assert_int_equal(roam_conn_close(cc, NULL), 0);
  await(&server.conns_closed, 10000, "the proxy closing the server's connection");
  wait_peer("PROXY_ENDED", 10000);
  side_close(R.rt, &caller);
  side_close(R.rt, &server);
  wait_peer("RESULT", 10000);
  expect_peer_ok();
}

/* ---- main --------------------------------------------------------------------------------- */

static const struct {
  const char *name;
  void (*run)(void);
  const char *peer_scenario;
} kScenarios[] = {
    {"handshake", scenario_handshake, "handshake"},
    {"version-mismatch", scenario_version_mismatch, "version-mismatch"},
    {"open-accept-reject", scenario_open_accept_reject, "open-accept-reject"},
    {"wrong-parity-raw", scenario_wrong_parity_raw, "wrong-parity-raw"},
    {"close", scenario_close, "close"},
    {"root-liveness", scenario_root_liveness, "root-liveness"},
    {"keepalive", scenario_keepalive, "keepalive"},
    {"keepalive-timeout", scenario_keepalive_timeout, "idle"},
    {"serve", scenario_serve, "serve"},
    {"call", scenario_call, "call"},
    {"proxy", scenario_proxy, "proxy"},
};
static int selected = -1;

static void run_selected(void **state) {
  (void)state;
  if (kScenarios[selected].run == scenario_serve || kScenarios[selected].run == scenario_call) load_method_ids();
  kScenarios[selected].run();
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s PEER_BINARY SCENARIO initiator|acceptor tcp|unix\n", argv[0]);
    return 64;
  }
  R.peer_bin = argv[1];
  for (size_t i = 0; i < sizeof kScenarios / sizeof kScenarios[0]; ++i) {
    if (strcmp(kScenarios[i].name, argv[2]) == 0) selected = (int)i;
  }
  if (selected < 0) {
    fprintf(stderr, "unknown scenario %s\n", argv[2]);
    return 64;
  }
  R.scenario = kScenarios[selected].peer_scenario;
  R.our_role = strcmp(argv[3], "acceptor") == 0 ? ROAM_ROLE_ACCEPTOR : ROAM_ROLE_INITIATOR;
  R.unix_transport = strcmp(argv[4], "unix") == 0;
  char name[128];
  snprintf(name, sizeof name, "interop %s: libroam as %s over %s", argv[2], argv[3], argv[4]);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(run_selected, setup, teardown),
  };
  return _cmocka_run_group_tests(name, tests, 1, NULL, NULL);
}
