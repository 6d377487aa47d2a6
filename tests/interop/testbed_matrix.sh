#!/usr/bin/env bash
# The Testbed matrix: one implementation's server, another's client, over
# loopback TCP or a Unix socket.
#
#   testbed_matrix.sh SERVER CLIENT [tcp|unix]    each of: python ruby go cpp rust
#
# Every program follows bindings/README.md: the server (`--listen ADDR
# --once`) prints `LISTENING <addr>`, serves Testbed on the root and on every
# virtual connection and ends after its first session; the client (`--call
# ADDR`) reports `ok <method>` for the 16 Testbed methods and, for the
# bindings, `ok virtual` (open a virtual connection with metadata, typed
# calls and a channel each way on it, close it), then `RESULT ok`. The C++
# side is tools/roam-subject, the Rust side the interop peer's
# serve-testbed / call-testbed (which spell TCP addresses tcp:HOST:PORT).
#
# Environment (set by the CMake files that register it): ROAM_SOURCE_DIR,
# ROAM_PEER, ROAM_SUBJECT; ROAM_GO_TESTBED (the built Go program) and
# ROAM_LIBRARY_PATH for the bindings.
set -euo pipefail
server_kind=$1
client_kind=$2
transport=${3:-tcp}
src=${ROAM_SOURCE_DIR:?}
dir=$(mktemp -d)
server=
cleanup() {
  if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then kill "$server" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

# The command line of one side's program, without its mode arguments.
program() {
  case $1 in
    python) echo "env PYTHONPATH=$src/bindings/python/src python3 $src/bindings/python/examples/testbed.py" ;;
    ruby) echo "ruby -I $src/bindings/ruby/lib $src/bindings/ruby/examples/testbed.rb" ;;
    go) echo "${ROAM_GO_TESTBED:?}" ;;
    cpp) echo "${ROAM_SUBJECT:?}" ;;
    rust) echo "${ROAM_PEER:?}" ;;
    *) echo "unknown side $1 (python ruby go cpp rust)" >&2; exit 64 ;;
  esac
}
server_cmd=$(program "$server_kind")
client_cmd=$(program "$client_kind")

case $transport in
  tcp) rust_listen=tcp:127.0.0.1:0 listen=tcp://127.0.0.1:0 ;;
  unix) rust_listen=unix:$dir/testbed.sock listen=unix:$dir/testbed.sock ;;
  *) echo "transport must be tcp or unix"; exit 64 ;;
esac
: >"$dir/server.out"
if [[ $server_kind == rust ]]; then
  $server_cmd serve-testbed "$rust_listen" --timeout-ms 60000 >"$dir/server.out" 2>&1 &
else
  $server_cmd --listen "$listen" --once >"$dir/server.out" 2>&1 &
fi
server=$!
addr=
for _ in $(seq 300); do
  addr=$(sed -n 's/^LISTENING //p' "$dir/server.out" | head -n 1)
  [[ -n $addr ]] && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
if [[ -z $addr ]]; then
  echo "the $server_kind server never printed LISTENING:"; cat "$dir/server.out"; exit 1
fi
if [[ $transport == tcp ]]; then
  port=${addr##*:}
  rust_addr=tcp:127.0.0.1:$port addr=tcp://127.0.0.1:$port
else
  rust_addr=unix:$dir/testbed.sock addr=unix:$dir/testbed.sock
fi

status=0
if [[ $client_kind == rust ]]; then
  timeout 100 $client_cmd call-testbed "$rust_addr" >"$dir/client.out" 2>&1 || status=$?
else
  timeout 100 $client_cmd --call "$addr" >"$dir/client.out" 2>&1 || status=$?
fi
echo "--- $client_kind client"; cat "$dir/client.out"

server_status=0
if ! timeout 20 tail --pid="$server" -f /dev/null; then
  echo "the $server_kind server did not end after its session"; server_status=124
fi
wait "$server" || server_status=$?
server=
echo "--- $server_kind server"; cat "$dir/server.out"

failures=0
methods=0
while read -r method; do
  methods=$((methods + 1))
  grep -qx "ok $method" "$dir/client.out" || { echo "no 'ok $method' from the client"; failures=$((failures + 1)); }
done < <("$ROAM_PEER" method-ids-testbed | sed -n 's/^METHOD Testbed\.\([a-z_]*\) .*/\1/p')
((methods == 16)) || { echo "expected 16 Testbed methods, the peer lists $methods"; failures=$((failures + 1)); }
case $client_kind in
  python | ruby | go)
    grep -qx 'ok virtual' "$dir/client.out" || { echo "no 'ok virtual' from the client"; failures=$((failures + 1)); } ;;
esac
if ((status != 0)) || grep -q '^FAIL ' "$dir/client.out" || ! grep -qx 'RESULT ok' "$dir/client.out"; then
  echo "the $client_kind client failed (exit $status)"; failures=$((failures + 1))
fi
if ((server_status != 0)) || { [[ $server_kind != cpp ]] && ! grep -qx 'RESULT ok' "$dir/server.out"; }; then
  echo "the $server_kind server failed (exit $server_status)"; failures=$((failures + 1))
fi
((failures == 0)) || exit 1
echo "Testbed over $transport: $server_kind server, $client_kind client: all $methods methods ok"
