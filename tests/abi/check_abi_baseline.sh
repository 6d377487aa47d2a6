#!/usr/bin/env bash
# libroam's ABI against the baseline kept in the tree (tests/abi/libroam.abi,
# an abidw dump of the exported interface): abidiff must find no change
# that breaks existing users. Added functions are fine (and listed); a
# removed or changed one fails. After adding symbols on purpose, refresh
# the baseline with `make abi-baseline` and commit it.
set -uo pipefail
src=$1
lib=$2
current=$(mktemp)
trap 'rm -f "$current"' EXIT
abidw --no-corpus-path --no-show-locs --exported-interfaces-only \
  --header-file "$src/include/roam/roam.h" --header-file "$src/include/roam/roam_errors.h" \
  --header-file "$src/include/roam/roam_postcard.h" \
  --header-file "$src/include/roam/roam_method_id.h" \
  --drop-private-types --suppressions "$src/tests/abi/experimental.suppr" --out-file "$current" "$lib" || exit 1
report=$(abidiff --suppressions "$src/tests/abi/experimental.suppr" "$src/tests/abi/libroam.abi" "$current")
status=$?
echo "$report"
# abidiff's exit status is a bit set: 1 error, 2 usage, 4 ABI change,
# 8 incompatible ABI change.
if (( status & 3 )); then
  echo "abidiff could not compare (status $status)"
  exit 1
fi
# abidiff calls C changes "incompatible" only in some cases (a C function's
# parameters changing is not one of them): any removed or changed function
# or variable breaks the ABI.
summary=$(grep -E '^(Functions|Variables) changes summary' <<<"$report" || true)
if (( status & 8 )) || grep -qE '[1-9][0-9]* (Removed|Changed)' <<<"$summary"; then
  echo "INCOMPATIBLE ABI CHANGE against tests/abi/libroam.abi: never change or remove a shipped symbol"
  exit 1
fi
if (( status & 4 )); then
  echo "compatible ABI change (additions): refresh the baseline with 'make abi-baseline'"
fi
echo "ABI: compatible with the baseline ($(grep -c '<elf-symbol ' "$src/tests/abi/libroam.abi") symbols)"
