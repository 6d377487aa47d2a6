#!/usr/bin/env bash
# The README's per-language examples are the example files the binding
# suites run (each suite runs its hello example and checks what it prints):
# every fenced block after a `<!-- example: PATH -->` line must equal PATH.
#
#   check_readme_examples.sh SOURCE_DIR
set -euo pipefail
src=$1
status=0
count=0
while read -r path; do
  count=$((count + 1))
  block=$(awk -v marker="<!-- example: $path -->" '
    $0 == marker { found = 1; next }
    found && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }' "$src/README.md")
  if [[ "$block" == "$(cat "$src/$path")" ]]; then
    echo "ok   README example = $path"
  else
    echo "FAIL README example differs from $path:"
    diff <(echo "$block") "$src/$path" || true
    status=1
  fi
done < <(sed -n 's/^<!-- example: \(.*\) -->$/\1/p' "$src/README.md")
((count >= 3)) || { echo "FAIL expected the Python, Ruby and Go examples in README.md, found $count"; status=1; }
exit $status
