package roam

/*
#include "glue.h"
*/
import "C"

import (
	"context"
	"runtime/cgo"
	"sync"
	"time"
	"unsafe"
)

// SessionOption configures Connect and Listen.
type SessionOption func(*config)

type config struct {
	rt                 *Runtime
	keepInterval       time.Duration
	keepTimeout        time.Duration
	idleTimeout        time.Duration
	hello              Metadata
	role               int
	maxConcurrent      uint32
	handler            Handler
	onInbound          func(c *Conn, md Metadata) (accept bool, reply Metadata)
	onConnClosed       func(c *Conn, info CloseInfo)
	onKeepaliveTimeout func(s *Session)
	onEnd              func(s *Session, err error)
}

// WithRuntime runs the session (or listener) on rt instead of the default runtime.
func WithRuntime(rt *Runtime) SessionOption { return func(c *config) { c.rt = rt } }

// WithKeepalive pings every interval and ends the session with
// ErrKeepalive (after the keepalive-timeout event) when a Pong takes longer
// than timeout (0: as long as the interval).
func WithKeepalive(interval, timeout time.Duration) SessionOption {
	return func(c *config) { c.keepInterval, c.keepTimeout = interval, timeout }
}

// WithIdleTimeout sets roam_options_set_idle_timeout.
func WithIdleTimeout(d time.Duration) SessionOption { return func(c *config) { c.idleTimeout = d } }

// WithHelloMetadata sends md in the handshake.
func WithHelloMetadata(md Metadata) SessionOption { return func(c *config) { c.hello = md } }

// WithAcceptor makes a connecting session answer Hello (role acceptor).
func WithAcceptor() SessionOption { return func(c *config) { c.role = C.ROAM_ROLE_ACCEPTOR } }

// WithInitiator makes an accepted session send Hello (role initiator).
func WithInitiator() SessionOption { return func(c *config) { c.role = C.ROAM_ROLE_INITIATOR } }

// WithMaxConcurrentRequests sets what the root connection advertises.
func WithMaxConcurrentRequests(n uint32) SessionOption {
	return func(c *config) { c.maxConcurrent = n }
}

// WithHandler serves inbound calls on the root connection and on every
// virtual connection accepted (a Service's Handler, or your own).
func WithHandler(h Handler) SessionOption { return func(c *config) { c.handler = h } }

// OnInboundOpen decides the peer's virtual connection opens: accept (with
// reply metadata) or reject (with reply metadata). Runs on the runtime's
// goroutine: do not block. Without it, every open is rejected. A panic
// rejects the open.
func OnInboundOpen(fn func(c *Conn, md Metadata) (accept bool, reply Metadata)) SessionOption {
	return func(c *config) { c.onInbound = fn }
}

// OnConnClosed reports every connection that ends (runtime goroutine).
func OnConnClosed(fn func(c *Conn, info CloseInfo)) SessionOption {
	return func(c *config) { c.onConnClosed = fn }
}

// OnKeepaliveTimeout reports a missed Pong; the session then ends with
// ErrKeepalive (runtime goroutine).
func OnKeepaliveTimeout(fn func(s *Session)) SessionOption {
	return func(c *config) { c.onKeepaliveTimeout = fn }
}

// OnEnd reports the session's end (runtime goroutine): nil for an orderly end.
func OnEnd(fn func(s *Session, err error)) SessionOption { return func(c *config) { c.onEnd = fn } }

func buildConfig(opts []SessionOption) (*config, error) {
	cfg := &config{}
	for _, o := range opts {
		o(cfg)
	}
	if cfg.rt == nil {
		rt, err := DefaultRuntime()
		if err != nil {
			return nil, err
		}
		cfg.rt = rt
	}
	return cfg, nil
}

func ms(d time.Duration) C.uint32_t {
	if d <= 0 {
		return 0
	}
	v := d.Milliseconds()
	if v == 0 {
		v = 1
	}
	return C.uint32_t(v)
}

// withC runs fn on the runtime's goroutine with the C forms of the options
// and of address (for roam_connect and roam_listen), freed after it.
func (cfg *config) withC(address string, fn func(o *C.roam_options, addr *C.char) error) error {
	return cfg.rt.do(func() error {
		o, err := cfg.options()
		if err != nil {
			return err
		}
		defer C.roam_options_free(o)
		ca := C.CString(address)
		defer C.free(unsafe.Pointer(ca))
		return fn(o, ca)
	})
}

func (cfg *config) options() (*C.roam_options, error) {
	var o *C.roam_options
	if rc := C.roam_options_new(&o); rc != 0 {
		return nil, errorOf(rc, "roam_options_new")
	}
	if cfg.role != 0 {
		C.roam_options_set_role(o, C.int(cfg.role))
	}
	if cfg.keepInterval > 0 {
		C.roam_options_set_keepalive(o, ms(cfg.keepInterval), ms(cfg.keepTimeout))
	}
	if cfg.idleTimeout > 0 {
		C.roam_options_set_idle_timeout(o, ms(cfg.idleTimeout))
	}
	if cfg.maxConcurrent > 0 {
		C.roam_options_set_max_concurrent_requests(o, C.uint32_t(cfg.maxConcurrent))
	}
	if len(cfg.hello) > 0 {
		md, err := cfg.hello.toC()
		if err != nil {
			C.roam_options_free(o)
			return nil, err
		}
		C.roam_options_set_hello_metadata(o, md)
		C.roam_metadata_free(md)
	}
	return o, nil
}

// Session is one roam session (one transport). Its methods may be called
// from any goroutine.
type Session struct {
	r   *Runtime
	cfg *config
	h   cgo.Handle

	// loop goroutine only
	s          *C.roam_session
	conns      map[*C.roam_conn]*Conn
	root       *Conn
	closeAsked bool
	listener   *Listener

	handshake chan struct{}
	ended     chan struct{}
	closed    chan struct{}
	mu        sync.Mutex
	hsErr     error
	endErr    error
	peerHello Metadata
	handled   bool
}

func newSession(cfg *config) *Session {
	s := &Session{r: cfg.rt, cfg: cfg, conns: map[*C.roam_conn]*Conn{},
		handshake: make(chan struct{}), ended: make(chan struct{}), closed: make(chan struct{})}
	s.h = cgo.NewHandle(s)
	return s
}

// Connect connects to address ("tcp://HOST:PORT" or "unix:PATH") and waits
// for the handshake (or ctx). The session is the initiator unless
// WithAcceptor is given.
func Connect(ctx context.Context, address string, opts ...SessionOption) (*Session, error) {
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	s := newSession(cfg)
	err = cfg.withC(address, func(o *C.roam_options, ca *C.char) error {
		if rc := C.roamgo_connect(cfg.rt.rt, ca, o, cfg.rt.cbs, C.uintptr_t(s.h), &s.s); rc != 0 {
			return errorOf(rc, "connect "+address)
		}
		cfg.rt.sessions[s] = struct{}{}
		return nil
	})
	if err != nil {
		s.h.Delete()
		return nil, err
	}
	if err := s.WaitHandshake(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// WaitHandshake waits until the handshake has finished (or failed, or ctx).
func (s *Session) WaitHandshake(ctx context.Context) error {
	select {
	case <-s.handshake:
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.hsErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// PeerHello is the peer's handshake metadata.
func (s *Session) PeerHello() Metadata {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peerHello
}

// Root is the root connection (nil before the handshake has finished).
func (s *Session) Root() *Conn {
	select {
	case <-s.handshake:
		return s.root
	default:
		return nil
	}
}

// Ended is closed when the session is over; Err then says why.
func (s *Session) Ended() <-chan struct{} { return s.ended }

// Err is why the session ended: nil while running or for an orderly end,
// else an *Error (ErrEOF when the peer hung up, ErrKeepalive, ...).
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endErr
}

// Runtime is the runtime the session lives on.
func (s *Session) Runtime() *Runtime { return s.r }

// Close ends the session (if still running) and waits for its close
// callback. Closing twice is fine.
func (s *Session) Close() error {
	err := s.r.do(func() error {
		s.closeLocked()
		return nil
	})
	if err != nil {
		return err
	}
	if s.r.onLoop() {
		return nil
	}
	<-s.closed
	return nil
}

func (s *Session) closeLocked() {
	if s.s == nil || s.closeAsked {
		return
	}
	s.closeAsked = true
	if rc := C.roamgo_session_close(s.s, C.uintptr_t(s.h)); rc != 0 {
		s.closeAsked = false
	}
}

// Shutdown ends the session now (ErrShutdown) without waiting.
func (s *Session) Shutdown() error {
	return s.r.do(func() error {
		if s.s == nil {
			return newError(ECLOSED, "the session is closed")
		}
		return errorOf(C.roam_session_shutdown(s.s), "roam_session_shutdown")
	})
}

// Open opens a virtual connection with metadata md and waits for the
// peer's answer: the connection and the accept metadata, or an error
// (errors.Is(err, ErrRejected), with the reject metadata in the returned
// Metadata).
func (s *Session) Open(ctx context.Context, md Metadata) (*Conn, Metadata, error) {
	c := &Conn{sess: s, opened: make(chan struct{}), closedCh: make(chan struct{})}
	err := s.r.do(func() error {
		if s.s == nil || s.closeAsked {
			return newError(ECLOSED, "the session is closed")
		}
		cmd, err := md.toC()
		if err != nil {
			return err
		}
		defer C.roam_metadata_free(cmd)
		var cc *C.roam_conn
		if rc := C.roamgo_open(s.s, cmd, &cc); rc != 0 {
			return errorOf(rc, "roam_session_open")
		}
		c.c = cc
		var id C.uint64_t
		C.roam_conn_id(cc, &id)
		c.id = uint64(id)
		s.conns[cc] = c
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	select {
	case <-c.opened:
	case <-ctx.Done():
		_ = c.Close(nil)
		<-c.opened
		return nil, nil, ctx.Err()
	}
	if c.openErr != nil {
		return nil, c.openMD, c.openErr
	}
	return c, c.openMD, nil
}

// Ping sends a Ping (its Pong is not reported by this binding beyond keepalive).
func (s *Session) Ping() error {
	return s.r.do(func() error {
		if s.s == nil {
			return newError(ECLOSED, "the session is closed")
		}
		return errorOf(C.roam_session_ping(s.s, nil), "roam_session_ping")
	})
}

// CloseOrigin says who closed a connection.
type CloseOrigin int

const (
	ClosedLocal   CloseOrigin = 0 // Conn.Close / Release
	ClosedRemote  CloseOrigin = 1 // the peer closed it (Metadata: its metadata)
	ClosedSession CloseOrigin = 2 // the session ended (Err: why)
)

// CloseInfo describes a connection's end.
type CloseInfo struct {
	Origin   CloseOrigin
	Err      error
	Metadata Metadata
}

// Conn is a connection of a session: the root (id 0) or a virtual one.
type Conn struct {
	sess *Session
	id   uint64

	// loop goroutine only
	c       *C.roam_conn
	backlog []*callState
	served  map[uint64]*Request

	opened   chan struct{}
	openErr  error
	openMD   Metadata
	closedCh chan struct{}
	info     CloseInfo
}

// ID is the connection id (0 for the root).
func (c *Conn) ID() uint64 { return c.id }

// Session is the connection's session.
func (c *Conn) Session() *Session { return c.sess }

// Closed is closed when the connection has ended; Info then says how.
func (c *Conn) Closed() <-chan struct{} { return c.closedCh }

// Info is how the connection ended (valid once Closed is closed).
func (c *Conn) Info() CloseInfo {
	<-c.closedCh
	return c.info
}

// Close closes a virtual connection with metadata md (ErrRoot for the
// root) and waits until it is gone.
func (c *Conn) Close(md Metadata) error {
	err := c.sess.r.do(func() error {
		if c.c == nil {
			return newError(ECLOSED, "the connection is closed")
		}
		cmd, err := md.toC()
		if err != nil {
			return err
		}
		defer C.roam_metadata_free(cmd)
		return errorOf(C.roam_conn_close(c.c, cmd), "roam_conn_close")
	})
	if err != nil || c.sess.r.onLoop() {
		return err
	}
	<-c.closedCh
	return nil
}

// Release says "I am done with this connection" (roam_conn_release): the
// root is then closed internally and the session ends once no virtual
// connection remains.
func (c *Conn) Release() error {
	return c.sess.r.do(func() error {
		if c.c == nil {
			return newError(ECLOSED, "the connection is closed")
		}
		return errorOf(C.roam_conn_release(c.c), "roam_conn_release")
	})
}

// gone marks the connection ended (its final callback).
func (c *Conn) gone(info CloseInfo) {
	if c.c == nil {
		return
	}
	delete(c.sess.conns, c.c)
	c.c = nil
	c.info = info
	err := info.Err
	if err == nil {
		err = newError(ECLOSED, "the connection is closed")
	}
	for _, cs := range c.backlog {
		cs.finish(err)
	}
	c.backlog = nil
	close(c.closedCh)
}

// Listener accepts sessions on an address.
type Listener struct {
	r          *Runtime
	cfg        *config
	h          cgo.Handle
	l          *C.roam_listener // loop only
	addr       string
	closeAsked bool
	accepted   chan *Session
	closed     chan struct{}
}

// Listen listens on address ("tcp://127.0.0.1:0" picks a port). Accepted
// sessions get the options' handler and callbacks; take them with Accept.
func Listen(address string, opts ...SessionOption) (*Listener, error) {
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	l := &Listener{r: cfg.rt, cfg: cfg, accepted: make(chan *Session, 1024), closed: make(chan struct{})}
	l.h = cgo.NewHandle(l)
	err = cfg.withC(address, func(o *C.roam_options, ca *C.char) error {
		if rc := C.roamgo_listen(cfg.rt.rt, ca, o, cfg.rt.cbs, C.uintptr_t(l.h), &l.l); rc != 0 {
			return errorOf(rc, "listen "+address)
		}
		buf := make([]byte, 512)
		n := C.size_t(len(buf))
		if rc := C.roam_listener_address(l.l, (*C.char)(unsafe.Pointer(&buf[0])), &n); rc == 0 {
			l.addr = string(buf[:n])
		}
		cfg.rt.listeners[l] = struct{}{}
		return nil
	})
	if err != nil {
		l.h.Delete()
		return nil, err
	}
	return l, nil
}

// Addr is the bound address, e.g. "tcp://127.0.0.1:40123".
func (l *Listener) Addr() string { return l.addr }

// Accept waits for the next accepted session (its handshake may still be
// running: see Session.WaitHandshake). Sessions serve the listener's
// handler whether or not they are taken with Accept; the runtime closes
// them when it closes.
func (l *Listener) Accept(ctx context.Context) (*Session, error) {
	select {
	case <-l.closed:
		return nil, newError(ECLOSED, "the listener is closed")
	default:
	}
	select {
	case s := <-l.accepted:
		return s, nil
	case <-l.closed:
		return nil, newError(ECLOSED, "the listener is closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops accepting (sessions accepted already go on).
func (l *Listener) Close() error {
	err := l.r.do(func() error {
		l.closeLocked()
		return nil
	})
	if err == nil && !l.r.onLoop() {
		<-l.closed
	}
	return err
}

func (l *Listener) closeLocked() {
	if l.l == nil || l.closeAsked {
		return
	}
	l.closeAsked = true
	C.roamgo_listener_close(l.l, C.uintptr_t(l.h))
}
