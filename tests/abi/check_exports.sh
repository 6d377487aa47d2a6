#!/usr/bin/env bash
# The exported symbol set must be exactly: the functions the stable headers
# (roam.h, roam_method_id.h, roam_postcard.h) and roam_experimental.h
# declare == the names in the linker version script == what libroam.so
# exports. Every exported name carries the roam_ prefix, and the
# experimental header's functions, only they, are in the roam_experimental
# version node.
set -euo pipefail
src=$1
lib=$2

# The first roam_name( of each ROAM_EXPORT declaration (they may wrap).
declared() {
  tr '\n' ' ' < "$1" | grep -oE 'ROAM_EXPORT [^;]*;' \
    | sed -E 's/^[^(]*\b(roam_[a-z0-9_]+)\s*\(.*/\1/' | grep -E '^roam_[a-z0-9_]+$' | sort -u
}
experimental=$(declared "$src/include/roam/roam_experimental.h")
# The stable headers: roam.h and the ones beside it that extend the 1.x ABI.
stable_headers=("$src/include/roam/roam.h" "$src/include/roam/roam_method_id.h"
  "$src/include/roam/roam_postcard.h")
header=$( (for h in "${stable_headers[@]}"; do declared "$h"; done; echo "$experimental") | sort -u)
map_experimental=$(sed -n '/^roam_experimental {/,/}/p' "$src/lib/roam.map" \
  | grep -oE '^\s+roam_[a-z0-9_]+;' | tr -d ' ;' | sort -u)
mapfile=$(sed -n '/global:/,/local:/p' "$src/lib/roam.map" | grep -oE '^\s+roam_[a-z0-9_]+;' \
  | tr -d ' ;' | sort -u)
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" {print $3}' | sed 's/@.*//' | sort -u)
others=$(nm -D --defined-only "$lib" | awk '{print $NF}' | grep -vE '^roam_' || true)

status=0
if [[ -n "$others" ]]; then
  echo "exported without the roam_ prefix:"; echo "$others"; status=1
fi
if ! diff <(echo "$header") <(echo "$mapfile") >/dev/null; then
  echo "roam.h and lib/roam.map differ (< header, > map):"
  diff <(echo "$header") <(echo "$mapfile") || true; status=1
fi
if ! diff <(echo "$mapfile") <(echo "$exported") >/dev/null; then
  echo "lib/roam.map and the library's exports differ (< map, > library):"
  diff <(echo "$mapfile") <(echo "$exported") || true; status=1
fi
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
if ! diff <(echo "$experimental") <(echo "$map_experimental") >/dev/null; then
  echo "roam_experimental.h and the roam_experimental node of lib/roam.map differ:"
  diff <(echo "$experimental") <(echo "$map_experimental") || true; status=1
fi
# The ABI baseline leaves exactly the experimental functions out.
suppressed=$(grep -m1 -oE 'symbol_name_regexp = \^\(([a-z0-9_|]+)\)\$' "$src/tests/abi/experimental.suppr" \
  | sed -E 's/.*\^\((.*)\)\$/\1/' | tr '|' '\n' | sort -u)
if ! diff <(echo "$experimental") <(echo "$suppressed") >/dev/null; then
  echo "roam_experimental.h and tests/abi/experimental.suppr differ:"
  diff <(echo "$experimental") <(echo "$suppressed") || true; status=1
fi
if [[ "$soname" != libroam.so.1 ]]; then
  echo "unexpected SONAME: $soname"; status=1
fi
count=$(echo "$exported" | wc -l)
if [[ $status -eq 0 ]]; then
  echo "exports: $count roam_ functions, all declared in roam.h and in the version script; SONAME $soname"
fi
exit $status
