// C trampolines: libroam calls these with a void* user_data that is a
// runtime/cgo.Handle value (an integer), and they call the //export-ed Go
// functions of callbacks.go with it. No Go pointer is ever kept by C.
#include <stdint.h>
#include <roam/roam.h>
#include "glue.h"
#include "_cgo_export.h"

#define UD(p) ((uintptr_t)(p))

static void tr_work(roam_runtime *rt, void *ud) { (void)rt; goRuntimeWork(UD(ud)); }
int roamgo_post(roam_runtime *rt, uintptr_t h) { return roam_runtime_post(rt, tr_work, (void *)h); }

static void tr_handshake(roam_session *s, void *ud, int status, const roam_metadata *md) {
  goHandshake(s, UD(ud), status, (roam_metadata *)md);
}
static void tr_end(roam_session *s, void *ud, int error, const char *reason) {
  goSessionEnd(s, UD(ud), error, (char *)reason);
}
static void tr_inbound(roam_session *s, void *ud, roam_conn *c, const roam_metadata *md) {
  goInboundOpen(s, UD(ud), c, (roam_metadata *)md);
}
static void tr_open_result(roam_session *s, void *ud, roam_conn *c, int status, const roam_metadata *md) {
  goOpenResult(s, UD(ud), c, status, (roam_metadata *)md);
}
static void tr_closed(roam_session *s, void *ud, roam_conn *c, int origin, int reason, const roam_metadata *md) {
  goConnClosed(s, UD(ud), c, origin, reason, (roam_metadata *)md);
}
static void tr_serve(roam_session *s, void *ud, roam_conn *c, uint64_t rid, uint64_t mid, const uint64_t *chans,
                     size_t nchans, const roam_metadata *md, const uint8_t *args, size_t args_len) {
  goServe(s, UD(ud), c, rid, mid, (uint64_t *)chans, nchans, (roam_metadata *)md, (uint8_t *)args, args_len);
}
static void tr_serve_cancelled(roam_session *s, void *ud, roam_conn *c, uint64_t rid) {
  goServeCancelled(s, UD(ud), c, rid);
}
static void tr_keepalive(roam_session *s, void *ud) { goKeepaliveTimeout(s, UD(ud)); }
static void tr_writable(roam_session *s, void *ud) { goWritable(s, UD(ud)); }
static void tr_pong(roam_session *s, void *ud, uint64_t nonce, uint64_t rtt) { goPong(s, UD(ud), nonce, rtt); }

roam_callbacks *roamgo_callbacks(void) {
  roam_callbacks *cbs = NULL;
  if (roam_callbacks_new(&cbs) != 0) return NULL;
  roam_callbacks_set_handshake(cbs, tr_handshake);
  roam_callbacks_set_session_end(cbs, tr_end);
  roam_callbacks_set_inbound_open(cbs, tr_inbound);
  roam_callbacks_set_open_result(cbs, tr_open_result);
  roam_callbacks_set_conn_closed(cbs, tr_closed);
  roam_callbacks_set_serve(cbs, tr_serve);
  roam_callbacks_set_serve_cancelled(cbs, tr_serve_cancelled);
  roam_callbacks_set_keepalive_timeout(cbs, tr_keepalive);
  roam_callbacks_set_writable(cbs, tr_writable);
  roam_callbacks_set_pong(cbs, tr_pong);
  return cbs;
}

int roamgo_connect(roam_runtime *rt, const char *addr, const roam_options *o, const roam_callbacks *cbs,
                   uintptr_t h, roam_session **out) {
  return roam_session_connect(rt, addr, o, cbs, (void *)h, out);
}
void roamgo_session_set_ud(roam_session *s, uintptr_t h) { roam_session_set_user_data(s, (void *)h); }

static void tr_session_close(roam_session *s, void *ud) { goSessionClosed(s, UD(ud)); }
int roamgo_session_close(roam_session *s, uintptr_t h) { return roam_session_close(s, tr_session_close, (void *)h); }

static void tr_accept(roam_listener *l, void *ud, int status, roam_session *s) { goAccept(l, UD(ud), status, s); }
int roamgo_listen(roam_runtime *rt, const char *addr, const roam_options *o, const roam_callbacks *cbs, uintptr_t h,
                  roam_listener **out) {
  return roam_listener_new(rt, addr, o, cbs, tr_accept, (void *)h, out);
}
static void tr_listener_close(roam_listener *l, void *ud) { goListenerClosed(l, UD(ud)); }
int roamgo_listener_close(roam_listener *l, uintptr_t h) { return roam_listener_close(l, tr_listener_close, (void *)h); }

int roamgo_open(roam_session *s, const roam_metadata *md, roam_conn **out) {
  return roam_session_open(s, 0, 0, md, NULL, out);
}

static void tr_response(roam_conn *c, void *ud, uint64_t rid, int status, const roam_metadata *md,
                        const uint8_t *v, size_t n) {
  goResponse(c, UD(ud), rid, status, (roam_metadata *)md, (uint8_t *)v, n);
}
int roamgo_call(roam_conn *c, uint64_t mid, const uint64_t *chans, size_t nchans, const roam_metadata *md,
                const void *args, size_t len, uintptr_t tok, uint64_t *rid) {
  return roam_conn_call(c, mid, chans, nchans, md, args, len, tr_response, (void *)tok, rid);
}

static void tr_item(roam_conn *c, uint64_t id, void *ud, const uint8_t *item, size_t n) {
  goChanItem(c, id, UD(ud), (uint8_t *)item, n);
}
static void tr_chan_end(roam_conn *c, uint64_t id, void *ud, int reason, const roam_metadata *md) {
  goChanEnd(c, id, UD(ud), reason, (roam_metadata *)md);
}
static void tr_chan_writable(roam_conn *c, uint64_t id, void *ud) { goChanWritable(c, id, UD(ud)); }
int roamgo_chan_open(roam_conn *c, int dir, uint32_t credit, uintptr_t tok, uint64_t *id) {
  return roam_conn_channel_open(c, dir, credit, dir == ROAM_CHANNEL_RECEIVE ? tr_item : NULL, tr_chan_end,
                                dir == ROAM_CHANNEL_SEND ? tr_chan_writable : NULL, (void *)tok, id);
}
int roamgo_chan_bind(roam_conn *c, uint64_t id, int dir, uint32_t credit, uintptr_t tok) {
  return roam_conn_channel_bind(c, id, dir, credit, dir == ROAM_CHANNEL_RECEIVE ? tr_item : NULL, tr_chan_end,
                                dir == ROAM_CHANNEL_SEND ? tr_chan_writable : NULL, (void *)tok);
}
