/* One "side" of a test: a session with every callback registered, logging
 * what happens as text lines ("A open conn=1 status=0 md=k=v") into a shared
 * event log, with a simple accept policy (accept when md has want=accept). */
#ifndef ROAM_TEST_SIDES_H
#define ROAM_TEST_SIDES_H

#include "harness.h"

typedef struct side {
  const char *name;
  event_log *log;
  roam_session *s;
  int handshake_status;
  int handshake_done;
  int ended;
  int end_error;
  int closed;           /* close callback ran */
  int events_after_close;
  int opens_answered;
  int conns_closed;
  int inbound_opens;
  int requests;
  int channels;
  int pongs;
  int writable;
  int keepalive_timeouts;
  int decide_later;     /* leave inbound opens pending */
  int accept_all;       /* accept every inbound open, whatever its metadata */
  const char *accept_name;  /* accepted-by value (default: the side's name) */
  int echo_calls;       /* answer CALLs with Ok(args) */
  roam_conn *last_inbound;   /* valid until its final callback */
  uint64_t last_inbound_id;  /* stays readable after that */
  roam_conn *last_opened;
} side;

/* Registers every callback on s. */
void side_init(side *sd, const char *name, event_log *log, roam_session *s);
/* Two sessions joined in process (a the initiator), each with its own
 * options (NULL = defaults), every callback registered; returns once both
 * finished the handshake. Names come from a->name / b->name if set. */
void side_pair(roam_runtime *rt, event_log *log, side *a, const roam_options *a_opts, side *b,
               const roam_options *b_opts);
/* Closes the session and runs the loop until its close callback. */
void side_close(roam_runtime *rt, side *sd);

/* A listener's accept callback (side_on_accept with a side_acceptor as its
 * user data): the accepted session becomes `sd`, named `name`. */
typedef struct {
  side *sd;
  const char *name;
  event_log *log;
  int accepted;
} side_acceptor;
void side_on_accept(roam_listener *l, void *ud, int status, roam_session *s);
/* Closes a listener and runs the loop until it is gone. */
void listener_close_and_wait(roam_runtime *rt, roam_listener *l);

#endif
