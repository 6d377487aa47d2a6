/* Two processes, one session over loopback TCP: this binary re-executes
 * itself as the acceptor ("--child FD"), which reports its port through a
 * pipe, accepts virtual connections by policy, echoes calls, and exits with
 * status 0 only if it saw everything it should have. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <roam/roam_experimental.h>

#include "harness.h"
#include "sides.h"

enum { CALLS = 200 };

/* ---- the child: an acceptor in its own process ----------------------------------- */

static side child_side;
static event_log child_log;
static int child_accepted;

static void child_on_accept(roam_listener *l, void *ud, int status, roam_session *s) {
  side_init(&child_side, "child", &child_log);
  child_side.s = s;
  roam_session_set_user_data(s, &child_side);
  child_side.echo_calls = 1;
  child_accepted = status == 0;
  (void)l;
  (void)ud;
}

static int run_child(int report_fd) {
  roam_runtime *rt;
  if (roam_runtime_new(&rt) != 0) return 10;
  roam_listener *l;
  if (roam_listener_new(rt, "tcp://127.0.0.1:0", NULL, side_callbacks(), child_on_accept, NULL,
                        &l) != 0) {
    return 11;
  }
  char line[32];
  int n = snprintf(line, sizeof line, "%d\n", roam_listener_port(l));
  if (write(report_fd, line, (size_t)n) != n) return 12;
  close(report_fd);
  if (!run_until(rt, &child_accepted, 5000)) return 13;
  int closed = 0;
  roam_listener_close(l, NULL, NULL);
  if (!run_until(rt, &child_side.ended, 10000)) return 14;
  int status = 0;
  if (log_find(&child_log, "child handshake ROAM_OK md=from=parent", 0) < 0) status = 20;
  if (log_count_prefix(&child_log, "child inbound_open") != 2) status = 21;
  if (child_side.requests != CALLS) status = 22;
  /* The parent released its root after closing its connection: we see EOF. */
  if (child_side.end_error != ROAM_EEOF) status = 23;
  roam_session_close(child_side.s, NULL, NULL);
  run_for(rt, 50);
  if (roam_runtime_free(rt) != 0) status = 24;
  if (status != 0) log_dump(&child_log);
  (void)closed;
  return status;
}

/* ---- the parent: an initiator in this process ---------------------------------------- */

static void initiator_and_acceptor_in_two_processes(void **state) {
  (void)state;
  int pipefd[2];
  assert_int_equal(pipe(pipefd), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(pipefd[0]);
    char fd_text[16];
    snprintf(fd_text, sizeof fd_text, "%d", pipefd[1]);
    execl("/proc/self/exe", "test_capi_two_process", "--child", fd_text, (char *)NULL);
    _exit(99);
  }
  close(pipefd[1]);
  char buf[32] = {0};
  ssize_t got = read(pipefd[0], buf, sizeof buf - 1);
  close(pipefd[0]);
  assert_true(got > 0);
  int port = atoi(buf);
  assert_true(port > 0);

  roam_runtime *rt;
  assert_int_equal(roam_runtime_new(&rt), 0);
  event_log log;
  memset(&log, 0, sizeof log);
  side me;
  roam_options *o;
  assert_int_equal(roam_options_new(&o), 0);
  roam_metadata *hello = md_string("from", "parent");
  roam_options_set_hello_metadata(o, hello);
  char addr[64];
  snprintf(addr, sizeof addr, "tcp://127.0.0.1:%d", port);
  side_init(&me, "parent", &log);
  assert_int_equal(roam_session_connect(rt, addr, o, side_callbacks(), &me, &me.s), 0);
  roam_session *s = me.s;
  roam_options_free(o);
  roam_metadata_free(hello);
  assert_true(run_until(rt, &me.handshake_done, 5000));
  assert_int_equal(me.handshake_status, 0);

  roam_metadata *yes = md_string("want", "accept");
  roam_metadata *no = md_string("want", "reject");
  roam_conn *c, *refused;
  assert_int_equal(roam_session_open(s, ROAM_PARITY_DEFAULT, 64, yes, NULL, &c), 0);
  assert_int_equal(roam_session_open(s, ROAM_PARITY_DEFAULT, 64, no, NULL, &refused), 0);
  assert_true(run_until_count(rt, &me.opens_answered, 2, 5000));
  log_expect(&log, "parent open conn=1 status=ROAM_OK md=accepted-by=child");
  log_expect(&log, "parent open conn=3 status=ROAM_EREJECTED md=reason=policy");
  for (int i = 0; i < CALLS; ++i) {
    char payload[16];
    int n = snprintf(payload, sizeof payload, "call-%d", i);
    assert_int_equal(roam_conn_send_request(c, ROAM_REQUEST_CALL, (uint64_t)(2 * i + 1), 7, NULL, 0,
                                            NULL, payload, (size_t)n),
                     0);
  }
  assert_true(run_until_count(rt, &me.requests, CALLS, 10000));
  log_expect(&log, "parent request conn=1 kind=1 id=1 method=0 channels=0 md= payload=");

  /* Close the virtual connection, then let go of the root: nothing is open,
   * so the session ends (root liveness), and the child sees EOF. */
  assert_int_equal(roam_conn_close(c, NULL), 0);
  roam_conn *root;
  roam_session_root(s, &root);
  assert_int_equal(roam_conn_release(root), 0);
  assert_true(run_until(rt, &me.ended, 5000));
  assert_int_equal(me.end_error, 0);
  side_close(rt, &me);
  assert_int_equal(roam_runtime_free(rt), 0);
  roam_metadata_free(yes);
  roam_metadata_free(no);

  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--child") == 0) return run_child(atoi(argv[2]));
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(initiator_and_acceptor_in_two_processes),
  };
  return cmocka_run_group_tests_name("capi_two_process", tests, NULL, NULL);
}
