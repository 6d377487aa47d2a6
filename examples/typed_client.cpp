// A typed roam client in C++: two calls to Calculator (calculator.hpp),
// one answered Ok, one with the method's own error.
//
//   ./typed_client tcp://127.0.0.1:7001
#include <cstdio>

#include "calculator.hpp"

int main(int argc, char **argv) {
  const char *address = argc > 1 ? argv[1] : "tcp://127.0.0.1:7001";
  roam::runtime rt;
  int answers = 0, status = 0;
  bool over = false;
  roam::session_handlers h;
  h.on_handshake = [&](roam::session_ref s, int rc, const roam::metadata_view &) {
    if (rc != ROAM_OK) return;  // the end callback follows
    calc::Calculator::client calculator{s.root()};
    calculator.add(int64_t{2}, int64_t{40}, [&](roam::outcome_t<int64_t> r) {
      answers++;
      if (r.is_ok()) {
        std::printf("add(2, 40) = %lld\n", (long long)r.value());
      } else {
        status = 1;
      }
    });
    calculator.divide(int64_t{7}, int64_t{0}, [&](auto r) {
      answers++;
      if (!r.is_ok() && r.error().is_user() && r.error().user == calc::CalcError::DivisionByZero) {
        std::printf("divide(7, 0): DivisionByZero\n");
      } else {
        status = 1;
      }
    });
  };
  h.on_end = [&](roam::session_ref, int, std::string_view reason) {
    if (answers < 2) std::fprintf(stderr, "session ended: %.*s\n", int(reason.size()), reason.data());
    over = true;
  };
  roam::session s = roam::session::connect(rt, address, h);
  while (answers < 2 && !over) rt.run_once();
  s.close();
  while (!rt.try_free()) rt.run_once();  // until the session is closed
  return answers == 2 ? status : 1;
}
