#!/usr/bin/env bash
# libroam's postcard writer must produce exactly the bytes facet-postcard
# (the roam 7.3.0 crates' codec) produces, for every value of a fixed list:
# the peer and postcard_values each print `NAME HEX` lines, which must match.
set -euo pipefail
peer=$1
ours=$2
if ! diff <("$peer" postcard-values) <("$ours"); then
  echo "libroam's postcard writer differs from facet-postcard (< crates, > libroam)"
  exit 1
fi
echo "postcard: $("$ours" | wc -l) values encoded byte for byte as facet-postcard does"
