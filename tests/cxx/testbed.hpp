// roam 7.3.0's Testbed (spec/spec-proto's conformance service, the Rust
// peer's src/signatures.rs), declared once with cxx/roam_typed.hpp, and an
// implementation with the semantics the conformance suite and the peer's
// call-testbed expect (tests/interop/peer/src/testbed.rs). Shared by
// tests/cxx/test_typed.cpp and tools/roam-subject (served and called).
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "roam_typed.hpp"

namespace tb {

struct Point {
  int32_t x = 0;
  int32_t y = 0;
  bool operator==(const Point &o) const { return x == o.x && y == o.y; }
};
ROAM_STRUCT(Point, x, y);

struct Person {
  std::string name;
  uint8_t age = 0;
  std::optional<std::string> email;
  bool operator==(const Person &o) const { return name == o.name && age == o.age && email == o.email; }
};
ROAM_STRUCT(Person, name, age, email);

struct Rectangle {
  Point top_left;
  Point bottom_right;
  std::optional<std::string> label;
};
ROAM_STRUCT(Rectangle, top_left, bottom_right, label);

enum class Color { Red, Green, Blue };
ROAM_ENUM(Color, Red, Green, Blue);

struct Shape {
  // (no default member initializers in nested alternatives: GCC then
  // thinks them not default-constructible inside the enclosing struct)
  struct Circle {
    double radius;
  };
  struct Rectangle {
    double width;
    double height;
  };
  struct Point {};
  std::variant<Circle, Rectangle, Point> value;
};
ROAM_STRUCT(Shape::Circle, radius);
ROAM_STRUCT(Shape::Rectangle, width, height);
ROAM_UNIT_STRUCT(Shape::Point);
ROAM_VARIANT_ENUM(Shape, value, Circle, Rectangle, Point);
inline bool operator==(const Shape &a, const Shape &b) {
  if (a.value.index() != b.value.index()) return false;
  if (auto *c = std::get_if<Shape::Circle>(&a.value)) return c->radius == std::get<Shape::Circle>(b.value).radius;
  if (auto *r = std::get_if<Shape::Rectangle>(&a.value)) {
    const auto &o = std::get<Shape::Rectangle>(b.value);
    return r->width == o.width && r->height == o.height;
  }
  return true;
}

struct Canvas {
  std::string name;
  std::vector<Shape> shapes;
  Color background = Color::Red;
  bool operator==(const Canvas &o) const {
    return name == o.name && shapes == o.shapes && background == o.background;
  }
};
ROAM_STRUCT(Canvas, name, shapes, background);

struct Message {
  std::variant<std::string, int64_t, std::vector<uint8_t>> value;
  bool operator==(const Message &o) const { return value == o.value; }
};
ROAM_VARIANT_ENUM(Message, value, Text, Number, Data);

enum class MathError { DivisionByZero, Overflow };
ROAM_ENUM(MathError, DivisionByZero, Overflow);
enum class LookupError { NotFound, AccessDenied };
ROAM_ENUM(LookupError, NotFound, AccessDenied);

ROAM_SERVICE(Testbed,
             (echo, std::string(std::string)),
             (reverse, std::string(std::string)),
             (divide, roam::result<int64_t, MathError>(int64_t, int64_t)),
             (lookup, roam::result<Person, LookupError>(uint32_t)),
             (sum, int64_t(roam::rx<int32_t>)),
             (generate, void(uint32_t, roam::tx<int32_t>)),
             (transform, void(roam::rx<std::string>, roam::tx<std::string>)),
             (echo_point, Point(Point)),
             (create_person, Person(std::string, uint8_t, std::optional<std::string>)),
             (rectangle_area, double(Rectangle)),
             (parse_color, std::optional<Color>(std::string)),
             (shape_area, double(Shape)),
             (create_canvas, Canvas(std::string, std::vector<Shape>, Color)),
             (process_message, Message(Message)),
             (get_points, std::vector<Point>(uint32_t)),
             (swap_pair, std::tuple<std::string, int32_t>(std::tuple<int32_t, std::string>)));

// The people `lookup` knows; every other id is NotFound.
inline std::optional<Person> known_person(uint32_t id) {
  switch (id) {
    case 1: return Person{"Alice", 30, std::string("alice@example.com")};
    case 2: return Person{"Bob", 25, std::nullopt};
    case 3: return Person{"Charlie", 35, std::string("charlie@example.com")};
    default: return std::nullopt;
  }
}

inline double shape_area_of(const Shape &s) {
  if (auto *c = std::get_if<Shape::Circle>(&s.value)) return 3.141592653589793 * c->radius * c->radius;
  if (auto *r = std::get_if<Shape::Rectangle>(&s.value)) return r->width * r->height;
  return 0;
}

// Sends items on a tx in order, then (finish) closes it. What libroam cannot
// take yet (ROAM_EAGAIN: past the credit and its 64-item queue; the typed
// layer has no writable callback) is tried again from the runtime's next
// turn, so a long stream keeps the loop busy until the receiver grants more.
// Copies share one queue.
template <class T>
class feeder {
 public:
  feeder(roam::runtime &rt, roam::tx<T> out) : st_(std::make_shared<state>(state{&rt, std::move(out), {}, false, false})) {}
  void push(T item) {
    st_->items.push_back(std::move(item));
    drain(st_);
  }
  void finish() {
    st_->finishing = true;
    drain(st_);
  }
  // All of `items`, then the close.
  static void send_all(roam::runtime &rt, roam::tx<T> out, std::vector<T> items) {
    feeder f(rt, std::move(out));
    for (auto &x : items) f.st_->items.push_back(std::move(x));
    f.finish();
  }

 private:
  struct state {
    roam::runtime *rt;
    roam::tx<T> out;
    std::deque<T> items;
    bool finishing;
    bool done;
  };
  static void drain(const std::shared_ptr<state> &st) {
    while (!st->done && !st->items.empty()) {
      std::error_code ec;
      if (st->out.send(ec, st->items.front())) {
        st->items.pop_front();
      } else if (ec.value() == ROAM_EAGAIN) {
        st->rt->post([st] { drain(st); });
        return;
      } else {  // the receiver is gone: nothing more to send
        st->done = true;
        st->items.clear();
      }
    }
    if (st->finishing && !st->done) {
      st->done = true;
      try {
        st->out.close();
      } catch (const roam::error &) {  // the channel ended already
      }
    }
  }
  std::shared_ptr<state> st_;
};

// The server: one member per method, synchronous or answering through a
// reply; the channels' senders go through a feeder on `rt`.
struct testbed_impl {
  roam::runtime &rt;
  explicit testbed_impl(roam::runtime &r) : rt(r) {}

  std::string echo(std::string s) { return s; }
  // By Unicode scalar value (the UTF-8 sequences stay whole).
  std::string reverse(const std::string &s) {
    std::string out;
    out.reserve(s.size());
    size_t end = s.size();
    while (end > 0) {
      size_t start = end - 1;
      while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
      out.append(s, start, end - start);
      end = start;
    }
    return out;
  }
  roam::result<int64_t, MathError> divide(int64_t a, int64_t b) {
    if (b == 0) return roam::err(MathError::DivisionByZero);
    if (a == INT64_MIN && b == -1) return roam::err(MathError::Overflow);
    return roam::ok(a / b);
  }
  roam::result<Person, LookupError> lookup(uint32_t id) {
    if (auto p = known_person(id)) return roam::ok(std::move(*p));
    return roam::err(LookupError::NotFound);
  }
  void sum(roam::reply<int64_t> answer, roam::rx<int32_t> numbers) {
    auto total = std::make_shared<int64_t>(0);
    numbers.receive([total](int32_t n) { *total += n; },
                    [answer, total](int reason) {
                      if (reason == 0) {
                        answer(*total);
                      } else {
                        answer.reply_fail(ROAM_ECANCELLED);
                      }
                    });
  }
  void generate(uint32_t count, roam::tx<int32_t> output) {
    std::vector<int32_t> items;
    for (uint32_t i = 0; i < count; ++i) items.push_back(static_cast<int32_t>(i));
    feeder<int32_t>::send_all(rt, std::move(output), std::move(items));
  }
  // Every string that comes in goes straight back out, in order.
  void transform(roam::reply<roam::unit> answer, roam::rx<std::string> input, roam::tx<std::string> output) {
    feeder<std::string> out(rt, std::move(output));
    input.receive([out](std::string s) mutable { out.push(std::move(s)); },
                  [answer, out](int) mutable {
                    out.finish();
                    answer(roam::unit{});
                  });
  }
  Point echo_point(const Point &p) { return p; }
  Person create_person(std::string name, uint8_t age, std::optional<std::string> email) {
    return {std::move(name), age, std::move(email)};
  }
  double rectangle_area(const Rectangle &r) {
    auto side = [](int32_t a, int32_t b) { return double(std::abs(int64_t(b) - int64_t(a))); };
    return side(r.top_left.x, r.bottom_right.x) * side(r.top_left.y, r.bottom_right.y);
  }
  std::optional<Color> parse_color(std::string name) {
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (name == "red") return Color::Red;
    if (name == "green") return Color::Green;
    if (name == "blue") return Color::Blue;
    return std::nullopt;
  }
  double shape_area(const Shape &s) { return shape_area_of(s); }
  Canvas create_canvas(std::string name, std::vector<Shape> shapes, Color background) {
    return {std::move(name), std::move(shapes), background};
  }
  Message process_message(Message m) {
    if (auto *t = std::get_if<std::string>(&m.value)) return {std::string("processed: ") + *t};
    if (auto *n = std::get_if<int64_t>(&m.value)) return {int64_t(uint64_t(*n) * 2u)};  // wrapping
    auto &bytes = std::get<std::vector<uint8_t>>(m.value);
    std::reverse(bytes.begin(), bytes.end());
    return m;
  }
  std::vector<Point> get_points(uint32_t count) {
    std::vector<Point> out;
    for (uint32_t i = 0; i < count; ++i) out.push_back({int32_t(i), int32_t(uint32_t(i) * 2u)});
    return out;
  }
  std::tuple<std::string, int32_t> swap_pair(std::tuple<int32_t, std::string> p) {
    return {std::get<1>(p), std::get<0>(p)};
  }
};

}  // namespace tb
