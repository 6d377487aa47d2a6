// cmocka for C++ test files: its header needs these C headers first, and
// declares its functions without C++ linkage guards.
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {
#include <cmocka.h>
}
