package roam_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	roam "github.com/libroam/roam-go"
)

// Scenario open-accept-reject: the peer opens want=accept and want=reject;
// we accept/reject by `want` (reason=policy), open two of our own, end the session.
func TestVirtualOpenAcceptReject(t *testing.T) {
	p := startPeer(t, "run", "--role", "acceptor", "--listen", "tcp:127.0.0.1:0", "--scenario", "open-accept-reject")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var accepted, rejected int32
	s, err := roam.Connect(ctx, p.addr(), roam.OnInboundOpen(func(c *roam.Conn, md roam.Metadata) (bool, roam.Metadata) {
		if md.String("want") == "accept" {
			atomic.AddInt32(&accepted, 1)
			return true, roam.MD("accepted-by", "go")
		}
		atomic.AddInt32(&rejected, 1)
		return false, roam.MD("reason", "policy")
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p.Expect("OPEN_REJECTED", 10*time.Second)
	if atomic.LoadInt32(&accepted) != 1 || atomic.LoadInt32(&rejected) != 1 {
		t.Fatalf("accepted %d, rejected %d", accepted, rejected)
	}
	c, md, err := s.Open(ctx, roam.MD("want", "accept"))
	if err != nil {
		t.Fatalf("open want=accept: %v", err)
	}
	if c.ID() == 0 || md.String("accepted-by") != "roam-rust" {
		t.Logf("accept metadata: %v (roam-core 7.3.0 does not send accept metadata)", md.Format())
	}
	_, md, err = s.Open(ctx, roam.MD("want", "reject"))
	if !errors.Is(err, roam.ErrRejected) {
		t.Fatalf("open want=reject: %v", err)
	}
	t.Logf("reject metadata: %s", md.Format())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if code := p.Wait(10 * time.Second); code != 0 {
		t.Fatalf("peer exit %d:\n%s", code, p.Output())
	}
	if !strings.Contains(p.Stdout(), "OPEN_ACCEPTED") || !strings.Contains(p.Stdout(), "md=reason:s:policy:0") {
		t.Fatalf("peer:\n%s", p.Output())
	}
}

// Scenario close: the peer opens one (we close it with metadata) and another
// that it closes with bye=rust.
func TestVirtualClose(t *testing.T) {
	p := startPeer(t, "run", "--role", "acceptor", "--listen", "tcp:127.0.0.1:0", "--scenario", "close")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var n int32
	closedRemote := make(chan roam.CloseInfo, 4)
	closeErr := make(chan error, 1)
	s, err := roam.Connect(ctx, p.addr(),
		roam.OnInboundOpen(func(c *roam.Conn, md roam.Metadata) (bool, roam.Metadata) {
			if atomic.AddInt32(&n, 1) == 1 {
				go func() { closeErr <- c.Close(roam.MD("bye", "go")) }()
			}
			return true, roam.MD("accepted-by", "go")
		}),
		roam.OnConnClosed(func(c *roam.Conn, info roam.CloseInfo) {
			if info.Origin == roam.ClosedRemote {
				closedRemote <- info
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	select {
	case err := <-closeErr:
		if err != nil {
			t.Fatalf("close: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("no first open")
	}
	p.Expect("CLOSED_BY_PEER", 10*time.Second)
	select {
	case info := <-closedRemote:
		if info.Metadata.String("bye") != "rust" {
			t.Fatalf("closed by the peer with %s", info.Metadata.Format())
		}
	case <-ctx.Done():
		t.Fatal("the peer's close was not seen")
	}
	s.Close()
	if code := p.Wait(10 * time.Second); code != 0 {
		t.Fatalf("peer exit %d:\n%s", code, p.Output())
	}
}

// Keepalive: scenario idle, the peer SIGSTOPped after the handshake.
func TestKeepaliveTimeout(t *testing.T) {
	p := startPeer(t, "run", "--role", "acceptor", "--listen", "tcp:127.0.0.1:0", "--scenario", "idle")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	fired := make(chan struct{}, 1)
	s, err := roam.Connect(ctx, p.addr(),
		roam.WithKeepalive(100*time.Millisecond, 300*time.Millisecond),
		roam.OnKeepaliveTimeout(func(*roam.Session) { fired <- struct{}{} }))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p.Expect("HANDSHAKE ok", 5*time.Second)
	// It survives while the peer answers.
	time.Sleep(400 * time.Millisecond)
	select {
	case <-s.Ended():
		t.Fatalf("ended while the peer was alive: %v", s.Err())
	default:
	}
	if err := p.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// (the cleanup continues and kills it)
	select {
	case <-fired:
	case <-time.After(5 * time.Second):
		t.Fatal("no keepalive timeout")
	}
	select {
	case <-s.Ended():
	case <-time.After(5 * time.Second):
		t.Fatal("the session did not end")
	}
	if !errors.Is(s.Err(), roam.ErrKeepalive) {
		t.Fatalf("session ended with %v", s.Err())
	}
	// Using the ended session is an error, not a crash.
	if _, _, err := s.Open(ctx, nil); err == nil {
		t.Fatal("open on an ended session succeeded")
	}
	if _, err := s.Root().CallRaw(ctx, 1, nil, nil); !errors.Is(err, roam.ErrClosed) {
		t.Fatalf("call on an ended session: %v", err)
	}
}
