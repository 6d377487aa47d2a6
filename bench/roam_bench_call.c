/* The libroam client of the benchmark: N echo calls with C in flight over
 * one session, printing `BENCH calls=N seconds=S` (the calls alone, the
 * handshake excluded), like the Rust peer's bench-call.
 *
 *   roam_bench_call ADDR METHOD_ID CALLS CONCURRENCY */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <roam/roam.h>

#include "postcard.h"
#include "wait.h"

typedef struct {
  roam_conn *root;
  uint64_t method;
  int calls, concurrency, issued, done, failed;
  uint8_t args[32];
  size_t args_len;
} bench;

static void issue(bench *b);

static void on_done(roam_conn *conn, void *ud, uint64_t request_id, int status,
                    const roam_metadata *md, const uint8_t *v, size_t len) {
  bench *b = ud;
  b->done++;
  if (status != 0 || len != b->args_len || memcmp(v, b->args, len) != 0) b->failed++;
  issue(b);
  (void)conn, (void)request_id, (void)md;
}

static void issue(bench *b) {
  while (b->issued < b->calls && b->issued - b->done < b->concurrency) {
    int rc = roam_conn_call(b->root, b->method, NULL, 0, NULL, b->args, b->args_len, on_done, b,
                            NULL);
    if (rc == ROAM_EAGAIN) return;  /* the peer's limit: resumed by a completion */
    if (rc != 0) {
      fprintf(stderr, "roam_bench_call: %s\n", roam_strerror(rc));
      exit(1);
    }
    b->issued++;
  }
}

static int handshake_done;
static void on_handshake(roam_session *s, void *ud, int status, const roam_metadata *md) {
  handshake_done = status == 0 ? 1 : -1;
  (void)s, (void)ud, (void)md;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: roam_bench_call ADDR METHOD_ID CALLS CONCURRENCY\n");
    return 64;
  }
  bench b = {0};
  b.method = strtoull(argv[2], NULL, 0);
  b.calls = atoi(argv[3]);
  b.concurrency = atoi(argv[4]);
  b.args_len = pc_put_string(b.args, "0123456789abcdef");
  roam_runtime *rt;
  roam_runtime_new(&rt);
  roam_callbacks *cbs;
  if (roam_callbacks_new(&cbs) != 0) return 1;
  roam_callbacks_set_handshake(cbs, on_handshake);
  roam_session *s;
  int rc = roam_session_connect(rt, argv[1], NULL, cbs, NULL, &s);
  roam_callbacks_free(cbs);
  if (rc != 0) return 64;
  if (!wait_for(rt, &handshake_done, 5000) || handshake_done < 0) {
    fprintf(stderr, "roam_bench_call: no session with %s\n", argv[1]);
    return 1;
  }
  roam_session_root(s, &b.root);
  unsigned long long started = now_us();
  issue(&b);
  while (b.done < b.calls) roam_runtime_run_once(rt);
  double seconds = (double)(now_us() - started) / 1e6;
  printf("BENCH calls=%d seconds=%.6f\n", b.calls, seconds);
  roam_conn_release(b.root);
  roam_session_close(s, NULL, NULL);
  roam_runtime_run(rt);
  roam_runtime_free(rt);
  if (b.failed) fprintf(stderr, "roam_bench_call: %d calls failed\n", b.failed);
  return b.failed ? 1 : 0;
}
