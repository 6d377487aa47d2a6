#!/usr/bin/env bash
# roamcat end to end: a server process and client processes on loopback TCP
# and a Unix socket; each subcommand's output and exit status are checked.
set -uo pipefail
roamcat=$1
work=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fails=0
check() {  # check NAME EXPECTED_EXIT EXPECTED_GREP -- command…
  local name=$1 want_exit=$2 want=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [[ $rc -ne $want_exit ]] || ! grep -qE -- "$want" <<<"$out"; then
    echo "FAIL $name (exit $rc, want $want_exit, want output /$want/):"
    echo "$out" | sed 's/^/    /'
    fails=$((fails + 1))
  else
    echo "ok   $name"
  fi
}

round=0
for addr in "tcp://127.0.0.1:0" "unix:$work/roamcat.sock"; do
  # A log per server: the shell truncates a reused one only when the new
  # server starts, so the wait below could read the previous server's line.
  round=$((round + 1))
  log="$work/serve-$round.log"
  "$roamcat" serve "$addr" --sink 9 >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do grep -q "listening on .*" "$log" 2>/dev/null && break; sleep 0.05; done
  bound=$(sed -n 's/^listening on //p' "$log")
  [[ -n "$bound" ]] || { echo "FAIL server did not start"; cat "$log"; exit 1; }

  check "call echo ($bound)" 0 'request 1: ok metadata \[\] value 026869' -- \
    "$roamcat" call "$bound" 0x9aabc4ba61fd5df3 026869 --md trace=t1
  check "call on a virtual connection" 0 'request 1: ok .* value 00' -- \
    "$roamcat" call "$bound" 9 "" --conn
  check "ping" 0 '3 pongs: min [0-9]+ us' -- "$roamcat" ping "$bound" --count 3 --interval 10
  check "open" 0 'conn 1 accepted .*metadata \[\]' -- "$roamcat" open "$bound" --md want=accept
  check "bad hex" 64 'HEX_ARGS' -- "$roamcat" call "$bound" 1 zz
  check "trace" 0 '-> conn 0 Request/Call id 1, 10 bytes' -- \
    "$roamcat" call "$bound" 7 026869 --trace
  check "trace handshake" 0 '<- conn 0 HelloYourself, [0-9]+ bytes' -- \
    "$roamcat" ping "$bound" --count 1 --trace
  grep -q 'metadata \[trace="t1"\] args 026869' "$log" \
    && echo "ok   server printed the call" || { echo "FAIL server log"; cat "$log"; fails=$((fails + 1)); }
  kill "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=""
done

# --threads: runtimes on their own threads sharing the address (SO_REUSEPORT);
# every session is served by one of them, and the count covers them all.
log="$work/serve-threads.log"
"$roamcat" serve tcp://127.0.0.1:0 --threads 3 --quiet >"$log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q "listening on .*" "$log" 2>/dev/null && break; sleep 0.05; done
bound=$(sed -n 's/^listening on \([^ ]*\).*/\1/p' "$log")
grep -q '(every thread)' "$log" && echo "ok   serve --threads 3 listens" \
  || { echo "FAIL serve --threads 3 did not start"; cat "$log"; fails=$((fails + 1)); }
for i in 1 2 3 4 5 6; do
  check "call $i with --threads 3" 0 'request 1: ok metadata \[\] value 026869' -- \
    "$roamcat" call "$bound" 7 026869
done
kill "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=""
grep -q '^stopping after 6 calls$' "$log" && echo "ok   the threads served 6 calls in all" \
  || { echo "FAIL serve --threads count"; cat "$log"; fails=$((fails + 1)); }
grep -q '^call #' "$log" && { echo "FAIL --quiet printed calls"; fails=$((fails + 1)); }
check "--threads with a Unix socket" 64 'needs a tcp:// address' -- \
  "$roamcat" serve "unix:$work/t.sock" --threads 2

check "connection refused" 1 'connection refused' -- "$roamcat" call tcp://127.0.0.1:1 1 ""
check "bad address" 64 'bad address: address "127.0.0.1:80" has no scheme' -- \
  "$roamcat" ping 127.0.0.1:80
check "listen on a name" 1 'numeric IP' -- "$roamcat" serve tcp://localhost:0
for sub in serve call ping open; do
  check "$sub --help" 0 "usage: roamcat $sub" -- "$roamcat" "$sub" --help
done
check "top-level help" 0 'commands:' -- "$roamcat" --help

echo "roamcat: $fails failed"
exit $((fails > 0))
