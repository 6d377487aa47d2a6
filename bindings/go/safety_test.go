package roam_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	roam "github.com/libroam/roam-go"
	"github.com/libroam/roam-go/testbed"
)

type loopback struct {
	rt      *roam.Runtime
	l       *roam.Listener
	client  *roam.Session
	panics  chan any
	tb      *testbed.Testbed
	server  *testbed.Testbed
	accepts chan *roam.Session
}

// newLoopback: a Testbed server and a client session on one runtime, over real TCP.
func newLoopback(t *testing.T, server *testbed.Testbed, serverOpts ...roam.SessionOption) *loopback {
	t.Helper()
	rt, err := roam.NewRuntime()
	if err != nil {
		t.Fatal(err)
	}
	lb := &loopback{rt: rt, panics: make(chan any, 100), server: server}
	rt.OnPanic(func(p any) { lb.panics <- p })
	opts := append([]roam.SessionOption{roam.WithRuntime(rt), roam.WithHandler(testbed.Service.Handler(server))}, serverOpts...)
	lb.l, err = roam.Listen("tcp://127.0.0.1:0", opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lb.client, err = roam.Connect(ctx, lb.l.Addr(), roam.WithRuntime(rt))
	if err != nil {
		t.Fatal(err)
	}
	lb.tb = testbed.Service.Client(lb.client.Root())
	t.Cleanup(func() { rt.Close() })
	return lb
}

func (lb *loopback) expectPanic(t *testing.T, contains string) {
	t.Helper()
	select {
	case p := <-lb.panics:
		if !strings.Contains(fmt.Sprint(p), contains) {
			t.Fatalf("reported panic %v, want one mentioning %q", p, contains)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the panic was not reported")
	}
}

func TestHandlerPanicIsContained(t *testing.T) {
	srv := testbed.NewServer()
	srv.Echo = func(ctx context.Context, m string) (string, error) {
		if m == "boom" {
			panic("handler exploded")
		}
		return m, nil
	}
	lb := newLoopback(t, srv)
	ctx := context.Background()
	_, err := lb.tb.Echo(ctx, "boom")
	if !errors.Is(err, roam.ErrCancelled) {
		t.Fatalf("a panicking handler: caller got %v", err)
	}
	lb.expectPanic(t, "handler exploded")
	if got, err := lb.tb.Echo(ctx, "fine"); err != nil || got != "fine" {
		t.Fatalf("after the panic: %q %v", got, err)
	}
}

func TestCallbackPanicsAreContained(t *testing.T) {
	srv := testbed.NewServer()
	lb := newLoopback(t, srv, roam.OnInboundOpen(func(c *roam.Conn, md roam.Metadata) (bool, roam.Metadata) {
		panic("inbound-open callback exploded")
	}))
	ctx := context.Background()
	// A panicking inbound-open callback: reported, the open is rejected.
	_, _, err := lb.client.Open(ctx, roam.MD("want", "accept"))
	if !errors.Is(err, roam.ErrRejected) {
		t.Fatalf("open: %v", err)
	}
	lb.expectPanic(t, "inbound-open callback exploded")

	// A panicking item callback: reported, the channel is reset.
	tx, rx := roam.NewChannel[int32]()
	var seen int32
	rx.ForEach(func(v int32) {
		if atomic.AddInt32(&seen, 1) == 3 {
			panic("item callback exploded")
		}
	})
	_ = lb.tb.Generate(ctx, 50, tx)
	lb.expectPanic(t, "item callback exploded")
	if _, err := rx.Recv(ctx); err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("the reset channel: %v", err)
	}
	// The session goes on.
	if got, err := lb.tb.Echo(ctx, "alive"); err != nil || got != "alive" {
		t.Fatalf("after the panics: %q %v", got, err)
	}
}

func TestEndedThingsAreErrors(t *testing.T) {
	lb := newLoopback(t, testbed.NewServer())
	ctx := context.Background()

	// A zero channel, a channel passed twice, a channel after its end.
	var zero roam.Tx[int32]
	if err := zero.Send(ctx, 1); !errors.Is(err, roam.ErrInvalid) {
		t.Fatalf("zero Tx: %v", err)
	}
	tx, rx := roam.NewChannel[int32]()
	if err := lb.tb.Generate(ctx, 2, tx); err != nil {
		t.Fatal(err)
	}
	if err := lb.tb.Generate(ctx, 2, tx); !errors.Is(err, roam.ErrState) {
		t.Fatalf("a channel passed twice: %v", err)
	}
	for i := 0; i < 2; i++ {
		if _, err := rx.Recv(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2; i++ {
		if _, err := rx.Recv(ctx); !errors.Is(err, io.EOF) {
			t.Fatalf("Recv after the end: %v", err)
		}
	}
	if err := rx.Reset(); !errors.Is(err, roam.ErrClosed) {
		t.Fatalf("Reset after the end: %v", err)
	}
	// A sender after its close.
	stx, srx := roam.NewChannel[int32]()
	done := make(chan error, 1)
	go func() { _, err := lb.tb.Sum(ctx, srx); done <- err }()
	if err := stx.Send(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if err := stx.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := stx.Send(ctx, 6); err == nil {
		t.Fatal("Send after Close succeeded")
	}
	// The root cannot be closed; a virtual connection twice.
	if err := lb.client.Root().Close(nil); !errors.Is(err, roam.ErrRoot) {
		t.Fatalf("closing the root: %v", err)
	}
	// Raw serving, and cancels reaching the server.
	sawCancel := make(chan struct{}, 2)
	rt2 := lb.rt
	l2, err := roam.Listen("tcp://127.0.0.1:0", roam.WithRuntime(rt2), roam.WithHandler(roam.HandlerFunc(
		func(ctx context.Context, method uint64, args []byte, md roam.Metadata) ([]byte, error) {
			if method == 7 { // waits for the caller's cancel
				<-ctx.Done()
				sawCancel <- struct{}{}
				return nil, ctx.Err()
			}
			return args, nil
		})))
	if err != nil {
		t.Fatal(err)
	}
	s2, err := roam.Connect(ctx, l2.Addr(), roam.WithRuntime(rt2))
	if err != nil {
		t.Fatal(err)
	}
	r, err := s2.Root().CallRaw(ctx, 42, []byte{1, 2, 3}, nil)
	if err != nil || string(r.Value) != "\x01\x02\x03" {
		t.Fatalf("raw call: %v %v", r, err)
	}
	call := s2.Root().Go(7, nil, nil, nil)
	time.Sleep(20 * time.Millisecond)
	call.Cancel()
	<-call.Done
	if !errors.Is(call.Err, roam.ErrCancelled) {
		t.Fatalf("cancelled async call: %v", call.Err)
	}
	tctx, tcancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = s2.Root().CallRaw(tctx, 7, nil, nil)
	tcancel()
	if !errors.Is(err, roam.ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("call past its deadline: %v", err)
	}
	for i := 0; i < 2; i++ {
		select {
		case <-sawCancel:
		case <-time.After(5 * time.Second):
			t.Fatal("the handler's context was not cancelled")
		}
	}
	// Everything after the session is closed.
	if err := lb.client.Close(); err != nil {
		t.Fatal(err)
	}
	if err := lb.client.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := lb.tb.Echo(ctx, "x"); !errors.Is(err, roam.ErrClosed) {
		t.Fatalf("call after Close: %v", err)
	}
	if _, _, err := lb.client.Open(ctx, nil); !errors.Is(err, roam.ErrClosed) {
		t.Fatalf("open after Close: %v", err)
	}
	if err := l2.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l2.Accept(ctx); !errors.Is(err, roam.ErrClosed) {
		t.Fatalf("accept after Close: %v", err)
	}
	// A closed runtime refuses work.
	lb.rt.Close()
	if _, err := roam.Connect(ctx, lb.l.Addr(), roam.WithRuntime(lb.rt)); !errors.Is(err, roam.ErrClosed) {
		t.Fatalf("connect on a closed runtime: %v", err)
	}
}

func TestGCStressWithCallsInFlight(t *testing.T) {
	lb := newLoopback(t, testbed.NewServer())
	ctx := context.Background()
	stop := make(chan struct{})
	var gcWG sync.WaitGroup
	gcWG.Add(1)
	go func() {
		defer gcWG.Done()
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				want := fmt.Sprintf("g%d-%d", g, i)
				got, err := lb.tb.Echo(ctx, want)
				if err != nil || got != want {
					errs <- fmt.Errorf("echo %s: %q %v", want, got, err)
				}
				pts, err := lb.tb.GetPoints(ctx, uint32(i))
				if err != nil || len(pts) != i {
					errs <- fmt.Errorf("get_points(%d): %v %v", i, pts, err)
				}
				if i%10 == 0 {
					tx, rx := roam.NewChannel[int32]()
					if err := lb.tb.Generate(ctx, 20, tx); err != nil {
						errs <- err
					}
					runtime.GC()
					for k := int32(0); k < 20; k++ {
						if v, err := rx.Recv(ctx); err != nil || v != k {
							errs <- fmt.Errorf("generate item %d: %d %v", k, v, err)
						}
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(stop)
	gcWG.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestManyGoroutinesAtOnce(t *testing.T) {
	lb := newLoopback(t, testbed.NewServer())
	ctx := context.Background()
	var wg sync.WaitGroup
	var bad int32
	for g := 0; g < 100; g++ { // more than the peer's 64 calls in flight: some wait
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				q, err := lb.tb.Divide(ctx, int64(g*i), 2)
				if err != nil || q != int64(g*i/2) {
					atomic.AddInt32(&bad, 1)
				}
				if _, err := lb.tb.Divide(ctx, 1, 0); !errors.Is(err, testbed.DivisionByZero) {
					atomic.AddInt32(&bad, 1)
				}
			}
		}(g)
	}
	wg.Wait()
	if bad != 0 {
		t.Fatalf("%d calls went wrong", bad)
	}
}

func TestVirtualConnectionsLoopback(t *testing.T) {
	closed := make(chan roam.CloseInfo, 1)
	lb := newLoopback(t, testbed.NewServer(),
		roam.OnInboundOpen(func(c *roam.Conn, md roam.Metadata) (bool, roam.Metadata) {
			if md.String("want") == "accept" {
				return true, roam.MD("accepted-by", "go")
			}
			return false, roam.MD("reason", "policy")
		}),
		roam.OnConnClosed(func(c *roam.Conn, info roam.CloseInfo) {
			if info.Origin == roam.ClosedRemote {
				closed <- info
			}
		}))
	ctx := context.Background()
	c, md, err := lb.client.Open(ctx, roam.MD("want", "accept"))
	if err != nil || md.String("accepted-by") != "go" {
		t.Fatalf("open: %v %v", md, err)
	}
	v := testbed.Service.Client(c)
	if got, err := v.Reverse(ctx, "abc"); err != nil || got != "cba" {
		t.Fatalf("reverse on the virtual connection: %q %v", got, err)
	}
	_, md, err = lb.client.Open(ctx, roam.MD("want", "no"))
	if !errors.Is(err, roam.ErrRejected) || md.String("reason") != "policy" {
		t.Fatalf("rejected open: %v %v", md, err)
	}
	if err := c.Close(roam.MD("bye", "go")); err != nil {
		t.Fatal(err)
	}
	select {
	case info := <-closed:
		if info.Metadata.String("bye") != "go" {
			t.Fatalf("closed with %v", info.Metadata)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not see the close")
	}
	if _, err := v.Echo(ctx, "x"); !errors.Is(err, roam.ErrClosed) {
		t.Fatalf("call on a closed connection: %v", err)
	}
	if err := c.Close(nil); !errors.Is(err, roam.ErrClosed) {
		t.Fatalf("second close: %v", err)
	}
	// Our server answers an id it does not declare UnknownMethod.
	root := lb.client.Root()
	if _, err := root.CallRaw(ctx, 0x1234, nil, nil); !errors.Is(err, roam.ErrUnknownMethod) {
		t.Fatalf("unknown method: %v", err)
	}
	// Asynchronous raw calls complete on the channel given.
	args, _ := roam.Marshal("async")
	want, _ := roam.Marshal("async")
	done := make(chan *roam.Call, 10)
	for i := 0; i < 10; i++ {
		root.Go(testbed.Service.Method("echo").ID, args, nil, done)
	}
	for i := 0; i < 10; i++ {
		c := <-done
		if c.Err != nil || string(c.Value) != string(want) {
			t.Fatalf("async echo: %v %q", c.Err, c.Value)
		}
	}
}
