#!/usr/bin/env bash
# Echo-call throughput over loopback TCP, libroam against the Rust reference
# measured in the same run: every pairing of client and server (Rust roam
# 7.3.0 and libroam), one call at a time and 64 in flight. Figures are
# reported as calls/s and as a ratio to Rust-to-Rust.
#
#   bench/run.sh BUILD_DIR SOURCE_DIR      (what `make bench` runs)
set -euo pipefail
build=$1
src=$2
calls_serial=${ROAM_BENCH_SERIAL_CALLS:-20000}
calls_piped=${ROAM_BENCH_PIPELINED_CALLS:-200000}

echo "building the Rust peer in release mode (the roam crates optimized, as users run them)…"
cargo build --release --locked --quiet --manifest-path "$src/tests/interop/peer/Cargo.toml" \
  --target-dir "$build/cargo"
peer=$build/cargo/release/roam-interop-peer
roamcat=$build/tools/roamcat
client=$build/bench/roam_bench_call
method=$("$peer" method-ids | awk '$2 == "echo" {print $3}')
work=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

start_server() {  # rust | libroam → sets $addr (our tcp:// form)
  if [[ $1 == rust ]]; then
    "$peer" bench-serve tcp:127.0.0.1:0 >"$work/server.log" 2>&1 &
  else
    "$roamcat" serve tcp://127.0.0.1:0 --quiet >"$work/server.log" 2>&1 &
  fi
  server_pid=$!
  for _ in $(seq 200); do
    grep -qE '^(LISTENING|listening on) ' "$work/server.log" && break
    sleep 0.05
  done
  addr=$(sed -nE 's/^LISTENING tcp:(.*)/tcp:\/\/\1/p; s/^listening on (.*)/\1/p' "$work/server.log" | head -n 1)
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

run_client() {  # rust | libroam, calls, concurrency → prints calls/s
  local out
  if [[ $1 == rust ]]; then
    out=$("$peer" bench-call --connect "${addr/tcp:\/\//tcp:}" --calls "$2" --concurrency "$3")
  else
    out=$("$client" "$addr" "$method" "$2" "$3")
  fi
  awk -v calls="$2" -F'seconds=' '/^BENCH/ {printf "%.0f", calls / $2}' <<<"$out"
}

declare -A rate
for server in rust libroam; do
  for client_kind in rust libroam; do
    for conc in 1 64; do
      calls=$calls_serial
      [[ $conc == 64 ]] && calls=$calls_piped
      start_server "$server"
      rate[$client_kind,$server,$conc]=$(run_client "$client_kind" "$calls" "$conc")
      stop_server
    done
  done
done

printf '\necho calls over loopback TCP, %s cores (%s)\n' "$(nproc)" "$(date -u +%Y-%m-%d)"
printf '%-18s %-18s %14s %9s %14s %9s\n' client server "1 in flight" ratio "64 in flight" ratio
for server in rust libroam; do
  for client_kind in rust libroam; do
    r1=${rate[$client_kind,$server,1]}
    r64=${rate[$client_kind,$server,64]}
    awk -v c="$client_kind" -v s="$server" -v r1="$r1" -v r64="$r64" \
      -v b1="${rate[rust,rust,1]}" -v b64="${rate[rust,rust,64]}" \
      'BEGIN {printf "%-18s %-18s %12d/s %8.2fx %12d/s %8.2fx\n", c, s, r1, r1 / b1, r64, r64 / b64}'
  done
done
echo "(ratio: calls/s relative to Rust client to Rust server in this run)"
