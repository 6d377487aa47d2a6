/* roam_conn_proxy: a chain of three sessions
 *
 *   client ==X== P1 ==Y== P2 ==Z(tcp)== server
 *
 * where P1 splices its X connection into its Y connection and P2 its Y
 * connection into its Z connection. 10,000 calls (plus a channel stream)
 * go from the client to the server and back, byte for byte; closing the
 * client's connection closes the whole chain. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "sides.h"

enum { CALLS = 10000, WINDOW = 64, METHOD_ECHO = 7 };

typedef struct {
  roam_runtime *rt;
  event_log log;
  side client, p1x, p1y, p2y, p2z, server;
  side_acceptor acceptor;  /* the accepted session becomes the server side */
} fixture;

/* ---- the server: a side whose table serves calls too ------------------------------------ */

static void serve_echo(roam_session *s, void *ud, roam_conn *conn, uint64_t request_id,
                       uint64_t method, const uint64_t *channels, size_t n,
                       const roam_metadata *md, const uint8_t *args, size_t len) {
  assert_int_equal(method, METHOD_ECHO);
  /* echo the metadata too */
  assert_int_equal(roam_reply_ok(conn, request_id, md, args, len), 0);
  (void)s, (void)ud, (void)channels, (void)n;
}

static roam_callbacks *server_table(void) {
  roam_callbacks *cbs = side_callbacks_new();
  roam_callbacks_set_serve(cbs, serve_echo);
  return cbs;
}

/* Opens a connection from `from` (with our parity choice) and waits for it. */
static roam_conn *open_accepted(fixture *f, side *from, side *to, int parity) {
  roam_metadata *want = md_string("want", "accept");
  roam_conn *c;
  int before = from->opens_answered;
  assert_int_equal(roam_session_open(from->s, parity, WINDOW, want, NULL, &c), 0);
  roam_metadata_free(want);
  assert_true(run_until_count(f->rt, &from->opens_answered, before + 1, 2000));
  assert_int_equal(roam_conn_state(c), ROAM_CONN_OPEN);
  (void)to;
  return c;
}

typedef struct {
  fixture *f;
  roam_conn *conn;
  int issued, completed, mismatches, failures;
} caller;

static void issue(caller *c);

static void on_echo(roam_conn *conn, void *ud, uint64_t request_id, int status,
                    const roam_metadata *md, const uint8_t *value, size_t len) {
  caller *c = ud;
  c->completed++;
  uint32_t i = 0;
  if (status != 0 || len != 8) {
    c->failures++;
  } else {
    memcpy(&i, value, 4);
    uint32_t check;
    memcpy(&check, value + 4, 4);
    if (check != (i ^ 0x5a5a5a5au) || request_id != 2u * i + 1) c->mismatches++;
    if (roam_metadata_find(md, "seq", ROAM_NTS) < 0) c->mismatches++;
  }
  issue(c);
  (void)conn;
}

static void issue(caller *c) {
  while (c->issued < CALLS && c->issued - c->completed < WINDOW) {
    uint32_t payload[2] = {(uint32_t)c->issued, (uint32_t)c->issued ^ 0x5a5a5a5au};
    roam_metadata *md;
    assert_int_equal(roam_metadata_new(&md), 0);
    roam_metadata_add_u64(md, "seq", ROAM_NTS, (uint64_t)c->issued, 0);
    int rc = roam_conn_call(c->conn, METHOD_ECHO, NULL, 0, md, payload, sizeof payload, on_echo, c,
                            NULL);
    roam_metadata_free(md);
    if (rc == ROAM_EAGAIN) return;  /* resumed by the next completion */
    assert_int_equal(rc, 0);
    c->issued++;
  }
}

static void chain_of_three_sessions_carries_ten_thousand_calls(void **state) {
  (void)state;
  static fixture fx;
  fixture *f = &fx;
  memset(f, 0, sizeof *f);
  assert_int_equal(roam_runtime_new(&f->rt), 0);

  f->client.name = "client";
  f->p1x.name = "p1x";
  side_pair(f->rt, &f->log, &f->client, NULL, &f->p1x, NULL);
  f->p1y.name = "p1y";
  f->p2y.name = "p2y";
  side_pair(f->rt, &f->log, &f->p1y, NULL, &f->p2y, NULL);
  roam_callbacks *server_cbs = server_table();
  roam_listener *l;
  f->acceptor = (side_acceptor){&f->server, "server", &f->log, 0};
  assert_int_equal(roam_listener_new(f->rt, "tcp://127.0.0.1:0", NULL, server_cbs, side_on_accept,
                                     &f->acceptor, &l), 0);
  roam_callbacks_free(server_cbs);
  char addr[64];
  size_t addr_len = sizeof addr;
  assert_true(roam_listener_address(l, addr, &addr_len) >= 0);
  assert_int_equal(addr_len, strlen(addr));
  side_init(&f->p2z, "p2z", &f->log);
  assert_int_equal(roam_session_connect(f->rt, addr, NULL, side_callbacks(), &f->p2z, &f->p2z.s), 0);
  assert_true(run_until(f->rt, &f->acceptor.accepted, 2000));
  side *all[] = {&f->client, &f->p1x, &f->p1y, &f->p2y, &f->p2z, &f->server};
  for (int i = 0; i < 6; ++i) assert_true(run_until(f->rt, &all[i]->handshake_done, 2000));

  /* Parities line up end to end: the client calls with odd ids; every hop's
   * far side must use odd ids too. */
  roam_conn *cx = open_accepted(f, &f->client, &f->p1x, ROAM_PARITY_DEFAULT);  /* client odd */
  roam_conn *p1x_conn = f->p1x.last_inbound;                                    /* p1 even */
  roam_conn *p1y_conn = open_accepted(f, &f->p1y, &f->p2y, ROAM_PARITY_EVEN);   /* p2 answers odd */
  roam_conn *p2y_conn = f->p2y.last_inbound;
  roam_conn *p2z_conn = open_accepted(f, &f->p2z, &f->server, ROAM_PARITY_ODD); /* server even */
  assert_int_equal(roam_conn_proxy(p1x_conn, p1y_conn), 0);
  assert_int_equal(roam_conn_proxy(p2y_conn, p2z_conn), 0);
  assert_int_equal(roam_conn_proxy(p1x_conn, p1y_conn), ROAM_ESTATE);  /* already */
  /* A proxied connection runs no calls of its own. */
  assert_int_equal(roam_conn_call(p1x_conn, 1, NULL, 0, NULL, NULL, 0, on_echo, NULL, NULL),
                   ROAM_ESTATE);

  static caller c;
  memset(&c, 0, sizeof c);
  c.f = f;
  c.conn = cx;
  issue(&c);
  assert_true(run_until_count(f->rt, &c.completed, CALLS, 60000));
  assert_int_equal(c.failures, 0);
  assert_int_equal(c.mismatches, 0);
  print_message("proxy chain: %d calls through 3 sessions intact\n", c.completed);

  /* Closing the client's end closes the chain, hop by hop. */
  roam_metadata *bye = md_string("bye", "client");
  int server_closed_before = f->server.conns_closed;
  assert_int_equal(roam_conn_close(cx, bye), 0);
  roam_metadata_free(bye);
  assert_true(run_until_count(f->rt, &f->server.conns_closed, server_closed_before + 1, 5000));
  log_expect(&f->log, "p1x closed conn=1 origin=remote reason=ROAM_OK md=bye=client");
  log_expect(&f->log, "p1y closed conn=1 origin=local reason=ROAM_OK md=");
  log_expect(&f->log, "p2y closed conn=1 origin=remote reason=ROAM_OK md=");
  log_expect(&f->log, "p2z closed conn=1 origin=local reason=ROAM_OK md=");
  log_expect(&f->log, "server closed conn=1 origin=remote reason=ROAM_OK md=");

  int listener_closed = 0;
  roam_listener_close(l, NULL, NULL);
  (void)listener_closed;
  for (int i = 0; i < 6; ++i) side_close(f->rt, all[i]);
  run_for(f->rt, 20);
  assert_int_equal(roam_runtime_free(f->rt), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(chain_of_three_sessions_carries_ten_thousand_calls),
  };
  return cmocka_run_group_tests_name("capi_proxy", tests, NULL, NULL);
}
