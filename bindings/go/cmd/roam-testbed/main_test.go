package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
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

// tool is the program named by environment variable env (run-tests.sh and
// make test set them); a test that needs it fails without it.
func tool(t *testing.T, env string) string {
	p := os.Getenv(env)
	if p == "" {
		t.Fatalf("%s is not set: run the suite with run-tests.sh (make test sets it)", env)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s (%s): %v", env, p, err)
	}
	return p
}

// started runs a program that prints its address first (LISTENING ADDR or
// "listening on ADDR"), and returns the address and the rest of its output.
func started(t *testing.T, cmd *exec.Cmd) (string, *exec.Cmd, chan string) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	r := bufio.NewReader(out)
	addrc := make(chan string, 1)
	rest := make(chan string, 1)
	go func() {
		l, _ := r.ReadString('\n')
		addrc <- strings.TrimSpace(l)
		b, _ := io.ReadAll(r)
		rest <- string(b)
	}()
	select {
	case l := <-addrc:
		f := strings.Fields(l)
		if len(f) == 0 {
			t.Fatalf("%v printed no address", cmd.Args)
		}
		return f[len(f)-1], cmd, rest
	case <-time.After(10 * time.Second):
		t.Fatalf("%v printed no address", cmd.Args)
	}
	return "", nil, nil
}

func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	code := 0
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			t.Fatal(err)
		}
	}
	return string(out), code
}

func checkCallOutput(t *testing.T, out string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 18 || lines[16] != "ok virtual" || lines[17] != "RESULT ok" {
		t.Fatalf("--call printed:\n%s", out)
	}
	for _, l := range lines[:16] {
		if !strings.HasPrefix(l, "ok ") {
			t.Fatalf("--call printed:\n%s", out)
		}
	}
}

func toRoam(a string) string {
	if strings.HasPrefix(a, "tcp:") && !strings.HasPrefix(a, "tcp://") {
		return "tcp://" + strings.TrimPrefix(a, "tcp:")
	}
	return a
}

func TestCallAgainstRustPeer(t *testing.T) {
	peer := tool(t, "ROAM_PEER")
	addr, cmd, rest := started(t, exec.Command(peer, "serve-testbed", "tcp:127.0.0.1:0"))
	out, code := run(t, binary, "--call", toRoam(addr))
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	checkCallOutput(t, out)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve-testbed: %v", err)
	}
	if r := <-rest; !strings.Contains(r, "RESULT ok") {
		t.Fatalf("serve-testbed:\n%s", r)
	}
}

func listenOnce(t *testing.T) (string, *exec.Cmd, chan string) {
	addr, cmd, rest := started(t, exec.Command(binary, "--listen", "tcp://127.0.0.1:0", "--once"))
	if !regexp.MustCompile(`^tcp://127\.0\.0\.1:\d+$`).MatchString(addr) {
		t.Fatalf("LISTENING %q", addr)
	}
	return addr, cmd, rest
}

func finishListen(t *testing.T, cmd *exec.Cmd, rest chan string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("--listen --once: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("--listen --once did not exit")
	}
	if r := strings.TrimSpace(<-rest); r != "RESULT ok" {
		t.Fatalf("--listen --once printed %q", r)
	}
}

func TestListenAgainstRustCaller(t *testing.T) {
	peer := tool(t, "ROAM_PEER")
	addr, cmd, rest := listenOnce(t)
	out, code := run(t, peer, "call-testbed", "tcp:"+strings.TrimPrefix(addr, "tcp://"))
	if code != 0 || !strings.HasSuffix(strings.TrimSpace(out), "RESULT ok") || strings.Count(out, "\nok ") != 16 {
		t.Fatalf("call-testbed exit %d:\n%s", code, out)
	}
	finishListen(t, cmd, rest)
}

func TestGoAgainstGo(t *testing.T) {
	addr, cmd, rest := listenOnce(t)
	out, code := run(t, binary, "--call", addr)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	checkCallOutput(t, out)
	finishListen(t, cmd, rest)
}

func TestAgainstCxxSubject(t *testing.T) {
	subject := tool(t, "ROAM_SUBJECT")
	addr, cmd, rest := listenOnce(t)
	out, code := run(t, subject, "--call", addr)
	if code != 0 || !strings.HasSuffix(strings.TrimSpace(out), "RESULT ok") {
		t.Fatalf("roam-subject --call exit %d:\n%s", code, out)
	}
	finishListen(t, cmd, rest)

	addr, scmd, _ := started(t, exec.Command(subject, "--listen", "tcp://127.0.0.1:0", "--once"))
	out, code = run(t, binary, "--call", addr)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	checkCallOutput(t, out)
	_ = scmd.Wait()
}

func TestBenchAgainstRoamcat(t *testing.T) {
	build := tool(t, "ROAM_BUILD_DIR")
	roamcat := filepath.Join(build, "tools", "roamcat")
	cmd := exec.Command(roamcat, "serve", "tcp://127.0.0.1:0")
	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+build+":"+os.Getenv("LD_LIBRARY_PATH"))
	addr, _, _ := started(t, cmd)
	out, code := run(t, binary, "bench", addr, "3000", "16")
	if code != 0 || !regexp.MustCompile(`^BENCH calls=3000 seconds=[0-9.]+\n$`).MatchString(out) {
		t.Fatalf("bench exit %d: %q", code, out)
	}
}

func TestUsage(t *testing.T) {
	if _, code := run(t, binary, "--nope"); code != 64 {
		t.Fatalf("usage exit %d", code)
	}
}
