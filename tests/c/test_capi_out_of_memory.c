/* Out of memory at every allocation: a whole scenario (two sessions over a
 * socket pair: handshake, a virtual connection opened and accepted, calls,
 * a channel, closes) is run once to count libroam's allocations, then once
 * more for every N with the Nth allocation failing. Each run must end by
 * itself (no hang), every failure it meets must be ROAM_ENOMEM or a
 * consequence of one (the peer session ending), and once everything is
 * closed libroam must hold no memory at all. Runs under ASan in make test,
 * which also catches any use after free or crossed allocator on the
 * error paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <roam/roam.h>

/* ---- the failing allocator ------------------------------------------------------ */

static long g_allocations; /* malloc / calloc / realloc calls this run */
static long g_fail_at;     /* 0: never fail */
static long g_live;        /* blocks handed out and not freed */
static int g_failed;       /* the planned failure happened */

static int should_fail(void) {
  ++g_allocations;
  if (g_fail_at != 0 && g_allocations == g_fail_at) {
    g_failed = 1;
    return 1;
  }
  return 0;
}

static void *oom_malloc(size_t n) {
  if (should_fail()) return NULL;
  void *p = malloc(n);
  if (p) ++g_live;
  return p;
}

static void *oom_calloc(size_t count, size_t n) {
  if (should_fail()) return NULL;
  void *p = calloc(count, n);
  if (p) ++g_live;
  return p;
}

static void *oom_realloc(void *old, size_t n) {
  if (should_fail()) return NULL;
  void *p = realloc(old, n);
  if (p && !old) ++g_live;
  return p;
}

static void oom_free(void *p) {
  if (p) --g_live;
  free(p);
}

/* ---- the scenario ------------------------------------------------------------- */

#define METHOD_ECHO 1
#define METHOD_SINK 2

typedef struct side {
  const char *name;
  roam_session *s;
  int handshake_done;
  int handshake_status;
  int ended;
  int end_error;
  int closed; /* close callback */
  roam_conn *conn;  /* the virtual connection, until its final callback */
  int conn_open;
  int conn_gone;
  int items;
  int channel_ended;
  uint64_t sink_request; /* the SINK request waiting for its channel to end */
  int responses;
  int response_errors;
} side;

/* Every error the scenario meets goes through here: it must be out of
 * memory, or what another party's out of memory looks like from here. */
static int g_unexpected;
static char g_unexpected_what[256];

static void saw(const char *what, int rc) {
  switch (rc) {
    case ROAM_OK:
    case ROAM_ENOMEM:
    case ROAM_EEOF:       /* the peer session ended */
    case ROAM_EPEERERROR: /* ...after telling us */
    case ROAM_ECLOSED:    /* the connection or session had ended */
    case ROAM_ESHUTDOWN:  /* we shut it down after a failure */
    case ROAM_ESTATE:     /* an operation on something that ended */
    case ROAM_EIO:        /* the transport under an ended peer */
      return;
    default:
      if (!g_unexpected) {
        snprintf(g_unexpected_what, sizeof g_unexpected_what, "%s: %s", what, roam_err_name(rc));
      }
      g_unexpected = 1;
  }
}

/* A failure: stop the scenario where it is; both sessions shut down. */
static side *g_a, *g_b;
static void give_up(const char *what, int rc) {
  saw(what, rc);
  if (g_a->s) roam_session_shutdown(g_a->s);
  if (g_b->s) roam_session_shutdown(g_b->s);
}

static void on_handshake(roam_session *s, void *ud, int status, const roam_metadata *md) {
  side *sd = ud;
  sd->handshake_done = 1;
  sd->handshake_status = status;
  saw("handshake", status);
  (void)s;
  (void)md;
}

static void on_end(roam_session *s, void *ud, int error, const char *reason) {
  side *sd = ud;
  sd->ended = 1;
  sd->end_error = error;
  saw("session end", error);
  (void)s;
  (void)reason;
}

static void on_inbound_open(roam_session *s, void *ud, roam_conn *conn, const roam_metadata *md) {
  side *sd = ud;
  int rc = roam_conn_accept(conn, 0, 0, NULL);
  if (rc != ROAM_OK) {
    give_up("accept", rc);
    return;
  }
  sd->conn = conn;
  sd->conn_open = 1;
  (void)s;
  (void)md;
}

static void on_open_result(roam_session *s, void *ud, roam_conn *conn, int status,
                           const roam_metadata *md) {
  side *sd = ud;
  if (status != ROAM_OK) {
    sd->conn = NULL;
    sd->conn_gone = 1;
    give_up("open result", status);
    return;
  }
  sd->conn_open = 1;
  (void)s;
  (void)md;
  (void)conn;
}

static void on_conn_closed(roam_session *s, void *ud, roam_conn *conn, int origin, int reason,
                           const roam_metadata *md) {
  side *sd = ud;
  if (conn == sd->conn) {
    sd->conn = NULL;
    sd->conn_gone = 1;
  }
  saw("conn closed", reason);
  (void)s;
  (void)origin;
  (void)md;
}

static void on_item(roam_conn *conn, uint64_t channel_id, void *ud, const uint8_t *item,
                    size_t len) {
  side *sd = ud;
  sd->items++;
  (void)conn;
  (void)channel_id;
  (void)item;
  (void)len;
}

static void on_channel_end(roam_conn *conn, uint64_t channel_id, void *ud, int reason,
                           const roam_metadata *md) {
  side *sd = ud;
  sd->channel_ended = 1;
  saw("channel end", reason);
  if (sd->sink_request != 0) {
    uint8_t count = (uint8_t)sd->items;
    int rc = roam_reply_ok(conn, sd->sink_request, NULL, &count, 1);
    sd->sink_request = 0;
    if (rc != ROAM_OK) give_up("reply (sink)", rc);
  }
  (void)channel_id;
  (void)md;
}

static void on_serve(roam_session *s, void *ud, roam_conn *conn, uint64_t request_id,
                     uint64_t method_id, const uint64_t *channels, size_t channel_count,
                     const roam_metadata *md, const uint8_t *args, size_t args_len) {
  side *sd = ud;
  int rc;
  if (method_id == METHOD_SINK && channel_count == 1) {
    sd->sink_request = request_id;
    rc = roam_conn_channel_bind(conn, channels[0], ROAM_CHANNEL_RECEIVE, 0, on_item,
                                on_channel_end, NULL, sd);
    if (rc != ROAM_OK) {
      sd->sink_request = 0;
      roam_reply_release(conn, request_id);
      give_up("bind", rc);
    }
    return;
  }
  rc = roam_reply_ok(conn, request_id, md, args, args_len);
  if (rc != ROAM_OK) give_up("reply", rc);
  (void)s;
}

static void on_response(roam_conn *conn, void *ud, uint64_t request_id, int status,
                        const roam_metadata *md, const uint8_t *value, size_t len) {
  side *sd = ud;
  sd->responses++;
  if (status != ROAM_OK) sd->response_errors++;
  saw("response", status);
  (void)conn;
  (void)request_id;
  (void)md;
  (void)value;
  (void)len;
}

static void on_closed(roam_session *s, void *ud) {
  ((side *)ud)->closed = 1;
  (void)s;
}

/* Runs the loop until `done` says so; 0 if that takes more than 3 s. */
static int run_until(roam_runtime *rt, int (*done)(void)) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (!done()) {
    roam_runtime_run_nowait(rt);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 > 3000) {
      return 0;
    }
  }
  return 1;
}

static int failed_or_ended(void) { return g_a->ended || g_b->ended; }
static int handshakes_done(void) {
  return failed_or_ended() || (g_a->handshake_done && g_b->handshake_done);
}
static int conns_open(void) {
  return failed_or_ended() || g_a->conn_gone || (g_a->conn_open && g_b->conn_open);
}
static int echoes_done(void) { return failed_or_ended() || g_a->conn_gone || g_a->responses >= 3; }
static int sink_done(void) { return failed_or_ended() || g_a->conn_gone || g_a->responses >= 4; }
static int conns_gone(void) {
  return failed_or_ended() || ((g_a->conn == NULL) && (g_b->conn == NULL));
}
static int both_closed(void) { return g_a->closed && g_b->closed; }

typedef struct {
  int completed; /* every step succeeded */
  int hung;      /* a step never finished */
} outcome;

static outcome run_scenario(void) {
  outcome out = {0, 0};
  side a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  a.name = "a";
  b.name = "b";
  g_a = &a;
  g_b = &b;

  roam_runtime *rt = NULL;
  int rc = roam_runtime_new(&rt);
  if (rc != ROAM_OK) {
    saw("runtime", rc);
    return out;
  }
  roam_callbacks *cbs = NULL;
  rc = roam_callbacks_new(&cbs);
  if (rc != ROAM_OK) {
    saw("callbacks", rc);
    assert_int_equal(roam_runtime_free(rt), 0);
    return out;
  }
  roam_callbacks_set_handshake(cbs, on_handshake);
  roam_callbacks_set_session_end(cbs, on_end);
  roam_callbacks_set_inbound_open(cbs, on_inbound_open);
  roam_callbacks_set_open_result(cbs, on_open_result);
  roam_callbacks_set_conn_closed(cbs, on_conn_closed);
  roam_callbacks_set_serve(cbs, on_serve);

  rc = roam_session_pair(rt, NULL, cbs, &a, NULL, cbs, &b, &a.s, &b.s);
  roam_callbacks_free(cbs);
  if (rc != ROAM_OK) {
    if (getenv("ROAM_OOM_VERBOSE")) fprintf(stderr, "pair: %s %s\n", roam_err_name(rc), roam_last_error_detail());
    saw("pair", rc);
    a.closed = b.closed = 1;
    goto free_runtime;
  }

  int complete = 1;
  if (!run_until(rt, handshakes_done)) goto hung;
  complete = complete && !failed_or_ended();

  roam_metadata *md = NULL;
  if (complete) {
    rc = roam_metadata_new(&md);
    if (rc == ROAM_OK) rc = roam_metadata_add_string(md, "want", ROAM_NTS, "accept", ROAM_NTS, 0);
    if (rc == ROAM_OK) rc = roam_session_open(a.s, 0, 0, md, NULL, &a.conn);
    roam_metadata_free(md);
    if (rc != ROAM_OK) {
      a.conn = NULL;
      give_up("open", rc);
      complete = 0;
    }
  }
  if (complete) {
    if (!run_until(rt, conns_open)) goto hung;
    complete = !failed_or_ended() && !a.conn_gone;
  }
  for (int i = 0; complete && i < 3; i++) {
    char args[32];
    int n = snprintf(args, sizeof args, "echo %d", i);
    rc = roam_conn_call(a.conn, METHOD_ECHO, NULL, 0, NULL, args, (size_t)n, on_response, &a, NULL);
    if (rc != ROAM_OK) {
      give_up("call", rc);
      complete = 0;
    }
  }
  if (complete) {
    if (!run_until(rt, echoes_done)) goto hung;
    complete = !failed_or_ended() && !a.conn_gone && a.response_errors == 0;
  }
  if (complete) {
    uint64_t ch = 0;
    rc = roam_conn_channel_open(a.conn, ROAM_CHANNEL_SEND, 0, NULL, NULL, NULL, &a, &ch);
    if (rc == ROAM_OK) {
      rc = roam_conn_call(a.conn, METHOD_SINK, &ch, 1, NULL, NULL, 0, on_response, &a, NULL);
    }
    for (int i = 0; rc == ROAM_OK && i < 3; i++) rc = roam_channel_send(a.conn, ch, "item", 4);
    if (rc == ROAM_OK) rc = roam_channel_close(a.conn, ch, NULL);
    if (rc != ROAM_OK) {
      give_up("channel", rc);
      complete = 0;
    }
  }
  if (complete) {
    if (!run_until(rt, sink_done)) goto hung;
    complete = !failed_or_ended() && !a.conn_gone && a.response_errors == 0;
  }
  if (complete) {
    rc = roam_conn_close(a.conn, NULL);
    if (rc != ROAM_OK) {
      give_up("close conn", rc);
      complete = 0;
    }
  }
  if (complete) {
    if (!run_until(rt, conns_gone)) goto hung;
    complete = !failed_or_ended();
  }
  out.completed = complete;

  /* Closing must work whatever happened before. */
  saw("close a", roam_session_close(a.s, on_closed, &a));
  saw("close b", roam_session_close(b.s, on_closed, &b));
  if (!run_until(rt, both_closed)) goto hung;
free_runtime:
  rc = roam_runtime_free(rt);
  if (rc != ROAM_OK) {
    snprintf(g_unexpected_what, sizeof g_unexpected_what, "roam_runtime_free: %s",
             roam_err_name(rc));
    g_unexpected = 1;
  }
  return out;

hung:
  out.hung = 1;
  out.completed = 0;
  if (!a.closed) roam_session_close(a.s, on_closed, &a);
  if (!b.closed) roam_session_close(b.s, on_closed, &b);
  run_until(rt, both_closed);
  roam_runtime_free(rt);
  return out;
}

static void every_allocation_can_fail(void **state) {
  (void)state;
  assert_int_equal(roam_set_allocator(oom_malloc, oom_realloc, oom_calloc, oom_free), 0);

  g_fail_at = 0;
  g_allocations = 0;
  outcome clean = run_scenario();
  assert_true(clean.completed);
  assert_int_equal(g_unexpected, 0);
  assert_int_equal(g_live, 0);
  long total = g_allocations;
  printf("the scenario makes %ld allocations; failing each in turn\n", total);
  assert_true(total > 50);

  /* Under sanitizers every run is slower: a stride keeps the test in
   * seconds while still covering every phase (ROAM_OOM_STRIDE=1 for all). */
  long stride = 1;
  const char *env = getenv("ROAM_OOM_STRIDE");
  if (env) stride = atol(env) > 0 ? atol(env) : 1;
  int completed = 0, failed = 0;
  for (long n = 1; n <= total; n += stride) {
    g_fail_at = n;
    g_allocations = 0;
    g_failed = 0;
    if (getenv("ROAM_OOM_VERBOSE")) fprintf(stderr, "failing allocation %ld\n", n);
    outcome o = run_scenario();
    if (o.hung || g_unexpected || g_live != 0) {
      fprintf(stderr, "failing allocation %ld of %ld: %s%s%s (live blocks %ld)\n", n, total,
              o.hung ? "the scenario hung " : "", g_unexpected ? "unexpected error " : "",
              g_unexpected ? g_unexpected_what : "", g_live);
    }
    assert_false(o.hung);
    assert_int_equal(g_unexpected, 0);
    assert_int_equal(g_live, 0);
    /* The planned allocation was reached: the run did fail it. */
    assert_true(g_failed);
    if (o.completed) {
      completed++;
    } else {
      failed++;
    }
  }
  printf("%d runs ended early with ROAM_ENOMEM, %d recovered and completed\n", failed, completed);
  assert_true(failed > 0);
  g_fail_at = 0;
  assert_int_equal(roam_set_allocator(NULL, NULL, NULL, NULL), 0);
}

static void allocator_rules(void **state) {
  (void)state;
  /* All four or none. */
  assert_int_equal(roam_set_allocator(malloc, NULL, NULL, free), ROAM_EINVAL);
  assert_non_null(strstr(roam_last_error_detail(), "all four"));
  /* Not while libroam holds memory from the current allocator. */
  roam_options *opts = NULL;
  assert_int_equal(roam_options_new(&opts), 0);
  assert_int_equal(roam_set_allocator(oom_malloc, oom_realloc, oom_calloc, oom_free),
                   ROAM_ESTATE);
  roam_options_free(opts);
  assert_int_equal(roam_set_allocator(oom_malloc, oom_realloc, oom_calloc, oom_free), 0);
  /* Everything goes through it. */
  g_allocations = 0;
  assert_int_equal(roam_options_new(&opts), 0);
  assert_true(g_allocations >= 1);
  assert_int_equal(g_live, 1);
  roam_options_free(opts);
  assert_int_equal(g_live, 0);
  /* A failing malloc is ROAM_ENOMEM with a detail. */
  g_fail_at = g_allocations + 1;
  roam_metadata *md = NULL;
  assert_int_equal(roam_metadata_new(&md), ROAM_ENOMEM);
  assert_null(md);
  g_fail_at = 0;
  assert_int_equal(roam_metadata_new(&md), 0);
  g_fail_at = g_allocations + 1;
  assert_int_equal(roam_metadata_add_string(md, "k", ROAM_NTS, "v", ROAM_NTS, 0), ROAM_ENOMEM);
  assert_non_null(strstr(roam_last_error_detail(), "out of memory"));
  g_fail_at = 0;
  assert_int_equal(roam_metadata_count(md), 0);
  roam_metadata_free(md);
  assert_int_equal(g_live, 0);
  assert_int_equal(roam_set_allocator(NULL, NULL, NULL, NULL), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(allocator_rules),
      cmocka_unit_test(every_allocation_can_fail),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
