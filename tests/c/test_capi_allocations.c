/* No heap allocation per call or per channel item in steady state.
 *
 * libroam's allocations all go through roam_set_allocator's hooks; these
 * count them. Two sessions of one runtime talk over loopback TCP (a
 * listener and a client): after a warm-up that lets every pool, table and
 * buffer reach the size the workload needs, 10,000 more echo calls (64 in
 * flight, answered with roam_reply_ok) and then 10,000 more 64-byte channel
 * items (credit-bound: the sender waits for grants, so items queue) must
 * make no more than a handful of allocations in all — a buffer reaching a
 * new high-water mark, never one per call or per item. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <roam/roam.h>

enum {
  kWarmup = 2000,
  kMeasured = 10000,
  kInFlight = 64,
  kItemSize = 64,
  /* For the whole measured window: growth of a buffer past its earlier
   * peak may still happen a few times; a per-call allocation would be
   * thousands. */
  kAllowed = 8,
};

static long g_allocations;

static void *counting_malloc(size_t n) {
  ++g_allocations;
  return malloc(n);
}
static void *counting_realloc(void *p, size_t n) {
  ++g_allocations;
  return realloc(p, n);
}
static void *counting_calloc(size_t count, size_t n) {
  ++g_allocations;
  return calloc(count, n);
}

/* ---- the workload ---------------------------------------------------------------- */

static const uint64_t kEchoMethod = 0x135fc39dded6867eULL; /* any id: the server echoes all */

typedef struct {
  roam_runtime *rt;
  roam_listener *listener;
  roam_session *client;
  roam_session *server; /* accepted */
  roam_conn *root; /* the client's */
  int handshakes;
  /* calls */
  long calls_target, calls_issued, calls_done, calls_failed;
  uint8_t args[17];
  /* the channel */
  uint64_t channel;
  long items_target, items_sent, items_received;
  long mark;      /* g_allocations when the measured window opened */
  long measured;  /* allocations inside the window */
} bench;

static bench g;

static void issue_calls(void);

static void on_response(roam_conn *conn, void *ud, uint64_t id, int status,
                        const roam_metadata *md, const uint8_t *v, size_t len) {
  (void)conn, (void)ud, (void)id, (void)md;
  if (status != ROAM_OK || len != sizeof g.args || memcmp(v, g.args, len) != 0) ++g.calls_failed;
  ++g.calls_done;
  if (g.calls_done == kWarmup) g.mark = g_allocations;
  if (g.calls_done == kWarmup + kMeasured) g.measured = g_allocations - g.mark;
  issue_calls();
}

static void issue_calls(void) {
  while (g.calls_issued < g.calls_target && g.calls_issued - g.calls_done < kInFlight) {
    int rc = roam_conn_call(g.root, kEchoMethod, NULL, 0, NULL, g.args, sizeof g.args,
                            on_response, NULL, NULL);
    assert_int_equal(rc, ROAM_OK);
    ++g.calls_issued;
  }
}

static void pump_items(void) {
  static const uint8_t item[kItemSize] = {1, 2, 3};
  while (g.items_sent < g.items_target) {
    int rc = roam_channel_send(g.root, g.channel, item, sizeof item);
    if (rc == ROAM_EAGAIN) return; /* the writable callback comes back */
    assert_int_equal(rc, ROAM_OK);
    ++g.items_sent;
  }
}

static void on_writable(roam_conn *conn, uint64_t channel_id, void *ud) {
  (void)conn, (void)channel_id, (void)ud;
  pump_items();
}

static void on_item(roam_conn *conn, uint64_t channel_id, void *ud, const uint8_t *item,
                    size_t len) {
  (void)conn, (void)channel_id, (void)ud, (void)item;
  assert_int_equal(len, kItemSize);
  ++g.items_received;
  if (g.items_received == kWarmup) g.mark = g_allocations;
  if (g.items_received == kWarmup + kMeasured) g.measured = g_allocations - g.mark;
}

/* The server: echoes every call; a call naming a channel binds it and
 * receives its items (the call itself stays unanswered). */
static void serve(roam_session *s, void *ud, roam_conn *conn, uint64_t request_id,
                  uint64_t method_id, const uint64_t *channels, size_t channel_count,
                  const roam_metadata *md, const uint8_t *args, size_t len) {
  (void)s, (void)ud, (void)method_id, (void)md;
  if (channel_count == 1) {
    assert_int_equal(roam_conn_channel_bind(conn, channels[0], ROAM_CHANNEL_RECEIVE, 0, on_item,
                                            NULL, NULL, NULL),
                     ROAM_OK);
    return;
  }
  assert_int_equal(roam_reply_ok(conn, request_id, NULL, args, len), ROAM_OK);
}

static void on_handshake(roam_session *s, void *ud, int status, const roam_metadata *md) {
  (void)s, (void)ud, (void)md;
  assert_int_equal(status, ROAM_OK);
  ++g.handshakes;
}

static void on_accept(roam_listener *l, void *ud, int status, roam_session *s) {
  (void)l, (void)ud;
  assert_int_equal(status, ROAM_OK);
  g.server = s;
}

static void on_channel_call_done(roam_conn *conn, void *ud, uint64_t id, int status,
                                 const roam_metadata *md, const uint8_t *v, size_t len) {
  (void)conn, (void)ud, (void)id, (void)status, (void)md, (void)v, (void)len;
}

static void run_until(const long *counter, long target) {
  for (int turns = 0; *counter < target; ++turns) {
    assert_true(turns < 5000000);
    roam_runtime_run_once(g.rt);
  }
}

static int setup(void **state) {
  (void)state;
  assert_int_equal(roam_set_allocator(counting_malloc, counting_realloc, counting_calloc, free),
                   ROAM_OK);
  memset(&g, 0, sizeof g);
  g.args[0] = 16;
  memcpy(g.args + 1, "0123456789abcdef", 16);
  assert_int_equal(roam_runtime_new(&g.rt), ROAM_OK);
  roam_callbacks *cbs;
  assert_int_equal(roam_callbacks_new(&cbs), ROAM_OK);
  roam_callbacks_set_serve(cbs, serve);
  roam_callbacks_set_handshake(cbs, on_handshake);
  assert_int_equal(roam_listener_new(g.rt, "tcp://127.0.0.1:0", NULL, cbs, on_accept, NULL,
                                     &g.listener),
                   ROAM_OK);
  char addr[128];
  size_t len = sizeof addr;
  assert_int_equal(roam_listener_address(g.listener, addr, &len), ROAM_OK);
  assert_int_equal(roam_session_connect(g.rt, addr, NULL, cbs, NULL, &g.client), ROAM_OK);
  roam_callbacks_free(cbs);
  while (g.handshakes < 2) roam_runtime_run_once(g.rt);
  assert_int_equal(roam_session_root(g.client, &g.root), ROAM_OK);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  roam_session_close(g.client, NULL, NULL);
  if (g.server) roam_session_close(g.server, NULL, NULL);
  roam_listener_close(g.listener, NULL, NULL);
  roam_runtime_run(g.rt);
  assert_int_equal(roam_runtime_free(g.rt), ROAM_OK);
  assert_int_equal(roam_set_allocator(NULL, NULL, NULL, NULL), ROAM_OK);
  return 0;
}

static void calls_allocate_nothing_in_steady_state(void **state) {
  (void)state;
  g.calls_target = kWarmup + kMeasured;
  issue_calls();
  run_until(&g.calls_done, g.calls_target);
  assert_int_equal(g.calls_failed, 0);
  printf("%d calls after %d of warm-up: %ld allocations\n", kMeasured, kWarmup, g.measured);
  assert_true(g.measured <= kAllowed);
}

static void channel_items_allocate_nothing_in_steady_state(void **state) {
  (void)state;
  assert_int_equal(roam_conn_channel_open(g.root, ROAM_CHANNEL_SEND, 0, NULL, NULL, on_writable,
                                          NULL, &g.channel),
                   ROAM_OK);
  assert_int_equal(roam_conn_call(g.root, kEchoMethod, &g.channel, 1, NULL, NULL, 0,
                                  on_channel_call_done, NULL, NULL),
                   ROAM_OK);
  g.items_target = kWarmup + kMeasured;
  pump_items();
  run_until(&g.items_received, g.items_target);
  printf("%d channel items after %d of warm-up: %ld allocations\n", kMeasured, kWarmup,
         g.measured);
  assert_true(g.measured <= kAllowed);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(calls_allocate_nothing_in_steady_state, setup, teardown),
      cmocka_unit_test_setup_teardown(channel_items_allocate_nothing_in_steady_state, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
