/* The public C ABI on real transports: in-process socket pairs, loopback
 * TCP and Unix sockets, both roles in one process. Every assertion is on
 * callbacks (what fired, with what, in what order) and on return codes. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <roam/roam_experimental.h>

#include "harness.h"
#include "sides.h"

typedef struct {
  roam_runtime *rt;
  event_log log;
  side a, b;
} fixture;

static int setup(void **state) {
  fixture *f = test_calloc(1, sizeof *f);
  assert_int_equal(roam_runtime_new(&f->rt), 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  /* Every session must be closed: the runtime refuses to go otherwise. */
  assert_int_equal(roam_runtime_free(f->rt), 0);
  test_free(f);
  return 0;
}

static void close_both(fixture *f) {
  side_close(f->rt, &f->a);
  side_close(f->rt, &f->b);
  /* Nothing fires after a close callback, even when the loop keeps going. */
  run_for(f->rt, 50);
  assert_int_equal(f->a.events_after_close, 0);
  assert_int_equal(f->b.events_after_close, 0);
}

/* A pair with metadata on both hellos, handshaken. */
static void make_pair(fixture *f) {
  roam_options *oa, *ob;
  assert_int_equal(roam_options_new(&oa), 0);
  assert_int_equal(roam_options_new(&ob), 0);
  roam_metadata *ma = md_string("who", "A");
  roam_metadata *mb = md_string("who", "B");
  roam_options_set_hello_metadata(oa, ma);
  roam_options_set_hello_metadata(ob, mb);
  roam_options_set_max_concurrent_requests(ob, 32);
  side_init(&f->a, "A", &f->log);
  side_init(&f->b, "B", &f->log);
  assert_int_equal(roam_session_pair(f->rt, oa, side_callbacks(), &f->a, ob, side_callbacks(),
                                     &f->b, &f->a.s, &f->b.s),
                   0);
  roam_options_free(oa);
  roam_options_free(ob);
  roam_metadata_free(ma);
  roam_metadata_free(mb);
  assert_ptr_equal(roam_session_get_user_data(f->a.s), &f->a);
  assert_ptr_equal(roam_session_get_user_data(f->b.s), &f->b);
  assert_int_equal(roam_session_state(f->a.s), ROAM_SESSION_HANDSHAKING);
  assert_true(run_until(f->rt, &f->a.handshake_done, 2000));
  assert_true(run_until(f->rt, &f->b.handshake_done, 2000));
}

static void handshake_reports_peer_metadata_and_settings(void **state) {
  fixture *f = *state;
  make_pair(f);
  log_expect(&f->log, "A handshake ROAM_OK md=who=B");
  log_expect(&f->log, "B handshake ROAM_OK md=who=A");
  assert_int_equal(roam_session_state(f->a.s), ROAM_SESSION_ESTABLISHED);
  assert_int_equal(roam_session_role(f->a.s), ROAM_ROLE_INITIATOR);
  assert_int_equal(roam_session_role(f->b.s), ROAM_ROLE_ACCEPTOR);
  assert_int_equal(roam_session_parity(f->a.s), ROAM_PARITY_ODD);
  assert_int_equal(roam_session_parity(f->b.s), ROAM_PARITY_EVEN);
  roam_conn *root;
  assert_int_equal(roam_session_root(f->a.s, &root), 0);
  assert_int_equal(conn_id_checked(root), 0);
  int parity;
  uint32_t max;
  assert_int_equal(roam_conn_peer_settings(root, &parity, &max), 0);
  assert_int_equal(parity, ROAM_PARITY_EVEN);
  assert_int_equal(max, 32);
  close_both(f);
}

static void open_accept_and_reject_with_metadata(void **state) {
  fixture *f = *state;
  make_pair(f);
  roam_conn *c1, *c2;
  roam_metadata *want_accept = md_string("want", "accept");
  roam_metadata *want_reject = md_string("want", "reject");
  assert_int_equal(roam_session_open(f->a.s, ROAM_PARITY_DEFAULT, 16, want_accept, NULL, &c1), 0);
  assert_int_equal(roam_session_open(f->a.s, ROAM_PARITY_DEFAULT, 16, want_reject, NULL, &c2), 0);
  assert_int_equal(conn_id_checked(c1), 1);
  assert_int_equal(conn_id_checked(c2), 3);
  assert_int_equal(roam_conn_state(c1), ROAM_CONN_PENDING_OUTBOUND);
  /* The peer's settings are unknown until it answers. */
  assert_int_equal(roam_conn_peer_settings(c1, NULL, NULL), ROAM_ESTATE);
  assert_true(run_until_count(f->rt, &f->a.opens_answered, 2, 2000));
  log_expect(&f->log, "B inbound_open conn=1 md=want=accept");
  log_expect(&f->log, "A open conn=1 status=ROAM_OK md=accepted-by=B");
  log_expect(&f->log, "A open conn=3 status=ROAM_EREJECTED md=reason=policy");
  assert_int_equal(roam_conn_state(c1), ROAM_CONN_OPEN);
  int parity;
  assert_int_equal(roam_conn_peer_settings(c1, &parity, NULL), 0);
  assert_int_equal(parity, ROAM_PARITY_EVEN);  /* the accepter took the other parity */
  /* The acceptor opens one of its own (even id). */
  roam_conn *c3;
  assert_int_equal(roam_session_open(f->b.s, ROAM_PARITY_DEFAULT, 16, want_accept, NULL, &c3), 0);
  assert_int_equal(conn_id_checked(c3), 2);
  f->b.opens_answered = 0;
  assert_true(run_until(f->rt, &f->b.opens_answered, 2000));
  log_expect(&f->log, "B open conn=2 status=ROAM_OK md=accepted-by=A");
  roam_metadata_free(want_accept);
  roam_metadata_free(want_reject);
  close_both(f);
  /* Session teardown closed every open connection, on both sides. */
  log_expect(&f->log, "A closed conn=1 origin=session reason=ROAM_ESHUTDOWN md=");
  log_expect(&f->log, "A closed conn=0 origin=session reason=ROAM_ESHUTDOWN md=");
}

static void inbound_open_can_be_decided_later(void **state) {
  fixture *f = *state;
  make_pair(f);
  f->b.decide_later = 1;
  roam_conn *c;
  assert_int_equal(roam_session_open(f->a.s, ROAM_PARITY_DEFAULT, 8, NULL, NULL, &c), 0);
  assert_true(run_until(f->rt, &f->b.inbound_opens, 2000));
  run_for(f->rt, 20);
  assert_int_equal(f->a.opens_answered, 0);  /* still pending */
  roam_conn *in = f->b.last_inbound;
  assert_int_equal(roam_conn_close(in, NULL), ROAM_ESTATE);  /* decide it instead */
  assert_int_equal(roam_conn_accept(in, ROAM_PARITY_DEFAULT, 8, NULL), 0);
  assert_int_equal(roam_conn_accept(in, ROAM_PARITY_DEFAULT, 8, NULL), ROAM_ESTATE);
  assert_true(run_until(f->rt, &f->a.opens_answered, 2000));
  log_expect(&f->log, "A open conn=1 status=ROAM_OK md=");
  close_both(f);
}

static void requests_and_channels_flow_both_ways(void **state) {
  fixture *f = *state;
  make_pair(f);
  f->b.echo_calls = 1;
  roam_conn *root_a;
  roam_session_root(f->a.s, &root_a);
  roam_metadata *md = md_string("trace", "t1");
  uint64_t channels[] = {3, 5};
  assert_int_equal(roam_conn_send_request(root_a, ROAM_REQUEST_CALL, 1, 0x9aabc4ba61fd5df3ull,
                                          channels, 2, md, "\x02hi", 3), 0);
  assert_int_equal(roam_conn_send_channel(root_a, ROAM_CHANNEL_ITEM, 3, NULL, "item", 4, 0), 0);
  assert_int_equal(roam_conn_send_channel(root_a, ROAM_CHANNEL_CLOSE, 3, md, NULL, 0, 0), 0);
  assert_true(run_until(f->rt, &f->a.requests, 2000));
  log_expect(&f->log, "B request conn=0 kind=0 id=1 method=11145218007645380083 channels=2 md=trace=t1 payload=\x02hi");
  log_expect(&f->log, "A request conn=0 kind=1 id=1 method=0 channels=0 md= payload=");
  assert_true(run_until(f->rt, &f->b.channels, 2000));
  run_for(f->rt, 10);
  log_expect(&f->log, "B channel conn=0 kind=0 id=3 md= payload=item additional=0");
  log_expect(&f->log, "B channel conn=0 kind=1 id=3 md=trace=t1 payload= additional=0");
  /* Bad arguments are refused before anything is sent. */
  assert_int_equal(roam_conn_send_request(root_a, 7, 1, 0, NULL, 0, NULL, NULL, 0), ROAM_EINVAL);
  assert_int_equal(roam_conn_send_request(root_a, ROAM_REQUEST_CALL, 1, 0, NULL, 2, NULL, NULL, 0),
                   ROAM_EINVAL);
  roam_metadata_free(md);
  close_both(f);
}

static void close_from_each_side_reports_origin_and_metadata(void **state) {
  fixture *f = *state;
  make_pair(f);
  roam_metadata *want = md_string("want", "accept");
  roam_conn *c1, *c2;
  roam_session_open(f->a.s, ROAM_PARITY_DEFAULT, 8, want, NULL, &c1);
  roam_session_open(f->a.s, ROAM_PARITY_DEFAULT, 8, want, NULL, &c2);
  assert_true(run_until_count(f->rt, &f->a.opens_answered, 2, 2000));
  /* Local close by A: A's callback comes later, not inside the call. */
  roam_metadata *bye = md_string("bye", "A");
  int before = f->a.conns_closed;
  assert_int_equal(roam_conn_close(c1, bye), 0);
  assert_int_equal(f->a.conns_closed, before);
  assert_int_equal(roam_conn_state(c1), ROAM_CONN_CLOSED);
  assert_int_equal(roam_conn_close(c1, NULL), ROAM_ECLOSED);
  assert_int_equal(roam_conn_send_request(c1, ROAM_REQUEST_CALL, 1, 1, NULL, 0, NULL, NULL, 0),
                   ROAM_ECLOSED);
  assert_true(run_until(f->rt, &f->b.conns_closed, 2000));
  log_expect(&f->log, "A closed conn=1 origin=local reason=ROAM_OK md=");
  log_expect(&f->log, "B closed conn=1 origin=remote reason=ROAM_OK md=bye=A");
  /* Close by B of the other one (B's handle for conn 3 came to its inbound-open callback). */
  roam_conn *root_b;
  roam_session_root(f->b.s, &root_b);
  assert_int_equal(roam_conn_close(root_b, NULL), ROAM_EROOT);
  roam_conn *b3 = f->b.last_inbound;
  assert_int_equal(conn_id_checked(b3), 3);
  roam_metadata *bye_b = md_string("bye", "B");
  int a_before = f->a.conns_closed;
  assert_int_equal(roam_conn_close(b3, bye_b), 0);
  assert_true(run_until_count(f->rt, &f->a.conns_closed, a_before + 1, 2000));
  log_expect(&f->log, "B closed conn=3 origin=local reason=ROAM_OK md=");
  log_expect(&f->log, "A closed conn=3 origin=remote reason=ROAM_OK md=bye=B");
  roam_metadata_free(bye_b);
  roam_metadata_free(bye);
  roam_metadata_free(want);
  close_both(f);
}

static void release_root_ends_session_when_nothing_is_open(void **state) {
  fixture *f = *state;
  make_pair(f);
  roam_conn *root;
  roam_session_root(f->a.s, &root);
  assert_int_equal(roam_conn_release(root), 0);
  assert_true(run_until(f->rt, &f->a.ended, 2000));
  assert_true(run_until(f->rt, &f->b.ended, 2000));
  log_expect(&f->log, "A end ROAM_OK: root connection released and no virtual connection remains");
  log_expect(&f->log, "B end ROAM_EEOF: peer closed the transport");
  assert_int_equal(roam_session_state(f->a.s), ROAM_SESSION_ENDED);
  int error = -1;
  assert_int_equal(roam_session_error(f->a.s, &error), 0);
  assert_int_equal(error, 0);
  close_both(f);
}

static void many_virtual_connections_open_and_close(void **state) {
  fixture *f = *state;
  make_pair(f);
  enum { N = 1000 };
  static roam_conn *conns[N];
  roam_metadata *want = md_string("want", "accept");
  for (int i = 0; i < N; ++i) {
    assert_int_equal(roam_session_open(f->a.s, ROAM_PARITY_DEFAULT, 4, want, NULL, &conns[i]), 0);
  }
  assert_true(run_until_count(f->rt, &f->a.opens_answered, N, 10000));
  assert_int_equal(log_count_prefix(&f->log, "B inbound_open"), N);
  uint64_t open = 0;
  roam_session_stat(f->b.s, ROAM_STAT_OPEN_CONNECTIONS, &open);
  assert_int_equal(open, N);
  for (int i = 0; i < N; ++i) assert_int_equal(roam_conn_close(conns[i], NULL), 0);
  assert_true(run_until_count(f->rt, &f->b.conns_closed, N, 10000));
  assert_true(run_until_count(f->rt, &f->a.conns_closed, N, 10000));
  roam_session_stat(f->b.s, ROAM_STAT_OPEN_CONNECTIONS, &open);
  assert_int_equal(open, 0);
  roam_metadata_free(want);
  close_both(f);
}

static void ping_reports_round_trip(void **state) {
  fixture *f = *state;
  make_pair(f);
  uint64_t nonce = 0;
  assert_int_equal(roam_session_ping(f->a.s, &nonce), 0);
  assert_int_equal(nonce, 1);
  assert_true(run_until(f->rt, &f->a.pongs, 2000));
  log_expect(&f->log, "A pong nonce=1");
  uint64_t pongs_sent = 0;
  roam_session_stat(f->b.s, ROAM_STAT_PONGS_SENT, &pongs_sent);
  assert_int_equal(pongs_sent, 1);
  close_both(f);
}

static void shutdown_closes_connections_then_ends(void **state) {
  fixture *f = *state;
  make_pair(f);
  roam_metadata *want = md_string("want", "accept");
  roam_conn *c;
  roam_session_open(f->a.s, ROAM_PARITY_DEFAULT, 8, want, NULL, &c);
  assert_true(run_until(f->rt, &f->a.opens_answered, 2000));
  assert_int_equal(roam_session_shutdown(f->a.s), 0);
  assert_int_equal(f->a.ended, 0);  /* delivered after the call returns */
  assert_true(run_until(f->rt, &f->a.ended, 2000));
  int closed1 = log_find(&f->log, "A closed conn=1 origin=session reason=ROAM_ESHUTDOWN md=", 0);
  int ended = log_find(&f->log, "A end ROAM_ESHUTDOWN: session shut down locally", 0);
  assert_true(closed1 >= 0 && ended > closed1);
  assert_true(run_until(f->rt, &f->b.ended, 2000));
  log_expect(&f->log, "B closed conn=1 origin=session reason=ROAM_EEOF md=");
  assert_int_equal(roam_session_shutdown(f->a.s), ROAM_ECLOSED);
  assert_int_equal(roam_session_open(f->a.s, ROAM_PARITY_DEFAULT, 8, NULL, NULL, &c), ROAM_ECLOSED);
  roam_metadata_free(want);
  close_both(f);
}

/* ---- real sockets ---------------------------------------------------------------- */

static void exchange_over_address(fixture *f, const char *listen_addr) {
  side_acceptor ctx = {&f->b, "B", &f->log, 0};
  roam_listener *l;
  assert_int_equal(
      roam_listener_new(f->rt, listen_addr, NULL, side_callbacks(), side_on_accept, &ctx, &l), 0);
  char addr[256];
  size_t addr_len = sizeof addr;
  assert_int_equal(roam_listener_address(l, addr, &addr_len), 0);
  assert_true(addr_len > 0);
  assert_int_equal(addr_len, strlen(addr));
  side_init(&f->a, "A", &f->log);
  assert_int_equal(roam_session_connect(f->rt, addr, NULL, side_callbacks(), &f->a, &f->a.s), 0);
  roam_session *s = f->a.s;
  assert_int_equal(roam_session_state(s), ROAM_SESSION_CONNECTING);
  assert_true(run_until(f->rt, &ctx.accepted, 2000));
  assert_true(run_until(f->rt, &f->a.handshake_done, 2000));
  assert_true(run_until(f->rt, &f->b.handshake_done, 2000));
  assert_int_equal(f->a.handshake_status, 0);
  f->b.echo_calls = 1;
  roam_conn *c;
  roam_metadata *want = md_string("want", "accept");
  assert_int_equal(roam_session_open(s, ROAM_PARITY_DEFAULT, 8, want, NULL, &c), 0);
  assert_true(run_until(f->rt, &f->a.opens_answered, 2000));
  assert_int_equal(roam_conn_send_request(c, ROAM_REQUEST_CALL, 1, 42, NULL, 0, NULL, "ping", 4), 0);
  assert_true(run_until(f->rt, &f->a.requests, 2000));
  log_expect(&f->log, "A request conn=1 kind=1 id=1 method=0 channels=0 md= payload=");
  listener_close_and_wait(f->rt, l);
  roam_metadata_free(want);
  close_both(f);
}

static void session_over_loopback_tcp(void **state) {
  exchange_over_address(*state, "tcp://127.0.0.1:0");
}

static void session_over_unix_socket(void **state) {
  char path[128];
  snprintf(path, sizeof path, "unix:/tmp/roam-test-%d.sock", (int)getpid());
  unlink(path + 5);
  exchange_over_address(*state, path);
  /* The listener removed its socket file. */
  assert_int_equal(access(path + 5, F_OK), -1);
}

static void connect_refused_reports_handshake_failure(void **state) {
  fixture *f = *state;
  int port;
  int fd = raw_listen(&port);
  close(fd);  /* nothing listens there now */
  char addr[64];
  snprintf(addr, sizeof addr, "tcp://127.0.0.1:%d", port);
  side_init(&f->a, "A", &f->log);
  assert_int_equal(roam_session_connect(f->rt, addr, NULL, side_callbacks(), &f->a, &f->a.s), 0);
  roam_session *s = f->a.s;
  assert_true(run_until(f->rt, &f->a.ended, 2000));
  assert_int_equal(f->a.handshake_status, ROAM_EIO);
  assert_int_equal(f->a.end_error, ROAM_EIO);
  assert_non_null(strstr(roam_session_last_error(s), "connection refused"));
  side_close(f->rt, &f->a);
}

static void bad_addresses_are_einval(void **state) {
  fixture *f = *state;
  roam_session *s;
  assert_int_equal(roam_session_connect(f->rt, "127.0.0.1:80", NULL, NULL, NULL, &s), ROAM_EINVAL);
  assert_int_equal(roam_session_connect(f->rt, "tcp://nohost", NULL, NULL, NULL, &s), ROAM_EINVAL);
  assert_int_equal(roam_session_connect(f->rt, "tcp://h:99999", NULL, NULL, NULL, &s), ROAM_EINVAL);
  assert_int_equal(roam_session_connect(f->rt, "unix:", NULL, NULL, NULL, &s), ROAM_EINVAL);
  roam_listener *l;
  assert_int_equal(roam_listener_new(f->rt, "tcp://localhost:0", NULL, NULL, NULL, NULL, &l),
                   ROAM_EINVAL);
  run_for(f->rt, 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(handshake_reports_peer_metadata_and_settings, setup, teardown),
      cmocka_unit_test_setup_teardown(open_accept_and_reject_with_metadata, setup, teardown),
      cmocka_unit_test_setup_teardown(inbound_open_can_be_decided_later, setup, teardown),
      cmocka_unit_test_setup_teardown(requests_and_channels_flow_both_ways, setup, teardown),
      cmocka_unit_test_setup_teardown(close_from_each_side_reports_origin_and_metadata, setup, teardown),
      cmocka_unit_test_setup_teardown(release_root_ends_session_when_nothing_is_open, setup, teardown),
      cmocka_unit_test_setup_teardown(many_virtual_connections_open_and_close, setup, teardown),
      cmocka_unit_test_setup_teardown(ping_reports_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(shutdown_closes_connections_then_ends, setup, teardown),
      cmocka_unit_test_setup_teardown(session_over_loopback_tcp, setup, teardown),
      cmocka_unit_test_setup_teardown(session_over_unix_socket, setup, teardown),
      cmocka_unit_test_setup_teardown(connect_refused_reports_handshake_failure, setup, teardown),
      cmocka_unit_test_setup_teardown(bad_addresses_are_einval, setup, teardown),
  };
  return cmocka_run_group_tests_name("capi_sessions", tests, NULL, NULL);
}
