// Assertions with readable failure output for the C++-side tests.
#pragma once

#include <string>
#include <vector>

#include "support/cmocka.hpp"

namespace roam::test {

// Fails with both lists printed if they differ.
inline void expect_lines(const std::vector<std::string> &got,
                         const std::vector<std::string> &want) {
  if (got == want) return;
  print_error("expected %zu line(s):\n", want.size());
  for (const auto &w : want) print_error("  %s\n", w.c_str());
  print_error("got %zu line(s):\n", got.size());
  for (const auto &g : got) print_error("  %s\n", g.c_str());
  fail();
}

inline void expect_str(const std::string &got, const std::string &want) {
  if (got == want) return;
  print_error("expected: %s\n     got: %s\n", want.c_str(), got.c_str());
  fail();
}

}  // namespace roam::test
