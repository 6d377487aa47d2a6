// Package roam is the Go binding of libroam: the roam 7.3.0 RPC session
// protocol (wire-compatible with the Rust roam-core crates) over libroam's
// C API, through cgo (`#cgo pkg-config: roam`). Module
// github.com/libroam/roam-go; Go >= 1.19; standard library only.
//
// # Thread model
//
// A Runtime is one libroam runtime (a libuv loop) driven by one goroutine
// locked to its OS thread (runtime.LockOSThread) that runs
// roam_runtime_run; every libroam call on the runtime's objects is made on
// that thread. Calls from other goroutines queue a closure; the first one
// queued since the loop's last turn makes one roam_runtime_post, whose C
// trampoline calls an exported Go function with the runtime's cgo.Handle,
// and that function runs the whole batch. Blocking methods wait for their
// result on a channel; Conn.Go completes on a channel you give.
//
// Callbacks into Go are //export functions reached through static C
// trampolines (glue.c). All user_data crossing into C are integers
// (cgo.Handle values for runtimes, sessions and listeners; per-runtime
// tokens for calls and channels): C never holds a Go pointer and nothing
// it can call is ever collected. Every callback recovers panics, so none
// unwinds into C.
//
// Your event callbacks (OnInboundOpen, OnConnClosed, OnKeepaliveTimeout,
// OnEnd, Rx.ForEach, a raw Handler's ServeRoam) run on the runtime's
// goroutine and must not block; a blocking call made there returns
// ErrState instead of deadlocking. A typed service's handlers run each on
// its own goroutine. Everything else is safe for concurrent use from any
// goroutine.
//
// # Ownership
//
// Sessions are yours to Close; connections, calls and channels end with
// libroam's final callbacks, after which every method on them returns an
// error (ErrClosed, io.EOF, ErrNotFound...) and never reaches freed memory.
//
// # Errors
//
// Failures are *Error values carrying the ROAM_E* code, its name, the
// roam_strerror text and roam_last_error_detail; errors.Is(err, ErrClosed)
// and friends compare codes. A Result<T, E> method's user error is an
// *Error with Code EUSER whose User field (and Unwrap) is the decoded E.
package roam
