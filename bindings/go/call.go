package roam

/*
#include "glue.h"
*/
import "C"

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"
)

// callState is one outgoing call; its fields past `done` are written on
// the loop goroutine before done is closed.
type callState struct {
	conn    *Conn
	method  uint64
	args    []byte
	md      Metadata
	chans   []*chanCore
	chanIDs []uint64
	// typed layer: decodes the response on the loop goroutine (view bytes)
	decode func(cs *callState, status int, p unsafe.Pointer, n int)

	rid       uint64
	tok       uintptr
	opened    bool
	started   bool
	finished  bool
	cancelled bool
	ctxErr    error

	done   chan struct{}
	async  *Call       // Conn.Go / GoFunc
	asyncF func(*Call) // Conn.GoFunc: called on the runtime's goroutine
	err    error
	value  []byte
	result any
	respMD Metadata
}

// finish completes the call (loop goroutine).
func (cs *callState) finish(err error) {
	if cs.finished {
		return
	}
	cs.finished = true
	if err != nil && cs.ctxErr != nil {
		if e, ok := err.(*Error); ok && e.Code == ECANCELLED {
			e.cause = cs.ctxErr
		}
	}
	cs.err = err
	if cs.tok != 0 {
		delete(cs.conn.sess.r.toks, cs.tok)
	}
	for _, ch := range cs.chans {
		if !ch.attached && !ch.ended {
			ch.fail(err)
		}
	}
	if a := cs.async; a != nil {
		a.Err, a.Metadata = err, cs.respMD
		if err == nil {
			a.Value = cs.value
		}
		if cs.asyncF != nil {
			cs.conn.sess.r.safely(func() { cs.asyncF(a) })
			return
		}
		select {
		case a.Done <- a:
		default: // a full channel: deliver without blocking the loop
			go func() { a.Done <- a }()
		}
		return
	}
	close(cs.done)
}

// start sends the call, or keeps it in the connection's backlog while the
// peer's limit of calls in flight is reached (loop goroutine).
func (c *Conn) start(cs *callState, fromBacklog bool) bool {
	if cs.finished {
		return true
	}
	if c.c == nil {
		cs.finish(newError(ECLOSED, "the connection is closed"))
		return true
	}
	if cs.cancelled {
		cs.finish(&Error{Code: ECANCELLED, Name: "ROAM_ECANCELLED", Detail: "cancelled before it was sent"})
		return true
	}
	if !fromBacklog && len(c.backlog) > 0 {
		c.backlog = append(c.backlog, cs)
		return false
	}
	r := c.sess.r
	if cs.tok == 0 {
		cs.tok = r.token(cs)
	}
	if !cs.opened {
		cs.opened = true
		for _, ch := range cs.chans {
			if err := ch.open(c); err != nil {
				cs.finish(err)
				return true
			}
			cs.chanIDs = append(cs.chanIDs, ch.id)
		}
	}
	var cmd *C.roam_metadata
	if len(cs.md) > 0 {
		var err error
		if cmd, err = cs.md.toC(); err != nil {
			cs.finish(err)
			return true
		}
		defer C.roam_metadata_free(cmd)
	}
	var argp unsafe.Pointer
	if len(cs.args) > 0 {
		argp = unsafe.Pointer(&cs.args[0])
	}
	var chp *C.uint64_t
	if len(cs.chanIDs) > 0 {
		chp = (*C.uint64_t)(unsafe.Pointer(&cs.chanIDs[0]))
	}
	var rid C.uint64_t
	rc := C.roamgo_call(c.c, C.uint64_t(cs.method), chp, C.size_t(len(cs.chanIDs)), cmd, argp,
		C.size_t(len(cs.args)), C.uintptr_t(cs.tok), &rid)
	if rc == EAGAIN {
		if !fromBacklog {
			c.backlog = append(c.backlog, cs)
		}
		return false
	}
	if rc != 0 {
		cs.finish(errorOf(rc, "roam_conn_call"))
		return true
	}
	cs.started = true
	cs.rid = uint64(rid)
	for _, ch := range cs.chans {
		ch.markAttached()
	}
	return true
}

// retryBacklog sends queued calls until the limit is reached again.
func (c *Conn) retryBacklog() {
	for len(c.backlog) > 0 {
		if !c.start(c.backlog[0], true) {
			return
		}
		c.backlog[0] = nil
		c.backlog = c.backlog[1:]
	}
}

func (c *Conn) cancel(cs *callState) {
	if cs.finished {
		return
	}
	cs.cancelled = true
	if !cs.started {
		for i, b := range c.backlog {
			if b == cs {
				c.backlog = append(c.backlog[:i], c.backlog[i+1:]...)
				break
			}
		}
		cs.finish(&Error{Code: ECANCELLED, Name: "ROAM_ECANCELLED", Detail: "cancelled before it was sent"})
		return
	}
	if c.c != nil {
		C.roam_call_cancel(c.c, C.uint64_t(cs.rid), nil)
	}
}

// complete runs the call on the loop and waits for its completion; a
// context that ends first cancels the call (roam_call_cancel).
func (c *Conn) complete(ctx context.Context, cs *callState) error {
	r := c.sess.r
	if r.onLoop() {
		return newError(ESTATE, "a blocking call from the runtime's goroutine (a callback): start a goroutine")
	}
	cs.done = make(chan struct{})
	if err := r.post(func() { c.start(cs, false) }); err != nil {
		return err
	}
	select {
	case <-cs.done:
	case <-ctx.Done():
		cerr := ctx.Err()
		if err := r.post(func() { cs.ctxErr = cerr; c.cancel(cs) }); err != nil {
			return err
		}
		<-cs.done
	}
	return cs.err
}

// Call is an asynchronous raw call (Conn.Go).
type Call struct {
	Method   uint64
	Value    []byte   // the Ok value's postcard
	Err      error    // as CallRaw's
	Metadata Metadata // the response metadata
	Done     chan *Call
	cs       *callState
}

// Go starts a raw call without waiting: the completed Call is sent on done
// (give it room for every call in flight: the runtime's goroutine never
// blocks on it), or on a new channel of one when done is nil. Calls queued
// between two loop turns go out as one batch; completions are delivered
// from the runtime's goroutine, in the order the responses arrive.
func (c *Conn) Go(method uint64, args []byte, md Metadata, done chan *Call) *Call {
	if done == nil {
		done = make(chan *Call, 1)
	}
	a := &Call{Method: method, Done: done}
	cs := &callState{conn: c, method: method, args: args, md: md, async: a}
	a.cs = cs
	if err := c.sess.r.post(func() { c.start(cs, false) }); err != nil {
		a.Err = err
		done <- a
	}
	return a
}

// GoFunc starts a raw call without waiting; fn gets the completed Call on
// the runtime's goroutine (it must not block; it may start more calls, which
// then go out without any thread switch). The cheapest way to keep many
// calls in flight.
func (c *Conn) GoFunc(method uint64, args []byte, md Metadata, fn func(*Call)) *Call {
	a := &Call{Method: method}
	cs := &callState{conn: c, method: method, args: args, md: md, async: a, asyncF: fn}
	a.cs = cs
	if err := c.sess.r.post(func() { c.start(cs, false) }); err != nil {
		a.Err = err
		go fn(a)
	}
	return a
}

// Cancel cancels an asynchronous call (roam_call_cancel); it completes
// with ErrCancelled unless its response came first.
func (a *Call) Cancel() {
	c := a.cs.conn
	_ = c.sess.r.post(func() { c.cancel(a.cs) })
}

// Response is the outcome of a raw call.
type Response struct {
	Value    []byte   // the Ok value's postcard
	Metadata Metadata // the response metadata
}

// CallRaw calls method with postcard-encoded args and returns the Ok
// value's bytes. A user error is an *Error with Code EUSER and Raw set.
func (c *Conn) CallRaw(ctx context.Context, method uint64, args []byte, md Metadata) (*Response, error) {
	cs := &callState{conn: c, method: method, args: args, md: md}
	if err := c.complete(ctx, cs); err != nil {
		return nil, err
	}
	return &Response{Value: cs.value, Metadata: cs.respMD}, nil
}

func responseError(status int, raw []byte) error {
	if status == EUSER {
		return &Error{Code: EUSER, Name: "ROAM_EUSER", Raw: raw}
	}
	detail := ""
	switch status {
	case ECANCELLED:
		detail = "the call was cancelled"
	case EUNKNOWNMETHOD:
		detail = "the peer has no such method"
	}
	return newError(status, detail)
}

// ---- serving ------------------------------------------------------------------

// Handler serves inbound calls. ServeRoam runs on the runtime's goroutine,
// must not block, and must answer the request once (now or later, from any
// goroutine) with ReplyOK, ReplyUserError, ReplyFail or Release.
type Handler interface {
	ServeRoam(req *Request)
}

// HandlerFunc serves raw calls: each runs on its own goroutine with the
// argument bytes; return the Ok value's bytes, or an *Error (EUSER with Raw
// for a user error; EUNKNOWNMETHOD, EINVALIDPAYLOAD or ECANCELLED for a
// failure). Any other error, or a panic, releases the request (the caller
// sees ErrCancelled).
type HandlerFunc func(ctx context.Context, method uint64, args []byte, md Metadata) ([]byte, error)

// ServeRoam implements Handler.
func (f HandlerFunc) ServeRoam(req *Request) {
	args := req.Args()
	md := req.Metadata
	go func() {
		var out []byte
		var err error
		func() {
			defer func() {
				if p := recover(); p != nil {
					req.conn.sess.r.reportPanic(p)
					err = newError(EINTERNAL, fmt.Sprintf("handler panicked: %v", p))
				}
			}()
			out, err = f(req.Context(), req.Method, args, md)
		}()
		req.answer(out, err)
	}()
}

// Request is one inbound call being served.
type Request struct {
	conn     *Conn
	ID       uint64
	Method   uint64
	Metadata Metadata
	channels []uint64
	argp     unsafe.Pointer // valid during ServeRoam only
	argn     int
	nextChan int
	ctx      context.Context
	cancelFn context.CancelFunc
	answered int32
}

// Conn is the connection the request came on.
func (q *Request) Conn() *Conn { return q.conn }

// Context is cancelled when the caller cancels (or the connection goes).
func (q *Request) Context() context.Context { return q.ctx }

// Args copies the argument bytes (only during ServeRoam).
func (q *Request) Args() []byte {
	if q.argp == nil {
		return nil
	}
	return C.GoBytes(q.argp, C.int(q.argn))
}

// Channels are the channel ids the arguments carry.
func (q *Request) Channels() []uint64 { return q.channels }

func (q *Request) reply(what string, fn func(c *C.roam_conn) C.int) error {
	if !atomic.CompareAndSwapInt32(&q.answered, 0, 1) {
		return newError(ENOTFOUND, "the request was answered already")
	}
	return q.conn.sess.r.do(func() error {
		q.done()
		if q.conn.c == nil {
			return newError(ECLOSED, "the connection is closed")
		}
		return errorOf(fn(q.conn.c), what)
	})
}

func (q *Request) done() {
	if q.conn.served != nil && q.conn.served[q.ID] == q {
		delete(q.conn.served, q.ID)
	}
	q.cancelFn()
}

func withBytes(b []byte, fn func(p unsafe.Pointer, n C.size_t) C.int) C.int {
	if len(b) == 0 {
		return fn(nil, 0)
	}
	return fn(unsafe.Pointer(&b[0]), C.size_t(len(b)))
}

// ReplyOK answers Ok(value) (value: the postcard of T).
func (q *Request) ReplyOK(value []byte, md Metadata) error {
	return q.reply("roam_reply_ok", func(c *C.roam_conn) C.int {
		cmd, err := md.toC()
		if err != nil {
			return EINVAL
		}
		defer C.roam_metadata_free(cmd)
		return withBytes(value, func(p unsafe.Pointer, n C.size_t) C.int {
			return C.roam_reply_ok(c, C.uint64_t(q.ID), cmd, p, n)
		})
	})
}

// ReplyUserError answers Err(User(e)) (e: the postcard of E).
func (q *Request) ReplyUserError(e []byte) error {
	return q.reply("roam_reply_user_error", func(c *C.roam_conn) C.int {
		return withBytes(e, func(p unsafe.Pointer, n C.size_t) C.int {
			return C.roam_reply_user_error(c, C.uint64_t(q.ID), nil, p, n)
		})
	})
}

// ReplyFail answers EUNKNOWNMETHOD, EINVALIDPAYLOAD or ECANCELLED.
func (q *Request) ReplyFail(code int) error {
	return q.reply("roam_reply_fail", func(c *C.roam_conn) C.int {
		return C.roam_reply_fail(c, C.uint64_t(q.ID), C.int(code), nil)
	})
}

// Release gives up on the request (Cancelled goes out).
func (q *Request) Release() error {
	return q.reply("roam_reply_release", func(c *C.roam_conn) C.int {
		return C.roam_reply_release(c, C.uint64_t(q.ID))
	})
}

// answer turns a handler's outcome into the reply.
func (q *Request) answer(out []byte, err error) {
	if err == nil {
		_ = q.ReplyOK(out, nil)
		return
	}
	if e, ok := err.(*Error); ok {
		switch e.Code {
		case EUSER:
			_ = q.ReplyUserError(e.Raw)
			return
		case EUNKNOWNMETHOD, EINVALIDPAYLOAD, ECANCELLED:
			_ = q.ReplyFail(e.Code)
			return
		}
	}
	_ = q.Release()
}

// the serve callback (loop goroutine)
func (s *Session) serve(conn *Conn, rid, method uint64, chans []uint64, md Metadata, argp unsafe.Pointer, argn int) {
	h := s.cfg.handler
	if h == nil {
		C.roam_reply_fail(conn.c, C.uint64_t(rid), EUNKNOWNMETHOD, nil)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	q := &Request{conn: conn, ID: rid, Method: method, Metadata: md, channels: chans, argp: argp, argn: argn,
		ctx: ctx, cancelFn: cancel}
	if conn.served == nil {
		conn.served = map[uint64]*Request{}
	}
	conn.served[rid] = q
	func() {
		defer func() {
			if p := recover(); p != nil {
				s.r.reportPanic(p)
				if atomic.CompareAndSwapInt32(&q.answered, 0, 1) {
					q.done()
					C.roam_reply_release(conn.c, C.uint64_t(rid))
				}
			}
		}()
		h.ServeRoam(q)
	}()
	q.argp = nil
}

func (s *Session) serveCancelled(conn *Conn, rid uint64) {
	q := conn.served[rid]
	if q == nil {
		C.roam_reply_release(conn.c, C.uint64_t(rid))
		return
	}
	if atomic.CompareAndSwapInt32(&q.answered, 0, 1) {
		q.done()
		C.roam_reply_release(conn.c, C.uint64_t(rid))
	} else {
		q.cancelFn()
	}
}

var _ = sync.Mutex{}
