package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/libroam/roam-go/internal/testproc"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "roam-testbed")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "roam-testbed")
	os.Setenv("GORACE", "atexit_sleep_ms=0") // the race-built program exits at once
	gotool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gotool); err != nil {
		gotool = "go"
	}
	if out, err := exec.Command(gotool, "build", "-race", "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	startupTimeout = 30 * time.Second // to print the address (race-built, on a loaded machine)
	runTimeout     = 60 * time.Second // for one whole --call, call-testbed or bench
)

// listenOnce starts `roam-testbed --listen tcp://127.0.0.1:0 --once`.
func listenOnce(t *testing.T) (*testproc.Proc, string) {
	t.Helper()
	p := testproc.Start(t, exec.Command(binary, "--listen", "tcp://127.0.0.1:0", "--once"))
	addr := p.Addr(startupTimeout)
	if !regexp.MustCompile(`^tcp://127\.0\.0\.1:\d+$`).MatchString(addr) {
		t.Fatalf("LISTENING %q", addr)
	}
	return p, addr
}

// checkListenResult: the --listen --once program served one session, said
// `RESULT ok` and exited 0; a failure shows its output and the caller's.
func checkListenResult(t *testing.T, listener, caller *testproc.Proc) {
	t.Helper()
	code := listener.Wait(runTimeout)
	lines := listener.Lines()
	if code != 0 || len(lines) != 2 || lines[1] != "RESULT ok" {
		t.Fatalf("--listen --once exit %d\n%s\n%s", code, listener.Output(), caller.Output())
	}
}

// checkCallOutput: `roam-testbed --call` printed its 16 checks, the virtual
// part and RESULT ok, and exited 0; a failure shows both sides' output.
func checkCallOutput(t *testing.T, caller, server *testproc.Proc) {
	t.Helper()
	ok := caller.Wait(runTimeout) == 0
	lines := caller.Lines()
	ok = ok && len(lines) == 18 && lines[16] == "ok virtual" && lines[17] == "RESULT ok"
	for i := 0; ok && i < 16; i++ {
		ok = strings.HasPrefix(lines[i], "ok ")
	}
	if !ok {
		t.Fatalf("--call failed\n%s\n%s", caller.Output(), server.Output())
	}
}

// checkRustOrCxxCaller: call-testbed (Rust) or roam-subject --call (C++)
// printed RESULT ok last and exited 0.
func checkRustOrCxxCaller(t *testing.T, caller, server *testproc.Proc) {
	t.Helper()
	code := caller.Wait(runTimeout)
	if code != 0 || !strings.HasSuffix(strings.TrimSpace(caller.Stdout()), "RESULT ok") {
		t.Fatalf("caller exit %d\n%s\n%s", code, caller.Output(), server.Output())
	}
}

func TestCallAgainstRustPeer(t *testing.T) {
	peer := testproc.Start(t, exec.Command(testproc.Tool(t, "ROAM_PEER"), "serve-testbed", "tcp:127.0.0.1:0"))
	caller := testproc.Run(t, exec.Command(binary, "--call", peer.Addr(startupTimeout)), runTimeout)
	checkCallOutput(t, caller, peer)
	if code := peer.Wait(runTimeout); code != 0 || !strings.Contains(peer.Stdout(), "RESULT ok") {
		t.Fatalf("serve-testbed exit %d\n%s\n%s", code, peer.Output(), caller.Output())
	}
}

func TestListenAgainstRustCaller(t *testing.T) {
	listener, addr := listenOnce(t)
	caller := testproc.Run(t, exec.Command(testproc.Tool(t, "ROAM_PEER"), "call-testbed", "tcp:"+strings.TrimPrefix(addr, "tcp://")), runTimeout)
	checkRustOrCxxCaller(t, caller, listener)
	if n := strings.Count(caller.Stdout(), "\nok "); n != 16 {
		t.Fatalf("call-testbed: %d checks ok\n%s\n%s", n, caller.Output(), listener.Output())
	}
	checkListenResult(t, listener, caller)
}

func TestGoAgainstGo(t *testing.T) {
	listener, addr := listenOnce(t)
	caller := testproc.Run(t, exec.Command(binary, "--call", addr), runTimeout)
	checkCallOutput(t, caller, listener)
	checkListenResult(t, listener, caller)
}

func TestAgainstCxxSubject(t *testing.T) {
	subject := testproc.Tool(t, "ROAM_SUBJECT")
	listener, addr := listenOnce(t)
	caller := testproc.Run(t, exec.Command(subject, "--call", addr), runTimeout)
	checkRustOrCxxCaller(t, caller, listener)
	checkListenResult(t, listener, caller)

	server := testproc.Start(t, exec.Command(subject, "--listen", "tcp://127.0.0.1:0", "--once"))
	caller = testproc.Run(t, exec.Command(binary, "--call", server.Addr(startupTimeout)), runTimeout)
	checkCallOutput(t, caller, server)
	server.Wait(runTimeout)
}

func TestBenchAgainstRoamcat(t *testing.T) {
	build := testproc.Tool(t, "ROAM_BUILD_DIR")
	cmd := exec.Command(filepath.Join(build, "tools", "roamcat"), "serve", "tcp://127.0.0.1:0")
	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+build+":"+os.Getenv("LD_LIBRARY_PATH"))
	server := testproc.Start(t, cmd)
	bench := testproc.Run(t, exec.Command(binary, "bench", server.Addr(startupTimeout), "3000", "16"), runTimeout)
	if code := bench.Wait(runTimeout); code != 0 || !regexp.MustCompile(`^BENCH calls=3000 seconds=[0-9.]+$`).MatchString(bench.Stdout()) {
		t.Fatalf("bench exit %d\n%s\n%s", code, bench.Output(), server.Output())
	}
}

func TestUsage(t *testing.T) {
	if code := testproc.Run(t, exec.Command(binary, "--nope"), runTimeout).Wait(runTimeout); code != 64 {
		t.Fatalf("usage exit %d", code)
	}
}
