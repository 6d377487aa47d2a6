#!/usr/bin/env bash
# What each binding costs: echo calls with 64 in flight from the C client
# (bench/roam_bench_call) and from the Python, Ruby and Go clients (each
# binding's `testbed bench`), all against the same libroam server (`roamcat
# serve`, one fresh server per run), alternated C, Python, Ruby, Go, C, …
# over ROUNDS rounds. Prints each client's median calls/s, its spread
# (min–max) and its ratio to the C client's median in this run.
#
#   bench/bindings.sh BUILD_DIR SOURCE_DIR     (part of `make bench`)
# Counts: ROAM_BENCH_BINDING_CALLS (default 100000; Python and Ruby make a
# fifth of it), ROAM_BENCH_BINDING_ROUNDS (default 5), ROAM_BENCH_CONCURRENCY (64).
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
calls=${ROAM_BENCH_BINDING_CALLS:-100000}
rounds=${ROAM_BENCH_BINDING_ROUNDS:-5}
conc=${ROAM_BENCH_CONCURRENCY:-64}
[[ -x /usr/local/go/bin/go ]] && PATH=/usr/local/go/bin:$PATH
export LD_LIBRARY_PATH=$build${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export ROAM_LIBRARY_PATH=$build/libroam.so.1
roamcat=$build/tools/roamcat
work=$(mktemp -d)
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The Interop service's echo id, from the Rust crates (bench/run.sh built
# the release peer just before; the debug one of `make test` does as well).
peer=$build/cargo/release/roam-interop-peer
[[ -x $peer ]] || peer=$build/cargo/debug/roam-interop-peer
method=$("$peer" method-ids | awk '$2 == "echo" {print $3}')

echo "building the Go Testbed program…"
(cd "$src/bindings/go" && PKG_CONFIG_PATH=$build/pkgconfig-uninstalled go build -o "$work/roam-testbed" ./cmd/roam-testbed)

client_cmd() {  # kind calls → the command line (address appended by the caller)
  case $1 in
    c) echo "$build/bench/roam_bench_call ADDR $method $2 $conc" ;;
    python) echo "env PYTHONPATH=$src/bindings/python/src python3 $src/bindings/python/examples/testbed.py bench ADDR $2 $conc" ;;
    ruby) echo "ruby -I $src/bindings/ruby/lib $src/bindings/ruby/examples/testbed.rb bench ADDR $2 $conc" ;;
    go) echo "$work/roam-testbed bench ADDR $2 $conc" ;;
  esac
}

run_one() {  # kind → calls/s of one run against a fresh server
  local n=$calls
  [[ $1 == python || $1 == ruby ]] && n=$((calls / 5))
  "$roamcat" serve tcp://127.0.0.1:0 --quiet >"$work/server.log" 2>&1 &
  server_pid=$!
  local addr=
  for _ in $(seq 200); do
    addr=$(sed -n 's/^listening on //p' "$work/server.log" | head -n 1)
    [[ -n $addr ]] && break
    sleep 0.05
  done
  local cmd out
  cmd=$(client_cmd "$1" "$n")
  out=$(${cmd/ADDR/$addr})
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  awk -F'seconds=' '/^BENCH/ {split($1, a, "calls="); printf "%.0f", a[2] / $2}' <<<"$out"
}

kinds=(c python ruby go)
declare -A runs
for ((r = 1; r <= rounds; r++)); do
  for k in "${kinds[@]}"; do
    v=$(run_one "$k")
    runs[$k]+="$v "
    echo "round $r: $k $v calls/s"
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
spread() { tr ' ' '\n' | grep -v '^$' | sort -n | awk 'NR==1 {lo=$1} {hi=$1} END {printf "%d–%d", lo, hi}'; }
c_median=$(median <<<"${runs[c]}")
printf '\necho calls, %s in flight, against roamcat serve over loopback TCP, %s cores, %s rounds (%s)\n' \
  "$conc" "$(nproc)" "$rounds" "$(date -u +%Y-%m-%d)"
printf '%-8s %14s %20s %8s\n' client "median" "spread" ratio
for k in "${kinds[@]}"; do
  m=$(median <<<"${runs[$k]}")
  s=$(spread <<<"${runs[$k]}")
  awk -v k="$k" -v m="$m" -v s="$s" -v c="$c_median" \
    'BEGIN {printf "%-8s %12.0f/s %20s %7.2fx\n", k, m, s, m / c}'
done
echo "(ratio: the client's median calls/s over the C client's median in this run)"
