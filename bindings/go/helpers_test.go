package roam_test

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func peerPath(t *testing.T) string {
	p := os.Getenv("ROAM_PEER")
	if p == "" {
		t.Fatal("ROAM_PEER is not set: run the suite with run-tests.sh (make test sets it)")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the Rust peer %s is missing (set ROAM_PEER): %v", p, err)
	}
	return p
}

// peer is a running roam-interop-peer.
type peer struct {
	t     *testing.T
	cmd   *exec.Cmd
	lines chan string
	mu    sync.Mutex
	all   []string
	done  chan struct{}
}

func startPeer(t *testing.T, args ...string) *peer {
	t.Helper()
	cmd := exec.Command(peerPath(t), args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &peer{t: t, cmd: cmd, lines: make(chan string, 1000), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			l := sc.Text()
			p.mu.Lock()
			p.all = append(p.all, l)
			p.mu.Unlock()
			p.lines <- l
		}
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Signal(syscall.SIGCONT)
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// expect waits for a line starting with prefix.
func (p *peer) expect(prefix string, within time.Duration) string {
	p.t.Helper()
	deadline := time.After(within)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("peer ended before %q; output:\n%s", prefix, p.output())
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-p.done:
			select {
			case l := <-p.lines:
				if strings.HasPrefix(l, prefix) {
					return l
				}
				continue
			default:
			}
			p.t.Fatalf("peer exited before %q; output:\n%s", prefix, p.output())
		case <-deadline:
			p.t.Fatalf("no %q from the peer within %v; output:\n%s", prefix, within, p.output())
		}
	}
}

// addr waits for LISTENING and returns the address as libroam spells it.
func (p *peer) addr() string {
	l := p.expect("LISTENING ", 10*time.Second)
	a := strings.TrimPrefix(l, "LISTENING ")
	if strings.HasPrefix(a, "tcp:") && !strings.HasPrefix(a, "tcp://") {
		a = "tcp://" + strings.TrimPrefix(a, "tcp:")
	}
	return a
}

func (p *peer) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.all, "\n")
}

// wait waits for the peer to exit and returns its exit code.
func (p *peer) wait(within time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(within):
		p.t.Fatalf("peer still running after %v; output:\n%s", within, p.output())
	}
	return p.cmd.ProcessState.ExitCode()
}

// peerAddr spells a libroam address the peer's way.
func peerAddr(a string) string { return "tcp:" + strings.TrimPrefix(a, "tcp://") }
