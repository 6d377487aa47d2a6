/* roam over a transport you own: this client opens its own TCP socket and
 * moves the bytes itself with poll(), no libuv (the same shape serves a TLS
 * stream, a WebSocket or a host program's event loop). It calls
 * Testbed.echo on a roam server (examples/echo_server, or any roam 7 peer)
 * and prints the answer.
 *
 *   cc custom_transport_client.c $(pkg-config --cflags --libs roam) -o custom_transport_client
 *   ./custom_transport_client 127.0.0.1 7000 "hello"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <roam/roam.h>
#include <roam/roam_postcard.h>

#define ECHO_METHOD 0x9aabc4ba61fd5df3ull /* Testbed.echo(String) -> String */

static int exit_code = 1;
static int done;

static void on_closed(roam_session *s, void *ud) { done = 1; }

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void on_response(roam_conn *conn, void *ud, uint64_t request_id, int status,
                        const roam_metadata *md, const uint8_t *value, size_t len) {
  roam_postcard_reader r; /* the Ok value: one String */
  const char *text;
  size_t text_len;
  if (status == 0 && roam_postcard_reader_init(&r, sizeof r, value, len) == 0 &&
      roam_postcard_read_str(&r, &text, &text_len) == 0 && roam_postcard_reader_finish(&r) == 0) {
    printf("echoed: %.*s\n", (int)text_len, text);
    exit_code = 0;
  } else {
    printf("call failed: %s\n", roam_strerror(status));
  }
  roam_session_close(roam_conn_session(conn), on_closed, NULL);
}

static void on_handshake(roam_session *s, void *ud, int status, const roam_metadata *peer_md) {
  const char *text = ud;
  if (status != 0) {
    printf("no session: %s\n", roam_session_last_error(s));
    return;
  }
  uint8_t args[1024]; /* postcard of the tuple (String,) */
  roam_postcard_writer w;
  roam_postcard_writer_init(&w, sizeof w, args, sizeof args);
  roam_postcard_write_str(&w, text, ROAM_NTS);
  size_t n;
  int rc = roam_postcard_writer_finish(&w, &n);
  if (rc != 0) {
    /* ROAM_ENOBUFS: the text is too long for args; n is the room it needs. */
    printf("cannot encode the arguments: %s\n", roam_strerror(rc));
    roam_session_close(s, on_closed, NULL);
    return;
  }
  roam_conn *root;
  roam_session_root(s, &root);
  roam_conn_call(root, ECHO_METHOD, NULL, 0, NULL, args, n, on_response, NULL, NULL);
}

static void on_end(roam_session *s, void *ud, int error, const char *reason) {
  if (error != 0 && exit_code != 0) printf("session ended: %s\n", reason);
  roam_session_close(s, on_closed, NULL);  /* ROAM_ESTATE if already closing: fine */
}

int main(int argc, char **argv) {
  const char *host = argc > 1 ? argv[1] : "127.0.0.1";
  int port = argc > 2 ? atoi(argv[2]) : 7000;
  const char *text = argc > 3 ? argv[3] : "hello, roam";

  /* Our transport: a plain TCP socket. */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (fd < 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
      connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    fprintf(stderr, "cannot connect to %s:%d: %s\n", host, port, strerror(errno));
    return 1;
  }

  roam_callbacks *cbs;
  if (roam_callbacks_new(&cbs) != 0) return 1;
  roam_callbacks_set_handshake(cbs, on_handshake);
  roam_callbacks_set_session_end(cbs, on_end);
  roam_session *s;
  int rc = roam_session_new_custom(NULL, cbs, (void *)text, now_us(), &s);
  roam_callbacks_free(cbs); /* the session keeps its own copy */
  if (rc != 0) return 1;
  /* The close callback is how we learn the handle is gone. */
  while (!done) {
    const uint8_t *out;
    size_t out_len;
    int out_rc = roam_session_pending_output(s, &out, &out_len);
    if (out_rc == ROAM_ECLOSED && fd >= 0) {
      close(fd);  /* roam is done with the transport */
      fd = -1;
    }
    uint64_t deadline;
    roam_session_next_deadline(s, &deadline);
    uint64_t now = now_us();
    int timeout = deadline == UINT64_MAX ? 1000 : deadline <= now ? 0 : (int)((deadline - now) / 1000);
    struct pollfd p = {.fd = fd, .events = (short)(POLLIN | (out_len ? POLLOUT : 0))};
    if (poll(&p, fd >= 0 ? 1 : 0, timeout) > 0) {
      if (p.revents & POLLOUT) {
        ssize_t n = send(fd, out, out_len, MSG_NOSIGNAL);
        if (n > 0) roam_session_consume_output(s, (size_t)n);
      }
      if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
        uint8_t buf[4096];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
          roam_session_receive(s, buf, (size_t)n, now_us());
        } else {
          roam_session_receive_eof(s, now_us());
        }
      }
    }
    roam_session_tick(s, now_us());  /* the handle may be gone after this */
  }
  if (fd >= 0) close(fd);
  return exit_code;
}
