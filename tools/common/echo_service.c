#include "echo_service.h"

#include <stdlib.h>

#include "postcard.h"

/* A sink call being served: answered once every channel it carries ended. */
typedef struct {
  roam_conn *conn;
  uint64_t request_id;
  int open_channels;
  uint64_t items;
} sink_call;

static void sink_finish(sink_call *sc) {
  uint8_t out[10];
  roam_reply_ok(sc->conn, sc->request_id, NULL, out, pc_put_varint(out, sc->items)); /* Ok(u64 items) */
  free(sc);
}

static void sink_on_item(roam_conn *conn, uint64_t channel_id, void *ud, const uint8_t *item,
                         size_t len) {
  ((sink_call *)ud)->items++;
  (void)conn, (void)channel_id, (void)item, (void)len;
}

static void sink_on_end(roam_conn *conn, uint64_t channel_id, void *ud, int reason,
                        const roam_metadata *md) {
  sink_call *sc = ud;
  if (--sc->open_channels == 0) sink_finish(sc);
  (void)conn, (void)channel_id, (void)reason, (void)md;
}

static void sink(roam_conn *conn, uint64_t request_id, const uint64_t *channels, size_t n) {
  sink_call *sc = calloc(1, sizeof *sc);
  if (sc == NULL) {
    roam_reply_release(conn, request_id);
    return;
  }
  sc->conn = conn;
  sc->request_id = request_id;
  for (size_t i = 0; i < n; ++i) {
    if (roam_conn_channel_bind(conn, channels[i], ROAM_CHANNEL_RECEIVE, ROAM_DEFAULT_CHANNEL_CREDIT,
                               sink_on_item, sink_on_end, NULL, sc) == 0) {
      sc->open_channels++;
    }
  }
  if (sc->open_channels == 0) sink_finish(sc);
}

void echo_service_serve(const echo_service *svc, roam_conn *conn, uint64_t request_id,
                        uint64_t method, const uint64_t *channels, size_t channel_count,
                        const uint8_t *args, size_t args_len) {
  int is_sink = svc->sink_method != 0 ? method == svc->sink_method : channel_count > 0;
  if (is_sink) {
    sink(conn, request_id, channels, channel_count);
  } else if (svc->echo_method == 0 || method == svc->echo_method) {
    roam_reply_ok(conn, request_id, NULL, args, args_len);
  } else {
    roam_reply_fail(conn, request_id, ROAM_EUNKNOWNMETHOD, NULL);
  }
}
