#!/usr/bin/env bash
# Runs one libFuzzer target: first every committed reproducer once (a fixed
# bug must stay fixed), then fuzzing for SECONDS, and prints one line of
# figures: executions, wall time, exec/s, coverage, corpus size.
#
#   run_fuzz.sh [--check] TARGET_BINARY SECONDS WORK_DIR REGRESSIONS_DIR
#
# WORK_DIR is build-fuzz/fuzz: seeds/<target>/ was written at build time
# from tests/vectors. Without --check (`make fuzz`) new inputs accumulate in
# WORK_DIR/corpus/<target>/ from run to run; with --check (CTest) they go to
# a scratch corpus emptied first, so short runs stay comparable. Crashes are
# saved under WORK_DIR/artifacts/. Extra libFuzzer flags can come in
# FUZZ_ARGS (e.g. FUZZ_ARGS=-runs=10000000 for a fixed-size campaign).
set -uo pipefail

check=0
if [[ "${1:-}" == "--check" ]]; then
  check=1
  shift
fi
if (($# != 4)); then
  echo "usage: $0 [--check] TARGET_BINARY SECONDS WORK_DIR REGRESSIONS_DIR" >&2
  exit 2
fi
binary=$1 seconds=$2 work=$3 regressions=$4
name=$(basename "$binary")
seeds=$work/seeds/$name
artifacts=$work/artifacts
if ((check)); then
  corpus=$work/check-corpus/$name
  rm -rf "$corpus"
else
  corpus=$work/corpus/$name
fi
mkdir -p "$corpus" "$artifacts" "$seeds"

# 1. The target's reproducers (named TARGET-*: each is a program in its
# target's input language), each run once. One that crashes is a bug not
# fixed yet or come back: reported, and the run fails, but fuzzing still
# goes on.
replay_failed=0
for f in "$regressions/$name"-*; do
  [[ -f "$f" ]] || continue
  if ! replay_log=$("$binary" "$f" 2>&1); then
    echo "$replay_log" | grep -v '^INFO' | tail -n 40
    echo "$name: reproducer $(basename "$f") still crashes"
    replay_failed=1
  fi
done

# 2. Fuzzing: the corpus directory first (libFuzzer writes new inputs
# there), then the seeds and the reproducers as read-only starting points
# (not while one still crashes: it would stop the run at once).
inputs=("$corpus" "$seeds")
((replay_failed)) || inputs+=("$regressions")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
started=$SECONDS
# shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
"$binary" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$artifacts/$name-" ${FUZZ_ARGS:-} \
  "${inputs[@]}" >"$log" 2>&1
status=$?

stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
elapsed=$((SECONDS - started))
# The last status line: "#N DONE cov: C ft: F corp: U/B ..."
last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
units=$(sed -nE 's/.* corp: ([0-9]+\/[0-9a-zA-Z]+).*/\1/p' <<<"$last")
files=$(find "$corpus" -type f | wc -l)
if ((status != 0)); then
  tail -n 80 "$log"
  echo "$name: FAILED (exit $status) after $(stat number_of_executed_units) executions;" \
    "reproducer in $artifacts/ (move it to $regressions/ with a descriptive name)"
  exit 1
fi
echo "$name: $(stat number_of_executed_units) executions in ${elapsed}s" \
  "($(stat average_exec_per_sec) exec/s), cov ${cov:-?} ft ${ft:-?}, corpus ${units:-?} units" \
  "($files files in $corpus), peak rss $(stat peak_rss_mb) MB, no new crash"
exit "$replay_failed"
