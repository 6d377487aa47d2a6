/*
 * libroam 1.0 — the roam session protocol (v7) for C.
 *
 * One transport (TCP, Unix socket, in-process socket pair, or one you bring)
 * carries one session. After the Hello / HelloYourself handshake the session
 * multiplexes virtual connections: connection 0 is the root; either side
 * opens more; calls, responses, cancels and channel items travel per
 * connection. Wire-compatible with the Rust reference crates (roam-core
 * 7.3.0). This header is the manual: it reads top to bottom.
 *
 * The rules every function below follows
 * ----------------------------------------------------------------------------
 * Errors     A function returning int gives 0 (or a documented non-negative
 *            value) on success and a negative ROAM_E* code on failure
 *            (roam_errors.h). Getters whose value could be any number
 *            write it through an out-pointer, so an error can never be
 *            mistaken for a value. roam_strerror() describes a code;
 *            roam_last_error_detail() says why the last failing call on
 *            this thread failed. A buffer too small is ROAM_ENOBUFS, with
 *            the size needed written back. Nothing thrown inside libroam
 *            crosses into your code: out of memory is ROAM_ENOMEM, an
 *            internal failure ROAM_EINTERNAL (a session that meets either
 *            while handling input ends with that code).
 * Creation   int roam_x_new(..., roam_x **out) for everything you own, freed
 *            with roam_x_free() (NULL is fine). Sessions and listeners are
 *            created by the functions that make them (roam_session_connect,
 *            roam_listener_new, ...) with the same out-pointer idiom.
 * Zero       A zero number or enum means "the default", everywhere one is
 *            passed: parity, role, credit, max_concurrent_requests, limits,
 *            timeouts. A zeroed struct or argument from Go or ctypes does
 *            the sensible thing. To turn a timeout off pass ROAM_NO_TIMEOUT.
 * Callbacks  WHICH CALLBACK LIVES WHERE: what happens to a session and its
 *            connections is reported through the one roam_callbacks table
 *            given when the session is created, with the session's one
 *            user_data; what happens to one call or one channel goes to the
 *            callback given when that call or channel is created
 *            (roam_conn_call, roam_conn_channel_open / _bind), with its own
 *            user_data. There is nothing else to register.
 * Ordering   Callbacks of a session run on its loop thread in the order of
 *            the events that caused them: everything frame N causes is
 *            delivered before anything frame N+1 causes, and the events your
 *            own call causes are delivered after that call returns, behind
 *            those already waiting. No callback runs inside a libroam call.
 * In a       A callback must return normally: no longjmp out of it, no C++
 * callback   exception through it, no thread exit. It may call any libroam
 *            function on objects of its runtime, including closing the very
 *            session, connection or channel it was called for.
 * Handles    Short-lived things are addressed by id on their connection, as
 *            nghttp2 addresses streams: a call by (conn, request id), a
 *            served request by (conn, request id), a channel by (conn,
 *            channel id). An id that has ended is answered ROAM_ENOTFOUND
 *            (or ROAM_ECLOSED once its connection is closing); no id ever
 *            reaches freed memory. Long-lived things are pointers owned by
 *            the library, each ending with one documented final callback
 *            after which the pointer is invalid: a roam_session with its
 *            close callback, a roam_conn with its closed (or failed open)
 *            callback, a roam_listener with its close callback.
 * Threads    A runtime and everything created on it belong to the thread
 *            that runs its loop; call them only from that thread. Callable
 *            from any thread: roam_runtime_post(), roam_runtime_wake(),
 *            roam_runtime_stop(), and the roam_metadata_*, roam_options_*
 *            and roam_callbacks_* functions on objects no other thread is
 *            using.
 * Ownership  Pointers you pass in (strings, metadata, payloads, options,
 *            callbacks tables) are only read during the call: the library
 *            copies what it keeps.
 * Views      Pointers handed to a callback (metadata, payload bytes, reason
 *            strings) are valid only until that callback returns. Copy to
 *            keep (roam_metadata_copy() for metadata).
 * Closing    Like uv_close(): asynchronous. roam_session_close() and
 *            roam_listener_close() take a callback that says when the handle
 *            is gone; no callback for that handle runs after it.
 * Strings    (pointer, length) pairs; pass ROAM_NTS as the length for a
 *            NUL-terminated string. Keys and string values must be UTF-8.
 * Stability  Everything here is the stable 1.x ABI: functions are added,
 *            never changed or removed. roam/roam_experimental.h holds what
 *            is not frozen (raw protocol messages, test-only switches).
 * Companions roam/roam_postcard.h (the postcard codec for arguments and
 *            results), roam/roam_method_id.h (method ids and type
 *            signatures, as roam computes them), and the header-only C++
 *            facade roam/roam.hpp (cxx/ in the source tree).
 */
#ifndef ROAM_H
#define ROAM_H

#include <stddef.h>
#include <stdint.h>

#include "roam/roam_errors.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ROAM_BUILDING_LIBRARY)
#define ROAM_EXPORT __attribute__((visibility("default")))
#else
#define ROAM_EXPORT
#endif

/* libuv types, for embedding in an existing loop (include <uv.h> to use). */
struct uv_loop_s;
struct uv_stream_s;

/* The handles. */
typedef struct roam_runtime roam_runtime;
typedef struct roam_session roam_session;
typedef struct roam_conn roam_conn;
typedef struct roam_listener roam_listener;
typedef struct roam_metadata roam_metadata;
typedef struct roam_options roam_options;
typedef struct roam_callbacks roam_callbacks;

/* ==== Versions and errors ================================================= */

#define ROAM_VERSION_MAJOR 1
#define ROAM_VERSION_MINOR 1
#define ROAM_VERSION_PATCH 0
/* The roam wire protocol version this library speaks. */
#define ROAM_PROTOCOL_VERSION 7

/* "1.0.0" — the library's version (static string). */
ROAM_EXPORT const char *roam_version(void);
/* (major << 16) | (minor << 8) | patch */
ROAM_EXPORT unsigned roam_version_number(void);
/* 7 */
ROAM_EXPORT uint32_t roam_protocol_version(void);
/* Describes an error code ("protocol version mismatch"); never NULL. */
ROAM_EXPORT const char *roam_strerror(int code);
/* The code's symbolic name ("ROAM_EVERSION"); never NULL. */
ROAM_EXPORT const char *roam_err_name(int code);
/* Why the most recent failing libroam call on the calling thread failed,
 * in words that name the offending value: "address \"tcp://host\" has no
 * port: use tcp://HOST:PORT", "max_frame_size 10 is below the minimum of
 * 64", "roam_session_pair: rt is NULL", "roam_call_cancel: no call 7 in
 * flight on connection 0". Set by every function that fails with
 * ROAM_EINVAL, ROAM_ENOTFOUND, ROAM_ENOBUFS, ROAM_ENOMEM or ROAM_EINTERNAL,
 * and by the session and listener constructors whatever their error.
 * Like errno, it is only ever written by a failure: a call that succeeds
 * leaves it as it was, so read it right after the call that failed.
 * Thread-local. Never NULL; "" before the thread's first such failure.
 * Valid until the thread's next failing call. */
ROAM_EXPORT const char *roam_last_error_detail(void);

/* Length meaning "NUL-terminated: use strlen". */
#define ROAM_NTS ((size_t)-1)
/* A timeout meaning "never". */
#define ROAM_NO_TIMEOUT UINT32_MAX

/* ==== Memory ============================================================== */
/*
 * Every allocation libroam.so makes (sessions, connections, buffers,
 * queued events, metadata, options) goes through these four functions, as
 * libuv's go through uv_replace_allocator(). Set them before anything is
 * created (or once everything is freed), from one thread; all four, or
 * none (NULLs) to restore malloc, realloc, calloc and free. They must
 * behave like those, and be callable from any thread. When the malloc
 * hook returns NULL the libroam call that needed the memory fails with
 * ROAM_ENOMEM, and a session that needed it while handling input or
 * timers ends with ROAM_ENOMEM: nothing leaks, nothing crashes.
 * ROAM_ESTATE while libroam still holds memory from the current ones, or
 * in the static libroam.a (whose C++ allocations use the program's
 * operator new). Allocations made by libuv itself follow libuv's
 * allocator (uv_replace_allocator), not these.
 */
typedef void *(*roam_malloc_fn)(size_t size);
typedef void *(*roam_realloc_fn)(void *ptr, size_t size);
typedef void *(*roam_calloc_fn)(size_t count, size_t size);
typedef void (*roam_free_fn)(void *ptr);
ROAM_EXPORT int roam_set_allocator(roam_malloc_fn malloc_fn, roam_realloc_fn realloc_fn,
                                   roam_calloc_fn calloc_fn, roam_free_fn free_fn);

/* ==== Metadata ============================================================ */
/*
 * Ordered (key, value, flags) lists carried by handshakes, connection
 * opens/accepts/rejects/closes, requests and channel closes. Keys may repeat.
 * Values are a UTF-8 string, raw bytes, or an unsigned 64-bit integer.
 *
 * A roam_metadata you create is yours (roam_metadata_free). One passed to a
 * callback is a read-only view into the received message, valid during the
 * callback; roam_metadata_copy() makes an owned copy. Functions that take
 * metadata accept NULL for "no metadata" and copy what they need.
 */
enum roam_metadata_kind {
  ROAM_METADATA_STRING = 0,
  ROAM_METADATA_BYTES = 1,
  ROAM_METADATA_U64 = 2
};

/* Flag bits. SENSITIVE values are never logged or shown by libroam tools;
 * NO_PROPAGATE entries should not be forwarded downstream. Other bits are
 * reserved and preserved. */
#define ROAM_METADATA_SENSITIVE 1u
#define ROAM_METADATA_NO_PROPAGATE 2u

ROAM_EXPORT int roam_metadata_new(roam_metadata **out);
/* Frees an owned list (NULL is fine). Never pass a callback's view. */
ROAM_EXPORT void roam_metadata_free(roam_metadata *md);
/* An owned deep copy of any list (view or owned). */
ROAM_EXPORT int roam_metadata_copy(const roam_metadata *md, roam_metadata **out);
/* Append an entry. ROAM_EINVAL: NULL list, key or value not UTF-8, or md is
 * a callback's read-only view. */
ROAM_EXPORT int roam_metadata_add_string(roam_metadata *md, const char *key, size_t key_len,
                                         const char *value, size_t value_len, uint64_t flags);
ROAM_EXPORT int roam_metadata_add_bytes(roam_metadata *md, const char *key, size_t key_len,
                                        const void *value, size_t value_len, uint64_t flags);
ROAM_EXPORT int roam_metadata_add_u64(roam_metadata *md, const char *key, size_t key_len,
                                      uint64_t value, uint64_t flags);
/* Number of entries (0 for NULL, which is the empty list). */
ROAM_EXPORT size_t roam_metadata_count(const roam_metadata *md);
/* Reads entry `index`. Any out-pointer may be NULL. For STRING and BYTES the
 * value is (*value, *value_len) and *u64 is 0; for U64 *value is NULL and
 * *value_len 0. Strings are not NUL-terminated. The pointers live as long
 * as the list (or the callback, for a view). ROAM_ENOTFOUND past the end. */
ROAM_EXPORT int roam_metadata_get(const roam_metadata *md, size_t index, const char **key,
                                  size_t *key_len, int *kind, const uint8_t **value,
                                  size_t *value_len, uint64_t *u64, uint64_t *flags);
/* Index of the first entry with this key, or ROAM_ENOTFOUND. */
ROAM_EXPORT int roam_metadata_find(const roam_metadata *md, const char *key, size_t key_len);

/* ==== Options ============================================================= */
/*
 * Session configuration, copied when a session or listener is created (the
 * options object can be freed or reused right after). NULL options mean
 * all defaults; every setter takes 0 as "the default".
 */
enum roam_role {
  ROAM_ROLE_DEFAULT = 0,   /* connect / adopt / custom: initiator; listen: acceptor */
  ROAM_ROLE_INITIATOR = 1, /* sends Hello */
  ROAM_ROLE_ACCEPTOR = 2   /* answers Hello with HelloYourself */
};

enum roam_parity {
  ROAM_PARITY_DEFAULT = 0, /* see each function */
  ROAM_PARITY_ODD = 1,     /* ids 1, 3, 5, … */
  ROAM_PARITY_EVEN = 2     /* ids 2, 4, 6, … */
};

ROAM_EXPORT int roam_options_new(roam_options **out);
ROAM_EXPORT void roam_options_free(roam_options *opts);
/* Role in the handshake, independent of who connected. */
ROAM_EXPORT int roam_options_set_role(roam_options *opts, int role);
/* Metadata sent in Hello / HelloYourself (copied). */
ROAM_EXPORT int roam_options_set_hello_metadata(roam_options *opts, const roam_metadata *md);
/* The initiator's session parity (default ODD, as in roam-core). The
 * acceptor always takes the opposite of the initiator's. */
ROAM_EXPORT int roam_options_set_parity(roam_options *opts, int parity);
/* Advertised for the root connection (default 64). */
ROAM_EXPORT int roam_options_set_max_concurrent_requests(roam_options *opts, uint32_t n);
/* Ping every interval_ms; end the session if a Pong takes longer than
 * timeout_ms (0 = as long as the interval). Interval 0: no keepalive (the
 * default, as in roam-core). */
ROAM_EXPORT int roam_options_set_keepalive(roam_options *opts, uint32_t interval_ms,
                                           uint32_t timeout_ms);
/* End the session if the handshake has not completed in time (default
 * 30000 ms; ROAM_NO_TIMEOUT = wait forever). The peer gets a
 * ProtocolError; the session ends with ROAM_ETIMEDOUT. */
ROAM_EXPORT int roam_options_set_handshake_timeout(roam_options *opts, uint32_t timeout_ms);
/* Largest frame accepted or sent (default 16 MiB, minimum 64 bytes). */
ROAM_EXPORT int roam_options_set_max_frame_size(roam_options *opts, uint32_t bytes);
/* Largest encoded metadata list accepted or sent (default 64 KiB). */
ROAM_EXPORT int roam_options_set_max_metadata_size(roam_options *opts, uint32_t bytes);
/* Most virtual connections alive at once, both directions, pending
 * included (default 4096). Inbound opens past it are rejected. */
ROAM_EXPORT int roam_options_set_max_connections(roam_options *opts, uint32_t n);
/* Bytes kept for channels a served call named but the application has not
 * bound yet (items that arrive before roam_conn_channel_bind), per virtual
 * connection and for the whole session. Defaults 4 MiB / 16 MiB. A peer
 * past either gets a ProtocolError and the session ends with ROAM_ELIMIT.
 * Bind a call's channels before answering or releasing it: after that,
 * traffic for ids still unbound is dropped. */
ROAM_EXPORT int roam_options_set_channel_buffer_limits(roam_options *opts,
                                                       size_t per_connection,
                                                       size_t per_session);
/* Outbound bytes not yet written to the transport: above `soft` sends
 * return ROAM_EAGAIN until the writable callback; above `hard` (a peer that
 * reads nothing, not even control replies) the session ends with
 * ROAM_ELIMIT. Defaults 4 MiB / 64 MiB; soft must end up below hard. */
ROAM_EXPORT int roam_options_set_outbound_limits(roam_options *opts, size_t soft, size_t hard);
/* A frame whose first byte has arrived must be complete within timeout_ms
 * (default 30000; ROAM_NO_TIMEOUT = no limit). A peer that stalls or
 * trickles inside a frame gets a ProtocolError and the session ends with
 * ROAM_ETIMEDOUT. Raise it if large frames cross slow links. */
ROAM_EXPORT int roam_options_set_frame_timeout(roam_options *opts, uint32_t timeout_ms);
/* An established session that receives no frame at all for timeout_ms
 * (default 300000 = 5 min; ROAM_NO_TIMEOUT = never) while nothing is in
 * progress on it (no call awaiting a response or being served, no channel
 * open, no proxy) sends a ProtocolError and ends with ROAM_ETIMEDOUT.
 * Every frame counts, Pings and Pongs included. */
ROAM_EXPORT int roam_options_set_idle_timeout(roam_options *opts, uint32_t timeout_ms);
/* For listeners: the most sessions a listener keeps at once, counted from
 * accept until the session ends (default 10000), and of those the most
 * still in handshake (default 1024). A connection over either is accepted
 * only to be refused: it gets a ProtocolError ("server busy: ...") and is
 * closed; no session is made and the accept callback does not run.
 * roam_listener_stat() counts refusals. */
ROAM_EXPORT int roam_options_set_listener_limits(roam_options *opts, uint32_t max_sessions,
                                                 uint32_t max_handshaking);
/* For TCP listeners: bind with SO_REUSEPORT (on != 0; default off), so
 * that several listeners share one address and the kernel spreads the
 * incoming connections across them: one runtime per thread, each with its
 * own listener, serves on every core. A listener bound to port 0 picks the
 * port; give the others its address (roam_listener_address). Every
 * listener on the address must set it. No effect on Unix sockets. Since
 * 1.1. */
ROAM_EXPORT int roam_options_set_reuse_port(roam_options *opts, int on);

/* ==== Runtime ============================================================= */
/*
 * A libuv loop and the services sessions need from it. Create one per
 * thread that drives sessions. It either owns a new loop (roam_runtime_new,
 * for programs and FFI users without a loop) or borrows yours
 * (roam_runtime_new_with_loop).
 *
 * The first runtime a process creates sets SIGPIPE to SIG_IGN if it still
 * has its default action (which would kill the process when a peer closes
 * a socket we are writing to); a handler the program installed is left
 * alone. Writes to a closed peer then fail with EPIPE, which ends that
 * session only.
 */
typedef void (*roam_work_cb)(roam_runtime *rt, void *user_data);

ROAM_EXPORT int roam_runtime_new(roam_runtime **out);
/* Uses `loop` (a uv_loop_t*) which must outlive the runtime. You keep
 * running the loop yourself (or through roam_runtime_run*). */
ROAM_EXPORT int roam_runtime_new_with_loop(struct uv_loop_s *loop, roam_runtime **out);
/* Frees the runtime. ROAM_ESTATE while sessions or listeners on it have
 * not finished closing. With a borrowed loop, run the loop once more
 * afterwards so libuv can finish closing the runtime's own handles. */
ROAM_EXPORT int roam_runtime_free(roam_runtime *rt);
/* Runs the loop until roam_runtime_stop() or until nothing is left to do. */
ROAM_EXPORT int roam_runtime_run(roam_runtime *rt);
/* One loop iteration, waiting for I/O if there is nothing ready. Returns
 * 1 if there is more to do, 0 if not. */
ROAM_EXPORT int roam_runtime_run_once(roam_runtime *rt);
/* One loop iteration without waiting (for polling from another loop). */
ROAM_EXPORT int roam_runtime_run_nowait(roam_runtime *rt);
/* Makes the active roam_runtime_run() (or run_once / run_nowait) return
 * soon. A stop is never lost: requested while no run is active, it makes
 * the next run call return promptly (after running work already posted).
 * It is used up by the one run it ends. Thread-safe and async-signal-safe
 * (no lock, no allocation, errno preserved): a SIGINT handler may call it.
 * Not after roam_runtime_free(). */
ROAM_EXPORT int roam_runtime_stop(roam_runtime *rt);
/* Runs cb(rt, user_data) on the loop thread at its next iteration (a loop
 * blocked waiting for I/O is woken). Any thread. */
ROAM_EXPORT int roam_runtime_post(roam_runtime *rt, roam_work_cb cb, void *user_data);
/* Wakes a loop blocked in roam_runtime_run_once(). Any thread. */
ROAM_EXPORT int roam_runtime_wake(roam_runtime *rt);
/* The loop's pollable fd (for embedding: when readable, call
 * roam_runtime_run_nowait). */
ROAM_EXPORT int roam_runtime_backend_fd(roam_runtime *rt);
/* How long the loop may sleep before its next timer, in ms; -1 when no
 * timer is pending. */
ROAM_EXPORT int roam_runtime_backend_timeout(roam_runtime *rt, int *timeout_ms);
/* The uv_loop_t* this runtime uses. */
ROAM_EXPORT struct uv_loop_s *roam_runtime_loop(roam_runtime *rt);

/* ==== The callbacks table ================================================= */
/*
 * What a session tells the application, in one table: fill it once, give
 * it to every session you create and to roam_listener_new (which gives it
 * to every session it accepts). The table is copied; free or change it
 * right after. NULL for a table means none of these callbacks: inbound
 * opens are then rejected and calls are answered UnknownMethod, as
 * roam-core does without an acceptor or a handler. Each callback gets the
 * session and the session's user_data (roam_session_set_user_data).
 */

/* Handshake finished: status 0 (peer_md = the peer's Hello/HelloYourself
 * metadata; the root connection now exists) or a negative code (the
 * handshake failed; peer_md NULL; the end callback follows). Once. */
typedef void (*roam_handshake_cb)(roam_session *s, void *user_data, int status,
                                  const roam_metadata *peer_md);
/* The session is over: error 0 for an orderly end (root released with no
 * virtual connection left), else why; reason as roam_session_last_error().
 * Every connection has had its final callback already. Once. */
typedef void (*roam_session_end_cb)(roam_session *s, void *user_data, int error,
                                    const char *reason);
/* The peer opens a virtual connection. Decide with roam_conn_accept() or
 * roam_conn_reject(), now or later. Without this callback every inbound
 * open is rejected (as roam-core does without an acceptor). */
typedef void (*roam_inbound_open_cb)(roam_session *s, void *user_data, roam_conn *conn,
                                     const roam_metadata *md);
/* Answer to roam_session_open(): status 0 = accepted (md: the peer's accept
 * metadata), ROAM_EREJECTED (md: the peer's reject metadata), or another
 * code if it never got an answer (md NULL). On failure this is the
 * connection's final callback: the handle is gone when it returns. */
typedef void (*roam_open_result_cb)(roam_session *s, void *user_data, roam_conn *conn,
                                    int status, const roam_metadata *md);

enum roam_close_origin {
  ROAM_CLOSE_LOCAL = 0,   /* roam_conn_close() / roam_conn_release() */
  ROAM_CLOSE_REMOTE = 1,  /* the peer sent ConnectionClose (md: its metadata) */
  ROAM_CLOSE_SESSION = 2  /* the session ended (reason: its error) */
};
/* A connection that was open (or pending our decision) is gone: every call,
 * served request and channel on it has ended before this. reason is 0 for
 * a plain close (ROAM_ENOMEM: closed, but its metadata could not be kept).
 * The connection's final callback: the handle is invalid when this
 * returns. */
typedef void (*roam_conn_closed_cb)(roam_session *s, void *user_data, roam_conn *conn,
                                    int origin, int reason, const roam_metadata *md);
/* A call to serve, request `request_id` on `conn`. Answer exactly once, now
 * or later, with roam_reply_ok / _user_error / _fail, or give up with
 * roam_reply_release (Cancelled goes out, as roam-core does for a dropped
 * reply). `channels` are the channel ids the arguments carry, in the
 * method's order: bind the ones you use (roam_conn_channel_bind) before
 * answering. Calls beyond the max_concurrent_requests we advertised are
 * answered Cancelled without reaching this callback. Without it, calls are
 * answered UnknownMethod. */
typedef void (*roam_serve_cb)(roam_session *s, void *user_data, roam_conn *conn,
                              uint64_t request_id, uint64_t method_id, const uint64_t *channels,
                              size_t channel_count, const roam_metadata *md, const uint8_t *args,
                              size_t args_len);
/* The caller cancelled request `request_id` we are serving (the Cancelled
 * response has gone out already): still release it (or answer: the answer
 * is dropped with ROAM_ECANCELLED); until then it counts against our
 * max_concurrent_requests. Also called for every request still unanswered
 * when its connection goes away, before the connection's closed callback
 * (answers then return ROAM_ECLOSED). Not called for requests answered
 * already. */
typedef void (*roam_serve_cancelled_cb)(roam_session *s, void *user_data, roam_conn *conn,
                                        uint64_t request_id);
/* A Pong answered one of our Pings (keepalive or roam_session_ping). */
typedef void (*roam_pong_cb)(roam_session *s, void *user_data, uint64_t nonce, uint64_t rtt_us);
/* No Pong before the keepalive deadline; the session ends right after
 * (end callback with ROAM_EKEEPALIVE). */
typedef void (*roam_keepalive_timeout_cb)(roam_session *s, void *user_data);
/* The outbound backlog fell below half the soft limit after a send
 * returned ROAM_EAGAIN: send again. */
typedef void (*roam_writable_cb)(roam_session *s, void *user_data);

/* Frame tracing: one event per message the session decodes (IN) or queues
 * to send (OUT), to see what crosses the wire when two implementations
 * disagree. An IN event comes before the callbacks its message causes; an
 * OUT event means queued (the bytes are written at the end of the loop
 * turn). While no trace callback is set, tracing costs nothing. */
enum roam_trace_direction {
  ROAM_TRACE_IN = 0,  /* received and decoded */
  ROAM_TRACE_OUT = 1  /* queued to send */
};
/* The roam v7 Message variants, by their wire discriminants. */
enum roam_message_kind {
  ROAM_MSG_HELLO = 0,
  ROAM_MSG_HELLO_YOURSELF = 1,
  ROAM_MSG_PROTOCOL_ERROR = 2,
  ROAM_MSG_CONNECTION_OPEN = 3,
  ROAM_MSG_CONNECTION_ACCEPT = 4,
  ROAM_MSG_CONNECTION_REJECT = 5,
  ROAM_MSG_CONNECTION_CLOSE = 6,
  ROAM_MSG_REQUEST = 7,
  ROAM_MSG_CHANNEL = 8,
  ROAM_MSG_PING = 9,
  ROAM_MSG_PONG = 10
};
/* The kinds of a Request message, by wire discriminant. */
enum roam_request_kind {
  ROAM_REQUEST_CALL = 0,
  ROAM_REQUEST_RESPONSE = 1,
  ROAM_REQUEST_CANCEL = 2
};
/* The kinds of a Channel message, by wire discriminant. */
enum roam_channel_kind {
  ROAM_CHANNEL_ITEM = 0,
  ROAM_CHANNEL_CLOSE = 1,
  ROAM_CHANNEL_RESET = 2,
  ROAM_CHANNEL_GRANT_CREDIT = 3
};
/* direction: a roam_trace_direction. conn_id: the message's connection.
 * message_kind: a roam_message_kind. sub_kind: for REQUEST a
 * roam_request_kind, for CHANNEL a roam_channel_kind, else -1. id: the
 * request id (REQUEST), channel id (CHANNEL) or nonce (PING, PONG), else
 * 0. frame_size: the encoded message in bytes, as the frame's length
 * prefix says (the 4-byte prefix itself not counted). An initiator's
 * Hello is traced too (it is queued when the session starts, after the
 * constructor returns). */
typedef void (*roam_trace_cb)(roam_session *s, void *user_data, int direction, uint64_t conn_id,
                              int message_kind, int sub_kind, uint64_t id, size_t frame_size);
/* "Hello", "HelloYourself", … "Pong" (static); "unknown" for other values. */
ROAM_EXPORT const char *roam_message_kind_name(int kind);

ROAM_EXPORT int roam_callbacks_new(roam_callbacks **out);
/* An independent copy of a table (to extend a shared base table). */
ROAM_EXPORT int roam_callbacks_copy(const roam_callbacks *cbs, roam_callbacks **out);
ROAM_EXPORT void roam_callbacks_free(roam_callbacks *cbs);
/* Each setter replaces one entry; NULL clears it. ROAM_EINVAL for a NULL
 * table. */
ROAM_EXPORT int roam_callbacks_set_handshake(roam_callbacks *cbs, roam_handshake_cb cb);
ROAM_EXPORT int roam_callbacks_set_session_end(roam_callbacks *cbs, roam_session_end_cb cb);
ROAM_EXPORT int roam_callbacks_set_inbound_open(roam_callbacks *cbs, roam_inbound_open_cb cb);
ROAM_EXPORT int roam_callbacks_set_open_result(roam_callbacks *cbs, roam_open_result_cb cb);
ROAM_EXPORT int roam_callbacks_set_conn_closed(roam_callbacks *cbs, roam_conn_closed_cb cb);
ROAM_EXPORT int roam_callbacks_set_serve(roam_callbacks *cbs, roam_serve_cb cb);
ROAM_EXPORT int roam_callbacks_set_serve_cancelled(roam_callbacks *cbs,
                                                   roam_serve_cancelled_cb cb);
ROAM_EXPORT int roam_callbacks_set_pong(roam_callbacks *cbs, roam_pong_cb cb);
ROAM_EXPORT int roam_callbacks_set_keepalive_timeout(roam_callbacks *cbs,
                                                     roam_keepalive_timeout_cb cb);
ROAM_EXPORT int roam_callbacks_set_writable(roam_callbacks *cbs, roam_writable_cb cb);
ROAM_EXPORT int roam_callbacks_set_trace(roam_callbacks *cbs, roam_trace_cb cb);

/* ==== Sessions ============================================================ */
/*
 * A session is one transport carrying the roam protocol. Create it by
 * connecting, accepting from a listener, adopting a connected socket, as
 * an in-process pair, or on your own transport (next section). Each
 * constructor takes the callbacks table and the session's user_data; no
 * I/O and no callback happens before control returns to the loop.
 *
 * Lifetime: every session you get must be closed with roam_session_close()
 * (also after it ended by itself); its close callback is the last callback
 * for it and its connections.
 */
enum roam_session_state {
  ROAM_SESSION_CONNECTING = 1,  /* resolving / connecting the transport */
  ROAM_SESSION_HANDSHAKING = 2,
  ROAM_SESSION_ESTABLISHED = 3,
  ROAM_SESSION_ENDED = 4,       /* over; see roam_session_last_error() */
  ROAM_SESSION_CLOSING = 5      /* roam_session_close() called */
};

/* Connects to "tcp://HOST:PORT" (IPv4, [IPv6] or a name) or "unix:PATH"
 * ("unix:///abs/path" also works). Returns at once; the session is
 * CONNECTING. A connect failure ends it (handshake callback with ROAM_EIO,
 * then the end callback). */
ROAM_EXPORT int roam_session_connect(roam_runtime *rt, const char *address,
                                     const roam_options *opts, const roam_callbacks *cbs,
                                     void *user_data, roam_session **out);
/* Takes over an already connected socket fd (TCP or Unix). The session owns
 * and closes it (also when this fails). */
ROAM_EXPORT int roam_session_adopt_fd(roam_runtime *rt, int fd, const roam_options *opts,
                                      const roam_callbacks *cbs, void *user_data,
                                      roam_session **out);
/* Takes over a connected, initialized uv_stream_t on the runtime's loop.
 * The session stops, and uv_close()s, the stream; its memory must stay
 * valid until the session's close callback. */
ROAM_EXPORT int roam_session_adopt_stream(roam_runtime *rt, struct uv_stream_s *stream,
                                          const roam_options *opts, const roam_callbacks *cbs,
                                          void *user_data, roam_session **out);
/* Two sessions joined by an in-process socket pair: `a` the initiator, `b`
 * the acceptor (unless their options say otherwise). */
ROAM_EXPORT int roam_session_pair(roam_runtime *rt, const roam_options *a_opts,
                                  const roam_callbacks *a_cbs, void *a_user_data,
                                  const roam_options *b_opts, const roam_callbacks *b_cbs,
                                  void *b_user_data, roam_session **a, roam_session **b);

/* Ends the session at once if still running (every connection gets its
 * closed callback, then the end callback), flushes what is queued, closes
 * the transport, then calls close_cb. NULL close_cb is allowed. Calling it
 * twice is ROAM_ESTATE. */
typedef void (*roam_session_close_cb)(roam_session *s, void *user_data);
ROAM_EXPORT int roam_session_close(roam_session *s, roam_session_close_cb close_cb,
                                   void *user_data);
/* Ends the session now (connections closed, end callback with
 * ROAM_ESHUTDOWN) without freeing the handle. */
ROAM_EXPORT int roam_session_shutdown(roam_session *s);

ROAM_EXPORT void roam_session_set_user_data(roam_session *s, void *user_data);
ROAM_EXPORT void *roam_session_get_user_data(const roam_session *s);
/* NULL for a session on your own transport. */
ROAM_EXPORT roam_runtime *roam_session_runtime(const roam_session *s);
/* A roam_session_state value. */
ROAM_EXPORT int roam_session_state(const roam_session *s);
/* ROAM_ROLE_INITIATOR or ROAM_ROLE_ACCEPTOR. */
ROAM_EXPORT int roam_session_role(const roam_session *s);
/* Our session parity (ROAM_PARITY_ODD or _EVEN) once established
 * (ROAM_ESTATE before). */
ROAM_EXPORT int roam_session_parity(const roam_session *s);
/* Why the session ended: *error gets the code (0 for an orderly end);
 * ROAM_ESTATE while it is running. */
ROAM_EXPORT int roam_session_error(const roam_session *s, int *error);
/* The readable reason it ended ("" while running). Lives as long as the
 * session handle. */
ROAM_EXPORT const char *roam_session_last_error(const roam_session *s);
/* The root connection (id 0), once the handshake is done (ROAM_ESTATE
 * before). The same handle every time. */
ROAM_EXPORT int roam_session_root(roam_session *s, roam_conn **out);
/* Sends a Ping now; its Pong is reported to the pong callback with the
 * round trip. *nonce (may be NULL) receives the Ping's nonce. */
ROAM_EXPORT int roam_session_ping(roam_session *s, uint64_t *nonce);
/* Bytes queued or being written to the transport. */
ROAM_EXPORT int roam_session_outbound_backlog(const roam_session *s, size_t *bytes);

/* Counters for roam_session_stat(). */
enum roam_stat {
  ROAM_STAT_FRAMES_IN = 0,
  ROAM_STAT_FRAMES_OUT = 1,
  ROAM_STAT_BYTES_IN = 2,
  ROAM_STAT_BYTES_OUT = 3,
  ROAM_STAT_DROPPED_MESSAGES = 4, /* for unknown or pending connections */
  ROAM_STAT_PINGS_SENT = 5,
  ROAM_STAT_PONGS_SENT = 6,
  ROAM_STAT_OPEN_CONNECTIONS = 7  /* virtual ones, pending included */
};
ROAM_EXPORT int roam_session_stat(const roam_session *s, int which, uint64_t *value);

/* Opens a virtual connection. parity: the parity we use for request and
 * channel ids on it (0 = our session parity); the peer answers with the
 * other. max_concurrent_requests: what we advertise (0 = 64). The
 * connection is PENDING until the open-result callback reports the
 * answer. `conn_user_data` is set on the new handle. */
ROAM_EXPORT int roam_session_open(roam_session *s, int parity, uint32_t max_concurrent_requests,
                                  const roam_metadata *md, void *conn_user_data,
                                  roam_conn **out);

/* ==== Bring your own transport ============================================= */
/*
 * A session with no libuv under it: the application owns the transport (a
 * TLS stream, a WebSocket, a host program's event loop, a serial line) and
 * moves the bytes, as with nghttp2's mem_recv / mem_send:
 *   - bytes it read go in with roam_session_receive(), end of stream with
 *     roam_session_receive_eof();
 *   - bytes to write are shown in place by roam_session_pending_output()
 *     (no copy); after writing n of them, roam_session_consume_output(n);
 *   - time is an input: each driving call takes the current time in
 *     microseconds on any monotonic clock of the application's (a time
 *     earlier than one given before counts as that one), and
 *     roam_session_next_deadline() says when to call roam_session_tick()
 *     at the latest (keepalive, handshake / frame / idle timeouts, and
 *     callbacks waiting to run: then the deadline is "now").
 * Callbacks of such a session run only inside roam_session_receive(),
 * roam_session_receive_eof() and roam_session_tick(). Those your own calls
 * cause wait for the next of them. Everything else works as for any
 * session; roam_session_runtime() is NULL.
 * Closing: roam_session_close() as usual; keep writing pending output until
 * roam_session_pending_output() says ROAM_ECLOSED (the roam side is done:
 * close your transport), then call roam_session_tick(): the close callback
 * runs there, and the handle is invalid once it returns.
 */
/* A session on your transport. Role: initiator unless the options say
 * otherwise (an initiator's Hello is pending output at once). */
ROAM_EXPORT int roam_session_new_custom(const roam_options *opts, const roam_callbacks *cbs,
                                        void *user_data, uint64_t now_us, roam_session **out);
/* Bytes read from your transport, in any split. ROAM_EAGAIN: the session
 * does not read now (a connection it proxies into is congested); feed them
 * again later. ROAM_ECLOSED: the roam side is done. ROAM_EINVAL: not a
 * session of this kind. */
ROAM_EXPORT int roam_session_receive(roam_session *s, const void *data, size_t len,
                                     uint64_t now_us);
/* Your transport reached end of stream (or failed). */
ROAM_EXPORT int roam_session_receive_eof(roam_session *s, uint64_t now_us);
/* Points *data / *len at the bytes to write (*len 0: nothing now). They
 * stay valid until the next libroam call on this session. ROAM_ECLOSED
 * (with *len 0) once everything was written and the session is done. */
ROAM_EXPORT int roam_session_pending_output(roam_session *s, const uint8_t **data, size_t *len);
/* The first `len` bytes of the pending output were written. */
ROAM_EXPORT int roam_session_consume_output(roam_session *s, size_t len);
/* When roam_session_tick() is due, on your clock (UINT64_MAX: only when
 * bytes arrive). */
ROAM_EXPORT int roam_session_next_deadline(roam_session *s, uint64_t *deadline_us);
/* Runs what is due at now_us: timers, and callbacks waiting to run. */
ROAM_EXPORT int roam_session_tick(roam_session *s, uint64_t now_us);

/* ==== Connections ========================================================= */
/*
 * The root (id 0) and virtual connections. Handles are owned by the session.
 * A handle ends with exactly one final callback: its closed callback, or a
 * failed open-result callback; or with your own roam_conn_reject() (the
 * handle is invalid once that returns). Between the moment a connection
 * closes and its final callback, functions on it return ROAM_ECLOSED.
 */
enum roam_conn_state {
  ROAM_CONN_PENDING_OUTBOUND = 1, /* we opened it, no answer yet */
  ROAM_CONN_PENDING_INBOUND = 2,  /* the peer opened it, awaiting our decision */
  ROAM_CONN_OPEN = 3,
  ROAM_CONN_CLOSED = 4            /* its final callback is queued */
};

ROAM_EXPORT int roam_conn_id(const roam_conn *conn, uint64_t *id);
/* A roam_conn_state value. */
ROAM_EXPORT int roam_conn_state(const roam_conn *conn);
ROAM_EXPORT roam_session *roam_conn_session(const roam_conn *conn);
ROAM_EXPORT void roam_conn_set_user_data(roam_conn *conn, void *user_data);
ROAM_EXPORT void *roam_conn_get_user_data(const roam_conn *conn);
/* Settings as (parity, max_concurrent_requests); ROAM_ESTATE if not known
 * yet (ours before we accept, the peer's before it accepts). */
ROAM_EXPORT int roam_conn_local_settings(const roam_conn *conn, int *parity,
                                         uint32_t *max_concurrent_requests);
ROAM_EXPORT int roam_conn_peer_settings(const roam_conn *conn, int *parity,
                                        uint32_t *max_concurrent_requests);

/* Accepts a pending inbound open with our settings (parity 0 = the
 * opposite of the opener's; max_concurrent_requests 0 = 64) and
 * metadata. */
ROAM_EXPORT int roam_conn_accept(roam_conn *conn, int parity, uint32_t max_concurrent_requests,
                                 const roam_metadata *md);
/* Rejects a pending inbound open; the handle is invalid afterwards. */
ROAM_EXPORT int roam_conn_reject(roam_conn *conn, const roam_metadata *md);
/* Closes a virtual connection (open, or pending outbound: its open then
 * fails with ROAM_ECLOSED). ROAM_EROOT for the root. The closed (or open
 * result) callback follows later. */
ROAM_EXPORT int roam_conn_close(roam_conn *conn, const roam_metadata *md);
/* "I am done with this connection" (roam-core's last caller drop): a
 * virtual connection is closed with empty metadata; the root is closed
 * internally (nothing sent) and the session ends once no virtual
 * connection remains. The root keeps serving inbound requests meanwhile. */
ROAM_EXPORT int roam_conn_release(roam_conn *conn);

/* ==== Calls ================================================================ */
/*
 * RPC on a connection (roam-core's Driver): request ids from the
 * connection's parity, at most the peer's max_concurrent_requests calls in
 * flight (ROAM_EAGAIN past it, never a protocol violation), exactly one
 * completion per call, exactly one answer per served request.
 *
 * Arguments and results are postcard bytes: libroam frames and routes
 * them, your code (or a typed layer) encodes and decodes them. Responses
 * carry Result<T, RoamError<E>>; libroam unwraps that envelope for you
 * (the status of the response callback) and wraps it for roam_reply_ok()
 * and roam_reply_user_error().
 */

/* Exactly once per call; the call's final callback. status and value:
 *   ROAM_OK               value = the returned T (postcard)
 *   ROAM_EUSER            value = the method's error E (postcard)
 *   ROAM_EUNKNOWNMETHOD, ROAM_EINVALIDPAYLOAD
 *   ROAM_ECANCELLED       the peer cancelled it, or you did (roam_call_cancel)
 *   ROAM_EPROTO           the response was not a Result (value = its bytes)
 *   ROAM_ENOMEM           a response came but could not be kept (out of
 *                         memory; value empty)
 *   other codes           no response will come: the connection or session
 *                         went away (ROAM_ECLOSED, ROAM_EEOF, ROAM_ESHUTDOWN…)
 * md is the response's metadata (NULL without a response). */
typedef void (*roam_response_cb)(roam_conn *conn, void *user_data, uint64_t request_id,
                                 int status, const roam_metadata *md, const uint8_t *value,
                                 size_t value_len);

/* Calls method_id with postcard-encoded args; `channels` lists the channel
 * ids the arguments carry (from roam_conn_channel_open), in the order the
 * method's signature has them (NULL when channel_count is 0). ROAM_EAGAIN
 * when the peer's limit of calls in flight is reached or the session's
 * outbound backlog is above its soft limit (retry after a completion or
 * the writable callback). *request_id (may be NULL) receives the call's
 * id, which addresses it from then on. */
ROAM_EXPORT int roam_conn_call(roam_conn *conn, uint64_t method_id, const uint64_t *channels,
                               size_t channel_count, const roam_metadata *md, const void *args,
                               size_t args_len, roam_response_cb cb, void *user_data,
                               uint64_t *request_id);
/* Sends Cancel; the call completes with ROAM_ECANCELLED (after this
 * returns). A response that still arrives is dropped. ROAM_ENOTFOUND if no
 * such call is in flight (it completed, or was cancelled already). */
ROAM_EXPORT int roam_call_cancel(roam_conn *conn, uint64_t request_id, const roam_metadata *md);

/* ---- Serving ---------------------------------------------------------------- */
/*
 * Requests arrive at the serve callback of the session's table. Each of
 * these answers request `request_id` of `conn` and ends it, whatever they
 * return: ROAM_ECANCELLED (the caller had cancelled: a Cancelled response
 * went out instead), ROAM_ECLOSED (the connection is gone), ROAM_EINVAL
 * (bad arguments: Cancelled went out, as with roam_reply_release),
 * ROAM_ENOTFOUND (no such request waits for an answer: answered already,
 * or never served).
 */
/* Ok(value): value is the postcard of T. */
ROAM_EXPORT int roam_reply_ok(roam_conn *conn, uint64_t request_id, const roam_metadata *md,
                              const void *value, size_t value_len);
/* Err(User(error)): error is the postcard of the method's E. */
ROAM_EXPORT int roam_reply_user_error(roam_conn *conn, uint64_t request_id,
                                      const roam_metadata *md, const void *error,
                                      size_t error_len);
/* Err(UnknownMethod / InvalidPayload / Cancelled): code is
 * ROAM_EUNKNOWNMETHOD, ROAM_EINVALIDPAYLOAD or ROAM_ECANCELLED. */
ROAM_EXPORT int roam_reply_fail(roam_conn *conn, uint64_t request_id, int code,
                                const roam_metadata *md);
/* No answer will come: Cancelled goes out if nothing was sent. */
ROAM_EXPORT int roam_reply_release(roam_conn *conn, uint64_t request_id);

/* ==== Channels ============================================================= */
/*
 * One-way streams of items that travel alongside a call (Tx<T>/Rx<T> in a
 * roam method's arguments). The caller creates them with
 * roam_conn_channel_open and lists their ids in the call; the server binds
 * the ids it receives with roam_conn_channel_bind. Either way the channel's
 * callbacks and user_data are given there. Flow control is roam's item
 * credit: the sender starts with `initial_credit` (the N of Tx<T, N>; 0 =
 * 16) and never exceeds it; libroam queues up to 64 items per channel
 * beyond that and then says ROAM_EAGAIN until the writable callback. The
 * receiver grants credit back as items are delivered (automatically, or
 * with roam_channel_grant in manual mode).
 *
 * A channel ends with exactly one end callback, its final one; its id then
 * answers ROAM_ENOTFOUND. An operation for the other direction (sending
 * on a receiving channel, granting on a sending one, asking a receiving
 * one for its credit) is ROAM_EINVAL.
 */
enum roam_channel_direction {
  ROAM_CHANNEL_SEND = 1,    /* we send items (a Tx on our side) */
  ROAM_CHANNEL_RECEIVE = 2  /* we receive items (an Rx on our side) */
};
#define ROAM_DEFAULT_CHANNEL_CREDIT 16

/* An item arrived (receiving channels). */
typedef void (*roam_channel_item_cb)(roam_conn *conn, uint64_t channel_id, void *user_data,
                                     const uint8_t *item, size_t item_len);
/* The channel is over. reason: 0 = closed (by the sender, or our own close
 * went out), ROAM_ERESET = reset (by the receiver), ROAM_EPROTO = the peer
 * broke its rules (items beyond credit), ROAM_ENOMEM = ended but its
 * metadata could not be kept (md NULL), else the connection's end. */
typedef void (*roam_channel_end_cb)(roam_conn *conn, uint64_t channel_id, void *user_data,
                                    int reason, const roam_metadata *md);
/* A send that got ROAM_EAGAIN can be retried (sending channels). */
typedef void (*roam_channel_writable_cb)(roam_conn *conn, uint64_t channel_id, void *user_data);

/* A new channel with an id of the connection's parity, written to
 * *channel_id. direction is required (ROAM_EINVAL for 0). Any callback may
 * be NULL. */
ROAM_EXPORT int roam_conn_channel_open(roam_conn *conn, int direction, uint32_t initial_credit,
                                       roam_channel_item_cb on_item,
                                       roam_channel_end_cb on_end,
                                       roam_channel_writable_cb on_writable, void *user_data,
                                       uint64_t *channel_id);
/* Takes up a channel id the peer allocated (from a served request's channel
 * list). Items that arrived before are delivered (after this returns).
 * ROAM_ENOTFOUND: no request being served here named the id (or it was
 * answered, or the channel ended); ROAM_ESTATE: bound already. */
ROAM_EXPORT int roam_conn_channel_bind(roam_conn *conn, uint64_t channel_id, int direction,
                                       uint32_t initial_credit, roam_channel_item_cb on_item,
                                       roam_channel_end_cb on_end,
                                       roam_channel_writable_cb on_writable, void *user_data);
/* Sends one item (postcard of T). ROAM_EAGAIN when the queue is full. */
ROAM_EXPORT int roam_channel_send(roam_conn *conn, uint64_t channel_id, const void *item,
                                  size_t item_len);
/* Sender: no more items; Close goes out after the queued ones. */
ROAM_EXPORT int roam_channel_close(roam_conn *conn, uint64_t channel_id,
                                   const roam_metadata *md);
/* Receiver: asks the sender to stop (Reset); the channel ends here. */
ROAM_EXPORT int roam_channel_reset(roam_conn *conn, uint64_t channel_id,
                                   const roam_metadata *md);
/* Receiver: take over granting credit (manual != 0) with roam_channel_grant. */
ROAM_EXPORT int roam_channel_set_manual_credit(roam_conn *conn, uint64_t channel_id, int manual);
ROAM_EXPORT int roam_channel_grant(roam_conn *conn, uint64_t channel_id, uint32_t additional);
/* Sender: items we may still send now; items waiting in the queue. */
ROAM_EXPORT int roam_channel_credit(const roam_conn *conn, uint64_t channel_id,
                                    uint32_t *credit);
ROAM_EXPORT int roam_channel_queued(const roam_conn *conn, uint64_t channel_id, size_t *queued);

/* ==== Proxying ============================================================= */
/*
 * Forwards every request and channel message between two open connections,
 * of one session or of two on the same runtime, verbatim: same request and
 * channel ids, metadata and payload bytes copied, nothing decoded or
 * re-encoded (roam-core's proxy_connections). When either connection ends,
 * the other is closed. Pick the two connections' parities so that ids
 * line up: the peer on `left` must use the same parity as the peer on
 * `right`. Neither connection may have calls or channels of its own.
 * A congested side pauses reading on the other until it drains.
 */
ROAM_EXPORT int roam_conn_proxy(roam_conn *left, roam_conn *right);

/* ==== Listeners =========================================================== */
/*
 * Accepts transports on "tcp://HOST:PORT" (port 0 picks a free one) or
 * "unix:PATH" and makes a session of each (role: acceptor unless the
 * options say otherwise), with the listener's callbacks table and, as its
 * user_data, the listener's user_data (change it in the accept callback
 * with roam_session_set_user_data). The accept callback runs before the
 * session reads anything.
 */
typedef void (*roam_accept_cb)(roam_listener *l, void *user_data, int status,
                               roam_session *s);
typedef void (*roam_listener_close_cb)(roam_listener *l, void *user_data);
/* on_accept may be NULL: every transport accepted is then closed at once
 * (a listener that only holds its address). */

ROAM_EXPORT int roam_listener_new(roam_runtime *rt, const char *address,
                                  const roam_options *opts, const roam_callbacks *cbs,
                                  roam_accept_cb on_accept, void *user_data,
                                  roam_listener **out);
/* The bound address, e.g. "tcp://127.0.0.1:40123", NUL-terminated into buf.
 * *len: in, the size of buf; out, the address's length without the NUL.
 * 0 on success; ROAM_ENOBUFS when buf is too small: *len is then the size
 * needed (length + 1). */
ROAM_EXPORT int roam_listener_address(const roam_listener *l, char *buf, size_t *len);
/* The bound TCP port (ROAM_EINVAL for Unix listeners). */
ROAM_EXPORT int roam_listener_port(const roam_listener *l);
/* Counters for roam_listener_stat(). */
enum roam_listener_stat_kind {
  ROAM_LISTENER_STAT_SESSIONS = 0,    /* accepted sessions not ended yet */
  ROAM_LISTENER_STAT_HANDSHAKING = 1, /* of those, still in handshake */
  ROAM_LISTENER_STAT_ACCEPTED = 2,    /* sessions handed to the accept callback */
  ROAM_LISTENER_STAT_REFUSED = 3      /* connections refused over a limit */
};
ROAM_EXPORT int roam_listener_stat(const roam_listener *l, int which, uint64_t *value);
/* Stops accepting (a Unix socket file it created is removed). Sessions
 * already accepted are not affected. */
ROAM_EXPORT int roam_listener_close(roam_listener *l, roam_listener_close_cb cb,
                                    void *user_data);

#ifdef __cplusplus
}
#endif

#endif /* ROAM_H */
