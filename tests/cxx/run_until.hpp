// Shared by the C++ tests: runs a runtime until a condition holds.
#pragma once

#include <chrono>
#include <thread>

#include "roam.hpp"

namespace roam_test {

// Runs the runtime until `done` or 5 s; false on the timeout.
template <class Pred>
bool run_until(roam::runtime &rt, Pred done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done()) {
    rt.run_nowait();
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

}  // namespace roam_test
