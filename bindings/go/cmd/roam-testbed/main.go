// Command roam-testbed is the Go binding's Testbed program (bindings/README.md):
//
//	roam-testbed --listen tcp://127.0.0.1:0 [--once]
//	roam-testbed --call tcp://HOST:PORT
//	roam-testbed bench tcp://HOST:PORT CALLS CONCURRENCY
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	roam "github.com/libroam/roam-go"
	"github.com/libroam/roam-go/testbed"
)

func line(s string) { fmt.Println(s) }

func usage() int {
	fmt.Fprintln(os.Stderr, "usage: roam-testbed --listen ADDR [--once] | --call ADDR | bench ADDR CALLS CONCURRENCY")
	return 64
}

func main() {
	a := os.Args[1:]
	switch {
	case len(a) >= 2 && a[0] == "--listen" && (len(a) == 2 || (len(a) == 3 && a[2] == "--once")):
		os.Exit(listen(a[1], len(a) == 3))
	case len(a) == 2 && a[0] == "--call":
		os.Exit(call(a[1]))
	case len(a) == 4 && a[0] == "bench":
		calls, err1 := strconv.Atoi(a[2])
		conc, err2 := strconv.Atoi(a[3])
		if err1 != nil || err2 != nil || calls < 0 || conc < 1 {
			os.Exit(usage())
		}
		os.Exit(bench(a[1], calls, conc))
	default:
		os.Exit(usage())
	}
}

// cleanEnd: an orderly end, or the peer hanging up.
func cleanEnd(err error) bool { return err == nil || errors.Is(err, roam.ErrEOF) }

func listen(addr string, once bool) int {
	handler := testbed.Service.Handler(testbed.NewServer())
	l, err := roam.Listen(addr,
		roam.WithHandler(handler),
		roam.OnInboundOpen(func(c *roam.Conn, md roam.Metadata) (bool, roam.Metadata) {
			return true, roam.MD("accepted-by", "go")
		}))
	if err != nil {
		fmt.Fprintln(os.Stderr, "roam-testbed:", err)
		return 1
	}
	line("LISTENING " + l.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-sig; cancel() }()
	first := make(chan error, 1)
	var once1 sync.Once
	go func() {
		for {
			s, err := l.Accept(ctx)
			if err != nil {
				return
			}
			go func() {
				<-s.Ended()
				err := s.Err()
				if !cleanEnd(err) {
					fmt.Fprintln(os.Stderr, "roam-testbed: session ended:", err)
				}
				once1.Do(func() { first <- err })
				s.Close()
			}()
		}
	}()
	if !once {
		<-ctx.Done()
		l.Close()
		return 0
	}
	select {
	case err := <-first:
		l.Close()
		if cleanEnd(err) {
			line("RESULT ok")
			return 0
		}
		line("RESULT fail")
		return 1
	case <-ctx.Done():
		line("RESULT fail")
		return 1
	}
}

func virtual(ctx context.Context, s *roam.Session) error {
	conn, md, err := s.Open(ctx, roam.MD("want", "accept"))
	if err != nil {
		return fmt.Errorf("open: %v", err)
	}
	_ = md
	c := testbed.Service.Client(conn)
	got, err := c.Echo(ctx, "virtual hello")
	if err != nil || got != "virtual hello" {
		return fmt.Errorf("echo: %q, %v", got, err)
	}
	tx, rx := roam.NewChannel[int32]()
	go func() {
		for i := int32(1); i <= 10; i++ {
			if tx.Send(ctx, i) != nil {
				return
			}
		}
		tx.Close()
	}()
	sum, err := c.Sum(ctx, rx)
	if err != nil || sum != 55 {
		return fmt.Errorf("sum: %d, %v", sum, err)
	}
	gtx, grx := roam.NewChannel[int32]()
	if err := c.Generate(ctx, 7, gtx); err != nil {
		return fmt.Errorf("generate: %v", err)
	}
	for i := int32(0); i < 7; i++ {
		v, err := grx.Recv(ctx)
		if err != nil || v != i {
			return fmt.Errorf("generate item %d: %d, %v", i, v, err)
		}
	}
	if _, err := grx.Recv(ctx); err == nil {
		return fmt.Errorf("generate: more than 7 items")
	}
	if err := conn.Close(roam.MD("bye", "go")); err != nil {
		return fmt.Errorf("close: %v", err)
	}
	return nil
}

func call(addr string) int {
	ctx := context.Background()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	s, err := roam.Connect(cctx, addr, roam.WithHandler(testbed.Service.Handler(testbed.NewServer())))
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "roam-testbed: no session with", addr+":", err)
		line("RESULT fail")
		return 1
	}
	failed := testbed.RunChecks(ctx, testbed.Service.Client(s.Root()), line)
	vctx, vcancel := context.WithTimeout(ctx, 10*time.Second)
	if err := virtual(vctx, s); err != nil {
		line("FAIL virtual: " + err.Error())
		failed++
	} else {
		line("ok virtual")
	}
	vcancel()
	s.Close()
	if failed == 0 {
		line("RESULT ok")
		return 0
	}
	line("RESULT fail")
	return 1
}

func bench(addr string, calls, conc int) int {
	ctx := context.Background()
	s, err := roam.Connect(ctx, addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "roam-testbed:", err)
		return 1
	}
	defer s.Close()
	m := testbed.InteropService.Method("echo")
	msg := "0123456789abcdef"
	args, err := roam.Marshal(msg) // the arguments (message,): a 1-tuple is its element
	if err != nil {
		fmt.Fprintln(os.Stderr, "roam-testbed:", err)
		return 1
	}
	want, _ := roam.Marshal(msg)
	root := s.Root()
	if path := os.Getenv("ROAM_GO_CPUPROFILE"); path != "" { // for tuning
		if f, err := os.Create(path); err == nil {
			_ = pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	// CONCURRENCY calls in flight: each completion (on the runtime's
	// goroutine) starts the next call, so calls go out in batches with no
	// thread switch per call.
	var sent, completed, bad int64
	finished := make(chan struct{})
	var next func(c *roam.Call)
	next = func(c *roam.Call) {
		if c.Err != nil || string(c.Value) != string(want) {
			atomic.AddInt64(&bad, 1)
		}
		if atomic.AddInt64(&sent, 1) <= int64(calls) {
			root.GoFunc(m.ID, args, nil, next)
		}
		if atomic.AddInt64(&completed, 1) == int64(calls) {
			close(finished)
		}
	}
	start := time.Now()
	for i := 0; i < conc && atomic.AddInt64(&sent, 1) <= int64(calls); i++ {
		root.GoFunc(m.ID, args, nil, next)
	}
	if calls > 0 {
		<-finished
	}
	secs := time.Since(start).Seconds()
	if bad > 0 {
		fmt.Fprintf(os.Stderr, "roam-testbed: %d calls failed\n", bad)
		return 1
	}
	line(fmt.Sprintf("BENCH calls=%d seconds=%.6f", calls, secs))
	return 0
}
