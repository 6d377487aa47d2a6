// A typed roam server in C++: Calculator (calculator.hpp) served on every
// session accepted, until SIGINT / SIGTERM.
//
//   ./typed_server tcp://127.0.0.1:7001
#include <signal.h>

#include <cstdio>
#include <vector>

#include "calculator.hpp"

namespace {

// One member per method of the service.
struct calculator {
  int64_t add(int64_t a, int64_t b) { return a + b; }
  roam::result<int64_t, calc::CalcError> divide(int64_t a, int64_t b) {
    if (b == 0) return roam::err(calc::CalcError::DivisionByZero);
    return roam::ok(a / b);
  }
};

roam_runtime *g_runtime;
void on_signal(int) { roam_runtime_stop(g_runtime); }

}  // namespace

int main(int argc, char **argv) {
  const char *address = argc > 1 ? argv[1] : "tcp://127.0.0.1:7001";
  roam::runtime rt;
  g_runtime = rt.c_ptr();
  calculator impl;
  std::vector<roam::session> sessions;  // their owners, kept while they run
  roam::session_handlers handlers;
  handlers.on_serve = roam::serve<calc::Calculator>(impl);
  handlers.on_end = [](roam::session_ref, int, std::string_view reason) {
    std::printf("session ended: %.*s\n", int(reason.size()), reason.data());
    std::fflush(stdout);
  };
  roam::listener listener(rt, address, handlers, [&](roam::session s) { sessions.push_back(std::move(s)); });
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  std::printf("calculator on %s\n", listener.address().c_str());
  std::fflush(stdout);
  rt.run();
  listener.close();
  sessions.clear();
  while (!rt.try_free()) rt.run_once();  // until they have closed
  return 0;
}
