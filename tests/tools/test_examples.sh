#!/usr/bin/env bash
# The examples work as shipped: the echo server in one process, the client
# in another, over loopback TCP; then the typed C++ pair the same way.
set -uo pipefail
server=$1
client=$2
custom_client=$3
typed_server=$4
typed_client=$5
log=$(mktemp)
pid=
trap 'kill $pid 2>/dev/null; rm -f "$log"' EXIT
# Starts server $1 on loopback; pid, and addr from its "$2 <address>" line.
start() {
  "$1" tcp://127.0.0.1:0 >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q "^$2 " "$log" && break; sleep 0.05; done
  addr=$(sed -n "s/^$2 //p" "$log")
}
start "$server" "echo server on"
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

# The typed C++ pair: Calculator declared once (examples/calculator.hpp).
start "$typed_server" "calculator on"
out=$(timeout 10 "$typed_client" "$addr" 2>&1)
rc=$?
echo "$out"
[[ $rc -eq 0 && "$out" == $'add(2, 40) = 42\ndivide(7, 0): DivisionByZero' ]] || { echo "FAIL: typed client"; cat "$log"; exit 1; }
kill $pid; wait $pid
rc=$?
[[ $rc -eq 0 ]] || { echo "FAIL: typed server exit $rc"; cat "$log"; exit 1; }
grep -q "session ended: peer closed the transport" "$log" || { echo "FAIL: typed server log"; cat "$log"; exit 1; }
echo "examples: echo_server, echo_client, custom_transport_client, typed_server and typed_client work"
