#!/usr/bin/env bash
# interop_testbed_rust_self: the peer's two Testbed subcommands against each
# other, Rust to Rust, so that each is known good before libroam's C++ typed
# client and server are tested against them.
#   serve-testbed tcp:127.0.0.1:0   (acceptor; prints LISTENING <addr>)
#   call-testbed <addr>             (initiator; `ok <method>` per method)
# Every Testbed method (as `method-ids-testbed` lists them) must be reported
# ok, the caller must exit 0 and the server must end with RESULT ok.
set -euo pipefail
peer=$1
transport=${2:-tcp}
dir=$(mktemp -d)
server=
cleanup() {
  if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then kill "$server" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

case $transport in
  tcp) listen=tcp:127.0.0.1:0 ;;
  unix) listen=unix:$dir/testbed.sock ;;
  *) echo "transport must be tcp or unix"; exit 64 ;;
esac

"$peer" serve-testbed "$listen" --timeout-ms 60000 >"$dir/server.out" &
server=$!
addr=
for _ in $(seq 300); do
  addr=$(sed -n 's/^LISTENING //p' "$dir/server.out")
  [[ -n $addr ]] && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
if [[ -z $addr ]]; then
  echo "serve-testbed never printed LISTENING:"; cat "$dir/server.out"; exit 1
fi

status=0
"$peer" call-testbed "$addr" --timeout-ms 100000 >"$dir/client.out" || status=$?
cat "$dir/client.out"

server_status=0
wait "$server" || server_status=$?
server=

failures=0
while read -r method; do
  if ! grep -qx "ok $method" "$dir/client.out"; then
    echo "no 'ok $method' from call-testbed"
    failures=$((failures + 1))
  fi
done < <("$peer" method-ids-testbed | sed -n 's/^METHOD Testbed\.\([a-z_]*\) .*/\1/p')
methods=$("$peer" method-ids-testbed | grep -c '^METHOD Testbed\.' || true)

if [[ $methods -ne 16 ]]; then
  echo "expected 16 Testbed methods from method-ids-testbed, got $methods"; failures=$((failures + 1))
fi
if [[ $status -ne 0 ]] || grep -q '^FAIL ' "$dir/client.out"; then
  echo "call-testbed failed (exit $status)"; failures=$((failures + 1))
fi
if [[ $server_status -ne 0 ]] || ! grep -qx 'RESULT ok' "$dir/server.out"; then
  echo "serve-testbed failed (exit $server_status):"; cat "$dir/server.out"; failures=$((failures + 1))
fi
if [[ $failures -ne 0 ]]; then exit 1; fi
echo "Testbed over $transport: all $methods methods ok, Rust caller against Rust server"
