// Package testproc runs the programs the tests talk to (the Rust peer,
// roam-subject, roamcat, roam-testbed itself) and keeps everything they
// print, so that a failing test can show both sides' output.
package testproc

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Tool is the program named by environment variable env (run-tests.sh and
// CTest set ROAM_PEER, ROAM_SUBJECT, ROAM_BUILD_DIR); a test that needs it
// fails without it.
func Tool(t testing.TB, env string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		t.Fatalf("%s is not set: run the suite with run-tests.sh (make test sets it)", env)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s (%s): %v", env, p, err)
	}
	return p
}

// Proc is a started program: its stdout as lines, its stderr as text.
type Proc struct {
	t    testing.TB
	cmd  *exec.Cmd
	done chan struct{} // closed once it exited and all its output is read

	mu     sync.Mutex
	lines  []string
	next   int           // the first line Expect has not looked at
	grew   chan struct{} // a new line (capacity 1)
	stderr bytes.Buffer
}

// lockedWriter keeps stderr under the Proc's lock (exec copies it on its
// own goroutine while the test may be reading it).
type lockedWriter struct{ p *Proc }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.stderr.Write(b)
}

// Start starts cmd; the test's cleanup kills it if it still runs.
func Start(t testing.TB, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{t: t, cmd: cmd, done: make(chan struct{}), grew: make(chan struct{}, 1)}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = lockedWriter{p}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%v: %v", cmd.Args, err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			p.signal()
		}
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Signal(syscall.SIGCONT) // a test may have stopped it
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// Run runs cmd to its end (at most within) and returns it.
func Run(t testing.TB, cmd *exec.Cmd, within time.Duration) *Proc {
	t.Helper()
	p := Start(t, cmd)
	p.Wait(within)
	return p
}

func (p *Proc) signal() {
	select {
	case p.grew <- struct{}{}:
	default:
	}
}

// Expect waits for the next line starting with prefix (lines before it are
// passed over) and returns it.
func (p *Proc) Expect(prefix string, within time.Duration) string {
	p.t.Helper()
	deadline := time.After(within)
	for {
		p.mu.Lock()
		for p.next < len(p.lines) {
			l := p.lines[p.next]
			p.next++
			if strings.HasPrefix(l, prefix) {
				p.mu.Unlock()
				return l
			}
		}
		p.mu.Unlock()
		select {
		case <-p.grew:
		case <-p.done:
			p.mu.Lock()
			more := p.next < len(p.lines)
			p.mu.Unlock()
			if !more {
				p.t.Fatalf("%s exited before printing %q\n%s", p.name(), prefix, p.Output())
			}
		case <-deadline:
			p.t.Fatalf("%s printed no %q within %v\n%s", p.name(), prefix, within, p.Output())
		}
	}
}

// Addr waits for the line a listening program prints first (`LISTENING
// ADDR`, or roamcat's `listening on ADDR`) and returns the address as
// libroam spells it (tcp://HOST:PORT; the Rust peer says tcp:HOST:PORT).
func (p *Proc) Addr(within time.Duration) string {
	p.t.Helper()
	l := p.Expect("", within)
	f := strings.Fields(l)
	if len(f) < 2 || (f[0] != "LISTENING" && f[0] != "listening") {
		p.t.Fatalf("%s printed %q, not its address\n%s", p.name(), l, p.Output())
	}
	a := f[len(f)-1]
	if strings.HasPrefix(a, "tcp:") && !strings.HasPrefix(a, "tcp://") {
		a = "tcp://" + strings.TrimPrefix(a, "tcp:")
	}
	return a
}

// Wait waits for the program to exit (failing the test after within) and
// returns its exit code.
func (p *Proc) Wait(within time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(within):
		p.t.Fatalf("%s still runs after %v\n%s", p.name(), within, p.Output())
	}
	return p.cmd.ProcessState.ExitCode()
}

// Stdout is every line printed so far.
func (p *Proc) Stdout() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// Lines is a copy of the lines printed so far.
func (p *Proc) Lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// Output is what a failure message shows: the command, its stdout and its
// stderr.
func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return "--- " + p.name() + " stdout:\n" + strings.Join(p.lines, "\n") +
		"\n--- stderr:\n" + p.stderr.String()
}

func (p *Proc) name() string { return strings.Join(p.cmd.Args, " ") }

// Signal sends sig to the program (SIGSTOP: a peer that stops answering).
func (p *Proc) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }
