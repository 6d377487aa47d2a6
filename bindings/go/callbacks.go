package roam

/*
#include "glue.h"
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// The //export-ed functions below are reached only through the C
// trampolines of glue.c, on the runtime's goroutine. Each recovers every
// panic: nothing unwinds into C.

func sessionOf(h C.uintptr_t) *Session {
	if h == 0 {
		return nil
	}
	s, _ := cgo.Handle(h).Value().(*Session)
	return s
}

// connOf finds the connection a per-connection callback is about; c is nil
// when the session or the connection is no longer known here (the session
// is being freed, or the connection ended already).
func connOf(h C.uintptr_t, cc *C.roam_conn) (s *Session, c *Conn) {
	if s = sessionOf(h); s == nil {
		return nil, nil
	}
	return s, s.conns[cc]
}

func (s *Session) guard() {
	if p := recover(); p != nil {
		s.r.reportPanic(p)
	}
}

// run a user event callback, reporting a panic.
func (s *Session) user(fn func()) {
	defer s.guard()
	fn()
}

//export goRuntimeWork
func goRuntimeWork(h C.uintptr_t) {
	r := cgo.Handle(h).Value().(*Runtime)
	r.drain()
}

//export goHandshake
func goHandshake(cs *C.roam_session, h C.uintptr_t, status C.int, md *C.roam_metadata) {
	s := sessionOf(h)
	if s == nil {
		return
	}
	defer s.guard()
	s.mu.Lock()
	if status != 0 {
		s.hsErr = newError(int(status), "handshake: "+C.GoString(C.roam_session_last_error(cs)))
	} else {
		s.peerHello = metadataFrom(md)
		var root *C.roam_conn
		if C.roam_session_root(cs, &root) == 0 {
			c := &Conn{sess: s, c: root, opened: make(chan struct{}), closedCh: make(chan struct{})}
			close(c.opened)
			s.conns[root] = c
			s.root = c
		}
	}
	s.mu.Unlock()
	close(s.handshake)
}

//export goSessionEnd
func goSessionEnd(cs *C.roam_session, h C.uintptr_t, code C.int, reason *C.char) {
	s := sessionOf(h)
	if s == nil {
		return
	}
	defer s.guard()
	var err error
	if code != 0 {
		err = newError(int(code), C.GoString(reason))
	}
	s.mu.Lock()
	s.endErr = err
	hsPending := false
	select {
	case <-s.handshake:
	default:
		hsPending = true
		if err == nil {
			err = newError(ECLOSED, "the session ended")
		}
		s.hsErr = err
	}
	s.mu.Unlock()
	if hsPending {
		close(s.handshake)
	}
	for cc, c := range s.conns {
		c.gone(CloseInfo{Origin: ClosedSession, Err: err})
		delete(s.conns, cc)
	}
	close(s.ended)
	if s.cfg.onEnd != nil {
		s.user(func() { s.cfg.onEnd(s, err) })
	}
}

//export goSessionClosed
func goSessionClosed(cs *C.roam_session, h C.uintptr_t) {
	s := sessionOf(h)
	if s == nil {
		return
	}
	defer s.guard()
	s.s = nil
	delete(s.r.sessions, s)
	select {
	case <-s.ended:
	default:
		close(s.ended)
	}
	select {
	case <-s.handshake:
	default:
		s.mu.Lock()
		s.hsErr = newError(ECLOSED, "the session was closed")
		s.mu.Unlock()
		close(s.handshake)
	}
	close(s.closed)
	s.h.Delete()
	s.r.maybeFinish()
}

//export goInboundOpen
func goInboundOpen(cs *C.roam_session, h C.uintptr_t, cc *C.roam_conn, md *C.roam_metadata) {
	s := sessionOf(h)
	if s == nil {
		return
	}
	defer s.guard()
	c := &Conn{sess: s, c: cc, opened: make(chan struct{}), closedCh: make(chan struct{})}
	var id C.uint64_t
	C.roam_conn_id(cc, &id)
	c.id = uint64(id)
	close(c.opened)
	accept, reply := false, Metadata(nil)
	if s.cfg.onInbound != nil {
		func() {
			defer func() {
				if p := recover(); p != nil {
					s.r.reportPanic(p)
					accept, reply = false, MD("reason", "panic")
				}
			}()
			accept, reply = s.cfg.onInbound(c, metadataFrom(md))
		}()
	}
	cmd, err := reply.toC()
	if err != nil {
		cmd = nil
	}
	defer C.roam_metadata_free(cmd)
	if accept {
		if C.roam_conn_accept(cc, 0, 0, cmd) == 0 {
			s.conns[cc] = c
			return
		}
	}
	C.roam_conn_reject(cc, cmd)
	c.c = nil
	c.info = CloseInfo{Origin: ClosedLocal, Err: newError(EREJECTED, "rejected")}
	close(c.closedCh)
}

//export goOpenResult
func goOpenResult(cs *C.roam_session, h C.uintptr_t, cc *C.roam_conn, status C.int, md *C.roam_metadata) {
	s, c := connOf(h, cc)
	if c == nil {
		return
	}
	defer s.guard()
	c.openMD = metadataFrom(md)
	if status != 0 {
		c.openErr = newError(int(status), "open")
		c.gone(CloseInfo{Origin: ClosedLocal, Err: c.openErr})
	}
	close(c.opened)
}

//export goConnClosed
func goConnClosed(cs *C.roam_session, h C.uintptr_t, cc *C.roam_conn, origin C.int, reason C.int, md *C.roam_metadata) {
	s, c := connOf(h, cc)
	if c == nil {
		return
	}
	defer s.guard()
	info := CloseInfo{Origin: CloseOrigin(origin), Metadata: metadataFrom(md)}
	if reason != 0 {
		info.Err = newError(int(reason), "")
	}
	c.gone(info)
	if s.cfg.onConnClosed != nil {
		s.user(func() { s.cfg.onConnClosed(c, info) })
	}
}

//export goServe
func goServe(cs *C.roam_session, h C.uintptr_t, cc *C.roam_conn, rid C.uint64_t, mid C.uint64_t, chans *C.uint64_t,
	nchans C.size_t, md *C.roam_metadata, args *C.uint8_t, argsLen C.size_t) {
	s, c := connOf(h, cc)
	if c == nil {
		C.roam_reply_fail(cc, rid, EUNKNOWNMETHOD, nil)
		return
	}
	defer s.guard()
	var ids []uint64
	if nchans > 0 {
		ids = make([]uint64, int(nchans))
		copy(ids, unsafe.Slice((*uint64)(unsafe.Pointer(chans)), int(nchans)))
	}
	var m Metadata
	if md != nil {
		m = metadataFrom(md)
	}
	s.serve(c, uint64(rid), uint64(mid), ids, m, unsafe.Pointer(args), int(argsLen))
}

//export goServeCancelled
func goServeCancelled(cs *C.roam_session, h C.uintptr_t, cc *C.roam_conn, rid C.uint64_t) {
	s, c := connOf(h, cc)
	if c == nil {
		C.roam_reply_release(cc, rid) // nobody here will answer it
		return
	}
	defer s.guard()
	s.serveCancelled(c, uint64(rid))
}

//export goKeepaliveTimeout
func goKeepaliveTimeout(cs *C.roam_session, h C.uintptr_t) {
	s := sessionOf(h)
	if s == nil || s.cfg.onKeepaliveTimeout == nil {
		return
	}
	s.user(func() { s.cfg.onKeepaliveTimeout(s) })
}

//export goWritable
func goWritable(cs *C.roam_session, h C.uintptr_t) {
	s := sessionOf(h)
	if s == nil {
		return
	}
	defer s.guard()
	for _, c := range s.conns {
		c.retryBacklog()
	}
}

//export goPong
func goPong(cs *C.roam_session, h C.uintptr_t, nonce C.uint64_t, rtt C.uint64_t) {}

//export goAccept
func goAccept(cl *C.roam_listener, h C.uintptr_t, status C.int, cs *C.roam_session) {
	l, _ := cgo.Handle(h).Value().(*Listener)
	if l == nil || status != 0 || cs == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			l.r.reportPanic(p)
		}
	}()
	s := newSession(l.cfg)
	s.s = cs
	s.listener = l
	C.roamgo_session_set_ud(cs, C.uintptr_t(s.h))
	l.r.sessions[s] = struct{}{}
	select {
	case l.accepted <- s:
	default:
	}
}

//export goListenerClosed
func goListenerClosed(cl *C.roam_listener, h C.uintptr_t) {
	l, _ := cgo.Handle(h).Value().(*Listener)
	if l == nil {
		return
	}
	l.l = nil
	delete(l.r.listeners, l)
	close(l.closed)
	l.h.Delete()
	l.r.maybeFinish()
}

//export goResponse
func goResponse(cc *C.roam_conn, tok C.uintptr_t, rid C.uint64_t, status C.int, md *C.roam_metadata, v *C.uint8_t, n C.size_t) {
	rt := runtimeByToken(uintptr(tok))
	if rt == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			rt.reportPanic(p)
		}
	}()
	cs, _ := rt.toks[uintptr(tok)].(*callState)
	if cs == nil {
		return
	}
	if md != nil {
		cs.respMD = metadataFrom(md)
	}
	if cs.decode != nil {
		cs.decode(cs, int(status), unsafe.Pointer(v), int(n))
	} else {
		var val []byte
		if n > 0 {
			val = C.GoBytes(unsafe.Pointer(v), C.int(n))
		} else {
			val = []byte{}
		}
		if status == 0 {
			cs.value = val
			cs.finish(nil)
		} else {
			cs.finish(responseError(int(status), val))
		}
	}
	if !cs.finished {
		cs.finish(newError(EINTERNAL, "response not handled"))
	}
	cs.conn.retryBacklog()
}

func coreOf(cc *C.roam_conn, tok C.uintptr_t) *chanCore {
	rt := runtimeByToken(uintptr(tok))
	if rt == nil {
		return nil
	}
	ch, _ := rt.toks[uintptr(tok)].(*chanCore)
	return ch
}

// guard reports a panic of a channel callback instead of letting it unwind into C.
func (ch *chanCore) guard() {
	if p := recover(); p != nil {
		ch.r.reportPanic(p)
	}
}

//export goChanItem
func goChanItem(cc *C.roam_conn, id C.uint64_t, tok C.uintptr_t, item *C.uint8_t, n C.size_t) {
	ch := coreOf(cc, tok)
	if ch == nil {
		return
	}
	defer ch.guard()
	ch.item(unsafe.Pointer(item), int(n))
}

//export goChanEnd
func goChanEnd(cc *C.roam_conn, id C.uint64_t, tok C.uintptr_t, reason C.int, md *C.roam_metadata) {
	ch := coreOf(cc, tok)
	if ch == nil {
		return
	}
	defer ch.guard()
	var err error
	if reason != 0 {
		err = newError(int(reason), "the channel ended")
	}
	ch.end(err, metadataFrom(md))
}

//export goChanWritable
func goChanWritable(cc *C.roam_conn, id C.uint64_t, tok C.uintptr_t) {
	ch := coreOf(cc, tok)
	if ch == nil {
		return
	}
	defer ch.guard()
	ch.writable()
}
