// The typed C++ layer (cxx/roam_typed.hpp): every supported type round-trips,
// a few values are byte for byte what roam_postcard.h's writer makes,
// signatures are what the roam_sig_* builder makes by hand, and roam 7.3.0's
// Testbed served by a typed server and called by a typed client over an
// in-process pair. The method ids are compared live with the Rust peer's
// (ROAM_PEER_BINARY, when it has been built). C++17 and C++20,
// -Wall -Wextra -Wpedantic -Werror.
#include "roam_typed.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "cxx/run_until.hpp"
#include "cxx/testbed.hpp"  // Testbed, its types and testbed_impl (shared with roam-subject)
#include "support/cmocka.hpp"

namespace tb {

// A service of our own, with a channel before a string.
ROAM_SERVICE(Local, (upload, void(roam::rx<int32_t>, std::string)));

// ---- more shapes: recursion, tuple variants, Box ----------------------------------

struct Tree {
  uint32_t value = 0;
  std::vector<Tree> children;
};
ROAM_STRUCT(Tree, value, children);

struct Expr {
  struct Zero {};
  struct Neg {
    std::unique_ptr<Expr> inner;
  };
  std::variant<Zero, int64_t, std::tuple<std::unique_ptr<Expr>, std::unique_ptr<Expr>>, Neg> value;
};
ROAM_UNIT_STRUCT(Expr::Zero);
ROAM_STRUCT(Expr::Neg, inner);
ROAM_VARIANT_ENUM(Expr, value, Zero, Lit, Add, Neg);

}  // namespace tb

namespace {

using namespace tb;

using roam_test::run_until;

template <class T>
std::vector<uint8_t> bytes_of(const T &v) {
  std::vector<uint8_t> out;
  assert_int_equal(roam::encode(v, out), ROAM_OK);
  return out;
}

// Encodes, decodes, and encodes again: the same bytes, all of them used.
template <class T>
T roundtrip(const T &v) {
  std::vector<uint8_t> first = bytes_of(v);
  T back{};
  assert_int_equal(roam::decode(roam::bytes_view(first), back), ROAM_OK);
  assert_true(bytes_of(back) == first);
  return back;
}
template <class T>
void roundtrip_equal(const T &v) {
  assert_true(roundtrip(v) == v);
}

void every_type_round_trips(void **) {
  roundtrip_equal(uint8_t{255});
  roundtrip_equal(uint16_t{65535});
  roundtrip_equal(uint32_t{4000000000u});
  roundtrip_equal(uint64_t{UINT64_MAX});
  roundtrip_equal(int8_t{-128});
  roundtrip_equal(int16_t{-32768});
  roundtrip_equal(int32_t{INT32_MIN});
  roundtrip_equal(int64_t{INT64_MIN});
  roundtrip_equal(1.5f);
  roundtrip_equal(-2.25);
  roundtrip_equal(true);
  roundtrip_equal(false);
  roundtrip_equal(char32_t{0x1F600});
  roundtrip_equal(std::string("héllo"));
  roundtrip_equal(std::string());
  {
    std::vector<uint8_t> b = bytes_of(std::string_view("view"));
    std::string_view back;
    assert_int_equal(roam::decode(roam::bytes_view(b), back), ROAM_OK);
    assert_true(back == "view");
  }
  roundtrip_equal(std::vector<uint8_t>{0, 1, 255});
  roundtrip_equal(std::vector<int32_t>{-1, 0, 1});
  roundtrip_equal(std::vector<std::string>{"a", "", "c"});
  roundtrip_equal(std::vector<bool>{true, false});
  roundtrip_equal(std::array<uint16_t, 4>{1, 2, 300, 4});
  roundtrip_equal(std::array<std::array<uint8_t, 2>, 3>{});
  roundtrip_equal(std::optional<std::string>("x"));
  roundtrip_equal(std::optional<std::string>());
  roundtrip_equal(std::optional<std::optional<bool>>(std::optional<bool>()));
  roundtrip_equal(std::map<std::string, std::vector<int32_t>>{{"a", {1}}, {"b", {}}});
  roundtrip_equal(std::unordered_map<uint8_t, std::set<std::string>>{{1, {"x", "y"}}});
  roundtrip_equal(std::set<uint64_t>{3, 1, 2});
  {  // (no round trip of the bytes: an unordered container may reorder)
    std::unordered_set<int16_t> set{-5, 5}, back;
    assert_int_equal(roam::decode(roam::bytes_view(bytes_of(set)), back), ROAM_OK);
    assert_true(back == set);
  }
  roundtrip_equal(std::tuple<uint8_t, std::tuple<int8_t, char32_t>>{1, {-1, U'z'}});
  roundtrip_equal(std::pair<std::string, int32_t>{"p", 7});
  roundtrip_equal(std::tuple<>{});
  roundtrip_equal(roam::unit{});
  roundtrip_equal(roam::result<int64_t, MathError>(roam::ok(int64_t{42})));
  roundtrip_equal(roam::result<int64_t, MathError>(roam::err(MathError::Overflow)));
  roundtrip_equal(roam::result<std::string, std::string>(roam::err(std::string("same types"))));
  assert_int_equal(*roundtrip(std::make_unique<int32_t>(9)), 9);
  roundtrip_equal(Point{3, -4});
  roundtrip_equal(Person{"Bob", 40, std::nullopt});
  Rectangle rect = roundtrip(Rectangle{{0, 0}, {2, 3}, std::string("r")});
  assert_true(rect.bottom_right == (Point{2, 3}) && rect.label == std::string("r"));
  roundtrip_equal(Color::Blue);
  assert_int_equal(roundtrip(Shape{Shape::Circle{1.5}}).value.index(), 0);
  assert_true(std::get<1>(roundtrip(Shape{Shape::Rectangle{2, 3}}).value).height == 3);
  assert_int_equal(roundtrip(Shape{Shape::Point{}}).value.index(), 2);
  roundtrip_equal(Message{std::string("hi")});
  roundtrip_equal(Message{int64_t{-7}});
  roundtrip_equal(Message{std::vector<uint8_t>{1, 2}});
  Canvas canvas = roundtrip(Canvas{"c", {Shape{Shape::Circle{1}}, Shape{Shape::Point{}}}, Color::Green});
  assert_int_equal(canvas.shapes.size(), 2);
  assert_true(canvas.background == Color::Green);
  Tree tree{1, {Tree{2, {}}, Tree{3, {Tree{4, {}}}}}};
  assert_int_equal(roundtrip(tree).children[1].children[0].value, 4);
  Expr e;
  e.value = std::make_tuple(std::make_unique<Expr>(), std::make_unique<Expr>());
  std::get<1>(std::get<2>(e.value))->value = Expr::Neg{std::make_unique<Expr>()};
  std::get<1>(std::get<2>(e.value))->value.emplace<Expr::Neg>().inner = std::make_unique<Expr>();
  std::get<Expr::Neg>(std::get<1>(std::get<2>(e.value))->value).inner->value = int64_t{5};
  Expr back = roundtrip(e);
  const Expr &neg = *std::get<1>(std::get<2>(back.value));
  assert_int_equal(std::get<int64_t>(std::get<Expr::Neg>(neg.value).inner->value), 5);
}

// The same bytes roam_postcard.h's writer makes, value by value.
template <class Fn>
std::vector<uint8_t> c_bytes(Fn &&write) {
  uint8_t buf[256];
  roam_postcard_writer w;
  roam_postcard_writer_init(&w, sizeof w, buf, sizeof buf);
  write(&w);
  size_t len = 0;
  assert_int_equal(roam_postcard_writer_finish(&w, &len), ROAM_OK);
  return {buf, buf + len};
}

void exact_bytes_match_the_c_writer(void **) {
  assert_true(bytes_of(Point{1, -1}) == c_bytes([](roam_postcard_writer *w) {
                roam_postcard_write_i32(w, 1);
                roam_postcard_write_i32(w, -1);
              }));
  assert_true(bytes_of(Person{"Al", 7, std::string("a@b")}) == c_bytes([](roam_postcard_writer *w) {
                roam_postcard_write_str(w, "Al", ROAM_NTS);
                roam_postcard_write_u8(w, 7);
                roam_postcard_write_option(w, 1);
                roam_postcard_write_str(w, "a@b", ROAM_NTS);
              }));
  assert_true(bytes_of(Shape{Shape::Rectangle{1.5, 2}}) == c_bytes([](roam_postcard_writer *w) {
                roam_postcard_write_variant(w, 1);
                roam_postcard_write_f64(w, 1.5);
                roam_postcard_write_f64(w, 2);
              }));
  assert_true(bytes_of(Message{std::string("hi")}) == (std::vector<uint8_t>{0x00, 0x02, 'h', 'i'}));
  assert_true(bytes_of(roam::result<int64_t, MathError>(roam::err(MathError::Overflow))) ==
              (std::vector<uint8_t>{0x01, 0x01}));
  assert_true(bytes_of(roam::result<int64_t, MathError>(roam::ok(int64_t{-2}))) ==
              (std::vector<uint8_t>{0x00, 0x03}));
  assert_true(bytes_of(std::map<std::string, uint16_t>{{"k", 300}}) == c_bytes([](roam_postcard_writer *w) {
                roam_postcard_write_len(w, 1);
                roam_postcard_write_str(w, "k", ROAM_NTS);
                roam_postcard_write_u16(w, 300);
              }));
  assert_true(bytes_of(std::make_tuple(char32_t{U'é'}, std::vector<uint8_t>{9}, roam::unit{})) ==
              c_bytes([](roam_postcard_writer *w) {
                roam_postcard_write_char(w, 0xE9);
                roam_postcard_write_bytes(w, (const uint8_t *)"\x09", 1);
              }));
  assert_true(bytes_of(Color::Green) == (std::vector<uint8_t>{0x01}));
}

void malformed_input_is_refused(void **) {
  Point p;
  std::vector<uint8_t> b = bytes_of(Point{1, 2});
  assert_int_equal(roam::decode(roam::bytes_view(b.data(), 1), p), ROAM_ETRUNCATED);
  b.push_back(0);
  assert_int_equal(roam::decode(roam::bytes_view(b), p), ROAM_ETRAILING);
  Color c;
  std::vector<uint8_t> three{3};
  assert_int_equal(roam::decode(roam::bytes_view(three), c), ROAM_EBADTAG);
  Shape s;
  assert_int_equal(roam::decode(roam::bytes_view(three), s), ROAM_EBADTAG);
  std::vector<std::string> v;
  std::vector<uint8_t> long_count{0x7f};
  assert_int_equal(roam::decode(roam::bytes_view(long_count), v), ROAM_EBADLENGTH);
  // A channel outside a call has nowhere to go.
  auto [tx, rx] = roam::make_channel<int32_t>();
  std::vector<uint8_t> out;
  assert_int_equal(roam::encode(rx, out), ROAM_ESTATE);
  std::error_code ec;
  assert_false(tx.send(ec, 1));
  assert_true(ec == roam::make_error_code(ROAM_ESTATE));
}

// ---- signatures against the builder by hand ---------------------------------------

template <class Fn>
std::vector<uint8_t> by_hand(Fn &&describe) {
  roam_sig_builder *b = nullptr;
  assert_int_equal(roam_sig_builder_new(&b), ROAM_OK);
  describe(b);
  const uint8_t *sig = nullptr;
  size_t len = 0;
  assert_int_equal(roam_sig_finish(b, &sig, &len), ROAM_OK);
  std::vector<uint8_t> out(sig, sig + len);
  roam_sig_builder_free(b);
  return out;
}

void signatures_match_the_builder_by_hand(void **) {
  auto point = [](roam_sig_builder *b) {
    roam_sig_struct(b, "Point", ROAM_NTS, 2);
    roam_sig_field(b, "x", ROAM_NTS);
    roam_sig_primitive(b, ROAM_SIG_I32);
    roam_sig_field(b, "y", ROAM_NTS);
    roam_sig_primitive(b, ROAM_SIG_I32);
  };
  assert_true((roam::signature_bytes<std::tuple<Point>, Point>()) == by_hand([&](roam_sig_builder *b) {
                roam_sig_tuple(b, 1);
                point(b);
                point(b);
              }));
  assert_true((roam::signature_bytes<std::tuple<Shape>, double>()) == by_hand([](roam_sig_builder *b) {
                roam_sig_tuple(b, 1);
                roam_sig_enum(b, "Shape", ROAM_NTS, 3);
                roam_sig_variant_struct(b, "Circle", ROAM_NTS, 1);
                roam_sig_field(b, "radius", ROAM_NTS);
                roam_sig_primitive(b, ROAM_SIG_F64);
                roam_sig_variant_struct(b, "Rectangle", ROAM_NTS, 2);
                roam_sig_field(b, "width", ROAM_NTS);
                roam_sig_primitive(b, ROAM_SIG_F64);
                roam_sig_field(b, "height", ROAM_NTS);
                roam_sig_primitive(b, ROAM_SIG_F64);
                roam_sig_variant_unit(b, "Point", ROAM_NTS);
                roam_sig_primitive(b, ROAM_SIG_F64);
              }));
  assert_true((roam::signature_bytes<std::tuple<>, roam::unit>()) == by_hand([](roam_sig_builder *b) {
                roam_sig_primitive(b, ROAM_SIG_UNIT);
                roam_sig_primitive(b, ROAM_SIG_UNIT);
              }));
  assert_true(roam::signature_bytes<Tree>() == by_hand([](roam_sig_builder *b) {
                roam_sig_struct(b, "Tree", ROAM_NTS, 2);
                roam_sig_field(b, "value", ROAM_NTS);
                roam_sig_primitive(b, ROAM_SIG_U32);
                roam_sig_field(b, "children", ROAM_NTS);
                roam_sig_list(b);
                roam_sig_ref(b, "Tree", ROAM_NTS);
              }));
  assert_true(roam::signature_bytes<Expr>() == by_hand([](roam_sig_builder *b) {
                roam_sig_enum(b, "Expr", ROAM_NTS, 4);
                roam_sig_variant_unit(b, "Zero", ROAM_NTS);
                roam_sig_variant_newtype(b, "Lit", ROAM_NTS);
                roam_sig_primitive(b, ROAM_SIG_I64);
                roam_sig_variant_tuple(b, "Add", ROAM_NTS, 2);
                roam_sig_ref(b, "Expr", ROAM_NTS);
                roam_sig_ref(b, "Expr", ROAM_NTS);
                roam_sig_variant_struct(b, "Neg", ROAM_NTS, 1);
                roam_sig_field(b, "inner", ROAM_NTS);
                roam_sig_ref(b, "Expr", ROAM_NTS);
              }));
  assert_true((roam::signature_bytes<std::tuple<roam::rx<int32_t>, roam::tx<std::string, 4>>,
                                     std::map<std::string, std::set<uint8_t>>>()) ==
              by_hand([](roam_sig_builder *b) {
                roam_sig_tuple(b, 2);
                roam_sig_rx(b);
                roam_sig_primitive(b, ROAM_SIG_I32);
                roam_sig_tx(b);
                roam_sig_primitive(b, ROAM_SIG_STRING);
                roam_sig_map(b);
                roam_sig_primitive(b, ROAM_SIG_STRING);
                roam_sig_set(b);
                roam_sig_primitive(b, ROAM_SIG_U8);
              }));
}

// ---- method ids: the Rust peer's, live --------------------------------------------

void method_ids_match_the_rust_peer(void **) {
  // Two the peer printed once, checked even without it.
  assert_true(Testbed::echo_method::id() == 0x9aabc4ba61fd5df3ull);
  assert_true(Testbed::divide_method::id() == 0xc3964cbee4b1d590ull);
  // The peer CMake found (ROAM_PEER_BINARY), or the one the environment names.
#ifdef ROAM_PEER_BINARY
  const char *peer = ROAM_PEER_BINARY;
#else
  const char *peer = "";
#endif
  if (const char *env = std::getenv("ROAM_PEER_BINARY")) peer = env;
  if (access(peer, X_OK) != 0) {
    std::printf("no Rust peer at '%s' (build roam-interop-peer): live comparison skipped\n", peer);
    skip();
    return;
  }
  std::map<std::string, uint64_t> ours;
  Testbed::for_each_method([&](auto d) { ours[std::string("Testbed.") + decltype(d)::name()] = decltype(d)::id(); });
  std::string cmd = std::string("'") + peer + "' method-ids-testbed";
  FILE *p = popen(cmd.c_str(), "r");
  assert_non_null(p);
  char line[512];
  size_t matched = 0;
  while (std::fgets(line, sizeof line, p) != nullptr) {
    char qualified[256];
    unsigned long long id = 0;
    if (std::sscanf(line, "METHOD %255s 0x%llx", qualified, &id) != 2) continue;
    auto it = ours.find(qualified);
    if (it == ours.end()) continue;  // another service
    if (it->second != id) std::printf("MISMATCH %s: C++ %016llx, Rust %016llx\n", qualified, (unsigned long long)it->second, id);
    assert_true(it->second == id);
    matched++;
  }
  pclose(p);
  std::printf("%zu of %zu Testbed method ids match the Rust peer\n", matched, ours.size());
  assert_int_equal(matched, ours.size());
}

// ---- the Testbed over a pair ---------------------------------------------------------

struct sides {
  roam::runtime rt;
  testbed_impl impl{rt};
  roam::session a, b;
  int handshakes = 0;
  sides() {
    roam::session_handlers client_h, server_h;
    client_h.on_handshake = [this](roam::session_ref, int status, const roam::metadata_view &) {
      if (status == ROAM_OK) handshakes++;
    };
    server_h.on_handshake = client_h.on_handshake;
    server_h.on_serve = roam::serve<Testbed>(impl);
    std::tie(a, b) = roam::session::pair(rt, client_h, server_h);
    assert_true(run_until(rt, [&] { return handshakes == 2; }));
  }
  ~sides() {
    a.close();
    b.close();
    run_until(rt, [&] { return rt.try_free(); });
  }
  // Runs until the callback has set `out`.
  template <class T>
  T wait(std::optional<T> &out) {
    assert_true(run_until(rt, [&] { return out.has_value(); }));
    T v = std::move(*out);
    out.reset();
    return v;
  }
};

template <class R>
using outcome = roam::outcome_t<R>;

void a_typed_testbed_over_a_pair(void **) {
  sides s;
  Testbed::client c{s.a.root()};

  std::optional<outcome<std::string>> text;
  c.echo("hello", [&](outcome<std::string> r) { text = std::move(r); });
  auto echoed = s.wait(text);
  assert_true(echoed.is_ok() && echoed.value() == "hello");
  c.reverse(std::string("abc"), [&](outcome<std::string> r) { text = std::move(r); });
  assert_true(s.wait(text).value() == "cba");

  std::optional<outcome<roam::result<int64_t, MathError>>> q;
  c.divide(int64_t{10}, int64_t{3}, [&](auto r) { q = std::move(r); });
  assert_int_equal(s.wait(q).value(), 3);
  q.reset();
  c.divide(int64_t{1}, int64_t{0}, [&](auto r) { q = std::move(r); });
  auto failed = s.wait(q);
  assert_false(failed.is_ok());
  assert_true(failed.error().is_user());
  assert_true(failed.error().user == MathError::DivisionByZero);

  std::optional<outcome<roam::result<Person, LookupError>>> who;
  c.lookup(1u, [&](auto r) { who = std::move(r); });
  assert_true(s.wait(who).value() == (Person{"Alice", 30, std::string("alice@example.com")}));
  who.reset();
  c.lookup(99u, [&](auto r) { who = std::move(r); });
  assert_true(s.wait(who).error().user == LookupError::NotFound);

  std::optional<outcome<Point>> pt;
  c.echo_point(Point{5, -6}, [&](auto r) { pt = std::move(r); });
  assert_true(s.wait(pt).value() == (Point{5, -6}));

  std::optional<outcome<Person>> person;
  c.create_person("Eve", uint8_t{22}, std::nullopt, [&](auto r) { person = std::move(r); });
  assert_true(s.wait(person).value() == (Person{"Eve", 22, std::nullopt}));

  std::optional<outcome<double>> area;
  c.rectangle_area(Rectangle{{1, 1}, {4, 5}, std::nullopt}, [&](auto r) { area = std::move(r); });
  assert_true(s.wait(area).value() == 12.0);
  area.reset();
  c.shape_area(Shape{Shape::Rectangle{2, 2.5}}, [&](auto r) { area = std::move(r); });
  assert_true(s.wait(area).value() == 5.0);

  std::optional<outcome<std::optional<Color>>> color;
  c.parse_color("green", [&](auto r) { color = std::move(r); });
  assert_true(s.wait(color).value() == Color::Green);
  color.reset();
  c.parse_color("mauve", [&](auto r) { color = std::move(r); });
  assert_false(s.wait(color).value().has_value());

  std::optional<outcome<Canvas>> canvas;
  c.create_canvas("art", std::vector<Shape>{Shape{Shape::Circle{1}}, Shape{Shape::Point{}}}, Color::Blue,
                  [&](auto r) { canvas = std::move(r); });
  Canvas got = s.wait(canvas).value();
  assert_true(got.name == "art" && got.shapes.size() == 2 && got.background == Color::Blue);

  std::optional<outcome<Message>> msg;
  c.process_message(Message{std::string("x")}, [&](auto r) { msg = std::move(r); });
  assert_true(s.wait(msg).value() == Message{std::string("processed: x")});
  msg.reset();
  c.process_message(Message{int64_t{21}}, [&](auto r) { msg = std::move(r); });
  assert_true(s.wait(msg).value() == Message{int64_t{42}});

  std::optional<outcome<std::vector<Point>>> points;
  c.get_points(3u, [&](auto r) { points = std::move(r); });
  assert_true(s.wait(points).value() == (std::vector<Point>{{0, 0}, {1, 2}, {2, 4}}));

  std::optional<outcome<std::tuple<std::string, int32_t>>> swapped;
  c.swap_pair(std::make_tuple(7, std::string("seven")), [&](auto r) { swapped = std::move(r); });
  assert_true(s.wait(swapped).value() == std::make_tuple(std::string("seven"), 7));
}

void typed_channels_both_ways(void **) {
  sides s;
  Testbed::client c{s.a.root()};

  // sum(Rx<i32>): we send, the server adds up and answers when we close.
  auto [numbers_tx, numbers_rx] = roam::make_channel<int32_t>();
  std::optional<outcome<int64_t>> total;
  c.sum(numbers_rx, [&](auto r) { total = std::move(r); });
  for (int32_t i = 1; i <= 10; ++i) numbers_tx.send(i);
  numbers_tx.close();
  assert_int_equal(s.wait(total).value(), 55);

  // generate(u32, Tx<i32>): the server sends, we receive.
  auto [gen_tx, gen_rx] = roam::make_channel<int32_t>();
  std::vector<int32_t> items;
  int end = 1;
  gen_rx.receive([&](int32_t v) { items.push_back(v); }, [&](int reason) { end = reason; });
  std::optional<outcome<roam::unit>> done;
  c.generate(4u, gen_tx, [&](auto r) { done = std::move(r); });
  assert_true(s.wait(done).is_ok());
  assert_true(run_until(s.rt, [&] { return end != 1; }));
  assert_int_equal(end, 0);
  assert_true(items == (std::vector<int32_t>{0, 1, 2, 3}));

  // Items and the end that arrive before receive() are kept for it.
  auto [late_tx, late_rx] = roam::make_channel<int32_t>();
  c.generate(2u, late_tx, [&](auto r) { done = std::move(r); });
  assert_true(s.wait(done).is_ok());
  for (int i = 0; i < 20; ++i) s.rt.run_nowait();
  std::vector<int32_t> late;
  int late_end = 1;
  late_rx.receive([&](int32_t v) { late.push_back(v); }, [&](int reason) { late_end = reason; });
  assert_true(late == (std::vector<int32_t>{0, 1}));
  assert_int_equal(late_end, 0);

  // transform(Rx<String>, Tx<String>): both at once.
  auto [in_tx, in_rx] = roam::make_channel<std::string>();
  auto [out_tx, out_rx] = roam::make_channel<std::string>();
  std::vector<std::string> echoed_back;
  bool out_ended = false;
  out_rx.receive([&](std::string v) { echoed_back.push_back(std::move(v)); }, [&](int) { out_ended = true; });
  done.reset();
  c.transform(in_rx, out_tx, [&](auto r) { done = std::move(r); });
  in_tx.send("abc");
  in_tx.send("Roam");
  in_tx.close();
  assert_true(s.wait(done).is_ok());
  assert_true(run_until(s.rt, [&] { return out_ended; }));
  assert_true(echoed_back == (std::vector<std::string>{"abc", "Roam"}));
}

void unknown_methods_and_bad_arguments(void **) {
  sides s;
  int status = 1;
  s.a.root().call(0xdeadbeef, roam::bytes_view(), [&](const roam::response &r) { status = r.status; });
  assert_true(run_until(s.rt, [&] { return status != 1; }));
  assert_int_equal(status, ROAM_EUNKNOWNMETHOD);
  // echo's (String,) cut short: InvalidPayload.
  status = 1;
  const uint8_t truncated[] = {0x05, 'h'};
  s.a.root().call(Testbed::echo_method::id(), roam::bytes_view(truncated, sizeof truncated),
                  [&](const roam::response &r) { status = r.status; });
  assert_true(run_until(s.rt, [&] { return status != 1; }));
  assert_int_equal(status, ROAM_EINVALIDPAYLOAD);
  // sum without the channel its Rx needs: InvalidPayload too.
  status = 1;
  s.a.root().call(Testbed::sum_method::id(), roam::bytes_view(), [&](const roam::response &r) { status = r.status; });
  assert_true(run_until(s.rt, [&] { return status != 1; }));
  assert_int_equal(status, ROAM_EINVALIDPAYLOAD);
  // A call that cannot be sent throws, and the channel it opened ends.
  auto [tx, rx] = roam::make_channel<int32_t>();
  int ended = 1;
  tx.on_end([&](int reason) { ended = reason; });
  bool threw = false;
  try {
    Local::client{s.a.root()}.upload(rx, std::string("\xff"), [](auto) {});
  } catch (const roam::error &e) {
    threw = true;
    assert_int_equal(e.code().value(), ROAM_EINVAL);  // not UTF-8
  }
  assert_true(threw);
  assert_true(run_until(s.rt, [&] { return ended != 1; }));
  assert_int_equal(ended, 0);
  // roam::call, without the client struct.
  std::optional<outcome<std::string>> r;
  roam::call<Testbed::echo_method>(s.a.root(), std::make_tuple(std::string("direct")),
                                   [&](outcome<std::string> o) { r = std::move(o); });
  assert_true(s.wait(r).value() == "direct");
}

}  // namespace

int main() {
  const CMUnitTest tests[] = {
      cmocka_unit_test(every_type_round_trips),
      cmocka_unit_test(exact_bytes_match_the_c_writer),
      cmocka_unit_test(malformed_input_is_refused),
      cmocka_unit_test(signatures_match_the_builder_by_hand),
      cmocka_unit_test(method_ids_match_the_rust_peer),
      cmocka_unit_test(a_typed_testbed_over_a_pair),
      cmocka_unit_test(typed_channels_both_ways),
      cmocka_unit_test(unknown_methods_and_bad_arguments),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
