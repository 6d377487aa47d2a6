#!/usr/bin/env bash
# The exported symbol set must be exactly: the functions roam.h declares ==
# the names in the linker version script == what libroam.so exports. And
# every exported name carries the roam_ prefix.
set -euo pipefail
src=$1
lib=$2

header=$(grep -oE 'ROAM_EXPORT[^;(]*\broam_[a-z0-9_]+\s*\(' "$src/include/roam/roam.h" \
  | grep -oE 'roam_[a-z0-9_]+\s*\($' | tr -d '( ' | sort -u)
# ROAM_EXPORT declarations may wrap: catch names on the following line too.
header=$( (echo "$header"; tr '\n' ' ' < "$src/include/roam/roam.h" \
  | grep -oE 'ROAM_EXPORT [^;]*;' | grep -oE '\broam_[a-z0-9_]+\s*\(' | tr -d '( ') | sort -u)
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
if [[ "$soname" != libroam.so.0 ]]; then
  echo "unexpected SONAME: $soname"; status=1
fi
count=$(echo "$exported" | wc -l)
if [[ $status -eq 0 ]]; then
  echo "exports: $count roam_ functions, all declared in roam.h and in the version script; SONAME $soname"
fi
exit $status
