#include "sides.h"

#include <stdio.h>
#include <string.h>

#include <roam/roam_experimental.h>

/* First thing in every callback of a side: counts events after its close
 * callback, then the test's own hook. */
static void side_event(side *sd, roam_session *s) {
  if (sd->closed) sd->events_after_close++;
  if (sd->on_callback) sd->on_callback(sd, s);
}

/* The final callback naming c ran. */
static void side_conn_gone(side *sd, roam_conn *c) {
  if (sd->on_conn_gone) sd->on_conn_gone(sd, c);
}

static void on_handshake(roam_session *s, void *ud, int status, const roam_metadata *md) {
  side *sd = ud;
  side_event(sd, s);
  char m[256];
  md_render(md, m, sizeof m);
  sd->handshake_status = status;
  sd->handshake_done = 1;
  log_add(sd->log, "%s handshake %s md=%s", sd->name, roam_err_name(status), m);
}

static void on_end(roam_session *s, void *ud, int error, const char *reason) {
  side *sd = ud;
  side_event(sd, s);
  sd->ended = 1;
  sd->end_error = error;
  log_add(sd->log, "%s end %s: %s", sd->name, roam_err_name(error), reason);
  /* The reason given is the session's. */
  assert_string_equal(reason, roam_session_last_error(s));
}

static void on_inbound_open(roam_session *s, void *ud, roam_conn *c, const roam_metadata *md) {
  side *sd = ud;
  side_event(sd, s);
  char m[256];
  md_render(md, m, sizeof m);
  sd->inbound_opens++;
  sd->last_inbound = c;
  sd->last_inbound_id = conn_id_checked(c);
  log_add(sd->log, "%s inbound_open conn=%llu md=%s", sd->name,
          (unsigned long long)conn_id_checked(c), m);
  assert_int_equal(roam_conn_state(c), ROAM_CONN_PENDING_INBOUND);
  if (sd->decide_later) return;
  if (sd->accept_all || (roam_metadata_find(md, "want", ROAM_NTS) >= 0 && strstr(m, "want=accept"))) {
    roam_metadata *reply = md_string("accepted-by", sd->accept_name ? sd->accept_name : sd->name);
    assert_int_equal(roam_conn_accept(c, ROAM_PARITY_DEFAULT, 0, reply), 0);
    roam_metadata_free(reply);
  } else {
    roam_metadata *reply = md_string("reason", "policy");
    assert_int_equal(roam_conn_reject(c, reply), 0);
    roam_metadata_free(reply);
  }
}

static void on_open(roam_session *s, void *ud, roam_conn *c, int status,
                    const roam_metadata *md) {
  side *sd = ud;
  side_event(sd, s);
  char m[256];
  md_render(md, m, sizeof m);
  sd->opens_answered++;
  log_add(sd->log, "%s open conn=%llu status=%s md=%s", sd->name,
          (unsigned long long)conn_id_checked(c), roam_err_name(status), m);
  if (status != 0) side_conn_gone(sd, c);
}

static void on_conn_closed(roam_session *s, void *ud, roam_conn *c, int origin, int reason,
                           const roam_metadata *md) {
  side *sd = ud;
  side_event(sd, s);
  char m[256];
  md_render(md, m, sizeof m);
  static const char *origins[] = {"local", "remote", "session"};
  sd->conns_closed++;
  log_add(sd->log, "%s closed conn=%llu origin=%s reason=%s md=%s", sd->name,
          (unsigned long long)conn_id_checked(c), origins[origin], roam_err_name(reason), m);
  assert_int_equal(roam_conn_state(c), ROAM_CONN_CLOSED);
  side_conn_gone(sd, c);
}

static void on_request(roam_session *s, void *ud, roam_conn *c, int kind, uint64_t id,
                       uint64_t method, const uint64_t *channels, size_t n_channels,
                       const roam_metadata *md, const uint8_t *payload, size_t len) {
  side *sd = ud;
  side_event(sd, s);
  char m[256];
  md_render(md, m, sizeof m);
  sd->requests++;
  if (sd->requests <= 50) {
    log_add(sd->log, "%s request conn=%llu kind=%d id=%llu method=%llu channels=%zu md=%s payload=%.*s",
            sd->name, (unsigned long long)conn_id_checked(c), kind, (unsigned long long)id,
            (unsigned long long)method, n_channels, m, (int)len, (const char *)payload);
  }
  (void)channels;
  if (sd->echo_calls && kind == ROAM_REQUEST_CALL) {
    uint8_t out[512];
    out[0] = 0; /* Ok( */
    memcpy(out + 1, payload, len < 511 ? len : 511);
    int rc = roam_conn_send_request(c, ROAM_REQUEST_RESPONSE, id, 0, NULL, 0, NULL, out,
                                    (len < 511 ? len : 511) + 1);
    assert_int_equal(rc, 0);
  }
}

static void on_channel(roam_session *s, void *ud, roam_conn *c, int kind, uint64_t id,
                       const roam_metadata *md, const uint8_t *payload, size_t len,
                       uint32_t additional) {
  side *sd = ud;
  side_event(sd, s);
  char m[256];
  md_render(md, m, sizeof m);
  sd->channels++;
  log_add(sd->log, "%s channel conn=%llu kind=%d id=%llu md=%s payload=%.*s additional=%u",
          sd->name, (unsigned long long)conn_id_checked(c), kind, (unsigned long long)id, m,
          (int)len, (const char *)payload, additional);
}

static void on_pong(roam_session *s, void *ud, uint64_t nonce, uint64_t rtt_us) {
  side *sd = ud;
  side_event(sd, s);
  sd->pongs++;
  log_add(sd->log, "%s pong nonce=%llu", sd->name, (unsigned long long)nonce);
  (void)rtt_us;
}

static void on_keepalive_timeout(roam_session *s, void *ud) {
  side *sd = ud;
  side_event(sd, s);
  sd->keepalive_timeouts++;
  log_add(sd->log, "%s keepalive_timeout", sd->name);
}

static void on_writable(roam_session *s, void *ud) {
  side *sd = ud;
  side_event(sd, s);
  sd->writable++;
}

roam_callbacks *side_callbacks_new(void) {
  roam_callbacks *cbs;
  assert_int_equal(roam_callbacks_new(&cbs), 0);
  roam_callbacks_set_handshake(cbs, on_handshake);
  roam_callbacks_set_session_end(cbs, on_end);
  roam_callbacks_set_inbound_open(cbs, on_inbound_open);
  roam_callbacks_set_open_result(cbs, on_open);
  roam_callbacks_set_conn_closed(cbs, on_conn_closed);
  roam_callbacks_set_raw_request(cbs, on_request);
  roam_callbacks_set_raw_channel(cbs, on_channel);
  roam_callbacks_set_pong(cbs, on_pong);
  roam_callbacks_set_keepalive_timeout(cbs, on_keepalive_timeout);
  roam_callbacks_set_writable(cbs, on_writable);
  return cbs;
}

const roam_callbacks *side_callbacks(void) {
  static roam_callbacks *cbs;
  if (cbs == NULL) cbs = side_callbacks_new();
  return cbs;
}

void side_callbacks_clear_raw(roam_callbacks *cbs) {
  roam_callbacks_set_raw_request(cbs, NULL);
  roam_callbacks_set_raw_channel(cbs, NULL);
}

void side_init(side *sd, const char *name, event_log *log) {
  memset(sd, 0, sizeof *sd);
  sd->name = name;
  sd->log = log;
}

void side_on_closed(roam_session *s, void *ud) {
  side *sd = ud;
  side_event(sd, s);
  sd->closed = 1;
  log_add(sd->log, "%s close_cb", sd->name);
}

void side_close(roam_runtime *rt, side *sd) {
  assert_int_equal(roam_session_close(sd->s, side_on_closed, sd), 0);
  assert_true(run_until(rt, &sd->closed, 5000));
}

/* side_init keeping the name (or `name` if none) and the hooks set. */
static void side_reset(side *sd, const char *name, event_log *log) {
  side keep = *sd;
  side_init(sd, keep.name ? keep.name : name, log);
  sd->on_callback = keep.on_callback;
  sd->on_conn_gone = keep.on_conn_gone;
}

void side_pair_with(roam_runtime *rt, event_log *log, side *a, const roam_options *a_opts,
                    const roam_callbacks *a_cbs, side *b, const roam_options *b_opts,
                    const roam_callbacks *b_cbs) {
  side_reset(a, "a", log);
  side_reset(b, "b", log);
  assert_int_equal(roam_session_pair(rt, a_opts, a_cbs, a, b_opts, b_cbs, b, &a->s, &b->s), 0);
  assert_true(run_until(rt, &a->handshake_done, 2000));
  assert_true(run_until(rt, &b->handshake_done, 2000));
}

void side_pair(roam_runtime *rt, event_log *log, side *a, const roam_options *a_opts, side *b,
               const roam_options *b_opts) {
  side_pair_with(rt, log, a, a_opts, side_callbacks(), b, b_opts, side_callbacks());
}

void side_on_accept(roam_listener *l, void *ud, int status, roam_session *s) {
  side_acceptor *a = ud;
  assert_int_equal(status, 0);
  side_init(a->sd, a->name, a->log);
  a->sd->s = s;
  roam_session_set_user_data(s, a->sd);
  a->accepted = 1;
  (void)l;
}

static void on_listener_closed(roam_listener *l, void *ud) {
  *(int *)ud = 1;
  (void)l;
}

void listener_close_and_wait(roam_runtime *rt, roam_listener *l) {
  int gone = 0;
  assert_int_equal(roam_listener_close(l, on_listener_closed, &gone), 0);
  assert_true(run_until(rt, &gone, 2000));
}
