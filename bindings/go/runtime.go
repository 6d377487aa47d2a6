package roam

/*
#include "glue.h"
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"runtime/cgo"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Runtime is one libroam runtime (a libuv loop) driven by one goroutine
// locked to its OS thread, which runs roam_runtime_run. Every libroam call
// on the runtime's objects is made on that thread: the methods of Session,
// Conn, Tx, Rx and Listener called from other goroutines queue their work
// (a batch per roam_runtime_post) and wait for the result on a channel.
// Callbacks you register run on that goroutine: they must not block.
type Runtime struct {
	rt   *C.roam_runtime
	h    cgo.Handle
	tid  int
	id   uintptr
	live int32 // 1 while the loop goroutine runs (holds its locked thread)
	wake chan struct{}
	done chan struct{}

	mu      sync.Mutex
	queue   []func()
	spare   []func()
	posted  bool
	closed  bool // no more work accepted
	stopped bool

	// loop goroutine only
	closing   bool
	finished  bool
	toks      map[uintptr]any
	nextTok   uintptr
	sessions  map[*Session]struct{}
	listeners map[*Listener]struct{}
	cbs       *C.roam_callbacks
	onPanic   func(any)
}

var (
	defaultOnce sync.Once
	defaultRT   *Runtime
	defaultErr  error
)

// DefaultRuntime is the process-wide runtime used when no WithRuntime
// option is given. It is started on first use and never closed.
func DefaultRuntime() (*Runtime, error) {
	defaultOnce.Do(func() { defaultRT, defaultErr = NewRuntime() })
	return defaultRT, defaultErr
}

// NewRuntime starts a runtime on a new goroutine locked to its OS thread.
// Close it when done.
func NewRuntime() (*Runtime, error) {
	r := &Runtime{
		wake:      make(chan struct{}, 1),
		done:      make(chan struct{}),
		toks:      map[uintptr]any{},
		sessions:  map[*Session]struct{}{},
		listeners: map[*Listener]struct{}{},
	}
	r.h = cgo.NewHandle(r)
	r.id = uintptr(atomic.AddUint32(&nextRuntime, 1) & 0xffff)
	runtimeIDs.Store(r.id, r)
	ready := make(chan error, 1)
	go r.loop(ready)
	if err := <-ready; err != nil {
		r.h.Delete()
		return nil, err
	}
	return r, nil
}

// OnPanic sets what is told of a panic recovered in a callback or handler
// (default: printed to stderr with its stack). Call before creating sessions.
func (r *Runtime) OnPanic(fn func(recovered any)) { r.onPanic = fn }

func (r *Runtime) loop(ready chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if rc := C.roam_runtime_new(&r.rt); rc != 0 {
		ready <- errorOf(rc, "roam_runtime_new")
		return
	}
	r.cbs = C.roamgo_callbacks()
	r.tid = syscall.Gettid()
	atomic.StoreInt32(&r.live, 1)
	defer atomic.StoreInt32(&r.live, 0)
	ready <- nil
	for !r.finished {
		C.roam_runtime_run(r.rt)
		if r.finished {
			break
		}
		<-r.wake
	}
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.drain()
	for i := 0; i < 5000; i++ {
		if C.roam_runtime_free(r.rt) == 0 {
			break
		}
		C.roam_runtime_run_nowait(r.rt)
		time.Sleep(time.Millisecond)
	}
	C.roam_callbacks_free(r.cbs)
	r.h.Delete()
	runtimeIDs.Delete(r.id)
	close(r.done)
}

// onLoop says whether the caller runs on the runtime's goroutine.
// (Once the loop has ended its thread may run other goroutines: then no one is.)
func (r *Runtime) onLoop() bool { return atomic.LoadInt32(&r.live) == 1 && syscall.Gettid() == r.tid }

// post queues fn to run on the loop goroutine. Work queued between two
// loop turns runs as one batch from one roam_runtime_post.
func (r *Runtime) post(fn func()) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return newError(ECLOSED, "the runtime is closed")
	}
	r.queue = append(r.queue, fn)
	need := !r.posted
	r.posted = true
	r.mu.Unlock()
	if need {
		if rc := C.roamgo_post(r.rt, C.uintptr_t(r.h)); rc != 0 {
			return errorOf(rc, "roam_runtime_post")
		}
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// do runs fn on the loop goroutine and waits for it (directly when called
// from the loop goroutine itself).
func (r *Runtime) do(fn func() error) error {
	if r.onLoop() {
		return fn()
	}
	ch := make(chan error, 1)
	if err := r.post(func() { ch <- fn() }); err != nil {
		return err
	}
	select {
	case err := <-ch:
		return err
	case <-r.done:
		select {
		case err := <-ch:
			return err
		default:
			return newError(ECLOSED, "the runtime is closed")
		}
	}
}

func (r *Runtime) drain() {
	for {
		r.mu.Lock()
		q := r.queue
		r.queue = r.spare[:0]
		r.posted = false
		r.mu.Unlock()
		if len(q) == 0 {
			return
		}
		for i, fn := range q {
			r.safely(fn)
			q[i] = nil
		}
		r.mu.Lock()
		r.spare = q
		r.mu.Unlock()
		return
	}
}

// safely runs fn, recovering (and reporting) a panic.
func (r *Runtime) safely(fn func()) {
	defer func() {
		if p := recover(); p != nil {
			r.reportPanic(p)
		}
	}()
	fn()
}

func (r *Runtime) reportPanic(p any) {
	if r.onPanic != nil {
		func() {
			defer func() { _ = recover() }()
			r.onPanic(p)
		}()
		return
	}
	fmt.Fprintf(os.Stderr, "roam: recovered panic in a callback: %v\n%s", p, debug.Stack())
}

// token registers a call or channel of this runtime: an integer for C's
// user_data whose high 16 bits name the runtime (runtimeByToken).
func (r *Runtime) token(v any) uintptr {
	r.nextTok++
	t := r.id<<48 | (r.nextTok & (1<<48 - 1))
	r.toks[t] = v
	return t
}

var (
	runtimeIDs  sync.Map // id -> *Runtime
	nextRuntime uint32
)

func runtimeByToken(tok uintptr) *Runtime {
	v, ok := runtimeIDs.Load(tok >> 48)
	if !ok {
		return nil
	}
	return v.(*Runtime)
}

// Close closes every session and listener of the runtime, waits for their
// close callbacks, stops the loop and frees the runtime.
func (r *Runtime) Close() error {
	if r.onLoop() {
		return newError(ESTATE, "Runtime.Close called from the runtime's own goroutine")
	}
	err := r.post(func() {
		r.closing = true
		for s := range r.sessions {
			s.closeLocked()
		}
		for l := range r.listeners {
			l.closeLocked()
		}
		r.maybeFinish()
	})
	if err != nil {
		<-r.done
		return nil
	}
	<-r.done
	return nil
}

func (r *Runtime) maybeFinish() {
	if r.closing && len(r.sessions) == 0 && len(r.listeners) == 0 && !r.finished {
		r.finished = true
		C.roam_runtime_stop(r.rt)
	}
}

// Done is closed once the runtime has been freed.
func (r *Runtime) Done() <-chan struct{} { return r.done }
