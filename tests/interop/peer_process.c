#define _GNU_SOURCE
#include "peer_process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static unsigned long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (unsigned long long)ts.tv_sec * 1000ull + (unsigned long long)ts.tv_nsec / 1000000ull;
}

int peer_start(peer_process *p, char *const argv[]) {
  memset(p, 0, sizeof *p);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
  int rc = posix_spawn(&p->pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    errno = rc;
    return -1;
  }
  p->out_fd = fds[0];
  fcntl(p->out_fd, F_SETFL, fcntl(p->out_fd, F_GETFL) | O_NONBLOCK);
  return 0;
}

void peer_poll(peer_process *p) {
  if (p->out_fd < 0) return;
  for (;;) {
    ssize_t n = read(p->out_fd, p->partial + p->partial_len, sizeof p->partial - 1 - p->partial_len);
    if (n <= 0) {
      if (n == 0) {
        close(p->out_fd);
        p->out_fd = -1;
      }
      break;
    }
    p->partial_len += (size_t)n;
    char *start = p->partial;
    char *nl;
    while ((nl = memchr(start, '\n', p->partial_len - (size_t)(start - p->partial))) != NULL) {
      *nl = '\0';
      if (p->line_count < PEER_MAX_LINES) p->lines[p->line_count++] = strdup(start);
      start = nl + 1;
    }
    size_t rest = p->partial_len - (size_t)(start - p->partial);
    memmove(p->partial, start, rest);
    p->partial_len = rest;
    if (p->partial_len == sizeof p->partial - 1) {  /* an overlong line: keep it whole */
      p->partial[p->partial_len] = '\0';
      if (p->line_count < PEER_MAX_LINES) p->lines[p->line_count++] = strdup(p->partial);
      p->partial_len = 0;
    }
  }
}

static void step(peer_process *p, roam_runtime *rt) {
  if (rt) roam_runtime_run_nowait(rt);
  struct pollfd fds[2];
  int n = 0;
  if (p->out_fd >= 0) fds[n++] = (struct pollfd){p->out_fd, POLLIN, 0};
  if (rt) fds[n++] = (struct pollfd){roam_runtime_backend_fd(rt), POLLIN, 0};
  poll(fds, (nfds_t)n, 2);
  peer_poll(p);
}

void peer_pump(peer_process *p, roam_runtime *rt, int ms) {
  unsigned long long deadline = now_ms() + (unsigned long long)ms;
  do {
    step(p, rt);
  } while (now_ms() < deadline);
}

const char *peer_find_line(const peer_process *p, const char *prefix) {
  for (int i = 0; i < p->line_count; ++i) {
    if (strncmp(p->lines[i], prefix, strlen(prefix)) == 0) return p->lines[i];
  }
  return NULL;
}

const char *peer_wait_line(peer_process *p, roam_runtime *rt, const char *prefix, int *from,
                           int timeout_ms) {
  unsigned long long deadline = now_ms() + (unsigned long long)timeout_ms;
  int start = from ? *from : 0;
  for (;;) {
    for (int i = start; i < p->line_count; ++i) {
      if (strncmp(p->lines[i], prefix, strlen(prefix)) == 0) {
        if (from) *from = i + 1;
        return p->lines[i];
      }
    }
    if (now_ms() >= deadline) return NULL;
    step(p, rt);
  }
}

int peer_wait_exit(peer_process *p, roam_runtime *rt, int timeout_ms) {
  unsigned long long deadline = now_ms() + (unsigned long long)timeout_ms;
  while (!p->exited) {
    int status;
    pid_t r = waitpid(p->pid, &status, WNOHANG);
    if (r == p->pid) {
      p->exited = 1;
      p->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (now_ms() >= deadline) {
      kill(p->pid, SIGKILL);
      waitpid(p->pid, &status, 0);
      p->exited = 1;
      p->exit_status = 128 + SIGKILL;
      break;
    }
    step(p, rt);
  }
  for (int i = 0; i < 50 && p->out_fd >= 0; ++i) step(p, rt);  /* the last lines */
  return p->exit_status;
}

void peer_kill(peer_process *p, int sig) {
  if (!p->exited) kill(p->pid, sig);
}

void peer_dump(const peer_process *p) {
  fprintf(stderr, "---- peer output (%d lines) ----\n", p->line_count);
  for (int i = 0; i < p->line_count; ++i) fprintf(stderr, "  %s\n", p->lines[i]);
}

void peer_free(peer_process *p) {
  if (!p->exited && p->pid > 0) {
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
  }
  if (p->out_fd >= 0) close(p->out_fd);
  for (int i = 0; i < p->line_count; ++i) free(p->lines[i]);
  p->line_count = 0;
}
