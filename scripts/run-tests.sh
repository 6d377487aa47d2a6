#!/usr/bin/env bash
# Runs every registered suite (C, C++, tools, interop) through CTest in each
# build tree given, and ends with one summary line for all of them.
set -uo pipefail
(($#)) || set -- build
total=0
failed=0
status=0
for build in "$@"; do
  log=$(mktemp)
  echo "==> ctest in $build"
  ctest --test-dir "$build" --output-on-failure -j "${ROAM_TEST_JOBS:-2}" 2>&1 | tee "$log"
  (( PIPESTATUS[0] == 0 )) || status=1
  # ctest: "NN% tests passed, F tests failed out of T"
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  rm -f "$log"
  if [[ -z "$line" ]]; then
    echo "no test ran in $build"
    status=1
    continue
  fi
  t=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
  f=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
  total=$((total + t))
  failed=$((failed + f))
done
echo
echo "summary: $((total - failed)) passed, $failed failed"
exit "$status"
