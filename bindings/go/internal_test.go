package roam

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Callbacks run on the runtime's goroutine (its locked thread), and only there.
func TestCallbacksRunOnTheRuntimeThread(t *testing.T) {
	rt, err := NewRuntime()
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	inbound, closed, handler, ended := make(chan bool, 4), make(chan bool, 4), make(chan bool, 4), make(chan bool, 4)
	l, err := Listen("tcp://127.0.0.1:0", WithRuntime(rt),
		OnInboundOpen(func(c *Conn, md Metadata) (bool, Metadata) { inbound <- rt.onLoop(); return true, nil }),
		OnConnClosed(func(c *Conn, info CloseInfo) { closed <- rt.onLoop() }),
		WithHandler(HandlerFunc(func(ctx context.Context, m uint64, a []byte, md Metadata) ([]byte, error) {
			handler <- rt.onLoop() // a HandlerFunc runs on its own goroutine
			return a, nil
		})))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := Connect(ctx, l.Addr(), WithRuntime(rt), OnEnd(func(*Session, error) { ended <- rt.onLoop() }))
	if err != nil {
		t.Fatal(err)
	}
	if rt.onLoop() {
		t.Fatal("the test goroutine claims the runtime's thread")
	}
	c, _, err := s.Open(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CallRaw(ctx, 1, []byte{1}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, k := range []struct {
		name string
		ch   chan bool
		want bool
	}{{"inbound open", inbound, true}, {"handler", handler, false}, {"conn closed", closed, true}, {"end", ended, true}} {
		select {
		case got := <-k.ch:
			if got != k.want {
				t.Errorf("%s: on the runtime thread = %v", k.name, got)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s did not run", k.name)
		}
	}
}

func TestErrorsCarryCodeNameAndDetail(t *testing.T) {
	rt, err := NewRuntime()
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	_, err = Connect(context.Background(), "tcp://127.0.0.1", WithRuntime(rt))
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) || e.Name != "ROAM_EINVAL" || !strings.Contains(e.Detail, "port") {
		t.Fatalf("connect without a port: %#v", err)
	}
	if !strings.Contains(err.Error(), "ROAM_EINVAL: invalid argument") {
		t.Fatalf("Error(): %q", err.Error())
	}
	// A refused connection fails the handshake with an I/O error.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l, _ := Listen("tcp://127.0.0.1:0", WithRuntime(rt))
	addr := l.Addr()
	l.Close()
	if _, err := Connect(ctx, addr, WithRuntime(rt)); !errors.Is(err, ErrIO) && !errors.Is(err, ErrEOF) {
		t.Fatalf("connect to a closed port: %v", err)
	}
	// A blocking call from a callback is refused, not a deadlock.
	refused := make(chan error, 1)
	l2, _ := Listen("tcp://127.0.0.1:0", WithRuntime(rt))
	s, err := Connect(ctx, l2.Addr(), WithRuntime(rt), OnConnClosed(func(c *Conn, info CloseInfo) {}),
		OnEnd(func(s *Session, _ error) {
			_, err := s.Root().CallRaw(context.Background(), 1, nil, nil)
			refused <- err
		}))
	if err != nil {
		t.Fatal(err)
	}
	s.Shutdown()
	select {
	case err := <-refused:
		if !errors.Is(err, ErrState) {
			t.Fatalf("blocking call in a callback: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnEnd did not run")
	}
	s.Close()
}
