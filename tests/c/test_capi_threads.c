/* The runtime's thread-safe entry points under load: roam_runtime_post(),
 * roam_runtime_wake() and roam_runtime_stop() called from many threads
 * (and stop from a signal handler) while the loop thread runs. Every
 * posted item must run exactly once, on the loop thread, and no stop may
 * be lost. build-tsan runs this under ThreadSanitizer (tests/CMakeLists.txt). */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <roam/roam.h>

enum { THREADS = 8, CALLS_PER_THREAD = 4000 };

/* Loop-thread state is plain memory on purpose: if anything ran off the
 * loop thread, TSan would see the race. */
typedef struct {
  roam_runtime *rt;
  pthread_t loop_thread;
  int *ran;           /* per posted item: how often it ran */
  int total;
  int executed;
  int off_loop;
  atomic_int errors;  /* a non-zero return from any thread */
  atomic_int threads_done;
  int threads;        /* threads that must finish before the loop may end */
} hammer;

static hammer H;

/* A lost stop or a posted item that never runs would hang the test:
 * fail it instead, from the signal handler (nothing else is safe there). */
static void on_timeout(int sig) {
  (void)sig;
  static const char msg[] = "test_capi_threads: timed out: a stop was lost or posted work never ran\n";
  if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) _exit(2);
  _exit(1);
}

static void on_closed(roam_listener *l, void *ud) {
  (void)l;
  *(int *)ud = 1;
}

static roam_listener *start_runtime(void) {
  memset(&H, 0, sizeof H);
  signal(SIGALRM, on_timeout);
  alarm(30);
  assert_int_equal(roam_runtime_new(&H.rt), 0);
  H.loop_thread = pthread_self();
  /* A listener keeps the loop alive with nothing to do, so a run only
   * ends when stopped. */
  roam_listener *l;
  assert_int_equal(roam_listener_new(H.rt, "tcp://127.0.0.1:0", NULL, NULL, NULL, NULL, &l), 0);
  return l;
}

static void finish_runtime(roam_listener *l) {
  int closed = 0;
  assert_int_equal(roam_listener_close(l, on_closed, &closed), 0);
  /* A stop may still be pending: it ends one of these iterations early. */
  for (int i = 0; i < 100 && !closed; ++i) roam_runtime_run_once(H.rt);
  assert_true(closed);
  roam_runtime_run(H.rt);
  assert_int_equal(roam_runtime_free(H.rt), 0);
  free(H.ran);
  alarm(0);
}

static void run_item(roam_runtime *rt, void *ud) {
  if (!pthread_equal(pthread_self(), H.loop_thread)) H.off_loop++;
  ++*(int *)ud;
  if (++H.executed == H.total) roam_runtime_stop(rt);
}

static void check(int rc) {
  if (rc != 0) atomic_fetch_add(&H.errors, 1);
}

/* Each thread's final stop comes after it counted itself done, so the run
 * that sees the last one is followed by a check that sees every thread done. */
static void thread_done(void) {
  atomic_fetch_add(&H.threads_done, 1);
  check(roam_runtime_stop(H.rt));
}

static void *post_wake_stop(void *arg) {
  int first = (int)(intptr_t)arg * CALLS_PER_THREAD;
  for (int i = 0; i < CALLS_PER_THREAD; ++i) {
    check(roam_runtime_post(H.rt, run_item, &H.ran[first + i]));
    if (i % 4 == 0) check(roam_runtime_wake(H.rt));
    if (i % 16 == 0) check(roam_runtime_stop(H.rt));
  }
  thread_done();
  return NULL;
}

/* Runs until every thread finished and every item ran; returns the runs. */
static int run_until_all_done(void) {
  int runs = 0;
  while (atomic_load(&H.threads_done) < H.threads || H.executed < H.total) {
    assert_int_equal(roam_runtime_run(H.rt), 0);
    ++runs;
  }
  return runs;
}

static void check_every_item_ran_once(void) {
  assert_int_equal(atomic_load(&H.errors), 0);
  assert_int_equal(H.off_loop, 0);
  assert_int_equal(H.executed, H.total);
  for (int i = 0; i < H.total; ++i) {
    if (H.ran[i] != 1) fail_msg("item %d ran %d times", i, H.ran[i]);
  }
}

static void posts_wakes_and_stops_from_many_threads(void **state) {
  (void)state;
  roam_listener *l = start_runtime();
  H.threads = THREADS;
  H.total = THREADS * CALLS_PER_THREAD;
  H.ran = calloc((size_t)H.total, sizeof *H.ran);
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; ++i) pthread_create(&t[i], NULL, post_wake_stop, (void *)(intptr_t)i);
  int runs = run_until_all_done();
  for (int i = 0; i < THREADS; ++i) pthread_join(t[i], NULL);
  check_every_item_ran_once();
  /* How many runs the stops ended depends on scheduling (on a loaded
   * machine every thread may be done before the first run starts): what
   * matters is that each run returned and nothing ran twice or was lost. */
  print_message("%d runs ended by stops\n", runs);
  finish_runtime(l);
}

static void *stop_once(void *arg) {
  (void)arg;
  check(roam_runtime_stop(H.rt));
  return NULL;
}

static void *stop_later(void *arg) {
  usleep(50 * 1000);
  atomic_store((atomic_int *)arg, 1);
  check(roam_runtime_stop(H.rt));
  return NULL;
}

static void stops_before_run_end_exactly_one_run(void **state) {
  (void)state;
  roam_listener *l = start_runtime();
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; ++i) pthread_create(&t[i], NULL, stop_once, NULL);
  for (int i = 0; i < THREADS; ++i) pthread_join(t[i], NULL);
  assert_int_equal(roam_runtime_run(H.rt), 0);
  /* All of them were one request: the next run waits for a new stop. */
  atomic_int stop_sent = 0;
  pthread_t later;
  pthread_create(&later, NULL, stop_later, &stop_sent);
  assert_int_equal(roam_runtime_run(H.rt), 0);
  assert_true(atomic_load(&stop_sent));
  pthread_join(later, NULL);
  assert_int_equal(atomic_load(&H.errors), 0);
  finish_runtime(l);
}

static void stop_on_signal(int sig) {
  (void)sig;
  roam_runtime_stop(H.rt);
}

enum { SIGNALS = 500 };

static void *send_signals(void *arg) {
  (void)arg;
  for (int i = 0; i < SIGNALS; ++i) {
    pthread_kill(H.loop_thread, SIGUSR1);
    usleep(100);
  }
  thread_done();
  return NULL;
}

static void *post_only(void *arg) {
  int first = (int)(intptr_t)arg * CALLS_PER_THREAD;
  for (int i = 0; i < CALLS_PER_THREAD; ++i) check(roam_runtime_post(H.rt, run_item, &H.ran[first + i]));
  thread_done();
  return NULL;
}

static void stop_from_a_signal_handler_while_threads_post(void **state) {
  (void)state;
  roam_listener *l = start_runtime();
  enum { POSTERS = THREADS - 1 };
  H.threads = POSTERS + 1;
  H.total = POSTERS * CALLS_PER_THREAD;
  H.ran = calloc((size_t)H.total, sizeof *H.ran);
  signal(SIGUSR1, stop_on_signal);
  pthread_t t[POSTERS], signaller;
  for (int i = 0; i < POSTERS; ++i) pthread_create(&t[i], NULL, post_only, (void *)(intptr_t)i);
  pthread_create(&signaller, NULL, send_signals, NULL);
  run_until_all_done();
  for (int i = 0; i < POSTERS; ++i) pthread_join(t[i], NULL);
  pthread_join(signaller, NULL);
  signal(SIGUSR1, SIG_IGN);  /* one still in flight must not kill the test */
  check_every_item_ran_once();
  finish_runtime(l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(posts_wakes_and_stops_from_many_threads),
      cmocka_unit_test(stops_before_run_end_exactly_one_run),
      cmocka_unit_test(stop_from_a_signal_handler_while_threads_post),
  };
  return cmocka_run_group_tests_name("capi_threads", tests, NULL, NULL);
}
