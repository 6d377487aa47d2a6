#!/usr/bin/env bash
# The examples work as shipped: the echo server in one process, the client
# in another, over loopback TCP.
set -uo pipefail
server=$1
client=$2
custom_client=$3
log=$(mktemp)
"$server" tcp://127.0.0.1:0 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q "echo server on" "$log" && break; sleep 0.05; done
addr=$(sed -n 's/^echo server on //p' "$log")
out=$("$client" "$addr" "hello from the example" 2>&1)
rc=$?
echo "$out"
[[ $rc -eq 0 && "$out" == "echoed: hello from the example" ]] || { echo "FAIL"; cat "$log"; exit 1; }
# The same call over a transport the client owns (its own socket and poll()).
port=${addr##*:}
out=$(timeout 10 "$custom_client" 127.0.0.1 "$port" "hello over my own socket" 2>&1)
rc=$?
echo "$out"
[[ $rc -eq 0 && "$out" == "echoed: hello over my own socket" ]] || { echo "FAIL: custom transport"; cat "$log"; exit 1; }
kill $pid; wait $pid
grep -q "session ended: peer closed the transport" "$log" || { echo "FAIL: server log"; cat "$log"; exit 1; }
echo "examples: echo_server, echo_client and custom_transport_client work"
