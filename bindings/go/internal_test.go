package roam

import (
	"context"
	"errors"
	"io"
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

// flowLab streams items both ways; its handlers are the fast and the slow
// side of TestSlowReaderBoundsWhatWaits.
type flowLab struct {
	Generate func(ctx context.Context, count uint32, output Tx[int32]) error
	Sum      func(ctx context.Context, numbers Rx[int32]) (int64, error)
}

// buffered is how many received items wait in Go for the application.
func (ch *chanCore) buffered() int {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return len(ch.items)
}

// readSlowly receives count items in order from rx, pausing before each so a
// fast sender has every chance to overfill, and fails if more than credit
// items ever wait in Go.
func readSlowly(t *testing.T, rx Rx[int32], count, credit int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 0; i < count; i++ {
		if i%8 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
		if n := rx.core.buffered(); n > credit {
			t.Errorf("%d items buffered with credit %d (before item %d)", n, credit, i)
			return
		}
		v, err := rx.Recv(ctx)
		if err != nil || v != int32(i) {
			t.Errorf("item %d: %d, %v", i, v, err)
			return
		}
	}
	if _, err := rx.Recv(ctx); err != io.EOF {
		t.Errorf("after %d items: %v, want io.EOF", count, err)
	}
}

// A slow reader of a fast sender holds at most the channel's credit of
// items (credit goes back only as items are consumed), on the calling side
// (an opened channel) and on the serving side (a bound one).
func TestSlowReaderBoundsWhatWaits(t *testing.T) {
	// A served Tx/Rx has DefaultCredit (the N of Tx<T> in the declaration), so
	// the caller's ends have it too.
	const count, credit = 400, DefaultCredit
	svc := MustService[flowLab]("FlowLab")
	impl := &flowLab{
		Generate: func(ctx context.Context, count uint32, output Tx[int32]) error {
			for i := int32(0); i < int32(count); i++ {
				if err := output.Send(ctx, i); err != nil {
					return err
				}
			}
			return output.Close()
		},
		Sum: func(ctx context.Context, numbers Rx[int32]) (int64, error) {
			readSlowly(t, numbers, count, credit)
			return count * (count - 1) / 2, nil
		},
	}
	rt, err := NewRuntime()
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	l, err := Listen("tcp://127.0.0.1:0", WithRuntime(rt), WithHandler(svc.Handler(impl)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := Connect(ctx, l.Addr(), WithRuntime(rt))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	client := svc.Client(s.Root())

	tx, rx := NewChannel[int32]()
	generated := make(chan error, 1)
	go func() { generated <- client.Generate(ctx, count, tx) }()
	readSlowly(t, rx, count, credit)
	if err := <-generated; err != nil {
		t.Fatalf("generate: %v", err)
	}

	tx, rx = NewChannel[int32]()
	summed := make(chan error, 1)
	go func() {
		_, err := client.Sum(ctx, rx)
		summed <- err
	}()
	for i := int32(0); i < count; i++ {
		if err := tx.Send(ctx, i); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if err := tx.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-summed; err != nil {
		t.Fatalf("sum: %v", err)
	}
}
