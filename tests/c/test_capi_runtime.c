/* The runtime and the ways to hand libroam a transport: posting work and
 * waking or stopping the loop from another thread, running on the caller's
 * own uv_loop_t, embedding through the backend fd, adopting a connected fd
 * or a uv_stream_t, and freeing only once everything is closed. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <roam/roam_experimental.h>

#include "harness.h"
#include "sides.h"

static pthread_t loop_thread;

typedef struct {
  roam_runtime *rt;
  atomic_int ran;
  int ran_on_loop_thread;
} post_ctx;

static void posted(roam_runtime *rt, void *ud) {
  post_ctx *c = ud;
  c->ran_on_loop_thread = pthread_equal(pthread_self(), loop_thread);
  atomic_fetch_add(&c->ran, 1);
  (void)rt;
}

static void *post_from_thread(void *arg) {
  post_ctx *c = arg;
  usleep(20 * 1000);
  assert_int_equal(roam_runtime_post(c->rt, posted, c), 0);
  return NULL;
}

static void post_runs_work_on_the_loop_thread(void **state) {
  (void)state;
  post_ctx c = {0};
  assert_int_equal(roam_runtime_new(&c.rt), 0);
  loop_thread = pthread_self();
  /* Work posted while nothing runs waits for the next iteration. */
  assert_int_equal(roam_runtime_post(c.rt, posted, &c), 0);
  assert_int_equal(atomic_load(&c.ran), 0);
  roam_runtime_run_nowait(c.rt);
  assert_int_equal(atomic_load(&c.ran), 1);
  /* A live session keeps the loop blocked in poll: the post wakes it. */
  roam_session *a, *b;
  assert_int_equal(roam_session_pair(c.rt, NULL, NULL, NULL, NULL, NULL, NULL, &a, &b), 0);
  run_for(c.rt, 20);
  pthread_t t;
  pthread_create(&t, NULL, post_from_thread, &c);
  for (int i = 0; i < 100 && atomic_load(&c.ran) == 1; ++i) roam_runtime_run_once(c.rt);
  pthread_join(t, NULL);
  assert_int_equal(atomic_load(&c.ran), 2);
  assert_true(c.ran_on_loop_thread);
  roam_session_close(a, NULL, NULL);
  roam_session_close(b, NULL, NULL);
  roam_runtime_run(c.rt);
  assert_int_equal(roam_runtime_free(c.rt), 0);
}

static void *stop_from_thread(void *arg) {
  usleep(50 * 1000);
  roam_runtime_stop(arg);
  return NULL;
}

static void stop_from_another_thread_ends_run(void **state) {
  (void)state;
  roam_runtime *rt;
  roam_runtime_new(&rt);
  /* A session keeps the loop busy forever: run() only returns when stopped. */
  roam_session *a, *b;
  assert_int_equal(roam_session_pair(rt, NULL, NULL, NULL, NULL, NULL, NULL, &a, &b), 0);
  pthread_t t;
  pthread_create(&t, NULL, stop_from_thread, rt);
  assert_int_equal(roam_runtime_run(rt), 0);
  pthread_join(t, NULL);
  assert_int_equal(roam_session_state(a), ROAM_SESSION_ESTABLISHED);
  /* The runtime refuses to go while sessions are open. */
  assert_int_equal(roam_runtime_free(rt), ROAM_ESTATE);
  roam_session_close(a, NULL, NULL);
  roam_session_close(b, NULL, NULL);
  roam_runtime_run(rt);
  assert_int_equal(roam_runtime_free(rt), 0);
}

/* ---- stop: never lost, safe in a signal handler, used up by one run -------------------- */

/* A lost stop hangs run() forever: the alarm turns that into a failure.
 * It ends the process rather than longjmp into cmocka: the handler may
 * have interrupted the loop thread holding locks (malloc's, libroam's)
 * that nothing would ever release. */
static const char *guarded_test;
static volatile sig_atomic_t runs_done;

static void write_str(const char *text) {
  size_t len = strlen(text);
  while (len > 0) {
    ssize_t n = write(STDERR_FILENO, text, len);
    if (n <= 0) return;
    text += n;
    len -= (size_t)n;
  }
}

static void on_guard_alarm(int sig) {
  (void)sig;
  char count[16];
  int i = (int)sizeof count;
  count[--i] = '\0';
  int n = runs_done;
  do count[--i] = (char)('0' + n % 10); while ((n /= 10) > 0 && i > 0);
  write_str("FAILED ");
  write_str(guarded_test);
  write_str(": roam_runtime_run() did not return (runs completed: ");
  write_str(count + i);
  write_str("): a stop was lost\n");
  _exit(1);
}

static void guard_start(const char *test) {
  guarded_test = test;
  runs_done = 0;
  signal(SIGALRM, on_guard_alarm);
  alarm(10);
}

static void guard_end(void) {
  alarm(0);
  signal(SIGALRM, SIG_DFL);
}

/* A listener keeps the loop alive with nothing to do: run() can only end
 * by a stop. */
static roam_listener *listen_idle(roam_runtime *rt) {
  roam_listener *l;
  assert_int_equal(roam_listener_new(rt, "tcp://127.0.0.1:0", NULL, NULL, NULL, NULL, &l), 0);
  return l;
}

static void on_listener_closed(roam_listener *l, void *ud) {
  (void)l;
  *(int *)ud = 1;
}

/* Closes the listener even if a stop is still pending (it ends one run). */
static void close_and_free(roam_runtime *rt, roam_listener *l) {
  int closed = 0;
  assert_int_equal(roam_listener_close(l, on_listener_closed, &closed), 0);
  for (int i = 0; i < 100 && !closed; ++i) roam_runtime_run_once(rt);
  assert_true(closed);
  roam_runtime_run(rt);
  assert_int_equal(roam_runtime_free(rt), 0);
}

static void stop_before_run_ends_the_next_run(void **state) {
  (void)state;
  roam_runtime *rt;
  assert_int_equal(roam_runtime_new(&rt), 0);
  roam_listener *l = listen_idle(rt);
  guard_start(__func__);
  assert_int_equal(roam_runtime_stop(rt), 0);
  assert_int_equal(roam_runtime_run(rt), 0);
  guard_end();
  close_and_free(rt, l);
}

static roam_runtime *signal_rt;
static void stop_on_sigusr1(int sig) {
  (void)sig;
  roam_runtime_stop(signal_rt);
}

typedef struct {
  pthread_t target;
  atomic_int done;
  atomic_int sent;
} signaller;

static void *signal_until_done(void *arg) {
  signaller *s = arg;
  while (!atomic_load(&s->done)) {
    pthread_kill(s->target, SIGUSR1);
    atomic_fetch_add(&s->sent, 1);
    usleep(20);
  }
  return NULL;
}

typedef struct {
  atomic_int quit;
} churn_ctx;

static void nothing(roam_runtime *rt, void *ud) {
  (void)rt;
  (void)ud;
}

/* Keeps the loop thread inside roam_runtime_post() much of the time, so
 * signals also land while it holds the runtime's own locks: a handler
 * that took one of them would deadlock there. */
static void churn(roam_runtime *rt, void *ud) {
  churn_ctx *c = ud;
  if (atomic_load(&c->quit)) return;
  for (int i = 0; i < 256; ++i) roam_runtime_post(rt, nothing, NULL);
  roam_runtime_post(rt, churn, c);
}

static void stop_from_a_signal_handler_ends_run(void **state) {
  (void)state;
  roam_runtime *rt;
  assert_int_equal(roam_runtime_new(&rt), 0);
  roam_listener *l = listen_idle(rt);
  signal_rt = rt;
  churn_ctx churning = {0};
  roam_runtime_post(rt, churn, &churning);
  signaller sig = {.target = pthread_self()};
  signal(SIGUSR1, stop_on_sigusr1);
  guard_start(__func__);
  pthread_t t;
  pthread_create(&t, NULL, signal_until_done, &sig);
  /* Every run ends by a signal: many of them arrive inside libroam. */
  for (runs_done = 0; runs_done < 1000; ++runs_done) assert_int_equal(roam_runtime_run(rt), 0);
  atomic_store(&sig.done, 1);
  pthread_join(t, NULL);
  guard_end();
  signal(SIGUSR1, SIG_IGN);  /* a signal still in flight must not kill the test */
  assert_true(atomic_load(&sig.sent) > 0);
  atomic_store(&churning.quit, 1);
  close_and_free(rt, l);
}

typedef struct {
  roam_runtime *rt;
  atomic_int stop_sent;
} late_stop;

static void *stop_later(void *arg) {
  late_stop *ls = arg;
  usleep(100 * 1000);
  atomic_store(&ls->stop_sent, 1);
  roam_runtime_stop(ls->rt);
  return NULL;
}

static void a_stop_ends_one_run_only(void **state) {
  (void)state;
  roam_runtime *rt;
  assert_int_equal(roam_runtime_new(&rt), 0);
  roam_listener *l = listen_idle(rt);
  guard_start(__func__);
  /* Two requests before the run still make one stop. */
  roam_runtime_stop(rt);
  roam_runtime_stop(rt);
  assert_int_equal(roam_runtime_run(rt), 0);
  /* The next run ends only by the next stop. */
  late_stop ls = {.rt = rt};
  pthread_t t;
  pthread_create(&t, NULL, stop_later, &ls);
  assert_int_equal(roam_runtime_run(rt), 0);
  assert_true(atomic_load(&ls.stop_sent));
  pthread_join(t, NULL);
  /* run_nowait uses up a stop too. */
  roam_runtime_stop(rt);
  assert_int_equal(roam_runtime_run_nowait(rt), 1);
  ls.stop_sent = 0;
  pthread_create(&t, NULL, stop_later, &ls);
  assert_int_equal(roam_runtime_run(rt), 0);
  assert_true(atomic_load(&ls.stop_sent));
  pthread_join(t, NULL);
  guard_end();
  close_and_free(rt, l);
}

static void *wake_from_thread(void *arg) {
  usleep(30 * 1000);
  roam_runtime_wake(arg);
  return NULL;
}

static void wake_interrupts_a_blocking_iteration(void **state) {
  (void)state;
  roam_runtime *rt;
  roam_runtime_new(&rt);
  roam_session *a, *b;
  assert_int_equal(roam_session_pair(rt, NULL, NULL, NULL, NULL, NULL, NULL, &a, &b), 0);
  run_for(rt, 20);  /* handshake done; now nothing is pending */
  pthread_t t;
  pthread_create(&t, NULL, wake_from_thread, rt);
  roam_runtime_run_once(rt);  /* would block forever without the wake */
  pthread_join(t, NULL);
  roam_session_close(a, NULL, NULL);
  roam_session_close(b, NULL, NULL);
  roam_runtime_run(rt);
  assert_int_equal(roam_runtime_free(rt), 0);
}

static void borrowed_loop_is_driven_by_the_caller(void **state) {
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  roam_runtime *rt;
  assert_int_equal(roam_runtime_new_with_loop(&loop, &rt), 0);
  assert_ptr_equal(roam_runtime_loop(rt), &loop);
  event_log log;
  memset(&log, 0, sizeof log);
  side a, b;
  side_init(&a, "A", &log);
  side_init(&b, "B", &log);
  assert_int_equal(
      roam_session_pair(rt, NULL, side_callbacks(), &a, NULL, side_callbacks(), &b, &a.s, &b.s), 0);
  roam_session *sa = a.s, *sb = b.s;
  /* Only the caller's uv_run drives it. */
  for (int i = 0; i < 200 && !(a.handshake_done && b.handshake_done); ++i) uv_run(&loop, UV_RUN_NOWAIT);
  assert_true(a.handshake_done && b.handshake_done);
  roam_session_close(sa, NULL, NULL);
  roam_session_close(sb, NULL, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(roam_runtime_free(rt), 0);
  uv_run(&loop, UV_RUN_DEFAULT);  /* lets libuv finish closing the runtime's handles */
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void backend_fd_allows_embedding_in_another_poller(void **state) {
  (void)state;
  roam_runtime *rt;
  roam_runtime_new(&rt);
  assert_true(roam_runtime_backend_fd(rt) >= 0);
  /* How long the poller may sleep comes through an out-pointer. */
  int timeout_ms = -2;
  assert_int_equal(roam_runtime_backend_timeout(rt, &timeout_ms), 0);
  assert_true(timeout_ms >= -1);
  assert_int_equal(roam_runtime_backend_timeout(rt, NULL), ROAM_EINVAL);
  event_log log;
  memset(&log, 0, sizeof log);
  side a, b;
  side_init(&a, "A", &log);
  side_init(&b, "B", &log);
  assert_int_equal(
      roam_session_pair(rt, NULL, side_callbacks(), &a, NULL, side_callbacks(), &b, &a.s, &b.s), 0);
  /* The run_until helper polls the backend fd and calls run_nowait. */
  assert_true(run_until(rt, &a.handshake_done, 2000));
  side_close(rt, &a);
  side_close(rt, &b);
  assert_int_equal(roam_runtime_free(rt), 0);
}

static void adopted_fds_carry_a_session(void **state) {
  (void)state;
  int fds[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  roam_runtime *rt;
  roam_runtime_new(&rt);
  roam_options *acc;
  assert_int_equal(roam_options_new(&acc), 0);
  roam_options_set_role(acc, ROAM_ROLE_ACCEPTOR);
  event_log log;
  memset(&log, 0, sizeof log);
  side a, b;
  side_init(&a, "A", &log);
  side_init(&b, "B", &log);
  /* initiator by default */
  assert_int_equal(roam_session_adopt_fd(rt, fds[0], NULL, side_callbacks(), &a, &a.s), 0);
  assert_int_equal(roam_session_adopt_fd(rt, fds[1], acc, side_callbacks(), &b, &b.s), 0);
  roam_options_free(acc);
  roam_session *sb = b.s, *bad = NULL;
  assert_int_equal(roam_session_adopt_fd(rt, -1, NULL, side_callbacks(), NULL, &bad), ROAM_EINVAL);
  assert_true(run_until(rt, &a.handshake_done, 2000));
  assert_true(run_until(rt, &b.handshake_done, 2000));
  assert_int_equal(roam_session_role(sb), ROAM_ROLE_ACCEPTOR);
  side_close(rt, &a);
  side_close(rt, &b);
  assert_int_equal(roam_runtime_free(rt), 0);
}

static void adopted_uv_stream_carries_a_session(void **state) {
  (void)state;
  int fds[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  roam_runtime *rt;
  roam_runtime_new(&rt);
  uv_pipe_t pipe_a, pipe_b;  /* ours: they must outlive the sessions */
  uv_pipe_init(roam_runtime_loop(rt), &pipe_a, 0);
  uv_pipe_init(roam_runtime_loop(rt), &pipe_b, 0);
  uv_pipe_open(&pipe_a, fds[0]);
  uv_pipe_open(&pipe_b, fds[1]);
  roam_options *acc;
  assert_int_equal(roam_options_new(&acc), 0);
  roam_options_set_role(acc, ROAM_ROLE_ACCEPTOR);
  event_log log;
  memset(&log, 0, sizeof log);
  side a, b;
  side_init(&a, "A", &log);
  side_init(&b, "B", &log);
  assert_int_equal(
      roam_session_adopt_stream(rt, (uv_stream_t *)&pipe_a, NULL, side_callbacks(), &a, &a.s), 0);
  assert_int_equal(
      roam_session_adopt_stream(rt, (uv_stream_t *)&pipe_b, acc, side_callbacks(), &b, &b.s), 0);
  roam_options_free(acc);
  roam_session *sa = a.s;
  b.echo_calls = 1;
  assert_true(run_until(rt, &a.handshake_done, 2000));
  roam_conn *root;
  roam_session_root(sa, &root);
  assert_int_equal(roam_conn_send_request(root, ROAM_REQUEST_CALL, 1, 5, NULL, 0, NULL, "x", 1), 0);
  assert_true(run_until(rt, &a.requests, 2000));
  side_close(rt, &a);
  side_close(rt, &b);
  /* The sessions closed our streams for us. */
  assert_true(uv_is_closing((uv_handle_t *)&pipe_a));
  assert_int_equal(roam_runtime_free(rt), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(post_runs_work_on_the_loop_thread),
      cmocka_unit_test(stop_from_another_thread_ends_run),
      cmocka_unit_test(stop_before_run_ends_the_next_run),
      cmocka_unit_test(stop_from_a_signal_handler_ends_run),
      cmocka_unit_test(a_stop_ends_one_run_only),
      cmocka_unit_test(wake_interrupts_a_blocking_iteration),
      cmocka_unit_test(borrowed_loop_is_driven_by_the_caller),
      cmocka_unit_test(backend_fd_allows_embedding_in_another_poller),
      cmocka_unit_test(adopted_fds_carry_a_session),
      cmocka_unit_test(adopted_uv_stream_carries_a_session),
  };
  return cmocka_run_group_tests_name("capi_runtime", tests, NULL, NULL);
}
