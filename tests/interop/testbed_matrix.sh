#!/usr/bin/env bash
# The Testbed service across implementations, every method checked:
#   testbed_matrix.sh PEER SUBJECT rust-rust [tcp|unix]
#       the Rust peer's call-testbed against its serve-testbed (each known
#       good before libroam's C++ is tested against them)
#   testbed_matrix.sh PEER SUBJECT rust-server
#       roam-subject --call (libroam's typed C++ client) against serve-testbed
#   testbed_matrix.sh PEER SUBJECT cpp-server
#       call-testbed against roam-subject --listen ... --once (the C++ server)
# The caller must report `ok <method>` for each of the 16 methods
# `method-ids-testbed` lists, no FAIL, and exit 0; the server must end
# cleanly. (The peer spells addresses tcp:HOST:PORT, libroam tcp://HOST:PORT.)
set -euo pipefail
peer=$1
subject=$2
direction=$3
transport=${4:-tcp}
dir=$(mktemp -d)
server=
cleanup() {
  if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then kill "$server" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

case $transport in
  tcp) peer_listen=tcp:127.0.0.1:0 ;;
  unix) peer_listen=unix:$dir/testbed.sock ;;
  *) echo "transport must be tcp or unix"; exit 64 ;;
esac

: >"$dir/server.out"  # there before the server has opened it
case $direction in
  rust-rust | rust-server)
    "$peer" serve-testbed "$peer_listen" --timeout-ms 60000 >"$dir/server.out" 2>&1 & ;;
  cpp-server) "$subject" --listen tcp://127.0.0.1:0 --once >"$dir/server.out" 2>&1 & ;;
  *) echo "direction must be rust-rust, rust-server or cpp-server"; exit 64 ;;
esac
server=$!
addr=
for _ in $(seq 300); do
  addr=$(sed -n 's/^LISTENING //p' "$dir/server.out")
  [[ -n $addr ]] && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
if [[ -z $addr ]]; then
  echo "the server never printed LISTENING:"; cat "$dir/server.out"; exit 1
fi
port=${addr##*:}

status=0
case $direction in
  rust-rust) timeout 100 "$peer" call-testbed "$addr" >"$dir/client.out" 2>&1 || status=$? ;;
  rust-server) timeout 100 "$subject" --call "tcp://127.0.0.1:$port" >"$dir/client.out" 2>&1 || status=$? ;;
  cpp-server) timeout 100 "$peer" call-testbed "tcp:127.0.0.1:$port" >"$dir/client.out" 2>&1 || status=$? ;;
esac
cat "$dir/client.out"

server_status=0
wait "$server" || server_status=$?
server=

failures=0
methods=0
while read -r method; do
  methods=$((methods + 1))
  if ! grep -qx "ok $method" "$dir/client.out"; then
    echo "no 'ok $method' from the caller"; failures=$((failures + 1))
  fi
done < <("$peer" method-ids-testbed | sed -n 's/^METHOD Testbed\.\([a-z_]*\) .*/\1/p')
if [[ $methods -ne 16 ]]; then
  echo "expected 16 Testbed methods from method-ids-testbed, got $methods"; failures=$((failures + 1))
fi
if [[ $status -ne 0 ]] || grep -q '^FAIL ' "$dir/client.out" || ! grep -qx 'RESULT ok' "$dir/client.out"; then
  echo "the caller failed (exit $status)"; failures=$((failures + 1))
fi
if [[ $server_status -ne 0 ]] || { [[ $direction != cpp-server ]] && ! grep -qx 'RESULT ok' "$dir/server.out"; }; then
  echo "the server failed (exit $server_status):"; cat "$dir/server.out"; failures=$((failures + 1))
fi
if [[ $failures -ne 0 ]]; then exit 1; fi
case $direction in
  rust-rust) echo "Testbed over $transport: all $methods methods ok, Rust caller against the Rust server" ;;
  rust-server) echo "Testbed: all $methods methods ok, C++ caller (roam-subject) against the Rust server" ;;
  cpp-server) echo "Testbed: all $methods methods ok, Rust caller against the C++ server (roam-subject)" ;;
esac
