#!/usr/bin/env bash
# The Python binding's test suite: pytest against the real Rust peer, the C++
# roam-subject, roamcat and libroam.so.1 (found through ROAM_LIBRARY_PATH,
# ROAM_BUILD_DIR, pkg-config or the system, as bindings/README.md says).
# Run from anywhere; CTest runs it with ROAM_LIBRARY_PATH, ROAM_BUILD_DIR,
# ROAM_PEER, ROAM_SUBJECT, PKG_CONFIG_PATH and LD_LIBRARY_PATH set.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=${PYTHON:-python3}

if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)'; then
  echo "python binding tests: FAILED (Python >= 3.9 needed, $("$python" --version 2>&1))"
  exit 1
fi
extra_path=
if ! "$python" -c 'import pytest' 2>/dev/null; then
  echo "installing pytest from PyPI"
  if ! "$python" -m pip install --quiet pytest; then
    # An externally managed Python (PEP 668, Debian's /usr/bin/python3):
    # a private directory instead.
    extra_path=${XDG_CACHE_HOME:-$HOME/.cache}/roam-python-tests
    "$python" -m pip install --quiet --target "$extra_path" pytest || {
      echo "python binding tests: FAILED (pytest is missing and pip could not install it)"
      exit 1
    }
  fi
fi

export PYTHONPATH="$here/src${extra_path:+:$extra_path}${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
cd "$here"
"$python" -m pytest -q -p no:cacheprovider tests "$@"
status=$?
if [[ $status -eq 0 ]]; then
  echo "python binding tests: OK"
else
  echo "python binding tests: FAILED (pytest exit $status)"
fi
exit $status
