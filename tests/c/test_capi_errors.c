/* roam_last_error_detail(): every bad address and option says why, naming
 * the offending value; a later success leaves the detail alone (like
 * errno); each thread has its own. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "sides.h"

typedef struct {
  roam_runtime *rt;
} fixture;

static int setup(void **state) {
  fixture *f = test_calloc(1, sizeof *f);
  assert_int_equal(roam_runtime_new(&f->rt), 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  run_for(f->rt, 10);  /* abandoned half-made sessions finish closing */
  assert_int_equal(roam_runtime_free(f->rt), 0);
  test_free(f);
  return 0;
}

/* Fails unless the detail contains every one of the (NULL-terminated)
 * fragments. */
static void expect_detail(const char *fragment, ...) {
  const char *detail = roam_last_error_detail();
  va_list ap;
  va_start(ap, fragment);
  for (const char *p = fragment; p != NULL; p = va_arg(ap, const char *)) {
    if (strstr(detail, p) == NULL) {
      va_end(ap);
      fail_msg("detail \"%s\" does not mention \"%s\"", detail, p);
    }
  }
  va_end(ap);
}

typedef struct {
  const char *address;
  const char *says;  /* besides the address itself */
} bad_address;

static const bad_address kBadAddresses[] = {
    {"tcp://host", "has no port"},
    {"tcp://host:", "has no port"},
    {"tcp://:80", "has no host"},
    {"tcp://host:http", "port \"http\""},
    {"tcp://host:70000", "is not a number from 0 to 65535"},
    {"tcp://host:+80", "is not a number from 0 to 65535"},
    {"tcp://[::1", "\"]\""},
    {"tcp://[::1]", "has no port"},
    {"tcp://[::1]80", "after its IPv6 host"},
    {"tcp://[]:80", "has no host"},
    {"udp://10.0.0.1:53", "unknown scheme \"udp\""},
    {"127.0.0.1:80", "has no scheme"},
    {"unix:", "has no path"},
    {"unix://", "has no path"},
};

static void each_bad_address_says_why(void **state) {
  fixture *f = *state;
  for (size_t i = 0; i < sizeof kBadAddresses / sizeof kBadAddresses[0]; ++i) {
    const bad_address *b = &kBadAddresses[i];
    roam_session *s = NULL;
    assert_int_equal(roam_session_connect(f->rt, b->address, NULL, &s), ROAM_EINVAL);
    expect_detail(b->address, b->says, NULL);
    /* The forms that work are named for an unknown or missing scheme. */
    if (strstr(b->says, "scheme")) expect_detail("tcp://HOST:PORT or unix:PATH", NULL);
    roam_listener *l = NULL;
    assert_int_equal(roam_listener_new(f->rt, b->address, NULL, NULL, NULL, &l), ROAM_EINVAL);
    expect_detail(b->address, b->says, NULL);
  }
  roam_session *s;
  assert_int_equal(roam_session_connect(f->rt, "", NULL, &s), ROAM_EINVAL);
  expect_detail("empty", "tcp://HOST:PORT or unix:PATH", NULL);
}

static void unix_path_too_long_for_a_socket(void **state) {
  fixture *f = *state;
  char address[256] = "unix:/tmp/";
  memset(address + 10, 'x', 150);
  roam_session *s;
  assert_int_equal(roam_session_connect(f->rt, address, NULL, &s), ROAM_EINVAL);
  expect_detail(address + 5, "is 155 bytes long; the limit is 107", NULL);
}

static void listener_needs_a_numeric_host_and_a_free_port(void **state) {
  fixture *f = *state;
  roam_listener *l;
  assert_int_equal(roam_listener_new(f->rt, "tcp://localhost:0", NULL, NULL, NULL, &l),
                   ROAM_EINVAL);
  expect_detail("tcp://localhost:0", "numeric IP", NULL);

  assert_int_equal(roam_listener_new(f->rt, "tcp://127.0.0.1:0", NULL, NULL, NULL, &l), 0);
  char taken[64];
  assert_true(roam_listener_address(l, taken, sizeof taken) > 0);
  roam_listener *again;
  assert_int_equal(roam_listener_new(f->rt, taken, NULL, NULL, NULL, &again), ROAM_EIO);
  expect_detail(taken, "address already in use", NULL);

  char tiny[4];
  assert_int_equal(roam_listener_address(l, tiny, sizeof tiny), ROAM_EINVAL);
  expect_detail("roam_listener_address", "buf_len is 4", NULL);
  uint64_t v;
  assert_int_equal(roam_listener_stat(l, 99, &v), ROAM_EINVAL);
  expect_detail("99", NULL);
  listener_close_and_wait(f->rt, l);
}

static void each_bad_option_says_why(void **state) {
  (void)state;
  roam_options *o = roam_options_new();
  assert_int_equal(roam_options_set_role(o, 7), ROAM_EINVAL);
  expect_detail("role 7", "ROAM_ROLE_ACCEPTOR", NULL);
  assert_int_equal(roam_options_set_parity(o, 5), ROAM_EINVAL);
  expect_detail("parity 5", NULL);
  assert_int_equal(roam_options_set_parity(o, ROAM_PARITY_DEFAULT), ROAM_EINVAL);
  expect_detail("parity -1", NULL);
  assert_int_equal(roam_options_set_max_frame_size(o, 10), ROAM_EINVAL);
  expect_detail("max_frame_size 10 is below the minimum of 64", NULL);
  assert_int_equal(roam_options_set_outbound_limits(o, 100, 50), ROAM_EINVAL);
  expect_detail("soft limit 100 must be below hard limit 50", NULL);
  assert_int_equal(roam_options_set_outbound_limits(o, 0, 50), ROAM_EINVAL);
  expect_detail("soft limit 0", NULL);
  assert_int_equal(roam_options_set_keepalive(NULL, 1, 1), ROAM_EINVAL);
  expect_detail("roam_options_set_keepalive: opts is NULL", NULL);
  assert_int_equal(roam_options_set_listener_limits(NULL, 1, 1), ROAM_EINVAL);
  expect_detail("roam_options_set_listener_limits: opts is NULL", NULL);
  roam_options_free(o);
}

static void constructors_name_the_missing_argument(void **state) {
  fixture *f = *state;
  roam_session *a, *b;
  assert_int_equal(roam_session_connect(NULL, "tcp://127.0.0.1:1", NULL, &a), ROAM_EINVAL);
  expect_detail("roam_session_connect: rt is NULL", NULL);
  assert_int_equal(roam_session_connect(f->rt, NULL, NULL, &a), ROAM_EINVAL);
  expect_detail("roam_session_connect: address is NULL", NULL);
  assert_int_equal(roam_session_connect(f->rt, "tcp://127.0.0.1:1", NULL, NULL), ROAM_EINVAL);
  expect_detail("roam_session_connect: out is NULL", NULL);
  assert_int_equal(roam_session_pair(f->rt, NULL, NULL, NULL, &b), ROAM_EINVAL);
  expect_detail("roam_session_pair: a is NULL", NULL);
  assert_int_equal(roam_session_adopt_stream(f->rt, NULL, NULL, &a), ROAM_EINVAL);
  expect_detail("roam_session_adopt_stream: stream is NULL", NULL);
  roam_listener *l;
  assert_int_equal(roam_listener_new(f->rt, NULL, NULL, NULL, NULL, &l), ROAM_EINVAL);
  expect_detail("roam_listener_new: address is NULL", NULL);
  assert_int_equal(roam_session_on_pong(NULL, NULL, NULL), ROAM_EINVAL);
  expect_detail("roam_session_on_pong: s is NULL", NULL);
  assert_int_equal(roam_session_ping(NULL, NULL), ROAM_EINVAL);
  expect_detail("roam_session_ping: s is NULL", NULL);
}

static void adopting_what_is_not_a_socket(void **state) {
  fixture *f = *state;
  roam_session *s;
  assert_int_equal(roam_session_adopt_fd(f->rt, -1, NULL, &s), ROAM_EINVAL);
  expect_detail("fd -1", NULL);
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  assert_true(fd >= 0);
  char which[32];
  snprintf(which, sizeof which, "fd %d", fd);
  assert_int_equal(roam_session_adopt_fd(f->rt, fd, NULL, &s), ROAM_EINVAL);
  expect_detail("roam_session_adopt_fd", which, "not a socket", NULL);
  close(fd);
}

static void session_calls_name_bad_values(void **state) {
  fixture *f = *state;
  event_log *log = test_calloc(1, sizeof *log);  /* too big for the stack */
  side a = {0}, b = {0};
  side_pair(f->rt, log, &a, NULL, &b, NULL);
  assert_int_equal(roam_session_open(a.s, 9, 8, NULL, NULL, NULL), ROAM_EINVAL);
  expect_detail("parity 9", NULL);
  uint64_t v;
  assert_int_equal(roam_session_stat(a.s, 1234, &v), ROAM_EINVAL);
  expect_detail("1234", NULL);
  side_close(f->rt, &a);
  side_close(f->rt, &b);
  test_free(log);
}

static void success_leaves_the_detail_alone(void **state) {
  (void)state;
  roam_options *o = roam_options_new();
  assert_int_equal(roam_options_set_max_frame_size(o, 10), ROAM_EINVAL);
  char kept[256];
  snprintf(kept, sizeof kept, "%s", roam_last_error_detail());
  assert_int_equal(roam_options_set_max_frame_size(o, 1024), 0);
  assert_int_equal(roam_options_set_role(o, ROAM_ROLE_ACCEPTOR), 0);
  assert_string_equal(roam_last_error_detail(), kept);
  roam_options_free(o);
}

/* A detail too long for the library's buffer is cut on a UTF-8 character
 * boundary and marked. */
static int valid_utf8(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    int extra = *p < 0x80 ? 0 : (*p >> 5) == 6 ? 1 : (*p >> 4) == 14 ? 2 : (*p >> 3) == 30 ? 3 : -1;
    if (extra < 0) return 0;
    ++p;
    for (int i = 0; i < extra; ++i, ++p) {
      if ((*p & 0xC0) != 0x80) return 0;
    }
  }
  return 1;
}

static void long_details_are_cut_cleanly(void **state) {
  fixture *f = *state;
  for (int offset = 0; offset < 2; ++offset) {
    /* "unix:" + some ASCII to shift the cut + many two-byte characters. */
    char address[4096];
    size_t n = (size_t)snprintf(address, sizeof address, "unix:%s", offset ? "x" : "");
    while (n + 2 < sizeof address - 1) {
      address[n++] = (char)0xC3;
      address[n++] = (char)0xA9; /* é */
    }
    address[n] = '\0';
    roam_session *s;
    assert_int_equal(roam_session_connect(f->rt, address, NULL, &s), ROAM_EINVAL);
    const char *detail = roam_last_error_detail();
    size_t len = strlen(detail);
    assert_true(len > 100 && len < 2048);
    assert_string_equal(detail + len - 3, "...");
    assert_true(valid_utf8(detail));
  }
}

typedef struct {
  char seen_at_start[64];
  char own[256];
} thread_view;

static void *other_thread(void *arg) {
  thread_view *v = arg;
  snprintf(v->seen_at_start, sizeof v->seen_at_start, "%s", roam_last_error_detail());
  roam_options *o = roam_options_new();
  roam_options_set_max_frame_size(o, 12);
  snprintf(v->own, sizeof v->own, "%s", roam_last_error_detail());
  roam_options_free(o);
  return NULL;
}

static void threads_have_their_own_detail(void **state) {
  (void)state;
  roam_options *o = roam_options_new();
  assert_int_equal(roam_options_set_role(o, 42), ROAM_EINVAL);
  expect_detail("role 42", NULL);
  thread_view v;
  memset(&v, 0, sizeof v);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, other_thread, &v), 0);
  assert_int_equal(pthread_join(t, NULL), 0);
  assert_string_equal(v.seen_at_start, "");
  assert_non_null(strstr(v.own, "max_frame_size 12"));
  expect_detail("role 42", NULL);
  roam_options_free(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(each_bad_address_says_why, setup, teardown),
      cmocka_unit_test_setup_teardown(unix_path_too_long_for_a_socket, setup, teardown),
      cmocka_unit_test_setup_teardown(listener_needs_a_numeric_host_and_a_free_port, setup,
                                      teardown),
      cmocka_unit_test(each_bad_option_says_why),
      cmocka_unit_test_setup_teardown(constructors_name_the_missing_argument, setup, teardown),
      cmocka_unit_test_setup_teardown(adopting_what_is_not_a_socket, setup, teardown),
      cmocka_unit_test_setup_teardown(session_calls_name_bad_values, setup, teardown),
      cmocka_unit_test(success_leaves_the_detail_alone),
      cmocka_unit_test_setup_teardown(long_details_are_cut_cleanly, setup, teardown),
      cmocka_unit_test(threads_have_their_own_detail),
  };
  return cmocka_run_group_tests_name("capi_errors", tests, NULL, NULL);
}
