#!/usr/bin/env bash
# The install story, on a scratch prefix as a user would do it on a fresh
# machine: `make install` (cmake --install), then each language's own tool,
# and each binding's hello example run against the installed library only
# (no build tree in sight: the library is found through pkg-config, as each
# binding's README says).
#
#   check_install.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
[[ -x /usr/local/go/bin/go ]] && PATH=/usr/local/go/bin:$PATH

cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$prefix/lib
# Only the installed prefix from here on.
unset ROAM_LIBRARY_PATH ROAM_BUILD_DIR LD_LIBRARY_PATH
export PKG_CONFIG_PATH=$libdir/pkgconfig
echo "installed: $(pkg-config --modversion roam) in $prefix"

run_hello() {  # NAME command… : must exit 0 and say something
  local name=$1 out
  shift
  if ! out=$(timeout 60 "$@" 2>&1) || [[ -z $out ]]; then
    echo "FAIL $name:"; echo "$out"; exit 1
  fi
  echo "ok   $name: $(tail -n 1 <<<"$out")"
}

# Python: pip installs the pure-Python package; ctypes finds libroam.so.1
# through pkg-config's libdir.
python3 -m pip install --quiet --disable-pip-version-check --target "$work/python" "$src/bindings/python"
(cd "$work" && PYTHONPATH=$work/python run_hello "python: pip install, examples/hello.py" \
  python3 "$src/bindings/python/examples/hello.py")

# Ruby: gem build, then gem install of the built gem (its ffi dependency is
# Debian's ruby-ffi, already installed system-wide).
cp -r "$src/bindings/ruby" "$work/ruby-src"
(cd "$work/ruby-src" && gem build --silent roam.gemspec >/dev/null)
# (GEM_PATH keeps the system gems in view, so the ffi dependency is checked
# and satisfied; --install-dir alone would hide them.)
GEM_HOME=$work/gems GEM_PATH="$work/gems:$(gem env gempath)" \
  gem install --local --no-document "$work/ruby-src"/roam-*.gem >/dev/null
GEM_HOME=$work/gems GEM_PATH="$work/gems:$(gem env gempath)" \
  run_hello "ruby: gem build + gem install, examples/hello.rb" ruby "$src/bindings/ruby/examples/hello.rb"

# Go: a module of the user's own requiring the binding (here through a
# replace to the source tree: the module is not published), built with cgo
# against `pkg-config roam`; the program finds libroam.so.1 in the prefix.
mkdir -p "$work/gohello"
cp "$src/bindings/go/examples/hello/main.go" "$work/gohello/"
cat >"$work/gohello/go.mod" <<MOD
module example.com/gohello

go 1.19

require github.com/libroam/roam-go v0.0.0

replace github.com/libroam/roam-go => $src/bindings/go
MOD
(cd "$work/gohello" && GOFLAGS=-mod=mod go build -o hello .)
LD_LIBRARY_PATH=$libdir run_hello "go: go build with pkg-config roam, examples/hello" "$work/gohello/hello"
echo "install: the library, then the Python, Ruby and Go bindings, each from its own tool, work from $prefix"
