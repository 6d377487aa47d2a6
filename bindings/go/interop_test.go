package roam_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	roam "github.com/libroam/roam-go"
	"github.com/libroam/roam-go/testbed"
)

func TestTestbedMethodIDsMatchRust(t *testing.T) {
	want := map[string]uint64{}
	for name, id := range rustMethodIDs(t) {
		if strings.HasPrefix(name, "Testbed.") {
			want[strings.TrimPrefix(name, "Testbed.")] = id
		}
	}
	if len(want) != 16 || len(testbed.Service.Methods) != 16 {
		t.Fatalf("want 16 methods, the peer has %d, we declare %d", len(want), len(testbed.Service.Methods))
	}
	for _, m := range testbed.Service.Methods {
		if want[m.Name] != m.ID {
			t.Errorf("%s: id %#x, the Rust peer says %#x", m.Name, m.ID, want[m.Name])
		}
	}
	// The Interop echo (what roamcat serves and the bench calls).
	out, err := exec.Command(peerPath(t), "method-ids").Output()
	if err != nil {
		t.Fatal(err)
	}
	echo := testbed.InteropService.Method("echo")
	if !strings.Contains(string(out), fmt.Sprintf("METHOD echo %#016x", echo.ID)) {
		t.Errorf("Interop.echo id %#016x is not in:\n%s", echo.ID, out)
	}
}

func TestTestbedClientAgainstRustServer(t *testing.T) {
	p := startPeer(t, "serve-testbed", "tcp:127.0.0.1:0")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := roam.Connect(ctx, p.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := testbed.Service.Client(s.Root())
	failed := testbed.RunChecks(ctx, c, func(l string) {
		if !strings.HasPrefix(l, "ok ") {
			t.Error(l)
		}
	})
	if failed != 0 {
		t.Fatalf("%d methods failed\n%s", failed, p.Output())
	}

	// User errors: values of the method's E, matched with errors.Is/As.
	_, err = c.Divide(ctx, 1, 0)
	var me testbed.MathError
	var re *roam.Error
	if !errors.Is(err, roam.ErrUser) || !errors.As(err, &me) || me != testbed.DivisionByZero ||
		!errors.As(err, &re) || re.User != testbed.DivisionByZero {
		t.Fatalf("divide(1, 0): %v", err)
	}
	_, err = c.Lookup(ctx, 1000)
	if !errors.Is(err, testbed.NotFound) {
		t.Fatalf("lookup(1000): %v", err)
	}

	// An unknown method: a deliberately wrong id.
	args, _ := roam.Marshal("x")
	_, err = s.Root().CallRaw(ctx, testbed.Service.Method("echo").ID^1, args, nil)
	if !errors.Is(err, roam.ErrUnknownMethod) {
		t.Fatalf("unknown method: %v", err)
	}

	// Cancel through the context: sum waits for a channel we never close.
	tx, rx := roam.NewChannel[int32]()
	if err := func() error {
		cctx, ccancel := context.WithCancel(ctx)
		go func() {
			_ = tx.Send(ctx, 1)
			time.Sleep(100 * time.Millisecond)
			ccancel()
		}()
		_, err := c.Sum(cctx, rx)
		return err
	}(); !errors.Is(err, roam.ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled sum: %v", err)
	}
	// A deadline cancels too.
	_, rx2 := roam.NewChannel[int32]()
	dctx, dcancel := context.WithTimeout(ctx, 100*time.Millisecond)
	_, err = c.Sum(dctx, rx2)
	dcancel()
	if !errors.Is(err, roam.ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("sum past its deadline: %v", err)
	}
	// The session goes on.
	if got, err := c.Echo(ctx, "still here"); err != nil || got != "still here" {
		t.Fatalf("echo after cancel: %q %v", got, err)
	}
	s.Close()
	if code := p.Wait(10 * time.Second); code != 0 {
		t.Fatalf("peer exit %d:\n%s", code, p.Output())
	}
	if !strings.Contains(p.Stdout(), "RESULT ok") {
		t.Fatalf("peer:\n%s", p.Output())
	}
}

func TestTestbedServerAgainstRustCaller(t *testing.T) {
	rt, err := roam.NewRuntime()
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	l, err := roam.Listen("tcp://127.0.0.1:0", roam.WithRuntime(rt),
		roam.WithHandler(testbed.Service.Handler(testbed.NewServer())))
	if err != nil {
		t.Fatal(err)
	}
	p := startPeer(t, "call-testbed", peerAddr(l.Addr()))
	if code := p.Wait(60 * time.Second); code != 0 {
		t.Fatalf("call-testbed exit %d:\n%s", code, p.Output())
	}
	out := p.Stdout()
	for _, m := range testbed.Service.Methods {
		if !strings.Contains(out, "\nok "+m.Name+"\n") {
			t.Errorf("no `ok %s`", m.Name)
		}
	}
	if !strings.HasSuffix(strings.TrimSpace(out), "RESULT ok") {
		t.Fatalf("call-testbed:\n%s", p.Output())
	}
}
