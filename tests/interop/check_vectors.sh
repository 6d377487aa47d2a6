#!/usr/bin/env bash
# The golden vectors in the tree must be exactly what the roam 7.3.0 crates
# produce today: the peer regenerates them into a scratch folder and any
# difference (or a vector only one side has) fails.
set -euo pipefail
peer=$1
vectors=$2
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
"$peer" vectors --out "$fresh" >/dev/null
if ! diff -r "$vectors" "$fresh" --exclude='*.md'; then
  echo "tests/vectors differs from the roam crates' encoding: run 'make vectors' and review"
  exit 1
fi
echo "tests/vectors: $(ls "$fresh" | wc -l) vectors identical to the roam 7.3.0 crates' encoding"
