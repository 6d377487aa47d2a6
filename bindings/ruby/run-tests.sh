#!/usr/bin/env bash
# The Ruby binding's test suite (minitest), then the gem's install story.
# Environment (from CTest, all optional when run by hand): ROAM_LIBRARY_PATH,
# ROAM_BUILD_DIR, ROAM_PEER, ROAM_SUBJECT, PKG_CONFIG_PATH, LD_LIBRARY_PATH.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

fail() { echo "ruby binding: FAILED ($1)"; exit 1; }

command -v ruby >/dev/null || fail "ruby is not installed (Debian: ruby)"
ruby -e 'exit(Gem::Version.new(RUBY_VERSION) >= Gem::Version.new("3.0") ? 0 : 1)' || fail "Ruby >= 3.0 is needed"
ruby -e 'require "ffi"' 2>/dev/null || fail "the ffi gem is missing (Debian: ruby-ffi)"
ruby -e 'require "minitest"' 2>/dev/null || fail "minitest is missing (Debian: ruby-minitest)"
[ -n "${ROAM_PEER:-}" ] || fail "ROAM_PEER is not set (make test sets it)"
[ -n "${ROAM_SUBJECT:-}" ] || fail "ROAM_SUBJECT is not set (make test sets it)"
[ -n "${ROAM_BUILD_DIR:-}" ] || fail "ROAM_BUILD_DIR is not set (make test sets it)"
export ROAM_PEER ROAM_SUBJECT ROAM_BUILD_DIR
[ -x "$ROAM_PEER" ] || fail "ROAM_PEER ($ROAM_PEER) is not executable"
[ -x "$ROAM_SUBJECT" ] || fail "ROAM_SUBJECT ($ROAM_SUBJECT) is not executable"

echo "== minitest"
timeout 150 ruby -W0 -Ilib -Itest -e 'Dir["test/test_*.rb"].sort.each { |f| require File.expand_path(f) }' -- -v \
  || fail "minitest"

echo "== gem build / install into a temporary GEM_HOME"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src" "$tmp/home"
cp -r lib examples README.md roam.gemspec "$tmp/src/"
(cd "$tmp/src" && gem build roam.gemspec) >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "gem build"; }
# The ffi dependency is Debian's ruby-ffi, which lives on the system gem
# path: keep that path visible behind the temporary GEM_HOME.
syspath="$(gem env gempath)"
GEM_HOME="$tmp/home" GEM_PATH="$tmp/home:$syspath" gem install --local --no-document "$tmp/src"/roam-*.gem \
  >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "gem install"; }
out="$(cd "$tmp" && GEM_HOME="$tmp/home" GEM_PATH="$tmp/home:$syspath" ruby -e '
  gem "roam"; require "roam"
  abort "loaded from #{$LOADED_FEATURES.grep(/roam\.rb\z/)}" unless $LOADED_FEATURES.grep(/roam\.rb\z/).all? { |f| f.start_with?(ENV["GEM_HOME"]) }
  load File.join(Gem.loaded_specs["roam"].full_gem_path, "examples", "hello.rb")')" || fail "requiring the installed gem"
[ "$out" = "Hello, Ruby!" ] || fail "the installed gem's hello example printed: $out"
echo "installed gem ok: $out"

echo "ruby binding: ALL TESTS PASSED"
