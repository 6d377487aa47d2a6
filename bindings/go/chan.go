package roam

/*
#include "glue.h"
*/
import "C"

import (
	"context"
	"io"
	"reflect"
	"sync"
	"unsafe"
)

// DefaultCredit is a channel's initial credit unless NewChannelCredit says otherwise.
const DefaultCredit = 16

// chanCore is what both ends of a channel (Tx[T], Rx[T]) share.
type chanCore struct {
	elem   reflect.Type
	credit uint32

	attachedCh chan struct{} // closed once the channel is open/bound (or failed)
	once       sync.Once

	// set on the loop goroutine before attachedCh closes
	r        *Runtime
	conn     *Conn
	id       uint64
	tok      uintptr
	dir      int
	used     bool
	attached bool

	mu        sync.Mutex
	items     []any  // received, not yet consumed: at most credit of them (see takeOverCredit)
	ungranted uint32 // consumed since the last roam_channel_grant
	ended     bool
	endErr    error // nil: closed by the sender
	endMD     Metadata
	notify    chan struct{}
	forEach   func(any)

	// sending side, loop goroutine only
	pending    []*sendReq
	closeAfter bool
	closeMD    Metadata
}

type sendReq struct {
	item []byte
	done chan error
}

func newCore(elem reflect.Type, credit uint32) *chanCore {
	if credit == 0 {
		credit = DefaultCredit // libroam's reading of 0 (ROAM_DEFAULT_CHANNEL_CREDIT)
	}
	return &chanCore{elem: elem, credit: credit, attachedCh: make(chan struct{}), notify: make(chan struct{}, 1)}
}

func (ch *chanCore) markAttached() {
	ch.attached = true
	ch.once.Do(func() { close(ch.attachedCh) })
}

// fail ends a channel that never got attached (its call failed).
func (ch *chanCore) fail(err error) {
	if err == nil {
		err = newError(ECLOSED, "the call carrying the channel failed")
	}
	ch.end(err, nil)
	ch.once.Do(func() { close(ch.attachedCh) })
}

// open creates our end of the channel for a call on c (loop goroutine).
func (ch *chanCore) open(c *Conn) error {
	ch.r = c.sess.r
	ch.conn = c
	ch.tok = ch.r.token(ch)
	var id C.uint64_t
	if rc := C.roamgo_chan_open(c.c, C.int(ch.dir), C.uint32_t(ch.credit), C.uintptr_t(ch.tok), &id); rc != 0 {
		delete(ch.r.toks, ch.tok)
		return errorOf(rc, "roam_conn_channel_open")
	}
	ch.id = uint64(id)
	return ch.takeOverCredit()
}

// bind takes up a channel id of a served request (loop goroutine).
func (ch *chanCore) bind(c *Conn, id uint64) error {
	ch.r = c.sess.r
	ch.conn = c
	ch.id = id
	ch.tok = ch.r.token(ch)
	if rc := C.roamgo_chan_bind(c.c, C.uint64_t(id), C.int(ch.dir), C.uint32_t(ch.credit), C.uintptr_t(ch.tok)); rc != 0 {
		delete(ch.r.toks, ch.tok)
		return errorOf(rc, "roam_conn_channel_bind")
	}
	if err := ch.takeOverCredit(); err != nil {
		return err
	}
	ch.markAttached()
	return nil
}

// takeOverCredit makes a receiving channel's credit manual (loop
// goroutine, right after open or bind). libroam's automatic credit is
// granted as items are delivered, so a receiver slower than its sender
// would buffer without limit here; instead credit goes back only as the
// application consumes items (Recv, ForEach), and at most credit items
// ever wait in items. (Items of a bound channel that arrived before the
// bind were credited on arrival by libroam, as manual mode cannot be set
// on an id not bound yet: that lets at most one credit more through, once.)
// On failure the channel is reset and forgotten, like a failed open.
func (ch *chanCore) takeOverCredit() error {
	if ch.dir != C.ROAM_CHANNEL_RECEIVE {
		return nil
	}
	if rc := C.roam_channel_set_manual_credit(ch.conn.c, C.uint64_t(ch.id), 1); rc != 0 {
		err := errorOf(rc, "roam_channel_set_manual_credit")
		C.roam_channel_reset(ch.conn.c, C.uint64_t(ch.id), nil)
		delete(ch.r.toks, ch.tok)
		return err
	}
	return nil
}

// consumed counts n items handed to the application and grants their
// credit back in batches of half the credit (as libroam's automatic mode
// does), so a steady stream costs one grant message per credit/2 items.
func (ch *chanCore) consumed(n uint32) {
	ch.mu.Lock()
	ch.ungranted += n
	batch := ch.ungranted
	if batch < ch.grantBatch() || ch.ended {
		ch.mu.Unlock()
		return
	}
	ch.ungranted = 0
	ch.mu.Unlock()
	grant := func() {
		if ch.conn.c != nil {
			// ROAM_ENOTFOUND once the channel ended meanwhile: nothing to give back.
			C.roam_channel_grant(ch.conn.c, C.uint64_t(ch.id), C.uint32_t(batch))
		}
	}
	if ch.r.onLoop() {
		grant()
		return
	}
	_ = ch.r.post(grant) // fails only once the runtime is closed, and the channel with it
}

func (ch *chanCore) grantBatch() uint32 {
	if ch.credit < 2 {
		return 1
	}
	return ch.credit / 2
}

func (ch *chanCore) signal() {
	select {
	case ch.notify <- struct{}{}:
	default:
	}
}

// item arrived (loop goroutine): decoded here from the callback's view.
func (ch *chanCore) item(p unsafe.Pointer, n int) {
	v, err := decodeView(ch.elem, p, n, nil)
	if err != nil {
		C.roam_channel_reset(ch.conn.c, C.uint64_t(ch.id), nil)
		ch.end(err, nil)
		return
	}
	ch.mu.Lock()
	fe := ch.forEach
	if fe == nil {
		ch.items = append(ch.items, v)
	}
	ch.mu.Unlock()
	if fe != nil {
		func() {
			defer func() {
				if rec := recover(); rec != nil {
					ch.r.reportPanic(rec)
					C.roam_channel_reset(ch.conn.c, C.uint64_t(ch.id), nil)
					ch.end(newError(EINTERNAL, "the item callback panicked"), nil)
				}
			}()
			fe(v)
		}()
		ch.consumed(1)
	}
	ch.signal()
}

// end: the channel is over (loop goroutine).
func (ch *chanCore) end(err error, md Metadata) {
	ch.mu.Lock()
	if ch.ended {
		ch.mu.Unlock()
		return
	}
	ch.ended = true
	ch.endErr = err
	ch.endMD = md
	ch.mu.Unlock()
	if ch.r != nil && ch.tok != 0 {
		delete(ch.r.toks, ch.tok)
	}
	serr := err
	if serr == nil {
		serr = newError(ECLOSED, "the channel is closed")
	}
	for _, s := range ch.pending {
		s.done <- serr
	}
	ch.pending = nil
	ch.signal()
}

// writable: retry queued sends (loop goroutine).
func (ch *chanCore) writable() {
	for len(ch.pending) > 0 {
		s := ch.pending[0]
		rc := ch.sendNow(s.item)
		if rc == EAGAIN {
			return
		}
		ch.pending = ch.pending[1:]
		s.done <- errorOf(rc, "roam_channel_send")
	}
	if ch.closeAfter {
		ch.closeAfter = false
		ch.closeNow(ch.closeMD)
	}
}

func (ch *chanCore) sendNow(item []byte) C.int {
	if ch.conn.c == nil {
		return ECLOSED
	}
	return withBytes(item, func(p unsafe.Pointer, n C.size_t) C.int {
		return C.roam_channel_send(ch.conn.c, C.uint64_t(ch.id), p, n)
	})
}

func (ch *chanCore) closeNow(md Metadata) error {
	if ch.conn.c == nil {
		return newError(ECLOSED, "the connection is closed")
	}
	cmd, err := md.toC()
	if err != nil {
		return err
	}
	defer C.roam_metadata_free(cmd)
	return errorOf(C.roam_channel_close(ch.conn.c, C.uint64_t(ch.id), cmd), "roam_channel_close")
}

func (ch *chanCore) waitAttached(ctx context.Context) error {
	if ch == nil {
		return newError(EINVAL, "a zero Tx/Rx: make channels with roam.NewChannel")
	}
	select {
	case <-ch.attachedCh:
	case <-ctx.Done():
		return ctx.Err()
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if !ch.attached {
		if ch.endErr != nil {
			return ch.endErr
		}
		return newError(ECLOSED, "the channel is closed")
	}
	return nil
}

func (ch *chanCore) send(ctx context.Context, item []byte) error {
	if err := ch.waitAttached(ctx); err != nil {
		return err
	}
	if ch.dir != C.ROAM_CHANNEL_SEND {
		return newError(EINVAL, "not the sending end of this channel")
	}
	done := make(chan error, 1)
	err := ch.r.post(func() {
		ch.mu.Lock()
		ended, eerr := ch.ended, ch.endErr
		ch.mu.Unlock()
		if ended {
			if eerr == nil {
				eerr = newError(ECLOSED, "the channel is closed")
			}
			done <- eerr
			return
		}
		if ch.closeAfter {
			done <- newError(ECLOSED, "the channel is closing")
			return
		}
		if len(ch.pending) > 0 {
			ch.pending = append(ch.pending, &sendReq{item: item, done: done})
			return
		}
		rc := ch.sendNow(item)
		if rc == EAGAIN {
			ch.pending = append(ch.pending, &sendReq{item: item, done: done})
			return
		}
		done <- errorOf(rc, "roam_channel_send")
	})
	if err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (ch *chanCore) close(md Metadata) error {
	if err := ch.waitAttached(context.Background()); err != nil {
		return err
	}
	return ch.r.do(func() error {
		ch.mu.Lock()
		ended := ch.ended
		ch.mu.Unlock()
		if ended {
			return newError(ECLOSED, "the channel has ended")
		}
		if len(ch.pending) > 0 {
			ch.closeAfter = true
			ch.closeMD = md
			return nil
		}
		return ch.closeNow(md)
	})
}

func (ch *chanCore) recv(ctx context.Context) (any, error) {
	if ch == nil {
		return nil, newError(EINVAL, "a zero Rx: make channels with roam.NewChannel")
	}
	for {
		ch.mu.Lock()
		if len(ch.items) > 0 {
			v := ch.items[0]
			ch.items[0] = nil
			ch.items = ch.items[1:]
			ch.mu.Unlock()
			ch.consumed(1)
			return v, nil
		}
		if ch.ended {
			err := ch.endErr
			ch.mu.Unlock()
			if err == nil {
				return nil, io.EOF
			}
			return nil, err
		}
		ch.mu.Unlock()
		select {
		case <-ch.notify:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Tx is the sending end of a channel of T (Rust's Tx<T>). In a method's
// declaration it is from the server's point of view: a Tx argument means
// the server sends and the caller receives (on the Rx of the pair).
type Tx[T any] struct{ core *chanCore }

// Rx is the receiving end of a channel of T (Rust's Rx<T>).
type Rx[T any] struct{ core *chanCore }

// NewChannel makes the two ends of one channel: pass one in a call, keep
// the other. At most the channel's credit of received items wait for
// Recv: credit goes back to the sender as they are consumed, so a slow
// reader slows its sender down: receive on another goroutine while the
// call runs when its server sends more than the credit before answering.
// Sending waits for credit.
func NewChannel[T any]() (Tx[T], Rx[T]) { return NewChannelCredit[T](DefaultCredit) }

// NewChannelCredit is NewChannel with an initial credit (the N of Tx<T, N>).
func NewChannelCredit[T any](credit uint32) (Tx[T], Rx[T]) {
	c := newCore(reflect.TypeOf((*T)(nil)).Elem(), credit)
	return Tx[T]{c}, Rx[T]{c}
}

// Send sends one item, waiting while the receiver has no credit left.
func (t Tx[T]) Send(ctx context.Context, v T) error {
	if t.core == nil {
		return newError(EINVAL, "a zero Tx: make channels with roam.NewChannel")
	}
	b, err := Marshal(v)
	if err != nil {
		return err
	}
	return t.core.send(ctx, b)
}

// Close says no more items will come (after those queued).
func (t Tx[T]) Close() error {
	if t.core == nil {
		return newError(EINVAL, "a zero Tx: make channels with roam.NewChannel")
	}
	return t.core.close(nil)
}

// Recv returns the next item; io.EOF once the sender closed the channel,
// another error if it ended otherwise (ErrReset, the connection's end).
func (r Rx[T]) Recv(ctx context.Context) (T, error) {
	var zero T
	v, err := r.core.recv(ctx)
	if err != nil {
		return zero, err
	}
	return v.(T), nil
}

// ForEach delivers every further item to fn on the runtime's goroutine
// (items already buffered first). fn must not block; a panic in fn is
// recovered, reported, and resets the channel.
func (r Rx[T]) ForEach(fn func(T)) {
	c := r.core
	c.mu.Lock()
	items := c.items
	c.items = nil
	c.forEach = func(v any) { fn(v.(T)) }
	c.mu.Unlock()
	for _, v := range items {
		fn(v.(T))
	}
	if len(items) > 0 {
		c.consumed(uint32(len(items)))
	}
}

// Reset asks the sender to stop; the channel ends here.
func (r Rx[T]) Reset() error {
	c := r.core
	if err := c.waitAttached(context.Background()); err != nil {
		return err
	}
	return c.r.do(func() error {
		if c.conn.c == nil {
			return newError(ECLOSED, "the connection is closed")
		}
		c.mu.Lock()
		ended := c.ended
		c.mu.Unlock()
		if ended {
			return newError(ECLOSED, "the channel has ended")
		}
		err := errorOf(C.roam_channel_reset(c.conn.c, C.uint64_t(c.id), nil), "roam_channel_reset")
		c.end(newError(ERESET, "reset by us"), nil)
		return err
	})
}

// channelArg is implemented by Tx and Rx for the typed layer.
type channelArg interface {
	chanCore() *chanCore
	chanElem() reflect.Type
	isTx() bool
}

type channelSetter interface{ setCore(*chanCore) }

func (t Tx[T]) chanCore() *chanCore    { return t.core }
func (t Tx[T]) chanElem() reflect.Type { return reflect.TypeOf((*T)(nil)).Elem() }
func (t Tx[T]) isTx() bool             { return true }
func (t *Tx[T]) setCore(c *chanCore)   { t.core = c }
func (r Rx[T]) chanCore() *chanCore    { return r.core }
func (r Rx[T]) chanElem() reflect.Type { return reflect.TypeOf((*T)(nil)).Elem() }
func (r Rx[T]) isTx() bool             { return false }
func (r *Rx[T]) setCore(c *chanCore)   { r.core = c }
