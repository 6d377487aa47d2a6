/* roam_options_set_reuse_port: listeners sharing one TCP address, the way
 * a server runs one runtime per core. Without the option a second bind of
 * the address fails; with it, both listeners bind and the kernel spreads
 * real loopback connections across them (each one completes a handshake
 * with whichever listener took it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <roam/roam.h>

enum { kClients = 24 };

typedef struct {
  int accepted;
  roam_session *sessions[kClients];
} listener_side;

static int g_handshakes;

static void on_accept(roam_listener *l, void *ud, int status, roam_session *s) {
  (void)l;
  listener_side *side = ud;
  assert_int_equal(status, ROAM_OK);
  assert_true(side->accepted < kClients);
  side->sessions[side->accepted++] = s;
}

static void on_handshake(roam_session *s, void *ud, int status, const roam_metadata *md) {
  (void)s, (void)ud, (void)md;
  assert_int_equal(status, ROAM_OK);
  ++g_handshakes;
}

static roam_options *reuse_port_options(int on) {
  roam_options *opts;
  assert_int_equal(roam_options_new(&opts), ROAM_OK);
  assert_int_equal(roam_options_set_reuse_port(opts, on), ROAM_OK);
  return opts;
}

static void a_second_listener_needs_the_option(void **state) {
  (void)state;
  roam_runtime *rt;
  assert_int_equal(roam_runtime_new(&rt), ROAM_OK);
  roam_listener *first, *second = NULL;
  assert_int_equal(roam_listener_new(rt, "tcp://127.0.0.1:0", NULL, NULL, NULL, NULL, &first),
                   ROAM_OK);
  char addr[128];
  size_t len = sizeof addr;
  assert_int_equal(roam_listener_address(first, addr, &len), ROAM_OK);
  roam_options *opts = reuse_port_options(1);
  /* The first listener did not set it: the address is taken. */
  assert_int_equal(roam_listener_new(rt, addr, opts, NULL, NULL, NULL, &second), ROAM_EIO);
  assert_null(second);
  assert_non_null(strstr(roam_last_error_detail(), "in use"));
  roam_options_free(opts);
  roam_listener_close(first, NULL, NULL);
  roam_runtime_run(rt);
  assert_int_equal(roam_runtime_free(rt), ROAM_OK);
}

static void listeners_with_the_option_share_the_connections(void **state) {
  (void)state;
  g_handshakes = 0;
  roam_runtime *rt;
  assert_int_equal(roam_runtime_new(&rt), ROAM_OK);
  roam_callbacks *cbs;
  assert_int_equal(roam_callbacks_new(&cbs), ROAM_OK);
  roam_callbacks_set_handshake(cbs, on_handshake);
  roam_options *opts = reuse_port_options(1);
  listener_side a = {0}, b = {0};
  roam_listener *la, *lb;
  assert_int_equal(roam_listener_new(rt, "tcp://127.0.0.1:0", opts, cbs, on_accept, &a, &la),
                   ROAM_OK);
  char addr[128];
  size_t len = sizeof addr;
  assert_int_equal(roam_listener_address(la, addr, &len), ROAM_OK);
  assert_int_equal(roam_listener_new(rt, addr, opts, cbs, on_accept, &b, &lb), ROAM_OK);
  roam_options_free(opts);

  roam_session *clients[kClients];
  for (int i = 0; i < kClients; ++i) {
    assert_int_equal(roam_session_connect(rt, addr, NULL, cbs, NULL, &clients[i]), ROAM_OK);
  }
  roam_callbacks_free(cbs);
  for (int turns = 0; g_handshakes < 2 * kClients; ++turns) {
    assert_true(turns < 100000);
    roam_runtime_run_once(rt);
  }
  printf("%d connections: %d to the first listener, %d to the second\n", kClients, a.accepted,
         b.accepted);
  assert_int_equal(a.accepted + b.accepted, kClients);
  /* The kernel hashes each connection to one of the two: all 24 on one
   * side would happen once in 2^23 runs. */
  assert_true(a.accepted > 0);
  assert_true(b.accepted > 0);

  for (int i = 0; i < kClients; ++i) roam_session_close(clients[i], NULL, NULL);
  for (int i = 0; i < a.accepted; ++i) roam_session_close(a.sessions[i], NULL, NULL);
  for (int i = 0; i < b.accepted; ++i) roam_session_close(b.sessions[i], NULL, NULL);
  roam_listener_close(la, NULL, NULL);
  roam_listener_close(lb, NULL, NULL);
  roam_runtime_run(rt);
  assert_int_equal(roam_runtime_free(rt), ROAM_OK);
}

static void the_option_needs_options(void **state) {
  (void)state;
  assert_int_equal(roam_options_set_reuse_port(NULL, 1), ROAM_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_second_listener_needs_the_option),
      cmocka_unit_test(listeners_with_the_option_share_the_connections),
      cmocka_unit_test(the_option_needs_options),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
