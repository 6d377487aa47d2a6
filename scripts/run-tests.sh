#!/usr/bin/env bash
# Runs every registered suite (C, C++, bindings, interop) through CTest and
# ends with a one-line summary.
set -uo pipefail
build=${1:-build}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

ctest --test-dir "$build" --output-on-failure -j "${ROAM_TEST_JOBS:-2}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# ctest: "NN% tests passed, F tests failed out of T"
line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
failed=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
if [[ -z "$line" ]]; then
  echo "summary: no test ran"
  exit 1
fi
echo
echo "summary: $((total - failed)) passed, $failed failed"
exit "$status"
