#!/usr/bin/env bash
# The CI check that keeps the benchmark harness alive: every workload of
# bench/suite.sh with tiny counts (seconds), against every peer that is
# available (gRPC skipped with a line if it was not built; the Rust peer
# used if `make test` or `make bench` built it). No thresholds: exits
# non-zero only if a piece of the harness is broken (a program missing or
# failing, a RESULT line missing, the report not written).
#
#   bench/smoke.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
out=$build/bench-smoke
ROAM_BENCH_OUT=$out "$src/bench/suite.sh" "$build" "$src" --smoke >"$build/bench-smoke.log" 2>&1
rc=$?
grep -E '^suite: ' "$build/bench-smoke.log"
# Every workload must have produced figures for libroam.
missing=0
for w in unary1 unary64 unary256 unary1-unix unary64-unix sessions100 sessions1000 stream64 \
  payload1m payload16m churn idle-sessions idle-vconns vconn-growth teardown-1x teardown-2x; do
  grep -q "^$w,libroam," "$out/raw.csv" 2>/dev/null || { echo "smoke: no libroam figures for $w"; missing=$((missing + 1)); }
done
grep -q '^scaling,' "$out/raw.csv" 2>/dev/null || { echo "smoke: no scaling figures"; missing=$((missing + 1)); }
[[ -s $out/latest.md ]] || { echo "smoke: no table"; missing=$((missing + 1)); }
if ((rc != 0 || missing != 0)); then
  echo "smoke: the benchmark harness is broken (log: $build/bench-smoke.log)"
  tail -n 20 "$build/bench-smoke.log"
  exit 1
fi
rows=$(($(wc -l <"$out/raw.csv") - 1))
echo "smoke: every workload ran ($rows figures, table $out/latest.md)"
