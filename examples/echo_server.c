/* A minimal roam echo server: every call is answered with its own argument
 * bytes (Ok(args)), on the root and on any virtual connection a client opens.
 *
 *   cc echo_server.c $(pkg-config --cflags --libs roam) -o echo_server
 *   ./echo_server tcp://127.0.0.1:7000
 */
#include <signal.h>
#include <stdio.h>

#include <roam/roam.h>

static roam_runtime *rt;

static void on_serve(roam_session *s, void *ud, roam_conn *conn, uint64_t request_id,
                     uint64_t method_id, const uint64_t *channels, size_t channel_count,
                     const roam_metadata *md, const uint8_t *args, size_t args_len) {
  /* Answer now; a real server may keep (conn, request_id) and answer later. */
  roam_reply_ok(conn, request_id, NULL, args, args_len);
}

static void on_inbound_open(roam_session *s, void *ud, roam_conn *conn,
                            const roam_metadata *md) {
  roam_conn_accept(conn, ROAM_PARITY_DEFAULT, 64, NULL);
}

static void on_end(roam_session *s, void *ud, int error, const char *reason) {
  printf("session ended: %s\n", reason);
  roam_session_close(s, NULL, NULL); /* every session handle must be closed */
}

static void on_accept(roam_listener *l, void *ud, int status, roam_session *s) {
  /* Every accepted session already has the listener's callbacks table. */
}

/* roam_runtime_stop() is safe in a signal handler (it takes no lock), and a
 * signal that comes before roam_runtime_run() still stops it. */
static void on_signal(int sig) { roam_runtime_stop(rt); }

int main(int argc, char **argv) {
  const char *address = argc > 1 ? argv[1] : "tcp://127.0.0.1:7000";
  if (roam_runtime_new(&rt) != 0) return 1;
  /* One callbacks table for every session the listener accepts. */
  roam_callbacks *cbs;
  if (roam_callbacks_new(&cbs) != 0) return 1;
  roam_callbacks_set_serve(cbs, on_serve);
  roam_callbacks_set_inbound_open(cbs, on_inbound_open);
  roam_callbacks_set_session_end(cbs, on_end);
  roam_listener *listener;
  int rc = roam_listener_new(rt, address, NULL, cbs, on_accept, NULL, &listener);
  roam_callbacks_free(cbs); /* the listener keeps its own copy */
  if (rc != 0) {
    fprintf(stderr, "cannot listen on %s: %s\n", address, roam_strerror(rc));
    return 1;
  }
  /* Before the address is printed: whoever reads it may signal at once. */
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  char bound[128];
  size_t bound_len = sizeof bound;
  if (roam_listener_address(listener, bound, &bound_len) != 0) bound[0] = '\0';
  printf("echo server on %s\n", bound);
  fflush(stdout);
  roam_runtime_run(rt);
  roam_listener_close(listener, NULL, NULL);
  roam_runtime_run_nowait(rt);
  return 0;
}
