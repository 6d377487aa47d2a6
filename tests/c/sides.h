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
  /* Optional hooks for a test's own bookkeeping (NULL: none). on_callback
   * runs first in every callback of the side's table (and in its close
   * callback); on_conn_gone runs, after the event is logged, in the final
   * callback naming a connection: its closed callback, or the open result
   * of an open that failed. */
  void (*on_callback)(struct side *sd, roam_session *s);
  void (*on_conn_gone)(struct side *sd, roam_conn *c);
} side;

/* The callbacks table of a side's session (user_data: the side), shared
 * and fixed. Raw request and channel callbacks included
 * (roam_experimental.h): requests and channel messages nobody else takes
 * are logged. */
const roam_callbacks *side_callbacks(void);
/* A new table with the callbacks of side_callbacks(), for a side that
 * needs more: the caller adds entries (roam_callbacks_set_serve, _trace,
 * ...) or replaces some, makes its sessions with it and frees it with
 * roam_callbacks_free (a session keeps its own copy). */
roam_callbacks *side_callbacks_new(void);
/* Clears the raw request and raw channel entries of a table: then, as
 * without raw callbacks, calls with no serve callback are answered
 * UnknownMethod and messages for a channel nobody bound yet are kept for
 * its bind. */
void side_callbacks_clear_raw(roam_callbacks *cbs);
/* Resets sd (hooks included); create its session with side_callbacks()
 * and sd as user_data and store it in sd->s. */
void side_init(side *sd, const char *name, event_log *log);
/* Two sessions joined in process (a the initiator), each with its own
 * options (NULL = defaults), every callback registered; returns once both
 * finished the handshake. Names come from a->name / b->name if set. */
void side_pair(roam_runtime *rt, event_log *log, side *a, const roam_options *a_opts, side *b,
               const roam_options *b_opts);
/* side_pair with these tables (user_data: the side). Names and hooks come
 * from a and b as set before the call (names default to "a" and "b"); the
 * rest is reset. */
void side_pair_with(roam_runtime *rt, event_log *log, side *a, const roam_options *a_opts,
                    const roam_callbacks *a_cbs, side *b, const roam_options *b_opts,
                    const roam_callbacks *b_cbs);
/* Closes the session and runs the loop until its close callback. */
void side_close(roam_runtime *rt, side *sd);
/* The close callback side_close passes (user_data: the side): sets
 * sd->closed and logs "<name> close_cb". */
void side_on_closed(roam_session *s, void *ud);

/* A listener's accept callback (make the listener with side_callbacks()
 * or a side_callbacks_new() table, side_on_accept and a side_acceptor as
 * its user data): the accepted session becomes `sd` (reset with
 * side_init, hooks included), named `name`. */
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
