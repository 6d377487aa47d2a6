#!/usr/bin/env bash
# Installs into a scratch prefix (with DESTDIR, as packagers do), then builds
# small programs against the installed library two ways a user would:
# with `pkg-config --cflags --libs roam` only, and with find_package(roam).
set -euo pipefail
src=$1
build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

prefix=/opt/roam-test
DESTDIR="$work/stage" cmake --install "$build" --prefix "$prefix" >/dev/null
root="$work/stage$prefix"
libdir=$(ls -d "$root"/lib*/ | head -n 1)
libdir=${libdir%/}

test -f "$root/include/roam/roam.h"
test -f "$root/include/roam/roam_postcard.h"
test -f "$libdir/pkgconfig/roam.pc"
test -L "$libdir/libroam.so"
test -f "$libdir/libroam.a"
test -f "$libdir/cmake/roam/roamConfig.cmake"

# pkg-config sees the prefix the library was configured with; relocate it.
sed -i "s|^prefix=.*|prefix=$root|" "$libdir/pkgconfig/roam.pc"
export PKG_CONFIG_PATH="$libdir/pkgconfig"

cat > "$work/hello.c" <<'C'
#include <roam/roam.h>
#include <stdio.h>
#include <string.h>
int main(void) {
  roam_runtime *rt;
  if (roam_runtime_new(&rt) != 0) return 1;
  roam_session *a, *b;
  if (roam_session_pair(rt, NULL, NULL, NULL, NULL, NULL, NULL, &a, &b) != 0) return 2;
  roam_session_close(a, NULL, NULL);
  roam_session_close(b, NULL, NULL);
  roam_runtime_run(rt);
  if (roam_runtime_free(rt) != 0) return 3;
  printf("libroam %s, protocol %u, %s\n", roam_version(), roam_protocol_version(),
         roam_strerror(ROAM_EVERSION));
  return strcmp(roam_version(), "1.1.0") == 0 ? 0 : 4;
}
C
cc -Wall -Werror -o "$work/hello" "$work/hello.c" $(pkg-config --cflags --libs roam)
LD_LIBRARY_PATH="$libdir" "$work/hello"
# Static: pkg-config --static pulls libuv and the C++ runtime in.
cc -o "$work/hello-static" "$work/hello.c" $(pkg-config --cflags roam) \
  "$libdir/libroam.a" $(pkg-config --libs --static roam | sed 's/-lroam//')
"$work/hello-static" >/dev/null

# The C++ facade, installed beside the C headers.
cat > "$work/hello.cpp" <<'CXX'
#include <roam/roam.hpp>
int main() {
  roam::runtime rt;
  auto [a, b] = roam::session::pair(rt, {}, {});
  a.close();
  b.close();
  for (int i = 0; i < 1000 && !rt.try_free(); i++) rt.run_nowait();
  return roam::make_error_code(ROAM_EVERSION).category().name() == std::string("roam") ? 0 : 5;
}
CXX
c++ -std=c++17 -Wall -Wextra -Wpedantic -Werror -o "$work/hello-cxx" "$work/hello.cpp" \
  $(pkg-config --cflags --libs roam)
LD_LIBRARY_PATH="$libdir" "$work/hello-cxx"

mkdir -p "$work/cmake-user"
cat > "$work/cmake-user/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(user C)
find_package(roam 1.0 REQUIRED)
add_executable(hello ../hello.c)
target_link_libraries(hello PRIVATE roam::roam)
CM
cmake -S "$work/cmake-user" -B "$work/cmake-user/build" -DCMAKE_PREFIX_PATH="$root" >/dev/null
cmake --build "$work/cmake-user/build" >/dev/null
LD_LIBRARY_PATH="$libdir" "$work/cmake-user/build/hello" >/dev/null
echo "install: headers, shared+static libraries, roam.pc and roamConfig.cmake work from $prefix"
