/* roam_last_error_detail(): every bad address and option says why, naming
 * the offending value; a later success leaves the detail alone (like
 * errno); each thread has its own. Also the 1.0 conventions around errors:
 * ROAM_ENOBUFS with the size needed, zero meaning "the default", and the
 * codes added in 1.0 being known by name. */
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
  /* Half-made sessions a failed constructor abandoned are no obstacle:
   * freeing the runtime waits for them to finish closing. */
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
    assert_int_equal(roam_session_connect(f->rt, b->address, NULL, NULL, NULL, &s), ROAM_EINVAL);
    expect_detail(b->address, b->says, NULL);
    /* The forms that work are named for an unknown or missing scheme. */
    if (strstr(b->says, "scheme")) expect_detail("tcp://HOST:PORT or unix:PATH", NULL);
    roam_listener *l = NULL;
    assert_int_equal(roam_listener_new(f->rt, b->address, NULL, NULL, NULL, NULL, &l),
                     ROAM_EINVAL);
    expect_detail(b->address, b->says, NULL);
  }
  roam_session *s;
  assert_int_equal(roam_session_connect(f->rt, "", NULL, NULL, NULL, &s), ROAM_EINVAL);
  expect_detail("empty", "tcp://HOST:PORT or unix:PATH", NULL);
}

static void unix_path_too_long_for_a_socket(void **state) {
  fixture *f = *state;
  char address[256] = "unix:/tmp/";
  memset(address + 10, 'x', 150);
  roam_session *s;
  assert_int_equal(roam_session_connect(f->rt, address, NULL, NULL, NULL, &s), ROAM_EINVAL);
  expect_detail(address + 5, "is 155 bytes long; the limit is 107", NULL);
}

static void listener_needs_a_numeric_host_and_a_free_port(void **state) {
  fixture *f = *state;
  roam_listener *l;
  assert_int_equal(roam_listener_new(f->rt, "tcp://localhost:0", NULL, NULL, NULL, NULL, &l),
                   ROAM_EINVAL);
  expect_detail("tcp://localhost:0", "numeric IP", NULL);

  assert_int_equal(roam_listener_new(f->rt, "tcp://127.0.0.1:0", NULL, NULL, NULL, NULL, &l), 0);
  char taken[64];
  size_t taken_len = sizeof taken;
  assert_int_equal(roam_listener_address(l, taken, &taken_len), 0);
  assert_true(taken_len > 0);
  roam_listener *again;
  assert_int_equal(roam_listener_new(f->rt, taken, NULL, NULL, NULL, NULL, &again), ROAM_EIO);
  expect_detail(taken, "address already in use", NULL);

  uint64_t v;
  assert_int_equal(roam_listener_stat(l, 99, &v), ROAM_EINVAL);
  expect_detail("99", NULL);
  listener_close_and_wait(f->rt, l);
}

static void each_bad_option_says_why(void **state) {
  (void)state;
  roam_options *o;
  assert_int_equal(roam_options_new(&o), 0);
  assert_int_equal(roam_options_set_role(o, 7), ROAM_EINVAL);
  expect_detail("role 7", "ROAM_ROLE_ACCEPTOR", NULL);
  assert_int_equal(roam_options_set_role(o, -1), ROAM_EINVAL);
  expect_detail("role -1", NULL);
  assert_int_equal(roam_options_set_parity(o, 5), ROAM_EINVAL);
  expect_detail("parity 5", NULL);
  assert_int_equal(roam_options_set_parity(o, -1), ROAM_EINVAL);
  expect_detail("parity -1", NULL);
  assert_int_equal(roam_options_set_max_frame_size(o, 10), ROAM_EINVAL);
  expect_detail("max_frame_size 10 is below the minimum of 64", NULL);
  assert_int_equal(roam_options_set_outbound_limits(o, 100, 50), ROAM_EINVAL);
  expect_detail("soft limit 100 must be below hard limit 50", NULL);
  /* A soft limit of 0 is the default (4 MiB), which is not below 50. */
  assert_int_equal(roam_options_set_outbound_limits(o, 0, 50), ROAM_EINVAL);
  expect_detail("hard limit 50", NULL);
  /* Nor is a soft limit above the default hard one (64 MiB). */
  assert_int_equal(roam_options_set_outbound_limits(o, (size_t)128 << 20, 0), ROAM_EINVAL);
  expect_detail("soft limit 134217728", NULL);
  assert_int_equal(roam_options_set_keepalive(NULL, 1, 1), ROAM_EINVAL);
  expect_detail("roam_options_set_keepalive: opts is NULL", NULL);
  assert_int_equal(roam_options_set_listener_limits(NULL, 1, 1), ROAM_EINVAL);
  expect_detail("roam_options_set_listener_limits: opts is NULL", NULL);
  roam_options_free(o);
}

static void constructors_name_the_missing_argument(void **state) {
  fixture *f = *state;
  roam_session *a, *b;
  assert_int_equal(roam_session_connect(NULL, "tcp://127.0.0.1:1", NULL, NULL, NULL, &a),
                   ROAM_EINVAL);
  expect_detail("roam_session_connect: rt is NULL", NULL);
  assert_int_equal(roam_session_connect(f->rt, NULL, NULL, NULL, NULL, &a), ROAM_EINVAL);
  expect_detail("roam_session_connect: address is NULL", NULL);
  assert_int_equal(roam_session_connect(f->rt, "tcp://127.0.0.1:1", NULL, NULL, NULL, NULL),
                   ROAM_EINVAL);
  expect_detail("roam_session_connect: out is NULL", NULL);
  assert_int_equal(roam_session_pair(f->rt, NULL, NULL, NULL, NULL, NULL, NULL, NULL, &b),
                   ROAM_EINVAL);
  expect_detail("roam_session_pair: a is NULL", NULL);
  assert_int_equal(roam_session_adopt_stream(f->rt, NULL, NULL, NULL, NULL, &a), ROAM_EINVAL);
  expect_detail("roam_session_adopt_stream: stream is NULL", NULL);
  roam_listener *l;
  assert_int_equal(roam_listener_new(f->rt, NULL, NULL, NULL, NULL, NULL, &l), ROAM_EINVAL);
  expect_detail("roam_listener_new: address is NULL", NULL);
  assert_int_equal(roam_callbacks_set_pong(NULL, NULL), ROAM_EINVAL);
  expect_detail("roam_callbacks_set_pong: cbs is NULL", NULL);
  assert_int_equal(roam_session_ping(NULL, NULL), ROAM_EINVAL);
  expect_detail("roam_session_ping: s is NULL", NULL);
}

static void adopting_what_is_not_a_socket(void **state) {
  fixture *f = *state;
  roam_session *s;
  assert_int_equal(roam_session_adopt_fd(f->rt, -1, NULL, NULL, NULL, &s), ROAM_EINVAL);
  expect_detail("fd -1", NULL);
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  assert_true(fd >= 0);
  char which[32];
  snprintf(which, sizeof which, "fd %d", fd);
  assert_int_equal(roam_session_adopt_fd(f->rt, fd, NULL, NULL, NULL, &s), ROAM_EINVAL);
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
  roam_options *o;
  assert_int_equal(roam_options_new(&o), 0);
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
    assert_int_equal(roam_session_connect(f->rt, address, NULL, NULL, NULL, &s), ROAM_EINVAL);
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
  roam_options *o = NULL;
  roam_options_new(&o);
  roam_options_set_max_frame_size(o, 12);
  snprintf(v->own, sizeof v->own, "%s", roam_last_error_detail());
  roam_options_free(o);
  return NULL;
}

static void threads_have_their_own_detail(void **state) {
  (void)state;
  roam_options *o;
  assert_int_equal(roam_options_new(&o), 0);
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

/* ---- 1.0 conventions ------------------------------------------------------------------ */

/* A buffer too small is ROAM_ENOBUFS, with the size needed written back. */
static void listener_address_says_how_big_a_buffer_it_needs(void **state) {
  fixture *f = *state;
  roam_listener *l;
  assert_int_equal(roam_listener_new(f->rt, "tcp://127.0.0.1:0", NULL, NULL, NULL, NULL, &l), 0);
  char full[128];
  size_t full_len = sizeof full;
  assert_int_equal(roam_listener_address(l, full, &full_len), 0);
  assert_int_equal(full_len, strlen(full));  /* the length, without the NUL */
  assert_true(strncmp(full, "tcp://127.0.0.1:", 16) == 0);
  char needed[32];
  snprintf(needed, sizeof needed, "%zu", full_len + 1);

  char tiny[4];
  size_t len = sizeof tiny;
  assert_int_equal(roam_listener_address(l, tiny, &len), ROAM_ENOBUFS);
  assert_int_equal(len, full_len + 1);  /* the size needed, NUL included */
  expect_detail("roam_listener_address", needed, NULL);

  /* Room for the text but not its NUL is still too small. */
  char *exact = test_malloc(full_len + 1);
  len = full_len;
  assert_int_equal(roam_listener_address(l, exact, &len), ROAM_ENOBUFS);
  assert_int_equal(len, full_len + 1);
  /* The size it asked for is enough. */
  assert_int_equal(roam_listener_address(l, exact, &len), 0);
  assert_int_equal(len, full_len);
  assert_string_equal(exact, full);
  test_free(exact);

  /* A Unix listener's address is just as long as its path says. */
  char unix_address[128];
  snprintf(unix_address, sizeof unix_address, "unix:/tmp/roam-enobufs-%d.sock", (int)getpid());
  unlink(unix_address + 5);
  roam_listener *u;
  assert_int_equal(roam_listener_new(f->rt, unix_address, NULL, NULL, NULL, NULL, &u), 0);
  len = 8;
  assert_int_equal(roam_listener_address(u, tiny, &len), ROAM_ENOBUFS);
  char got[128];
  size_t got_len = sizeof got;
  assert_int_equal(roam_listener_address(u, got, &got_len), 0);
  assert_int_equal(len, got_len + 1);
  assert_int_equal(got_len, strlen(got));
  listener_close_and_wait(f->rt, u);
  listener_close_and_wait(f->rt, l);
}

static void response_of(roam_conn *conn, void *ud, uint64_t request_id, int status,
                        const roam_metadata *md, const uint8_t *value, size_t len) {
  char *got = ud;
  snprintf(got, 64, "%s %.*s", roam_err_name(status), (int)len, (const char *)value);
  (void)conn, (void)request_id, (void)md;
}

/* Zero means "the default" for every setter: a pair made with every option
 * zeroed handshakes and works (a zero timeout is not an instant one, a zero
 * limit not a closed door). */
static void zeroed_options_mean_the_defaults(void **state) {
  fixture *f = *state;
  roam_options *o;
  assert_int_equal(roam_options_new(&o), 0);
  assert_int_equal(roam_options_set_role(o, 0), 0);
  assert_int_equal(roam_options_set_parity(o, 0), 0);
  assert_int_equal(roam_options_set_parity(o, ROAM_PARITY_DEFAULT), 0);
  assert_int_equal(roam_options_set_max_concurrent_requests(o, 0), 0);
  assert_int_equal(roam_options_set_keepalive(o, 0, 0), 0);
  assert_int_equal(roam_options_set_handshake_timeout(o, 0), 0);
  assert_int_equal(roam_options_set_max_frame_size(o, 0), 0);
  assert_int_equal(roam_options_set_max_metadata_size(o, 0), 0);
  assert_int_equal(roam_options_set_max_connections(o, 0), 0);
  assert_int_equal(roam_options_set_channel_buffer_limits(o, 0, 0), 0);
  assert_int_equal(roam_options_set_outbound_limits(o, 0, 0), 0);
  assert_int_equal(roam_options_set_frame_timeout(o, 0), 0);
  assert_int_equal(roam_options_set_idle_timeout(o, 0), 0);
  assert_int_equal(roam_options_set_listener_limits(o, 0, 0), 0);
  /* Either limit alone takes the other's default. */
  assert_int_equal(roam_options_set_outbound_limits(o, 1024, 0), 0);
  assert_int_equal(roam_options_set_outbound_limits(o, 0, (size_t)128 << 20), 0);
  assert_int_equal(roam_options_set_outbound_limits(o, 0, 0), 0);
  /* "Never" is spelled ROAM_NO_TIMEOUT. */
  roam_options *never;
  assert_int_equal(roam_options_new(&never), 0);
  assert_int_equal(roam_options_set_handshake_timeout(never, ROAM_NO_TIMEOUT), 0);
  assert_int_equal(roam_options_set_frame_timeout(never, ROAM_NO_TIMEOUT), 0);
  assert_int_equal(roam_options_set_idle_timeout(never, ROAM_NO_TIMEOUT), 0);
  roam_options_free(never);

  event_log *log = test_calloc(1, sizeof *log);
  side a = {.name = "A"}, b = {.name = "B"};
  side_pair(f->rt, log, &a, o, &b, o);
  roam_options_free(o);
  assert_int_equal(a.handshake_status, 0);
  assert_int_equal(b.handshake_status, 0);
  /* Role 0 in a pair: a initiates, b accepts; parity 0: the initiator is odd. */
  assert_int_equal(roam_session_role(a.s), ROAM_ROLE_INITIATOR);
  assert_int_equal(roam_session_role(b.s), ROAM_ROLE_ACCEPTOR);
  assert_int_equal(roam_session_parity(a.s), ROAM_PARITY_ODD);
  assert_int_equal(roam_session_parity(b.s), ROAM_PARITY_EVEN);
  /* max_concurrent_requests 0 advertised 64. */
  roam_conn *root_a, *root_b;
  assert_int_equal(roam_session_root(a.s, &root_a), 0);
  assert_int_equal(roam_session_root(b.s, &root_b), 0);
  int parity = -1;
  uint32_t max = 0;
  assert_int_equal(roam_conn_peer_settings(root_a, &parity, &max), 0);
  assert_int_equal(parity, ROAM_PARITY_EVEN);
  assert_int_equal(max, 64);
  assert_int_equal(roam_conn_peer_settings(root_b, &parity, &max), 0);
  assert_int_equal(parity, ROAM_PARITY_ODD);
  assert_int_equal(max, 64);

  /* Timeouts of 0 are the defaults, not "at once": still up a while later. */
  run_for(f->rt, 100);
  assert_int_equal(roam_session_state(a.s), ROAM_SESSION_ESTABLISHED);
  assert_int_equal(roam_session_state(b.s), ROAM_SESSION_ESTABLISHED);
  assert_false(a.ended || b.ended);

  /* Limits of 0 are the defaults, not 0: a virtual connection opens, a call
   * goes out and comes back, a ping is answered. */
  roam_metadata *want = md_string("want", "accept");
  roam_conn *c;
  assert_int_equal(roam_session_open(a.s, 0, 0, want, NULL, &c), 0);
  roam_metadata_free(want);
  assert_true(run_until(f->rt, &a.opens_answered, 2000));
  log_expect(log, "A open conn=1 status=ROAM_OK md=accepted-by=B");
  b.echo_calls = 1;
  char got[64] = "";
  uint64_t request_id = 0;
  assert_int_equal(roam_conn_call(root_a, 7, NULL, 0, NULL, "\x01z", 2, response_of, got,
                                  &request_id),
                   0);
  assert_int_equal(request_id, 1);
  assert_true(run_until(f->rt, &b.requests, 2000));
  for (int i = 0; i < 200 && got[0] == '\0'; ++i) run_for(f->rt, 10);
  assert_string_equal(got, "ROAM_OK \x01z");
  assert_int_equal(roam_session_ping(a.s, NULL), 0);
  assert_true(run_until(f->rt, &a.pongs, 2000));
  assert_false(a.ended || b.ended);
  side_close(f->rt, &a);
  side_close(f->rt, &b);
  test_free(log);
}

/* roam_session_open(s, 0, 0, ...) takes the session's parity and advertises
 * 64; roam_conn_accept(c, 0, 0, ...) takes the opposite of the opener's. */
static void opening_with_zeros_takes_the_session_parity_and_64(void **state) {
  fixture *f = *state;
  event_log *log = test_calloc(1, sizeof *log);
  side a = {.name = "A"}, b = {.name = "B"};
  side_pair(f->rt, log, &a, NULL, &b, NULL);
  roam_metadata *want = md_string("want", "accept");
  side *opener[2] = {&a, &b}, *acceptor[2] = {&b, &a};
  for (int i = 0; i < 2; ++i) {
    roam_session *s = opener[i]->s;
    int session_parity = roam_session_parity(s);
    assert_int_equal(session_parity, i == 0 ? ROAM_PARITY_ODD : ROAM_PARITY_EVEN);
    roam_conn *c = NULL;
    assert_int_equal(roam_session_open(s, 0, 0, want, NULL, &c), 0);
    int parity = -1;
    uint32_t max = 0;
    assert_int_equal(roam_conn_local_settings(c, &parity, &max), 0);
    assert_int_equal(parity, session_parity);
    assert_int_equal(max, 64);
    int answered = opener[i]->opens_answered;
    assert_true(run_until_count(f->rt, &opener[i]->opens_answered, answered + 1, 2000));
    assert_int_equal(roam_conn_state(c), ROAM_CONN_OPEN);
    /* The side accepted with (0, 0): the other parity, 64. */
    assert_int_equal(roam_conn_peer_settings(c, &parity, &max), 0);
    assert_int_equal(parity, session_parity == ROAM_PARITY_ODD ? ROAM_PARITY_EVEN : ROAM_PARITY_ODD);
    assert_int_equal(max, 64);
    roam_conn *in = acceptor[i]->last_inbound;
    assert_non_null(in);
    assert_int_equal(roam_conn_local_settings(in, &parity, &max), 0);
    assert_int_equal(parity, session_parity == ROAM_PARITY_ODD ? ROAM_PARITY_EVEN : ROAM_PARITY_ODD);
    assert_int_equal(max, 64);
    assert_int_equal(roam_conn_peer_settings(in, &parity, &max), 0);
    assert_int_equal(parity, session_parity);
    assert_int_equal(max, 64);
  }
  roam_metadata_free(want);
  side_close(f->rt, &a);
  side_close(f->rt, &b);
  test_free(log);
}

static void codes_added_in_1_0_have_names_and_texts(void **state) {
  (void)state;
  const char *unknown_text = roam_strerror(-999);
  const char *unknown_name = roam_err_name(-999);
  assert_string_equal(roam_err_name(ROAM_ENOBUFS), "ROAM_ENOBUFS");
  assert_string_equal(roam_err_name(ROAM_EINTERNAL), "ROAM_EINTERNAL");
  assert_int_equal(ROAM_ENOBUFS, -25);
  assert_int_equal(ROAM_EINTERNAL, -26);
  const int added[] = {ROAM_ENOBUFS, ROAM_EINTERNAL};
  for (size_t i = 0; i < 2; ++i) {
    const char *text = roam_strerror(added[i]);
    assert_non_null(text);
    assert_true(strlen(text) > 0);
    assert_string_not_equal(text, unknown_text);
    assert_string_not_equal(roam_err_name(added[i]), unknown_name);
  }
  assert_string_not_equal(roam_strerror(ROAM_ENOBUFS), roam_strerror(ROAM_EINTERNAL));
}

/* ROAM_ENOTFOUND says which id was not found, and where. */
static void cancelling_an_unknown_call_says_why(void **state) {
  fixture *f = *state;
  event_log *log = test_calloc(1, sizeof *log);
  side a = {0}, b = {0};
  side_pair(f->rt, log, &a, NULL, &b, NULL);
  roam_conn *root;
  assert_int_equal(roam_session_root(a.s, &root), 0);
  /* Something else failed last: the cancel must write its own detail. */
  uint64_t v;
  assert_int_equal(roam_session_stat(a.s, 1234, &v), ROAM_EINVAL);
  expect_detail("1234", NULL);
  assert_int_equal(roam_call_cancel(root, 7, NULL), ROAM_ENOTFOUND);
  expect_detail("roam_call_cancel", "7", NULL);
  assert_null(strstr(roam_last_error_detail(), "1234"));
  side_close(f->rt, &a);
  side_close(f->rt, &b);
  test_free(log);
}

/* A copied table is independent of its original: a session made from each
 * hears exactly the callbacks of its own table. */
static int g_copy_handshakes[2];
static void count_handshake(roam_session *s, void *ud, int status, const roam_metadata *md) {
  g_copy_handshakes[*(int *)ud]++;
  (void)s;
  (void)status;
  (void)md;
}

static void a_copied_table_is_its_own(void **state) {
  fixture *f = *state;
  roam_callbacks *base = NULL, *copy = NULL;
  assert_int_equal(roam_callbacks_copy(NULL, &copy), ROAM_EINVAL);
  assert_non_null(strstr(roam_last_error_detail(), "roam_callbacks_copy"));
  assert_int_equal(roam_callbacks_new(&base), 0);
  assert_int_equal(roam_callbacks_copy(base, &copy), 0);
  assert_int_equal(roam_callbacks_set_handshake(copy, count_handshake), 0);  /* copy only */
  static int which[2] = {0, 1};
  g_copy_handshakes[0] = g_copy_handshakes[1] = 0;
  roam_session *a, *b;
  assert_int_equal(
      roam_session_pair(f->rt, NULL, base, &which[0], NULL, copy, &which[1], &a, &b), 0);
  roam_callbacks_free(base);
  roam_callbacks_free(copy);
  run_for(f->rt, 100);
  assert_int_equal(g_copy_handshakes[0], 0);
  assert_int_equal(g_copy_handshakes[1], 1);
  assert_int_equal(roam_session_close(a, NULL, NULL), 0);
  assert_int_equal(roam_session_close(b, NULL, NULL), 0);
  run_for(f->rt, 50);
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
      cmocka_unit_test_setup_teardown(listener_address_says_how_big_a_buffer_it_needs, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(zeroed_options_mean_the_defaults, setup, teardown),
      cmocka_unit_test_setup_teardown(opening_with_zeros_takes_the_session_parity_and_64, setup,
                                      teardown),
      cmocka_unit_test(codes_added_in_1_0_have_names_and_texts),
      cmocka_unit_test_setup_teardown(a_copied_table_is_its_own, setup, teardown),
      cmocka_unit_test_setup_teardown(cancelling_an_unknown_call_says_why, setup, teardown),
  };
  return cmocka_run_group_tests_name("capi_errors", tests, NULL, NULL);
}
