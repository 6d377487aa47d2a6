// roam-subject: roam 7.3.0's Testbed (tests/cxx/testbed.hpp) on libroam's
// typed C++ layer (cxx/roam_typed.hpp), served or called.
//
//   roam-subject                   subject mode for roam's spec-tests
//                                  conformance harness: connects to
//                                  PEER_ADDR=host:port (initiator) and
//                                  serves Testbed until the session ends
//   roam-subject --listen tcp://HOST:PORT [--once]
//                                  serves Testbed on every session accepted;
//                                  prints `LISTENING <address>` once bound;
//                                  until killed, or the first session's end
//   roam-subject --call ADDR       connects and calls every Testbed method
//                                  with checks (those of the Rust peer's
//                                  call-testbed); `ok <method>` or
//                                  `FAIL <method>: <why>` each
//
// Exit status: 0 for a clean end (every method ok with --call), 1 otherwise,
// 64 for a usage error.
#include <signal.h>

#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "roam_typed.hpp"
#include "testbed.hpp"

namespace {

using namespace tb;

roam_runtime *g_runtime = nullptr;
void on_signal(int) {
  if (g_runtime != nullptr) roam_runtime_stop(g_runtime);
}

void line(const std::string &text) {
  std::printf("%s\n", text.c_str());
  std::fflush(stdout);
}

// A session's end that is no failure: an orderly end, or the peer closing
// the transport once it is done.
bool clean_end(int error) { return error == ROAM_OK || error == ROAM_EEOF; }

// Closes what is still open and runs the runtime until it can be freed.
void wind_down(roam::runtime &rt) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!rt.try_free() && std::chrono::steady_clock::now() < deadline) {
    rt.run_nowait();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// Handlers serving Testbed on the root and on every virtual connection the
// peer opens; on_end gets the session's end.
roam::session_handlers serving(testbed_impl &impl, std::function<void(roam::session_ref, int)> on_end) {
  roam::session_handlers h;
  h.on_serve = roam::serve<Testbed>(impl);
  h.on_inbound_open = [](roam::conn_ref conn, const roam::metadata_view &) { conn.accept(); };
  h.on_end = [on_end](roam::session_ref s, int error, std::string_view reason) {
    if (!clean_end(error)) {
      std::fprintf(stderr, "roam-subject: session ended: %d %.*s\n", error, int(reason.size()), reason.data());
    }
    on_end(s, error);
  };
  return h;
}

// ---- (a) subject mode --------------------------------------------------------------

int run_subject() {
  const char *peer = std::getenv("PEER_ADDR");
  if (peer == nullptr || *peer == '\0') {
    std::fprintf(stderr, "roam-subject: PEER_ADDR (host:port) is not set\n");
    return 64;
  }
  std::string address = std::strstr(peer, "://") != nullptr ? peer : std::string("tcp://") + peer;
  roam::runtime rt;
  testbed_impl impl{rt};
  std::optional<int> ended;
  int status = 1;
  {
    roam::session s = roam::session::connect(rt, address.c_str(), serving(impl, [&](roam::session_ref, int error) {
                                               ended = error;
                                             }));
    while (!ended) rt.run_once();
    status = clean_end(*ended) ? 0 : 1;
  }
  wind_down(rt);
  return status;
}

// ---- (b) --listen ------------------------------------------------------------------

int run_listen(const char *address, bool once) {
  roam::runtime rt;
  g_runtime = rt.c_ptr();
  testbed_impl impl{rt};
  std::vector<roam::session> sessions;
  std::optional<int> first_end;
  int status = 0;
  {
    roam::listener listener(
        rt, address,
        serving(impl,
                [&](roam::session_ref ended, int error) {
                  if (!first_end) first_end = error;
                  if (once) rt.stop();
                  // Its owner goes once the callback is over.
                  roam_session *c = ended.c_ptr();
                  rt.post([&sessions, c] {
                    for (auto it = sessions.begin(); it != sessions.end(); ++it) {
                      if (it->c_ptr() == c) {
                        sessions.erase(it);
                        break;
                      }
                    }
                  });
                }),
        [&](roam::session s) { sessions.push_back(std::move(s)); });
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    line("LISTENING " + listener.address());
    rt.run();
    if (once) status = first_end && clean_end(*first_end) ? 0 : 1;
    sessions.clear();
  }
  g_runtime = nullptr;
  wind_down(rt);
  return status;
}

// ---- (c) --call --------------------------------------------------------------------

struct check_failed {
  std::string why;
};

// How a value reads in a failure.
template <class T>
std::string show(const T &v) {
  if constexpr (std::is_same_v<T, std::string>) {
    return "\"" + v + "\"";
  } else if constexpr (std::is_arithmetic_v<T>) {
    return std::to_string(v);
  } else {
    return "(another value)";
  }
}

template <class T>
void expect_eq(const std::string &what, const T &got, const T &want) {
  if (!(got == want)) throw check_failed{what + ": expected " + show(want) + ", got " + show(got)};
}

void close_to(const std::string &what, double got, double want) {
  if (std::fabs(got - want) > 1e-9 * std::max(std::fabs(want), 1.0)) {
    throw check_failed{what + ": expected " + show(want) + ", got " + show(got)};
  }
}

template <class D>
using outcome_of = roam::outcome_t<typename D::ret>;
template <class D>
using pending = std::shared_ptr<std::optional<outcome_of<D>>>;

class caller {
 public:
  caller(roam::runtime &rt, roam::conn_ref root) : rt_(rt), c_{std::move(root)} {}

  // Each method's checks get this long (a hung call fails its method alone).
  void start_method() { deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(10); }

  template <class Done>
  void wait(const std::string &what, Done done) {
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline_) throw check_failed{what + ": timeout after 10s"};
      rt_.run_nowait();
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }

  // The call goes out now; finish() waits for its outcome.
  template <class D, class... A>
  pending<D> start(A &&...a) {
    auto out = std::make_shared<std::optional<outcome_of<D>>>();
    roam::call<D>(c_.conn, typename D::args(std::forward<A>(a)...), [out](outcome_of<D> r) { *out = std::move(r); });
    return out;
  }
  template <class D>
  outcome_of<D> finish(const std::string &what, const pending<D> &p) {
    wait(what, [&] { return p->has_value(); });
    return std::move(**p);
  }
  template <class D, class... A>
  outcome_of<D> call(const std::string &what, A &&...a) {
    return finish<D>(what, start<D>(std::forward<A>(a)...));
  }
  // The Ok value of a call, or why not.
  template <class D, class... A>
  auto value(const std::string &what, A &&...a) {
    return ok_of(what, call<D>(what, std::forward<A>(a)...));
  }
  template <class T, class E>
  static T ok_of(const std::string &what, roam::result<T, roam::call_error<E>> r) {
    if (!r.is_ok()) throw check_failed{what + ": call failed: " + roam_strerror(r.error().code)};
    return std::move(r.value());
  }
  // The user error a call must fail with.
  template <class D, class E, class... A>
  void user_error(const std::string &what, E want, A &&...a) {
    auto r = call<D>(what, std::forward<A>(a)...);
    if (r.is_ok() || !r.error().is_user() || r.error().user != want) {
      throw check_failed{what + ": expected the user error " + show(int(want)) + ", got " +
                         (r.is_ok() ? std::string("Ok") : roam_strerror(r.error().code))};
    }
  }

  // Everything a fresh channel carries until it ends (the ending waited for).
  template <class T>
  struct collected {
    std::vector<T> items;
    std::optional<int> end;
  };
  template <class T>
  std::shared_ptr<collected<T>> collect(const roam::rx<T> &rx) {
    auto c = std::make_shared<collected<T>>();
    rx.receive([c](T v) { c->items.push_back(std::move(v)); }, [c](int reason) { c->end = reason; });
    return c;
  }
  template <class T>
  std::vector<T> items_of(const std::string &what, const std::shared_ptr<collected<T>> &c) {
    wait(what + ": the channel's end", [&] { return c->end.has_value(); });
    if (*c->end != 0) throw check_failed{what + ": the channel ended with " + roam_strerror(*c->end)};
    return c->items;
  }

  roam::runtime &runtime() { return rt_; }

 private:
  roam::runtime &rt_;
  Testbed::client c_;
  std::chrono::steady_clock::time_point deadline_;
};

using T = Testbed;

void check_echo(caller &c) {
  for (const char *text : {"hello", "", "héllo wörld ✓ 🦀"}) {
    std::string what = std::string("echo(\"") + text + "\")";
    expect_eq(what, c.value<T::echo_method>(what, std::string(text)), std::string(text));
  }
  // Pipelined: three calls in flight at once, each gets its own answer.
  auto a = c.start<T::echo_method>(std::string("first"));
  auto b = c.start<T::echo_method>(std::string("second"));
  auto d = c.start<T::echo_method>(std::string("third"));
  expect_eq("pipelined echo", caller::ok_of("echo", c.finish<T::echo_method>("echo", a)), std::string("first"));
  expect_eq("pipelined echo", caller::ok_of("echo", c.finish<T::echo_method>("echo", b)), std::string("second"));
  expect_eq("pipelined echo", caller::ok_of("echo", c.finish<T::echo_method>("echo", d)), std::string("third"));
}

void check_reverse(caller &c) {
  for (auto [text, want] : {std::pair<const char *, const char *>{"hello", "olleh"}, {"", ""},
                            {"abc déf ✓", "✓ féd cba"}}) {
    std::string what = std::string("reverse(\"") + text + "\")";
    expect_eq(what, c.value<T::reverse_method>(what, std::string(text)), std::string(want));
  }
}

void check_divide(caller &c) {
  expect_eq("divide(84, 2)", c.value<T::divide_method>("divide(84, 2)", int64_t{84}, int64_t{2}), int64_t{42});
  expect_eq("divide(-7, 2)", c.value<T::divide_method>("divide(-7, 2)", int64_t{-7}, int64_t{2}), int64_t{-3});
  c.user_error<T::divide_method>("divide(10, 0)", MathError::DivisionByZero, int64_t{10}, int64_t{0});
  c.user_error<T::divide_method>("divide(i64::MIN, -1)", MathError::Overflow, int64_t{INT64_MIN}, int64_t{-1});
}

void check_lookup(caller &c) {
  for (uint32_t id : {1u, 2u, 3u}) {
    std::string what = "lookup(" + std::to_string(id) + ")";
    expect_eq(what, std::optional<Person>(c.value<T::lookup_method>(what, id)), known_person(id));
  }
  c.user_error<T::lookup_method>("lookup(99)", LookupError::NotFound, uint32_t{99});
}

void check_sum(caller &c) {
  auto sum_of = [&](const std::string &what, std::vector<int32_t> items) {
    auto [tx, rx] = roam::make_channel<int32_t>();
    auto p = c.start<T::sum_method>(rx);
    feeder<int32_t>::send_all(c.runtime(), tx, std::move(items));
    return caller::ok_of(what, c.finish<T::sum_method>(what, p));
  };
  std::vector<int32_t> hundred;
  for (int32_t i = 1; i <= 100; ++i) hundred.push_back(i);
  expect_eq("sum(1..=100)", sum_of("sum(1..=100)", hundred), int64_t{5050});
  expect_eq("sum([])", sum_of("sum([])", {}), int64_t{0});
  // The total is an i64: it must not wrap at i32.
  expect_eq("sum([i32::MAX, i32::MAX, -5, 10])", sum_of("sum([i32::MAX, i32::MAX, -5, 10])", {INT32_MAX, INT32_MAX, -5, 10}),
            2 * int64_t{INT32_MAX} + 5);
}

void check_generate(caller &c) {
  for (uint32_t count : {5u, 0u, 300u}) {
    std::string what = "generate(" + std::to_string(count) + ")";
    auto [tx, rx] = roam::make_channel<int32_t>();
    auto got = c.collect(rx);
    c.value<T::generate_method>(what, count, tx);
    std::vector<int32_t> want;
    for (uint32_t i = 0; i < count; ++i) want.push_back(int32_t(i));
    std::vector<int32_t> items = c.items_of(what, got);
    expect_eq(what + " items (count)", items.size(), want.size());
    expect_eq(what + " items", items, want);
  }
}

void check_transform(caller &c) {
  for (std::vector<std::string> inputs : {std::vector<std::string>{"hello", "world", "", "ünïcödé ✓", "test"},
                                          std::vector<std::string>{}}) {
    std::string what = inputs.empty() ? "transform([])" : "transform";
    auto [in_tx, in_rx] = roam::make_channel<std::string>();
    auto [out_tx, out_rx] = roam::make_channel<std::string>();
    auto got = c.collect(out_rx);
    auto p = c.start<T::transform_method>(in_rx, out_tx);
    feeder<std::string>::send_all(c.runtime(), in_tx, inputs);
    caller::ok_of(what, c.finish<T::transform_method>(what, p));
    expect_eq(what + " items", c.items_of(what, got), inputs);
  }
}

void check_echo_point(caller &c) {
  for (Point p : {Point{3, -4}, Point{INT32_MIN, INT32_MAX}}) {
    expect_eq("echo_point", c.value<T::echo_point_method>("echo_point", p), p);
  }
}

void check_create_person(caller &c) {
  expect_eq("create_person(Dana)",
            c.value<T::create_person_method>("create_person", std::string("Dana"), uint8_t{41},
                                             std::optional<std::string>("dana@example.com")),
            Person{"Dana", 41, std::string("dana@example.com")});
  expect_eq("create_person(Éve)",
            c.value<T::create_person_method>("create_person", std::string("Éve"), uint8_t{255},
                                             std::optional<std::string>()),
            Person{"Éve", 255, std::nullopt});
}

void check_rectangle_area(caller &c) {
  close_to("rectangle_area((1,2)-(4,6))",
           c.value<T::rectangle_area_method>("rectangle_area", Rectangle{{1, 2}, {4, 6}, std::string("r")}), 12.0);
  // Corners the other way round: the area is still positive.
  close_to("rectangle_area((10,10)-(0,5))",
           c.value<T::rectangle_area_method>("rectangle_area", Rectangle{{10, 10}, {0, 5}, std::nullopt}), 50.0);
}

void check_parse_color(caller &c) {
  for (auto [name, want] : {std::pair<const char *, std::optional<Color>>{"red", Color::Red},
                            {"green", Color::Green},
                            {"blue", Color::Blue},
                            {"Blue", Color::Blue},
                            {"purple", std::nullopt},
                            {"", std::nullopt}}) {
    std::string what = std::string("parse_color(\"") + name + "\")";
    expect_eq(what, c.value<T::parse_color_method>(what, std::string(name)), want);
  }
}

std::vector<Shape> sample_shapes() {
  return {Shape{Shape::Circle{2.0}}, Shape{Shape::Rectangle{3.0, 4.5}}, Shape{Shape::Point{}}};
}

void check_shape_area(caller &c) {
  for (const Shape &shape : sample_shapes()) {
    std::string what = "shape_area(variant " + std::to_string(shape.value.index()) + ")";
    close_to(what, c.value<T::shape_area_method>(what, shape), shape_area_of(shape));
  }
}

void check_create_canvas(caller &c) {
  expect_eq("create_canvas",
            c.value<T::create_canvas_method>("create_canvas", std::string("sketch"), sample_shapes(), Color::Green),
            Canvas{"sketch", sample_shapes(), Color::Green});
  expect_eq("create_canvas(empty)",
            c.value<T::create_canvas_method>("create_canvas", std::string(), std::vector<Shape>{}, Color::Red),
            Canvas{"", {}, Color::Red});
}

void check_process_message(caller &c) {
  using bytes = std::vector<uint8_t>;
  for (auto [msg, want] : {std::pair<Message, Message>{{std::string("hi")}, {std::string("processed: hi")}},
                           {{int64_t{21}}, {int64_t{42}}},
                           {{int64_t{-300}}, {int64_t{-600}}},
                           {{bytes{1, 2, 3, 255}}, {bytes{255, 3, 2, 1}}},
                           {{bytes{}}, {bytes{}}}}) {
    std::string what = "process_message(variant " + std::to_string(msg.value.index()) + ")";
    expect_eq(what, c.value<T::process_message_method>(what, msg), want);
  }
}

void check_get_points(caller &c) {
  for (uint32_t count : {4u, 0u, 100u}) {
    std::vector<Point> want;
    for (int32_t i = 0; i < int32_t(count); ++i) want.push_back({i, 2 * i});
    std::string what = "get_points(" + std::to_string(count) + ")";
    expect_eq(what, c.value<T::get_points_method>(what, count), want);
  }
}

void check_swap_pair(caller &c) {
  for (auto [n, s] : {std::pair<int32_t, const char *>{7, "seven"}, {-1, ""}}) {
    std::string what = "swap_pair((" + std::to_string(n) + ", \"" + s + "\"))";
    expect_eq(what, c.value<T::swap_pair_method>(what, std::make_tuple(n, std::string(s))),
              std::make_tuple(std::string(s), n));
  }
}

// One method's checks and its line; false when they failed.
bool report(caller &c, const char *method, void (*check)(caller &)) {
  c.start_method();
  try {
    check(c);
  } catch (const check_failed &f) {
    line(std::string("FAIL ") + method + ": " + f.why);
    return false;
  } catch (const std::exception &e) {
    line(std::string("FAIL ") + method + ": " + e.what());
    return false;
  }
  line(std::string("ok ") + method);
  return true;
}

int run_call(const char *address) {
  roam::runtime rt;
  std::optional<int> handshake;
  std::optional<int> ended;
  roam::session_handlers h;
  h.on_handshake = [&](roam::session_ref, int status, const roam::metadata_view &) { handshake = status; };
  h.on_end = [&](roam::session_ref, int error, std::string_view) { ended = error; };
  int failed = 0;
  {
    roam::session s = roam::session::connect(rt, address, h);
    while (!handshake && !ended) rt.run_once();
    if (handshake.value_or(ROAM_ECLOSED) != ROAM_OK) {
      std::fprintf(stderr, "roam-subject: no session with %s: %s\n", address,
                   roam_strerror(handshake.value_or(ended.value_or(ROAM_ECLOSED))));
      failed = 1;
    } else {
      caller c(rt, s.root());
      struct {
        const char *name;
        void (*check)(caller &);
      } const methods[] = {
          {"echo", check_echo},
          {"reverse", check_reverse},
          {"divide", check_divide},
          {"lookup", check_lookup},
          {"sum", check_sum},
          {"generate", check_generate},
          {"transform", check_transform},
          {"echo_point", check_echo_point},
          {"create_person", check_create_person},
          {"rectangle_area", check_rectangle_area},
          {"parse_color", check_parse_color},
          {"shape_area", check_shape_area},
          {"create_canvas", check_create_canvas},
          {"process_message", check_process_message},
          {"get_points", check_get_points},
          {"swap_pair", check_swap_pair},
      };
      for (const auto &m : methods) failed += report(c, m.name, m.check) ? 0 : 1;
    }
  }
  wind_down(rt);
  line(failed == 0 ? "RESULT ok" : "RESULT fail");
  return failed == 0 ? 0 : 1;
}

int usage() {
  std::fprintf(stderr,
               "usage: roam-subject                      (PEER_ADDR=host:port: connect and serve Testbed)\n"
               "       roam-subject --listen ADDR [--once]  (serve Testbed on every session accepted)\n"
               "       roam-subject --call ADDR             (call every Testbed method, checked)\n");
  return 64;
}

}  // namespace

int main(int argc, char **argv) {
  try {
    if (argc == 1) return run_subject();
    if (std::strcmp(argv[1], "--listen") == 0 && (argc == 3 || (argc == 4 && std::strcmp(argv[3], "--once") == 0))) {
      return run_listen(argv[2], argc == 4);
    }
    if (std::strcmp(argv[1], "--call") == 0 && argc == 3) return run_call(argv[2]);
    return usage();
  } catch (const roam::error &e) {
    std::fprintf(stderr, "roam-subject: %s\n", e.what());
    return 1;
  }
}
