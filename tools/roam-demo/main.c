/* roam-demo: a real roam session over loopback TCP, both ends in this
 * process, driven through the public C API and printed as a transcript:
 * handshake, three virtual connections (one refused by the acceptor's
 * policy), calls and channel streams on each accepted one, keepalive round
 * trips, a close from each side, and a clean shutdown.
 *
 * The method ids are those the roam crates compute for the conformance
 * suite's Testbed service: echo(String) -> String, sum(Rx<i32>) -> i64 and
 * generate(u32, Tx<i32>). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <roam/roam.h>
#include <roam/roam_postcard.h>

#include "../common/metadata_text.h"
#include "../common/postcard.h"
#include "../common/wait.h"

#define ECHO_METHOD 0x9aabc4ba61fd5df3ull
#define SUM_METHOD 0x855b3a25d97bfefdull
#define GENERATE_METHOD 0x54d2273d8cdb9c38ull

static unsigned long long t0;

static void say(const char *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const char *who, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("%6.1f ms  [%-9s] ", (double)(now_us() - t0) / 1000.0, who);
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  fflush(stdout);
}

static void section(const char *title) { printf("\n── %s ──\n", title); }

/* Metadata as text, in one of a few rotating buffers (a line may show two). */
static const char *mdt(const roam_metadata *m) {
  static char buf[4][256];
  static int which;
  return md_text(m, buf[which++ % 4], sizeof buf[0]);
}

static roam_metadata *md(const char *k1, const char *v1, const char *k2, const char *v2) {
  roam_metadata *m = NULL;
  if (roam_metadata_new(&m) != 0) {
    fprintf(stderr, "roam-demo: out of memory\n");
    exit(1);
  }
  if (k1) roam_metadata_add_string(m, k1, ROAM_NTS, v1, ROAM_NTS, 0);
  if (k2) roam_metadata_add_string(m, k2, ROAM_NTS, v2, ROAM_NTS, 0);
  return m;
}

/* A connection's id (roam_conn_id reports it through an out-pointer). */
static uint64_t cid(const roam_conn *c) {
  uint64_t id = 0;
  roam_conn_id(c, &id);
  return id;
}

/* ---- the acceptor: a small Testbed server with an open policy ------------------------ */

typedef struct {
  roam_conn *conn;     /* the served sum request: (conn, request id) */
  uint64_t request_id;
  int64_t total;
} sum_job;

typedef struct {
  roam_session *s;
  int handshake, ended, closed_remote;
  roam_conn *conns[8];
  int nconns;
} acceptor;

static acceptor A;

static void acc_on_handshake(roam_session *s, void *ud, int status, const roam_metadata *m) {
  A.handshake = 1;
  say("acceptor", "handshake done (%s): initiator's hello metadata %s; we use %s ids", roam_err_name(status),
      mdt(m), roam_session_parity(s) == ROAM_PARITY_EVEN ? "even" : "odd");
  (void)ud;
}

static void acc_on_inbound(roam_session *s, void *ud, roam_conn *c, const roam_metadata *m) {
  int i = roam_metadata_find(m, "purpose", ROAM_NTS);
  const uint8_t *purpose = NULL;
  size_t len = 0;
  if (i >= 0) roam_metadata_get(m, (size_t)i, NULL, NULL, NULL, &purpose, &len, NULL, NULL);
  if (purpose && len == 5 && memcmp(purpose, "admin", 5) == 0) {
    roam_metadata *why = md("reason", "policy: no admin connections over the demo", NULL, NULL);
    roam_metadata_add_u64(why, "code", ROAM_NTS, 403, 0);
    say("acceptor", "inbound open of conn %" PRIu64 " %s -> refused with %s", cid(c), mdt(m),
        mdt(why));
    roam_conn_reject(c, why);
    roam_metadata_free(why);
    return;
  }
  roam_metadata *ok = md("accepted-by", "roam-demo acceptor", NULL, NULL);
  say("acceptor", "inbound open of conn %" PRIu64 " %s -> accepted with %s", cid(c), mdt(m), mdt(ok));
  roam_conn_accept(c, ROAM_PARITY_DEFAULT, 32, ok);
  roam_metadata_free(ok);
  A.conns[A.nconns++] = c;
  (void)s, (void)ud;
}

static void acc_on_item(roam_conn *c, uint64_t channel_id, void *ud, const uint8_t *item, size_t len);

/* The one String in bytes (echo's arguments and result), as a view; "" if
 * the bytes are anything else. */
static void one_string(const uint8_t *bytes, size_t len, const char **s, size_t *n) {
  roam_postcard_reader r;
  roam_postcard_reader_init(&r, sizeof r, bytes, len);
  if (roam_postcard_read_str(&r, s, n) != 0 || roam_postcard_reader_finish(&r) != 0) {
    *s = "";
    *n = 0;
  }
}
static void acc_on_channel_end(roam_conn *c, uint64_t channel_id, void *ud, int reason,
                               const roam_metadata *m);

static void acc_on_serve(roam_session *s, void *ud, roam_conn *c, uint64_t request_id, uint64_t method,
                         const uint64_t *ch, size_t nch, const roam_metadata *m, const uint8_t *args,
                         size_t len) {
  if (method == ECHO_METHOD) {
    const char *text;
    size_t text_len;
    one_string(args, len, &text, &text_len);
    say("acceptor", "conn %" PRIu64 ": echo(\"%.*s\") request %" PRIu64 " %s -> Ok", cid(c), (int)text_len,
        text, request_id, mdt(m));
    roam_reply_ok(c, request_id, NULL, args, len);  /* the String back: same bytes */
  } else if (method == SUM_METHOD && nch == 1) {
    sum_job *job = calloc(1, sizeof *job);
    job->conn = c;
    job->request_id = request_id;
    roam_conn_channel_bind(c, ch[0], ROAM_CHANNEL_RECEIVE, ROAM_DEFAULT_CHANNEL_CREDIT, acc_on_item,
                           acc_on_channel_end, NULL, job);
    say("acceptor", "conn %" PRIu64 ": sum(channel %" PRIu64 ") — receiving", cid(c), ch[0]);
  } else if (method == GENERATE_METHOD && nch == 1) {
    uint64_t count = pc_get_varint(args, len, NULL);
    uint64_t tx = ch[0];
    roam_conn_channel_bind(c, tx, ROAM_CHANNEL_SEND, ROAM_DEFAULT_CHANNEL_CREDIT, NULL, NULL, NULL, NULL);
    say("acceptor", "conn %" PRIu64 ": generate(%" PRIu64 ", channel %" PRIu64 ") — sending 0..%" PRIu64,
        cid(c), count, ch[0], count - 1);
    for (uint64_t i = 0; i < count; ++i) {
      uint8_t item[10];
      roam_channel_send(c, tx, item, pc_put_signed(item, (int64_t)i));
    }
    roam_channel_close(c, tx, NULL);
    roam_reply_ok(c, request_id, NULL, NULL, 0);  /* Ok(()) */
  } else {
    roam_reply_fail(c, request_id, ROAM_EUNKNOWNMETHOD, NULL);
  }
  (void)s, (void)ud;
}

/* The sum request's channel: its user_data is the job. */
static void acc_on_item(roam_conn *c, uint64_t channel_id, void *ud, const uint8_t *item, size_t len) {
  sum_job *job = ud;
  job->total += pc_get_signed(item, len);
  (void)c, (void)channel_id;
}

static void acc_on_channel_end(roam_conn *c, uint64_t channel_id, void *ud, int reason,
                               const roam_metadata *m) {
  sum_job *job = ud;
  uint8_t out[10];
  say("acceptor", "channel %" PRIu64 " closed by the sender (%s): sum = %" PRId64 " -> Ok", channel_id,
      roam_err_name(reason), job->total);
  roam_reply_ok(job->conn, job->request_id, NULL, out, pc_put_signed(out, job->total));
  free(job);
  (void)c, (void)m;
}

static void acc_on_closed(roam_session *s, void *ud, roam_conn *c, int origin, int reason,
                          const roam_metadata *m) {
  static const char *origins[] = {"by us", "by the initiator", "with the session"};
  say("acceptor", "conn %" PRIu64 " closed %s (%s) %s", cid(c), origins[origin], roam_err_name(reason),
      mdt(m));
  if (origin == ROAM_CLOSE_REMOTE) A.closed_remote++;
  /* The handle is gone after this callback: forget it. */
  for (int i = 0; i < A.nconns; ++i) {
    if (A.conns[i] == c) A.conns[i--] = A.conns[--A.nconns];
  }
  (void)s, (void)ud;
}

static void acc_on_end(roam_session *s, void *ud, int error, const char *reason) {
  A.ended = 1;
  say("acceptor", "session ended: %s (%s)", reason, roam_err_name(error));
  (void)s, (void)ud;
}

static void on_accept(roam_listener *l, void *ud, int status, roam_session *s) {
  say("acceptor", "accepted a TCP connection; waiting for Hello");
  A.s = s;  /* its callbacks are the listener's table (see main) */
  (void)l, (void)ud, (void)status;
}

/* ---- the initiator ------------------------------------------------------------------------ */

typedef struct {
  roam_session *s;
  int handshake, ended, opens, pongs, closed_remote;
  roam_conn *opened[3];
  int accepted[3];
  int responses;
  int generated;
  int gen_done;
  unsigned long long call_started;
} initiator;

static initiator I;

static void ini_on_handshake(roam_session *s, void *ud, int status, const roam_metadata *m) {
  I.handshake = 1;
  say("initiator", "handshake done (%s): acceptor's hello metadata %s; we use %s ids", roam_err_name(status),
      mdt(m), roam_session_parity(s) == ROAM_PARITY_ODD ? "odd" : "even");
  (void)ud;
}

static void ini_on_open(roam_session *s, void *ud, roam_conn *c, int status, const roam_metadata *m) {
  I.opens++;
  for (int i = 0; i < 3; ++i) {
    if (I.opened[i] == c) I.accepted[i] = status == 0;
  }
  if (status == 0) {
    int parity;
    uint32_t max;
    roam_conn_peer_settings(c, &parity, &max);
    say("initiator", "conn %" PRIu64 " accepted: %s (peer uses %s ids, up to %u calls in flight)", cid(c),
        mdt(m), parity == ROAM_PARITY_EVEN ? "even" : "odd", max);
  } else {
    say("initiator", "conn %" PRIu64 " refused (%s): %s", cid(c), roam_err_name(status), mdt(m));
  }
  (void)s, (void)ud;
}

static void ini_on_response(roam_conn *c, void *ud, uint64_t request_id, int status, const roam_metadata *m,
                            const uint8_t *v, size_t len) {
  const char *what = ud;
  unsigned long long took = now_us() - I.call_started;
  if (strcmp(what, "echo") == 0) {
    const char *text;
    size_t text_len;
    one_string(v, len, &text, &text_len);
    say("initiator", "conn %" PRIu64 ": echo -> %s \"%.*s\" after %llu us", cid(c),
        status == 0 ? "Ok" : roam_err_name(status), (int)text_len, text, took);
  } else if (strcmp(what, "sum") == 0) {
    say("initiator", "conn %" PRIu64 ": sum -> %s %" PRId64, cid(c),
        status == 0 ? "Ok" : roam_err_name(status), pc_get_signed(v, len));
  } else {
    say("initiator", "conn %" PRIu64 ": %s -> %s", cid(c), what,
        status == 0 ? "Ok(())" : roam_err_name(status));
  }
  I.responses++;
  (void)request_id, (void)m;
}

/* The generate call's channel (the sum's sending channel has no callbacks). */
static void ini_on_item(roam_conn *c, uint64_t channel_id, void *ud, const uint8_t *item, size_t len) {
  I.generated++;
  say("initiator", "channel %" PRIu64 " item %" PRId64, channel_id, pc_get_signed(item, len));
  (void)c, (void)ud;
}

static void ini_on_channel_end(roam_conn *c, uint64_t channel_id, void *ud, int reason, const roam_metadata *m) {
  I.gen_done = 1;
  say("initiator", "channel %" PRIu64 " closed by the sender (%s) after %d items", channel_id,
      roam_err_name(reason), I.generated);
  (void)c, (void)ud, (void)m;
}

static void ini_on_pong(roam_session *s, void *ud, uint64_t nonce, uint64_t rtt_us) {
  I.pongs++;
  say("initiator", "keepalive pong %" PRIu64 ": round trip %" PRIu64 " us", nonce, rtt_us);
  (void)s, (void)ud;
}

static void ini_on_closed(roam_session *s, void *ud, roam_conn *c, int origin, int reason,
                          const roam_metadata *m) {
  static const char *origins[] = {"by us", "by the acceptor", "with the session"};
  say("initiator", "conn %" PRIu64 " closed %s (%s) %s", cid(c), origins[origin], roam_err_name(reason),
      mdt(m));
  if (origin == ROAM_CLOSE_REMOTE) I.closed_remote++;
  (void)s, (void)ud;
}

static void ini_on_end(roam_session *s, void *ud, int error, const char *reason) {
  I.ended = 1;
  say("initiator", "session ended: %s (%s)", reason, roam_err_name(error));
  (void)s, (void)ud;
}

static void must(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "roam-demo: %s did not happen in time\n", what);
    exit(1);
  }
}

int main(void) {
  t0 = now_us();
  printf("roam-demo — libroam %s speaking roam protocol v%u over loopback TCP\n", roam_version(),
         roam_protocol_version());
  roam_runtime *rt;
  roam_runtime_new(&rt);

  section("handshake");
  roam_options *aopts;
  roam_options_new(&aopts);
  roam_metadata *ahello = md("server", "roam-demo", NULL, NULL);
  roam_metadata_add_bytes(ahello, "session-token", ROAM_NTS, "s3cr3t", 6, ROAM_METADATA_SENSITIVE);
  roam_options_set_hello_metadata(aopts, ahello);
  /* The acceptor's callbacks: one table, given to every session the listener accepts. */
  roam_callbacks *acbs;
  roam_callbacks_new(&acbs);
  roam_callbacks_set_handshake(acbs, acc_on_handshake);
  roam_callbacks_set_inbound_open(acbs, acc_on_inbound);
  roam_callbacks_set_serve(acbs, acc_on_serve);
  roam_callbacks_set_conn_closed(acbs, acc_on_closed);
  roam_callbacks_set_session_end(acbs, acc_on_end);
  roam_listener *l;
  int rc = roam_listener_new(rt, "tcp://127.0.0.1:0", aopts, acbs, on_accept, NULL, &l);
  roam_callbacks_free(acbs);
  if (rc != 0) {
    fprintf(stderr, "roam-demo: cannot listen on loopback: %s\n", roam_strerror(rc));
    return 1;
  }
  char addr[64];
  size_t addr_len = sizeof addr;
  roam_listener_address(l, addr, &addr_len);
  say("acceptor", "listening on %s", addr);

  roam_options *iopts;
  roam_options_new(&iopts);
  roam_metadata *ihello = md("client", "roam-demo", NULL, NULL);
  roam_metadata_add_u64(ihello, "pid", ROAM_NTS, (uint64_t)getpid(), 0);
  roam_options_set_hello_metadata(iopts, ihello);
  roam_options_set_keepalive(iopts, 150, 1000);
  roam_callbacks *icbs;
  roam_callbacks_new(&icbs);
  roam_callbacks_set_handshake(icbs, ini_on_handshake);
  roam_callbacks_set_open_result(icbs, ini_on_open);
  roam_callbacks_set_pong(icbs, ini_on_pong);
  roam_callbacks_set_conn_closed(icbs, ini_on_closed);
  roam_callbacks_set_session_end(icbs, ini_on_end);
  rc = roam_session_connect(rt, addr, iopts, icbs, NULL, &I.s);
  roam_callbacks_free(icbs);
  if (rc != 0) {
    fprintf(stderr, "roam-demo: cannot connect to %s: %s\n", addr, roam_strerror(rc));
    return 1;
  }
  say("initiator", "connecting to %s (keepalive: ping every 150 ms, give up after 1000 ms)", addr);
  must(wait_for(rt, &I.handshake, 3000) && wait_for(rt, &A.handshake, 3000), "the handshake");

  section("three virtual connections");
  const char *purposes[3] = {"echo", "stream", "admin"};
  for (int i = 0; i < 3; ++i) {
    roam_metadata *m = md("purpose", purposes[i], NULL, NULL);
    roam_session_open(I.s, ROAM_PARITY_DEFAULT, 16, m, NULL, &I.opened[i]);
    say("initiator", "opening conn %" PRIu64 " with %s", cid(I.opened[i]), mdt(m));
    roam_metadata_free(m);
  }
  must(wait_for_count(rt, &I.opens, 3, 3000), "the three answers");

  section("calls and channels on each accepted connection");
  roam_conn *echo_conn = I.opened[0], *stream_conn = I.opened[1];
  uint8_t args[64];
  size_t n = pc_put_string(args, "hello over conn 1");  /* echo's (String,) */
  roam_metadata *trace = md("trace-id", "demo-1", NULL, NULL);
  I.call_started = now_us();
  roam_conn_call(echo_conn, ECHO_METHOD, NULL, 0, trace, args, n, ini_on_response, "echo", NULL);
  roam_metadata_free(trace);
  must(wait_for_count(rt, &I.responses, 1, 3000), "the echo response");

  uint64_t numbers_id;
  roam_conn_channel_open(echo_conn, ROAM_CHANNEL_SEND, ROAM_DEFAULT_CHANNEL_CREDIT, NULL, NULL, NULL, NULL,
                         &numbers_id);
  roam_conn_call(echo_conn, SUM_METHOD, &numbers_id, 1, NULL, NULL, 0, ini_on_response, "sum", NULL);
  say("initiator", "conn %" PRIu64 ": sum(channel %" PRIu64 ") — sending 1..20, credit 16", cid(echo_conn),
      numbers_id);
  for (int v = 1; v <= 20; ++v) {
    uint8_t item[10];
    roam_channel_send(echo_conn, numbers_id, item, pc_put_signed(item, v));  /* 16 go out, 4 wait */
  }
  roam_channel_close(echo_conn, numbers_id, NULL);
  must(wait_for_count(rt, &I.responses, 2, 3000), "the sum");

  uint64_t out_id;
  roam_conn_channel_open(stream_conn, ROAM_CHANNEL_RECEIVE, ROAM_DEFAULT_CHANNEL_CREDIT, ini_on_item,
                         ini_on_channel_end, NULL, NULL, &out_id);
  n = pc_put_varint(args, 5);
  roam_conn_call(stream_conn, GENERATE_METHOD, &out_id, 1, NULL, args, n, ini_on_response, "generate", NULL);
  say("initiator", "conn %" PRIu64 ": generate(5, channel %" PRIu64 ")", cid(stream_conn), out_id);
  must(wait_for(rt, &I.gen_done, 3000) && wait_for_count(rt, &I.responses, 3, 3000), "the stream");
  I.call_started = now_us();
  n = pc_put_string(args, "and conn 3!");
  roam_conn_call(stream_conn, ECHO_METHOD, NULL, 0, NULL, args, n, ini_on_response, "echo", NULL);
  must(wait_for_count(rt, &I.responses, 4, 3000), "the second echo");

  section("keepalive");
  must(wait_for_count(rt, &I.pongs, 3, 3000), "three keepalive pongs");

  section("a close from each side");
  roam_metadata *bye = md("bye", "from the initiator", NULL, NULL);
  say("initiator", "closing conn %" PRIu64 " with %s", cid(echo_conn), mdt(bye));
  roam_conn_close(echo_conn, bye);
  roam_metadata_free(bye);
  must(wait_for(rt, &A.closed_remote, 3000), "the acceptor seeing the close");
  bye = md("bye", "from the acceptor", NULL, NULL);
  roam_conn *acc_side = NULL;
  for (int i = 0; i < A.nconns; ++i) {
    if (cid(A.conns[i]) == cid(stream_conn)) acc_side = A.conns[i];
  }
  say("acceptor", "closing conn %" PRIu64 " with %s", cid(acc_side), mdt(bye));
  roam_conn_close(acc_side, bye);
  roam_metadata_free(bye);
  must(wait_for(rt, &I.closed_remote, 3000), "the initiator seeing the close");

  section("shutdown");
  roam_conn *root;
  roam_session_root(I.s, &root);
  say("initiator", "releasing the root connection: nothing else is open, so the session ends");
  roam_conn_release(root);
  must(wait_for(rt, &I.ended, 3000) && wait_for(rt, &A.ended, 3000), "both ends");
  uint64_t frames_out, frames_in, bytes_out, bytes_in;
  roam_session_stat(I.s, ROAM_STAT_FRAMES_OUT, &frames_out);
  roam_session_stat(I.s, ROAM_STAT_FRAMES_IN, &frames_in);
  roam_session_stat(I.s, ROAM_STAT_BYTES_OUT, &bytes_out);
  roam_session_stat(I.s, ROAM_STAT_BYTES_IN, &bytes_in);
  say("initiator", "sent %" PRIu64 " frames (%" PRIu64 " bytes), received %" PRIu64 " frames (%" PRIu64 " bytes)",
      frames_out, bytes_out, frames_in, bytes_in);
  roam_session_close(I.s, NULL, NULL);
  roam_session_close(A.s, NULL, NULL);
  roam_listener_close(l, NULL, NULL);
  roam_runtime_run(rt);
  rc = roam_runtime_free(rt);
  roam_options_free(aopts);
  roam_options_free(iopts);
  roam_metadata_free(ahello);
  roam_metadata_free(ihello);
  printf("\nclean shutdown: every handle closed, runtime freed (%s)\n", roam_strerror(rc));
  return rc == 0 ? 0 : 1;
}
