/* A minimal roam client: connects, calls one method with postcard-encoded
 * arguments, prints the outcome, and shuts down cleanly.
 *
 *   cc echo_client.c $(pkg-config --cflags --libs roam) -o echo_client
 *   ./echo_client tcp://127.0.0.1:7000 "hello"
 */
#include <stdio.h>

#include <roam/roam.h>
#include <roam/roam_postcard.h>

/* The id the roam crates compute for Testbed.echo(String) -> String. */
#define ECHO_METHOD 0x9aabc4ba61fd5df3ull

static int exit_code = 1;

static void on_response(roam_conn *conn, void *ud, uint64_t request_id, int status,
                        const roam_metadata *md, const uint8_t *value, size_t len) {
  roam_session *s = ud;
  /* The Ok value: one postcard String, and nothing after it. */
  roam_postcard_reader r;
  const char *text = NULL;
  size_t text_len = 0;
  if (status == 0 && roam_postcard_reader_init(&r, sizeof r, value, len) == 0 &&
      roam_postcard_read_str(&r, &text, &text_len) == 0 && roam_postcard_reader_finish(&r) == 0) {
    printf("echoed: %.*s\n", (int)text_len, text);
    exit_code = 0;
  } else if (status == 0) {
    printf("call failed: bad reply: %s\n", roam_strerror(roam_postcard_reader_finish(&r)));
  } else {
    printf("call failed: %s\n", roam_strerror(status));
  }
  /* Done: letting go of the root ends the session (nothing else is open). */
  roam_conn *root;
  if (roam_session_root(s, &root) == 0) roam_conn_release(root);
}

static void on_handshake(roam_session *s, void *ud, int status, const roam_metadata *peer_md) {
  const char *text = ud;
  if (status != 0) {
    printf("no session: %s\n", roam_session_last_error(s));
    return;
  }
  /* The arguments, the tuple (String,): just the string. A growing writer
   * takes any length; roam_conn_call copies the bytes, so free them after. */
  roam_postcard_writer args;
  roam_postcard_writer_init_growing(&args, sizeof args);
  roam_postcard_write_str(&args, text, ROAM_NTS);
  size_t args_len;
  int rc = roam_postcard_writer_finish(&args, &args_len);
  if (rc == 0) {
    roam_conn *root;
    roam_session_root(s, &root);
    rc = roam_conn_call(root, ECHO_METHOD, NULL, 0, NULL, args.buf, args_len, on_response, s, NULL);
  }
  roam_postcard_writer_free(&args);
  if (rc != 0) printf("cannot call: %s\n", roam_strerror(rc));
}

static void on_end(roam_session *s, void *ud, int error, const char *reason) {
  roam_session_close(s, NULL, NULL);
}

int main(int argc, char **argv) {
  const char *address = argc > 1 ? argv[1] : "tcp://127.0.0.1:7000";
  const char *text = argc > 2 ? argv[2] : "hello, roam";
  roam_runtime *rt;
  roam_session *s;
  if (roam_runtime_new(&rt) != 0) return 1;
  /* What the session tells us goes to one table; `text` is its user_data. */
  roam_callbacks *cbs;
  if (roam_callbacks_new(&cbs) != 0) return 1;
  roam_callbacks_set_handshake(cbs, on_handshake);
  roam_callbacks_set_session_end(cbs, on_end);
  int rc = roam_session_connect(rt, address, NULL, cbs, (void *)text, &s);
  roam_callbacks_free(cbs); /* the session keeps its own copy */
  if (rc != 0) {
    fprintf(stderr, "bad address %s\n", address);
    return 1;
  }
  roam_runtime_run(rt); /* returns once the session is closed */
  roam_runtime_free(rt);
  return exit_code;
}
