/* roamcat — poke at roam peers from the command line (what nghttp or
 * grpcurl are for HTTP/2 and gRPC).
 *
 *   roamcat serve ADDR            echo (and sink) server
 *   roamcat call  ADDR METHOD HEX one call, prints the outcome
 *   roamcat ping  ADDR            keepalive round trips
 *   roamcat open  ADDR            opens a virtual connection, shows the answer
 *
 * ADDR is tcp://HOST:PORT or unix:PATH. Every subcommand has --help, and
 * --trace (one line per frame on stderr). */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <roam/roam.h>

#include "../common/echo_service.h"
#include "../common/metadata_text.h"
#include "../common/postcard.h"
#include "../common/wait.h"

/* ---- shared helpers ------------------------------------------------------------------ */

static int parse_u64(const char *s, uint64_t *out) {
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno != 0 || end == s || *end != '\0') return -1;
  *out = (uint64_t)v;
  return 0;
}

static int parse_hex(const char *s, uint8_t **out, size_t *len) {
  size_t n = strlen(s);
  if (n % 2 != 0) return -1;
  *out = malloc(n / 2 + 1);
  for (size_t i = 0; i < n / 2; ++i) {
    unsigned v;
    if (sscanf(s + 2 * i, "%2x", &v) != 1) {
      free(*out);
      return -1;
    }
    (*out)[i] = (uint8_t)v;
  }
  *len = n / 2;
  return 0;
}

static void print_hex(const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; ++i) printf("%02x", b[i]);
}

static void print_md(const roam_metadata *md) {
  char buf[1024];
  fputs(md_text(md, buf, sizeof buf), stdout);
}

/* --md key=value options (repeatable) into a metadata list. */
static roam_metadata *md_from_args(int argc, char **argv) {
  roam_metadata *md = NULL;
  if (roam_metadata_new(&md) != 0) {
    fprintf(stderr, "roamcat: out of memory\n");
    exit(1);
  }
  for (int i = 0; i + 1 < argc; ++i) {
    if (strcmp(argv[i], "--md") != 0) continue;
    const char *eq = strchr(argv[i + 1], '=');
    if (eq == NULL) {
      fprintf(stderr, "roamcat: --md wants KEY=VALUE, got %s\n", argv[i + 1]);
      exit(64);
    }
    if (roam_metadata_add_string(md, argv[i + 1], (size_t)(eq - argv[i + 1]), eq + 1, ROAM_NTS, 0) != 0) {
      fprintf(stderr, "roamcat: metadata must be UTF-8\n");
      exit(64);
    }
  }
  return md;
}

static const char *opt_value(int argc, char **argv, const char *name, const char *fallback) {
  for (int i = 0; i + 1 < argc; ++i) {
    if (strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

static int has_flag(int argc, char **argv, const char *name) {
  for (int i = 0; i < argc; ++i) {
    if (strcmp(argv[i], name) == 0) return 1;
  }
  return 0;
}

/* --help prints the text and succeeds; too few arguments print it as an
 * error (exit 64). Returns -1 if the command should go on. */
static int usage_check(int argc, char **argv, int min_args, const char *text) {
  int help = has_flag(argc, argv, "--help");
  if (!help && argc >= min_args) return -1;
  fputs(text, help ? stdout : stderr);
  return help ? 0 : 64;
}

/* --trace: every frame a session sends or receives, one line on stderr
 * ("-> conn 0 Request/Call id 1, 19 bytes"), for seeing what crosses the
 * wire when a peer and libroam disagree. */
static int g_trace;

static const char *trace_sub_kind_name(int kind, int sub_kind) {
  static const char *requests[] = {"Call", "Response", "Cancel"};
  static const char *channels[] = {"Item", "Close", "Reset", "GrantCredit"};
  if (kind == ROAM_MSG_REQUEST && sub_kind >= 0 && sub_kind < 3) return requests[sub_kind];
  if (kind == ROAM_MSG_CHANNEL && sub_kind >= 0 && sub_kind < 4) return channels[sub_kind];
  return "?";
}

static void print_trace(roam_session *s, void *ud, int direction, uint64_t conn_id, int kind,
                        int sub_kind, uint64_t id, size_t frame_size) {
  char what[96];
  const char *name = roam_message_kind_name(kind);
  if (kind == ROAM_MSG_REQUEST || kind == ROAM_MSG_CHANNEL) {
    snprintf(what, sizeof what, "%s/%s id %" PRIu64, name, trace_sub_kind_name(kind, sub_kind), id);
  } else if (kind == ROAM_MSG_PING || kind == ROAM_MSG_PONG) {
    snprintf(what, sizeof what, "%s nonce %" PRIu64, name, id);
  } else {
    snprintf(what, sizeof what, "%s", name);
  }
  fprintf(stderr, "%s conn %" PRIu64 " %s, %zu bytes\n", direction == ROAM_TRACE_IN ? "<-" : "->",
          conn_id, what, frame_size);
  (void)s;
  (void)ud;
}

static void die_rc(const char *what, int rc) {
  fprintf(stderr, "roamcat: %s: %s\n", what, roam_strerror(rc));
  exit(1);
}

/* A callbacks table (the trace callback in it with --trace, so a session
 * made with it shows its Hello too). */
static roam_callbacks *new_callbacks(void) {
  roam_callbacks *cbs;
  int rc = roam_callbacks_new(&cbs);
  if (rc != 0) die_rc("callbacks", rc);
  if (g_trace) roam_callbacks_set_trace(cbs, print_trace);
  return cbs;
}

static uint64_t conn_id(const roam_conn *conn) {
  uint64_t id = 0;
  roam_conn_id(conn, &id);
  return id;
}

/* Pongs seen (ping). */
typedef struct {
  int pongs;
  uint64_t min, max, total;
} ping_stats;

/* The answer to roam_session_open (open, call --conn). */
typedef struct {
  int done;
  int status;
  int print; /* show the answer */
} open_result;

/* A client session: connects, waits for the handshake, reports failures.
 * It is the session's user_data; a command that expects pongs or an open
 * answer points `ping` / `open` at where they go. */
typedef struct {
  roam_runtime *rt;
  roam_session *s;
  int handshake;
  int status;
  int ended;
  ping_stats *ping;
  open_result *open;
} client;

static void client_on_pong(roam_session *s, void *ud, uint64_t nonce, uint64_t rtt_us);
static void client_on_open_result(roam_session *s, void *ud, roam_conn *conn, int status,
                                  const roam_metadata *md);

static void client_on_handshake(roam_session *s, void *ud, int status, const roam_metadata *md) {
  client *c = ud;
  c->handshake = 1;
  c->status = status;
  if (status == 0) {
    printf("connected: peer hello metadata ");
    print_md(md);
    printf("\n");
  }
  (void)s;
}

static void client_on_end(roam_session *s, void *ud, int error, const char *reason) {
  client *c = ud;
  c->ended = 1;
  (void)s;
  (void)error;
  (void)reason;
}

static void connect_or_die(client *c, const char *addr, int timeout_ms, uint32_t keepalive_ms) {
  if (roam_runtime_new(&c->rt) != 0) die_rc("runtime", ROAM_ENOMEM);
  roam_options *o;
  roam_metadata *hello;
  if (roam_options_new(&o) != 0 || roam_metadata_new(&hello) != 0) die_rc("options", ROAM_ENOMEM);
  roam_metadata_add_string(hello, "client", ROAM_NTS, "roamcat", ROAM_NTS, 0);
  roam_options_set_hello_metadata(o, hello);
  roam_options_set_handshake_timeout(o, (uint32_t)timeout_ms);
  if (keepalive_ms) roam_options_set_keepalive(o, keepalive_ms, keepalive_ms * 4);
  roam_callbacks *cbs = new_callbacks();
  roam_callbacks_set_handshake(cbs, client_on_handshake);
  roam_callbacks_set_session_end(cbs, client_on_end);
  roam_callbacks_set_pong(cbs, client_on_pong);
  roam_callbacks_set_open_result(cbs, client_on_open_result);
  int rc = roam_session_connect(c->rt, addr, o, cbs, c, &c->s);
  roam_callbacks_free(cbs);
  roam_options_free(o);
  roam_metadata_free(hello);
  if (rc != 0) {
    fprintf(stderr, "roamcat: bad address: %s\n", roam_last_error_detail());
    exit(64);
  }
  if (!wait_for(c->rt, &c->handshake, timeout_ms + 1000) || c->status != 0) {
    fprintf(stderr, "roamcat: could not establish a session with %s: %s\n", addr,
            c->handshake ? roam_session_last_error(c->s) : "timed out");
    exit(1);
  }
}

/* Lets go of the root (the session ends once nothing is open), closes the
 * session and runs the loop until everything is gone. */
static void disconnect(client *c) {
  roam_conn *root;
  if (roam_session_root(c->s, &root) == 0) roam_conn_release(root);
  roam_session_close(c->s, NULL, NULL);
  roam_runtime_run(c->rt);
  roam_runtime_free(c->rt);
}

/* Outcomes the peer chose (as opposed to failing to get an answer). */
static int is_roam_error(int status) {
  return status == ROAM_EUSER || status == ROAM_EUNKNOWNMETHOD || status == ROAM_EINVALIDPAYLOAD ||
         status == ROAM_ECANCELLED || status == ROAM_EPROTO;
}

/* ---- serve ------------------------------------------------------------------------------- */

typedef struct {
  echo_service service;
  int quiet; /* --quiet: no line per call or session */
  long calls;
} server;

static void serve_on_call(roam_session *s, void *ud, roam_conn *conn, uint64_t request_id,
                          uint64_t method, const uint64_t *channels, size_t n,
                          const roam_metadata *md, const uint8_t *args, size_t len) {
  server *srv = ud;
  srv->calls++;
  if (!srv->quiet) {
    printf("call #%ld conn %" PRIu64 " request %" PRIu64 " method 0x%016" PRIx64 " metadata ",
           srv->calls, conn_id(conn), request_id, method);
    print_md(md);
    printf(" args ");
    print_hex(args, len < 64 ? len : 64);
    printf("%s\n", len > 64 ? "…" : "");
    fflush(stdout);
  }
  echo_service_serve(&srv->service, conn, request_id, method, channels, n, args, len);
  (void)s;
}

static void serve_on_inbound(roam_session *s, void *ud, roam_conn *conn, const roam_metadata *md) {
  server *srv = ud;
  if (!srv->quiet) {
    printf("inbound open of conn %" PRIu64 " metadata ", conn_id(conn));
    print_md(md);
    printf(": accepted\n");
    fflush(stdout);
  }
  roam_conn_accept(conn, ROAM_PARITY_DEFAULT, 64, NULL);
  (void)s;
}

static void serve_on_end(roam_session *s, void *ud, int error, const char *reason) {
  server *srv = ud;
  if (!srv->quiet) {
    printf("session ended: %s (%s)\n", reason, roam_err_name(error));
    fflush(stdout);
  }
  roam_session_close(s, NULL, NULL);
}

static void serve_on_accept(roam_listener *l, void *ud, int status, roam_session *s) {
  server *srv = ud;
  if (status != 0) {
    fprintf(stderr, "roamcat: accept failed: %s\n", roam_strerror(status));
    return;
  }
  /* The session has the listener's callbacks table, and the worker's
   * server as user_data. */
  if (!srv->quiet) {
    printf("session accepted\n");
    fflush(stdout);
  }
  (void)l, (void)s;
}

/* One runtime on its own thread (the first one on the main thread), with
 * its own listener on the shared address (SO_REUSEPORT when there are
 * several): the kernel spreads the connections across them. */
enum { kMaxServeThreads = 256 };
typedef struct {
  server srv;
  const char *address;
  const roam_options *opts;
  const roam_callbacks *cbs;
  roam_runtime *rt;
  roam_listener *l;
  int rc;      /* of starting to listen */
  sem_t ready; /* posted once rc is known */
  pthread_t thread;
} serve_worker;

static serve_worker *g_workers;
static int g_worker_count;
/* roam_runtime_stop() is async-signal-safe, and a stop that arrives before
 * roam_runtime_run() is kept for it, so nothing else is needed here. */
static void on_signal(int sig) {
  (void)sig;
  for (int i = 0; i < g_worker_count; ++i) {
    roam_runtime *rt = __atomic_load_n(&g_workers[i].rt, __ATOMIC_ACQUIRE);
    if (rt) roam_runtime_stop(rt);
  }
}

/* Makes the worker's runtime and listener, on the thread that runs them. */
static int serve_worker_listen(serve_worker *w) {
  roam_runtime *rt;
  int rc = roam_runtime_new(&rt);
  if (rc != 0) return rc;
  rc = roam_listener_new(rt, w->address, w->opts, w->cbs, serve_on_accept, &w->srv, &w->l);
  if (rc != 0) {
    fprintf(stderr, "roamcat: %s\n", roam_last_error_detail());
    roam_runtime_free(rt);
    return rc;
  }
  __atomic_store_n(&w->rt, rt, __ATOMIC_RELEASE);
  return 0;
}

static void serve_worker_finish(serve_worker *w) {
  roam_listener_close(w->l, NULL, NULL);
  roam_runtime_run_nowait(w->rt);
  /* Sessions still open die with the process. */
}

static void *serve_worker_main(void *arg) {
  serve_worker *w = arg;
  w->rc = serve_worker_listen(w);
  sem_post(&w->ready);
  if (w->rc == 0) {
    roam_runtime_run(w->rt);
    serve_worker_finish(w);
  }
  return NULL;
}

static int cmd_serve(int argc, char **argv) {
  int early = usage_check(argc, argv, 1,
                          "usage: roamcat serve ADDR [--echo METHOD_ID] [--sink METHOD_ID] [--max-requests N]\n"
           "                    [--threads N] [--quiet]\n"
           "\n"
           "Accepts roam sessions on ADDR (tcp://HOST:PORT or unix:PATH) and serves:\n"
           "  echo  every call (or only METHOD_ID with --echo) is answered Ok(its argument\n"
           "        bytes), which fits any method taking and returning one value of the\n"
           "        same type, e.g. Rust echo(String) -> String;\n"
           "  sink  a call carrying channels (with --sink, every METHOD_ID call) has them\n"
           "        received and counted; the answer is Ok(u64 items) once every\n"
           "        channel closed.\n"
           "Virtual connections are accepted. Each call is printed (not with --quiet).\n"
           "--threads N runs N runtimes on N threads, each with a listener on the same TCP\n"
           "address (SO_REUSEPORT): the kernel spreads the sessions across them, so the\n"
           "server uses N cores. Ctrl-C stops.\n");
  if (early >= 0) return early;
  server srv = {0};
  srv.quiet = has_flag(argc, argv, "--quiet");
  const char *echo = opt_value(argc, argv, "--echo", NULL);
  const char *sink = opt_value(argc, argv, "--sink", NULL);
  if ((echo && parse_u64(echo, &srv.service.echo_method) != 0) ||
      (sink && parse_u64(sink, &srv.service.sink_method) != 0)) {
    fprintf(stderr, "roamcat: method ids are decimal or 0x-hex\n");
    return 64;
  }
  uint64_t threads = 1;
  const char *threads_text = opt_value(argc, argv, "--threads", NULL);
  if (threads_text &&
      (parse_u64(threads_text, &threads) != 0 || threads < 1 || threads > kMaxServeThreads)) {
    fprintf(stderr, "roamcat: --threads takes 1 to %d\n", kMaxServeThreads);
    return 64;
  }
  if (threads > 1 && strncmp(argv[0], "tcp://", 6) != 0) {
    fprintf(stderr, "roamcat: --threads needs a tcp:// address (listeners share it with SO_REUSEPORT)\n");
    return 64;
  }
  roam_options *o;
  roam_metadata *hello;
  if (roam_options_new(&o) != 0 || roam_metadata_new(&hello) != 0) die_rc("options", ROAM_ENOMEM);
  roam_metadata_add_string(hello, "server", ROAM_NTS, "roamcat", ROAM_NTS, 0);
  roam_options_set_hello_metadata(o, hello);
  roam_metadata_free(hello);
  if (threads > 1) roam_options_set_reuse_port(o, 1);
  uint64_t max = 64;
  const char *max_text = opt_value(argc, argv, "--max-requests", NULL);
  if (max_text && parse_u64(max_text, &max) == 0) roam_options_set_max_concurrent_requests(o, (uint32_t)max);
  roam_callbacks *cbs = new_callbacks();
  roam_callbacks_set_serve(cbs, serve_on_call);
  roam_callbacks_set_inbound_open(cbs, serve_on_inbound);
  roam_callbacks_set_session_end(cbs, serve_on_end);

  serve_worker *workers = calloc(threads, sizeof *workers);
  if (workers == NULL) die_rc("workers", ROAM_ENOMEM);
  for (uint64_t i = 0; i < threads; ++i) {
    workers[i].srv = srv;
    workers[i].opts = o;
    workers[i].cbs = cbs;
    sem_init(&workers[i].ready, 0, 0);
  }
  g_workers = workers;
  g_worker_count = (int)threads;
  /* The first listener binds ADDR (port 0 picks one); the others bind what
   * it got. Before the address is printed: whoever reads it may signal. */
  workers[0].address = argv[0];
  if (serve_worker_listen(&workers[0]) != 0) return 1;
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  char addr[256];
  size_t addr_len = sizeof addr;
  if (roam_listener_address(workers[0].l, addr, &addr_len) != 0) {
    fprintf(stderr, "roamcat: %s\n", roam_last_error_detail());
    return 1;
  }
  int started = 1;
  for (uint64_t i = 1; i < threads; ++i) {
    workers[i].address = addr;
    if (pthread_create(&workers[i].thread, NULL, serve_worker_main, &workers[i]) != 0) {
      fprintf(stderr, "roamcat: cannot start thread %" PRIu64 "\n", i);
      break;
    }
    started++;
    sem_wait(&workers[i].ready);
    if (workers[i].rc != 0) break;
  }
  int status = started == (int)threads && workers[started - 1].rc == 0 ? 0 : 1;
  if (status == 0) {
    printf("listening on %s%s\n", addr, threads > 1 ? " (every thread)" : "");
    fflush(stdout);
    roam_runtime_run(workers[0].rt);
  }
  on_signal(0); /* the others stop with the first */
  long calls = 0;
  for (int i = 1; i < started; ++i) pthread_join(workers[i].thread, NULL);
  serve_worker_finish(&workers[0]);
  for (int i = 0; i < started; ++i) calls += workers[i].srv.calls;
  printf("stopping after %ld calls\n", calls);
  roam_callbacks_free(cbs);
  roam_options_free(o);
  return status;
}

/* ---- call -------------------------------------------------------------------------------- */

typedef struct {
  int done;
  int status;
} call_result;

static void on_call_done(roam_conn *conn, void *ud, uint64_t request_id, int status,
                         const roam_metadata *md, const uint8_t *value, size_t len) {
  call_result *r = ud;
  r->done = 1;
  r->status = status;
  printf("request %" PRIu64 ": %s", request_id,
         status == 0 ? "ok" : roam_err_name(status));
  if (md) {
    printf(" metadata ");
    print_md(md);
  }
  if (status == 0 || status == ROAM_EUSER || status == ROAM_EPROTO) {
    printf(" value ");
    print_hex(value, len);
  }
  printf("\n");
}

static int cmd_call(int argc, char **argv) {
  int early = usage_check(argc, argv, 3,
                          "usage: roamcat call ADDR METHOD_ID HEX_ARGS [--md KEY=VALUE]... [--conn]\n"
           "                   [--timeout MS]\n"
           "\n"
           "Calls METHOD_ID (decimal or 0x-hex, as the roam crates compute it) with\n"
           "HEX_ARGS, the postcard encoding of the argument tuple (\"\" for none), on the\n"
           "root connection, or with --conn on a fresh virtual connection. Prints the\n"
           "outcome: ok and the returned value's postcard hex, or the roam error\n"
           "(ROAM_EUSER with the error value, ROAM_EUNKNOWNMETHOD, …). Exit status 0 on\n"
           "ok, 2 on a roam error, 1 if the call could not be made.\n");
  if (early >= 0) return early;
  uint64_t method;
  uint8_t *args = NULL;
  size_t args_len = 0;
  if (parse_u64(argv[1], &method) != 0 || parse_hex(argv[2], &args, &args_len) != 0) {
    fprintf(stderr, "roamcat: METHOD_ID is a number, HEX_ARGS an even number of hex digits\n");
    return 64;
  }
  int timeout = atoi(opt_value(argc, argv, "--timeout", "5000"));
  client c = {0};
  connect_or_die(&c, argv[0], timeout, 0);
  roam_conn *conn;
  roam_session_root(c.s, &conn);
  if (has_flag(argc, argv, "--conn")) {
    roam_conn *v;
    open_result opened = {0};
    c.open = &opened; /* quietly: the answer is not printed */
    int rc = roam_session_open(c.s, ROAM_PARITY_DEFAULT, 64, NULL, NULL, &v);
    if (rc != 0) die_rc("open", rc);
    while (!opened.done && !c.ended) {
      int never = 0;
      wait_for(c.rt, &never, 10);
    }
    c.open = NULL;
    /* A refused open's handle is gone after its answer: look only at the status. */
    if (!opened.done || opened.status != 0) {
      fprintf(stderr, "roamcat: the peer did not accept a virtual connection\n");
      return 1;
    }
    conn = v;
  }
  roam_metadata *md = md_from_args(argc, argv);
  call_result r = {0};
  int rc = roam_conn_call(conn, method, NULL, 0, md, args, args_len, on_call_done, &r, NULL);
  roam_metadata_free(md);
  free(args);
  if (rc != 0) die_rc("call", rc);
  if (!wait_for(c.rt, &r.done, timeout)) {
    fprintf(stderr, "roamcat: no response within %d ms\n", timeout);
    return 1;
  }
  disconnect(&c);
  return r.status == 0 ? 0 : is_roam_error(r.status) ? 2 : 1;
}

/* ---- ping -------------------------------------------------------------------------------- */

static void client_on_pong(roam_session *s, void *ud, uint64_t nonce, uint64_t rtt_us) {
  client *c = ud;
  ping_stats *st = c->ping;
  if (st == NULL) return;
  st->pongs++;
  if (st->pongs == 1 || rtt_us < st->min) st->min = rtt_us;
  if (rtt_us > st->max) st->max = rtt_us;
  st->total += rtt_us;
  printf("pong %" PRIu64 ": %" PRIu64 " us\n", nonce, rtt_us);
  fflush(stdout);
  (void)s;
}

static int cmd_ping(int argc, char **argv) {
  int early = usage_check(argc, argv, 1,
                          "usage: roamcat ping ADDR [--count N] [--interval MS]\n"
           "\n"
           "Sends N Pings (default 5) on the root connection, INTERVAL ms apart\n"
           "(default 200), and prints each round-trip time and a summary.\n");
  if (early >= 0) return early;
  int count = atoi(opt_value(argc, argv, "--count", "5"));
  int interval = atoi(opt_value(argc, argv, "--interval", "200"));
  if (count <= 0 || interval < 0) {
    fprintf(stderr, "roamcat: --count must be positive, --interval not negative\n");
    return 64;
  }
  client c = {0};
  connect_or_die(&c, argv[0], 5000, 0);
  ping_stats st = {0};
  c.ping = &st;
  for (int i = 0; i < count; ++i) {
    int rc = roam_session_ping(c.s, NULL);
    if (rc != 0) die_rc("ping", rc);
    if (!wait_for_count(c.rt, &st.pongs, i + 1, 5000)) {
      fprintf(stderr, "roamcat: no pong within 5 s\n");
      return 1;
    }
    int never = 0;
    if (i + 1 < count) wait_for(c.rt, &never, interval);
  }
  printf("%d pongs: min %" PRIu64 " us, avg %" PRIu64 " us, max %" PRIu64 " us\n", st.pongs, st.min,
         st.total / (uint64_t)st.pongs, st.max);
  disconnect(&c);
  return 0;
}

/* ---- open -------------------------------------------------------------------------------- */

static void client_on_open_result(roam_session *s, void *ud, roam_conn *conn, int status,
                                  const roam_metadata *md) {
  client *c = ud;
  open_result *r = c->open;
  if (r == NULL) return;
  r->done = 1;
  r->status = status;
  if (!r->print) return;
  int parity = 0;
  uint32_t max = 0;
  if (status == 0) {
    roam_conn_peer_settings(conn, &parity, &max);
    printf("conn %" PRIu64 " accepted (peer uses %s ids, max %u concurrent requests), metadata ",
           conn_id(conn), parity == ROAM_PARITY_ODD ? "odd" : "even", max);
  } else {
    printf("conn %" PRIu64 " %s, metadata ", conn_id(conn),
           status == ROAM_EREJECTED ? "rejected" : roam_strerror(status));
  }
  print_md(md);
  printf("\n");
  (void)s;
}

static int cmd_open(int argc, char **argv) {
  int early = usage_check(argc, argv, 1,
                          "usage: roamcat open ADDR [--md KEY=VALUE]... [--parity odd|even]\n"
           "\n"
           "Opens a virtual connection carrying the given metadata and shows whether\n"
           "the peer accepts it (with its metadata and settings) or rejects it (with\n"
           "its metadata). Exit status 0 if accepted, 2 if rejected.\n");
  if (early >= 0) return early;
  const char *parity_text = opt_value(argc, argv, "--parity", NULL);
  int parity = ROAM_PARITY_DEFAULT;
  if (parity_text) parity = strcmp(parity_text, "even") == 0 ? ROAM_PARITY_EVEN : ROAM_PARITY_ODD;
  client c = {0};
  connect_or_die(&c, argv[0], 5000, 0);
  open_result r = {0};
  r.print = 1;
  c.open = &r;
  roam_metadata *md = md_from_args(argc, argv);
  roam_conn *conn;
  int rc = roam_session_open(c.s, parity, 64, md, NULL, &conn);
  roam_metadata_free(md);
  if (rc != 0) die_rc("open", rc);
  if (!wait_for(c.rt, &r.done, 5000)) {
    fprintf(stderr, "roamcat: no answer within 5 s\n");
    return 1;
  }
  if (r.status == 0) roam_conn_close(conn, NULL);
  disconnect(&c);
  return r.status == 0 ? 0 : r.status == ROAM_EREJECTED ? 2 : 1;
}

/* ---- main -------------------------------------------------------------------------------- */

static int usage(FILE *to) {
  fprintf(to,
          "usage: roamcat COMMAND ARGS…   (libroam %s, roam protocol v%u)\n"
          "\n"
          "commands:\n"
          "  serve ADDR                 echo / sink server\n"
          "  call ADDR METHOD HEX_ARGS  make one call and print the outcome\n"
          "  ping ADDR                  measure round trips with Ping/Pong\n"
          "  open ADDR                  open a virtual connection, show accept/reject\n"
          "\n"
          "ADDR is tcp://HOST:PORT or unix:PATH. 'roamcat COMMAND --help' for details.\n"
          "Every command takes --trace: one line per frame sent or received, on stderr.\n",
          roam_version(), roam_protocol_version());
  return to == stderr ? 64 : 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage(stderr);
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) return usage(stdout);
  g_trace = has_flag(argc, argv, "--trace");
  if (strcmp(argv[1], "serve") == 0) return cmd_serve(argc - 2, argv + 2);
  if (strcmp(argv[1], "call") == 0) return cmd_call(argc - 2, argv + 2);
  if (strcmp(argv[1], "ping") == 0) return cmd_ping(argc - 2, argv + 2);
  if (strcmp(argv[1], "open") == 0) return cmd_open(argc - 2, argv + 2);
  fprintf(stderr, "roamcat: unknown command '%s'\n", argv[1]);
  return usage(stderr);
}
