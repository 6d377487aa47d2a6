package roam_test

import (
	"bufio"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	roam "github.com/libroam/roam-go"
	"github.com/libroam/roam-go/internal/testproc"
)

func peerPath(t *testing.T) string { return testproc.Tool(t, "ROAM_PEER") }

// peer is a running roam-interop-peer, its output kept for failure messages.
type peer struct{ *testproc.Proc }

func startPeer(t *testing.T, args ...string) peer {
	t.Helper()
	return peer{testproc.Start(t, exec.Command(peerPath(t), args...))}
}

// addr waits for LISTENING and returns the address as libroam spells it.
func (p peer) addr() string { return p.Addr(10 * time.Second) }

// peerAddr spells a libroam address the peer's way.
func peerAddr(a string) string { return "tcp:" + strings.TrimPrefix(a, "tcp://") }

// rustMethodIDs is what `roam-interop-peer method-ids-testbed` prints: the
// Rust crates' method ids, by "Service.method".
func rustMethodIDs(t *testing.T) map[string]uint64 {
	t.Helper()
	out, err := exec.Command(peerPath(t), "method-ids-testbed").Output()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]uint64{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[0] != "METHOD" {
			continue
		}
		id, err := strconv.ParseUint(strings.TrimPrefix(f[2], "0x"), 16, 64)
		if err != nil {
			t.Fatalf("method-ids-testbed: %q: %v", sc.Text(), err)
		}
		ids[f[1]] = id
	}
	return ids
}

// roundTrip encodes in, decodes it into a new T and returns that and the
// bytes.
func roundTrip[T any](t *testing.T, in T) (T, []byte) {
	t.Helper()
	var out T
	b, err := roam.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := roam.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out, b
}
