// libroam for C++, typed: C++ types as postcard values and roam signatures,
// typed channels, and services declared once (ids, client, server) — on
// roam.hpp, roam_postcard.h and roam_method_id.h only. Header-only.
//
// Types
// -----
//   integers u8..u64 / i8..i64, float, double, bool, char32_t (Rust char),
//   std::string, std::string_view (decoded as a view into the input bytes),
//   std::vector<uint8_t> (bytes), std::vector<T>, std::array<T, N>,
//   std::optional<T>, std::map / std::unordered_map, std::set /
//   std::unordered_set, std::tuple / std::pair, std::unique_ptr<T> (Box<T>),
//   roam::unit (()), roam::result<T, E> (Result: Ok = 0, Err = 1; hashes as
//   unit, as roam 7.3.0 does), roam::tx<T, N> / roam::rx<T, N> (channels),
//   and your own types, declared once next to them (same namespace):
//
//     struct Point { int32_t x; int32_t y; };
//     ROAM_STRUCT(Point, x, y);                     // struct Point { x, y }
//     struct Marker {};
//     ROAM_UNIT_STRUCT(Marker);                     // struct Marker;
//     enum class Color { Red, Green, Blue };
//     ROAM_ENUM(Color, Red, Green, Blue);           // unit variants, in order
//     struct Shape {                                // enum with data
//       struct Circle { double radius; };
//       struct Rectangle { double width; double height; };
//       struct Point {};
//       std::variant<Circle, Rectangle, Point> value;
//     };
//     ROAM_STRUCT(Shape::Circle, radius);
//     ROAM_STRUCT(Shape::Rectangle, width, height);
//     ROAM_UNIT_STRUCT(Shape::Point);
//     ROAM_VARIANT_ENUM(Shape, value, Circle, Rectangle, Point);
//
//   A ROAM_VARIANT_ENUM names the std::variant member and the variants, in
//   the order of its alternatives. The alternative's type gives the kind:
//   a ROAM_UNIT_STRUCT or roam::unit is a unit variant, a ROAM_STRUCT a
//   struct variant, a std::tuple<A, B> a tuple variant `V(A, B)`, anything
//   else a newtype variant `V(T)` (Message::Text(String) is std::string).
//   Recursive types work through std::vector<T> or std::unique_ptr<T>; the
//   signature refers back with roam_sig_ref.
//
//   roam::codec<T>::encode(roam::writer &, const T &) and
//   ::decode(roam::reader &, T &) return 0 or a ROAM_E* code (the writer's
//   and reader's errors are sticky, as in C); roam::signature<T>::append(b)
//   describes T on a roam_sig_builder. roam::encode / roam::decode do a
//   whole value.
//
// Services
// --------
//     ROAM_SERVICE(Testbed,
//       (echo, std::string(std::string)),
//       (divide, roam::result<int64_t, MathError>(int64_t, int64_t)),
//       (sum, int64_t(roam::rx<int32_t>)));
//
//   Each method is (name, Return(Args...)), as the Rust trait spells it
//   (void or roam::unit for `()`). Testbed::echo_method::id() is its method
//   id (args tuple then return type, hashed by roam_method_id).
//   Calling:  Testbed::client c{conn};
//             c.echo("hi", [](roam::result<std::string, roam::call_error<>> r) {...});
//             (the arguments, then a callback taking roam::outcome_t<Return>:
//             result<T, call_error<E>> for Return = result<T, E>, else
//             result<Return, call_error<>>). Throws roam::error if the call
//             cannot be sent.
//   Serving:  handlers.on_serve = roam::serve<Testbed>(impl);
//             impl has one member per method, either synchronous
//               std::string echo(std::string s) { return s; }
//             or answering later through a roam::reply<Return> first:
//               void sum(roam::reply<int64_t> r, roam::rx<int32_t> in) {...}
//             An unknown method is answered UnknownMethod, arguments that do
//             not decode InvalidPayload. impl must outlive the session.
//   Channels: auto [tx, rx] = roam::make_channel<int32_t>();
//             c.sum(rx, cb); tx.send(1); tx.close();    // we send
//             auto [tx, rx] = roam::make_channel<int32_t>();
//             rx.receive(on_item, on_end); c.generate(3u, tx, cb);  // we receive
//             The end passed in the call is opened on the connection when
//             the call is made (its id goes in the call's channel list); the
//             server's ends are bound when its arguments are decoded. Items
//             that arrive before receive() is given are kept for it. N is the
//             channel's initial credit (0 or 16 by default).
//   Also:     roam::call<Testbed::echo_method>(conn, std::make_tuple(...), cb)
//             without the client; reply<R>::reply_fail(code) for
//             Cancelled and the like.
//
// Limits: at most 32 fields per ROAM_STRUCT, variants per enum, methods per
// service. The ROAM_* macros go in the namespace of the type (their
// functions are found by argument-dependent lookup). tx::send says
// ROAM_EAGAIN once libroam's queue is full; there is no typed writable
// callback yet. If a call throws after its arguments opened channels, those
// are reset / closed again (their ends report it).
#ifndef ROAM_CXX_ROAM_TYPED_HPP
#define ROAM_CXX_ROAM_TYPED_HPP

#include <roam/roam_method_id.h>
#include <roam/roam_postcard.h>

#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "roam.hpp"

namespace roam {

// ==== Value types ================================================================

// (), a unit struct: zero bytes.
struct unit {
  friend bool operator==(unit, unit) { return true; }
  friend bool operator!=(unit, unit) { return false; }
};

template <class T>
struct ok_value {
  T value;
};
template <class E>
struct err_value {
  E error;
};
template <class T>
ok_value<std::decay_t<T>> ok(T &&v) {
  return {std::forward<T>(v)};
}
template <class E>
err_value<std::decay_t<E>> err(E &&e) {
  return {std::forward<E>(e)};
}

// Result<T, E>: `return roam::ok(v);` / `return roam::err(e);`.
template <class T, class E>
class result {
 public:
  result() = default;  // Ok(T{})
  template <class U>
  result(ok_value<U> v) : v_(std::in_place_index<0>, std::move(v.value)) {}
  template <class U>
  result(err_value<U> e) : v_(std::in_place_index<1>, std::move(e.error)) {}
  bool is_ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return is_ok(); }
  T &value() { return std::get<0>(v_); }
  const T &value() const { return std::get<0>(v_); }
  E &error() { return std::get<1>(v_); }
  const E &error() const { return std::get<1>(v_); }
  friend bool operator==(const result &a, const result &b) { return a.v_ == b.v_; }
  friend bool operator!=(const result &a, const result &b) { return !(a == b); }

 private:
  std::variant<T, E> v_;
};

// Why a typed call failed: code is a ROAM_E* code; for ROAM_EUSER, user is
// the method's own error (E of its result<T, E>).
template <class E = unit>
struct call_error {
  int code = 0;
  E user{};
  bool is_user() const noexcept { return code == ROAM_EUSER; }
};

namespace detail {
// What channel arguments need while a call's arguments are encoded (client)
// or decoded (server): the connection and the call's channel ids.
struct call_ctx {
  conn_ref conn;
  std::vector<uint64_t> channels;
  bool serving = false;
  size_t next = 0;  // serving: the next channel id to take
};
}  // namespace detail

// A postcard writer (growing, freed with the object) for codec<T>::encode.
class writer {
 public:
  writer() noexcept { roam_postcard_writer_init_growing(&w_, sizeof w_); }
  ~writer() { roam_postcard_writer_free(&w_); }
  writer(const writer &) = delete;
  writer &operator=(const writer &) = delete;
  roam_postcard_writer *c() noexcept { return &w_; }
  int error() const noexcept { return w_.error; }
  // 0 with the bytes written so far in *out, or the first error.
  int finish(bytes_view *out) const noexcept {
    size_t len = 0;
    int rc = roam_postcard_writer_finish(&w_, &len);
    *out = rc == ROAM_OK ? bytes_view(w_.buf, len) : bytes_view();
    return rc;
  }
  detail::call_ctx *ctx = nullptr;  // set while encoding a call's arguments

 private:
  roam_postcard_writer w_;
};

// A postcard reader over bytes (views into them stay valid as they do).
class reader {
 public:
  explicit reader(bytes_view b) noexcept { roam_postcard_reader_init(&r_, sizeof r_, b.data, b.size); }
  roam_postcard_reader *c() noexcept { return &r_; }
  int error() const noexcept { return r_.error; }
  // 0 if everything read was well-formed and nothing is left over.
  int finish() const noexcept { return roam_postcard_reader_finish(&r_); }
  detail::call_ctx *ctx = nullptr;  // set while decoding a served call's arguments

 private:
  roam_postcard_reader r_;
};

// The postcard codec of T (specialized below); encode / decode return 0 or
// a ROAM_E* code. min_size (if given) is the fewest bytes one T takes.
template <class T, class = void>
struct codec;
// Appends T's description to a roam_sig_builder: 0 or a ROAM_E* code.
template <class T, class = void>
struct signature;

namespace detail {
template <class T, class = void>
struct min_size : std::integral_constant<size_t, 1> {};
template <class T>
struct min_size<T, std::void_t<decltype(codec<T>::min_size)>>
    : std::integral_constant<size_t, codec<T>::min_size> {};
template <class T>
constexpr size_t min_size_v = min_size<T>::value;

// A node's header (its rc), then its element type T.
template <class T>
int then_append(roam_sig_builder *b, int rc) {
  return rc ? rc : signature<T>::append(b);
}

// Runs steps until one fails.
template <class... F>
int first_error(F &&...steps) {
  int rc = 0;
  ((rc = rc ? rc : steps()), ...);
  return rc;
}

template <class M>
struct member_type;
template <class C, class F>
struct member_type<F C::*> {
  using type = F;
};

// The kinds of declared types, found by argument-dependent lookup of what
// the ROAM_* macros define next to them.
template <class T>
using struct_probe = decltype(roam_field_count(static_cast<const T *>(nullptr)));
template <class T>
using enum_probe = decltype(roam_enum_variants(static_cast<const T *>(nullptr), nullptr));
template <class T>
using variant_probe = decltype(roam_variant_names(static_cast<const T *>(nullptr)));
template <template <class> class Probe, class T, class = void>
struct detected : std::false_type {};
template <template <class> class Probe, class T>
struct detected<Probe, T, std::void_t<Probe<T>>> : std::true_type {};
template <class T>
constexpr bool is_struct_v = detected<struct_probe, T>::value;
template <class T>
constexpr bool is_enum_v = detected<enum_probe, T>::value;
template <class T>
constexpr bool is_variant_enum_v = detected<variant_probe, T>::value;
template <class T>
constexpr size_t field_count() {
  return roam_field_count(static_cast<const T *>(nullptr));
}
template <class T>
constexpr bool is_unit_like() {
  if constexpr (std::is_same_v<T, unit>) {
    return true;
  } else if constexpr (is_struct_v<T>) {
    return field_count<T>() == 0;
  } else {
    return false;
  }
}

// The type names being described, innermost last: a type met again inside
// itself is a back-reference (roam_sig_ref).
inline std::vector<const char *> &sig_stack() {
  static thread_local std::vector<const char *> names;
  return names;
}
template <class F>
int describe_named(roam_sig_builder *b, const char *name, F &&body) {
  auto &names = sig_stack();
  for (const char *n : names) {
    if (std::strcmp(n, name) == 0) return roam_sig_ref(b, name, ROAM_NTS);
  }
  names.push_back(name);
  int rc = body();
  names.pop_back();
  return rc;
}
}  // namespace detail

// ---- primitives -----------------------------------------------------------------

#define ROAM_DETAIL_PRIMITIVE(T, C, fn, tag)                                          \
  template <>                                                                         \
  struct codec<T> {                                                                   \
    static int encode(writer &w, const T &v) { return roam_postcard_write_##fn(w.c(), v); } \
    static int decode(reader &r, T &v) {                                              \
      C c{};                                                                          \
      int rc = roam_postcard_read_##fn(r.c(), &c);                                    \
      v = static_cast<T>(c);                                                          \
      return rc;                                                                      \
    }                                                                                 \
  };                                                                                  \
  template <>                                                                         \
  struct signature<T> {                                                               \
    static int append(roam_sig_builder *b) { return roam_sig_primitive(b, ROAM_SIG_##tag); } \
  };
ROAM_DETAIL_PRIMITIVE(bool, int, bool, BOOL)
ROAM_DETAIL_PRIMITIVE(uint8_t, uint8_t, u8, U8)
ROAM_DETAIL_PRIMITIVE(uint16_t, uint16_t, u16, U16)
ROAM_DETAIL_PRIMITIVE(uint32_t, uint32_t, u32, U32)
ROAM_DETAIL_PRIMITIVE(uint64_t, uint64_t, u64, U64)
ROAM_DETAIL_PRIMITIVE(int8_t, int8_t, i8, I8)
ROAM_DETAIL_PRIMITIVE(int16_t, int16_t, i16, I16)
ROAM_DETAIL_PRIMITIVE(int32_t, int32_t, i32, I32)
ROAM_DETAIL_PRIMITIVE(int64_t, int64_t, i64, I64)
ROAM_DETAIL_PRIMITIVE(float, float, f32, F32)
ROAM_DETAIL_PRIMITIVE(double, double, f64, F64)
ROAM_DETAIL_PRIMITIVE(char32_t, uint32_t, char, CHAR)
#undef ROAM_DETAIL_PRIMITIVE

template <>
struct codec<unit> {
  static constexpr size_t min_size = 0;
  static int encode(writer &w, const unit &) { return w.error(); }
  static int decode(reader &r, unit &) { return r.error(); }
};
template <>
struct signature<unit> {
  static int append(roam_sig_builder *b) { return roam_sig_primitive(b, ROAM_SIG_UNIT); }
};

namespace detail {
template <class S>
struct str_codec {
  static int encode(writer &w, const S &v) { return roam_postcard_write_str(w.c(), v.data(), v.size()); }
  static int decode(reader &r, S &v) {
    const char *s = nullptr;
    size_t n = 0;
    int rc = roam_postcard_read_str(r.c(), &s, &n);
    v = S(s ? s : "", n);
    return rc;
  }
};
}  // namespace detail
template <>
struct codec<std::string> : detail::str_codec<std::string> {};
// Decoded as a view into the input: valid as long as those bytes are (a
// served call's arguments: during a synchronous handler).
template <>
struct codec<std::string_view> : detail::str_codec<std::string_view> {};
template <>
struct signature<std::string> {
  static int append(roam_sig_builder *b) { return roam_sig_primitive(b, ROAM_SIG_STRING); }
};
template <>
struct signature<std::string_view> : signature<std::string> {};

template <>
struct codec<std::vector<uint8_t>> {
  static int encode(writer &w, const std::vector<uint8_t> &v) {
    return roam_postcard_write_bytes(w.c(), v.data(), v.size());
  }
  static int decode(reader &r, std::vector<uint8_t> &v) {
    const uint8_t *p = nullptr;
    size_t n = 0;
    int rc = roam_postcard_read_bytes(r.c(), &p, &n);
    v.assign(p, p + n);
    return rc;
  }
};
template <>
struct signature<std::vector<uint8_t>> {
  static int append(roam_sig_builder *b) { return roam_sig_primitive(b, ROAM_SIG_BYTES); }
};

// ---- containers -------------------------------------------------------------------

namespace detail {
// Vec<T> and sets: a count, then the elements.
template <class C, class T>
struct seq_codec {
  static int encode(writer &w, const C &v) {
    int rc = roam_postcard_write_len(w.c(), v.size());
    for (const auto &x : v) {
      if (rc) break;
      rc = codec<T>::encode(w, x);
    }
    return rc;
  }
  template <class Add>
  static int decode_with(reader &r, Add &&add) {
    uint64_t n = 0;
    int rc = roam_postcard_read_len(r.c(), min_size_v<T>, &n);
    for (uint64_t i = 0; rc == ROAM_OK && i < n; ++i) {
      T x{};
      rc = codec<T>::decode(r, x);
      if (rc == ROAM_OK) add(std::move(x));
    }
    return rc;
  }
};
template <class C, class K, class V>
struct map_codec {
  static int encode(writer &w, const C &m) {
    int rc = roam_postcard_write_len(w.c(), m.size());
    for (const auto &kv : m) {
      if (rc) break;
      rc = first_error([&] { return codec<K>::encode(w, kv.first); },
                       [&] { return codec<V>::encode(w, kv.second); });
    }
    return rc;
  }
  static int decode(reader &r, C &m) {
    uint64_t n = 0;
    m.clear();
    int rc = roam_postcard_read_len(r.c(), min_size_v<K> + min_size_v<V>, &n);
    for (uint64_t i = 0; rc == ROAM_OK && i < n; ++i) {
      K k{};
      V v{};
      rc = first_error([&] { return codec<K>::decode(r, k); }, [&] { return codec<V>::decode(r, v); });
      if (rc == ROAM_OK) m.emplace(std::move(k), std::move(v));
    }
    return rc;
  }
};
template <class K, class V>
struct map_signature {
  static int append(roam_sig_builder *b) {
    return first_error([&] { return roam_sig_map(b); }, [&] { return signature<K>::append(b); },
                       [&] { return signature<V>::append(b); });
  }
};
template <class C, class T>
struct set_codec {
  static int encode(writer &w, const C &v) { return seq_codec<C, T>::encode(w, v); }
  static int decode(reader &r, C &v) {
    v.clear();
    return seq_codec<C, T>::decode_with(r, [&](T &&x) { v.insert(std::move(x)); });
  }
};
template <class T>
struct set_signature {
  static int append(roam_sig_builder *b) {
    return then_append<T>(b, roam_sig_set(b));
  }
};
// Tuples and pairs: the elements in order, nothing else.
template <class Tup, class = std::make_index_sequence<std::tuple_size<Tup>::value>>
struct tuple_codec;
template <class Tup, size_t... I>
struct tuple_codec<Tup, std::index_sequence<I...>> {
  static constexpr size_t min_size = (size_t{0} + ... + min_size_v<std::tuple_element_t<I, Tup>>);
  static int encode(writer &w, const Tup &t) {
    return first_error([&] { return codec<std::tuple_element_t<I, Tup>>::encode(w, std::get<I>(t)); }...,
                       [&] { return w.error(); });
  }
  static int decode(reader &r, Tup &t) {
    return first_error([&] { return codec<std::tuple_element_t<I, Tup>>::decode(r, std::get<I>(t)); }...,
                       [&] { return r.error(); });
  }
};
template <class... T>
int append_all(roam_sig_builder *b) {
  return first_error([&] { return signature<T>::append(b); }..., [] { return 0; });
}
}  // namespace detail

template <class T, class A>
struct codec<std::vector<T, A>> {
  static int encode(writer &w, const std::vector<T, A> &v) {
    return detail::seq_codec<std::vector<T, A>, T>::encode(w, v);
  }
  static int decode(reader &r, std::vector<T, A> &v) {
    v.clear();
    return detail::seq_codec<std::vector<T, A>, T>::decode_with(r, [&](T &&x) { v.push_back(std::move(x)); });
  }
};
template <class T, class A>
struct signature<std::vector<T, A>> {
  static int append(roam_sig_builder *b) {
    return detail::then_append<T>(b, roam_sig_list(b));
  }
};

template <class T, size_t N>
struct codec<std::array<T, N>> {
  static constexpr size_t min_size = N * detail::min_size_v<T>;
  static int encode(writer &w, const std::array<T, N> &v) {
    int rc = w.error();
    for (size_t i = 0; rc == ROAM_OK && i < N; ++i) rc = codec<T>::encode(w, v[i]);
    return rc;
  }
  static int decode(reader &r, std::array<T, N> &v) {
    int rc = r.error();
    for (size_t i = 0; rc == ROAM_OK && i < N; ++i) rc = codec<T>::decode(r, v[i]);
    return rc;
  }
};
template <class T, size_t N>
struct signature<std::array<T, N>> {
  static int append(roam_sig_builder *b) {
    return detail::then_append<T>(b, roam_sig_array(b, N));
  }
};

template <class T>
struct codec<std::optional<T>> {
  static int encode(writer &w, const std::optional<T> &v) {
    int rc = roam_postcard_write_option(w.c(), v.has_value());
    return rc == ROAM_OK && v ? codec<T>::encode(w, *v) : rc;
  }
  static int decode(reader &r, std::optional<T> &v) {
    int some = 0;
    v.reset();
    int rc = roam_postcard_read_option(r.c(), &some);
    return rc == ROAM_OK && some ? codec<T>::decode(r, v.emplace()) : rc;
  }
};
template <class T>
struct signature<std::optional<T>> {
  static int append(roam_sig_builder *b) {
    return detail::then_append<T>(b, roam_sig_option(b));
  }
};

// Box<T>: just T (a null pointer cannot be encoded: ROAM_EINVAL).
template <class T>
struct codec<std::unique_ptr<T>> {
  static constexpr size_t min_size = 0;
  static int encode(writer &w, const std::unique_ptr<T> &v) {
    return v ? codec<T>::encode(w, *v) : ROAM_EINVAL;
  }
  static int decode(reader &r, std::unique_ptr<T> &v) {
    v = std::make_unique<T>();
    return codec<T>::decode(r, *v);
  }
};
template <class T>
struct signature<std::unique_ptr<T>> : signature<T> {};

template <class K, class V, class... R>
struct codec<std::map<K, V, R...>> : detail::map_codec<std::map<K, V, R...>, K, V> {};
template <class K, class V, class... R>
struct signature<std::map<K, V, R...>> : detail::map_signature<K, V> {};
template <class K, class V, class... R>
struct codec<std::unordered_map<K, V, R...>> : detail::map_codec<std::unordered_map<K, V, R...>, K, V> {};
template <class K, class V, class... R>
struct signature<std::unordered_map<K, V, R...>> : detail::map_signature<K, V> {};
template <class T, class... R>
struct codec<std::set<T, R...>> : detail::set_codec<std::set<T, R...>, T> {};
template <class T, class... R>
struct signature<std::set<T, R...>> : detail::set_signature<T> {};
template <class T, class... R>
struct codec<std::unordered_set<T, R...>> : detail::set_codec<std::unordered_set<T, R...>, T> {};
template <class T, class... R>
struct signature<std::unordered_set<T, R...>> : detail::set_signature<T> {};

template <class... T>
struct codec<std::tuple<T...>> : detail::tuple_codec<std::tuple<T...>> {};
template <class A, class B>
struct codec<std::pair<A, B>> : detail::tuple_codec<std::pair<A, B>> {};
// () is unit; (A, B, ...) a tuple.
template <class... T>
struct signature<std::tuple<T...>> {
  static int append(roam_sig_builder *b) {
    if constexpr (sizeof...(T) == 0) {
      return roam_sig_primitive(b, ROAM_SIG_UNIT);
    } else {
      return detail::first_error([&] { return roam_sig_tuple(b, sizeof...(T)); },
                                 [&] { return detail::append_all<T...>(b); });
    }
  }
};
template <class A, class B>
struct signature<std::pair<A, B>> : signature<std::tuple<A, B>> {};

// Result<T, E>: variant 0 (Ok) with T or 1 (Err) with E. Its signature is
// unit: roam-hash 7.3.0 has no case for Result, so T and E are not hashed.
template <class T, class E>
struct codec<result<T, E>> {
  static int encode(writer &w, const result<T, E> &v) {
    int rc = roam_postcard_write_variant(w.c(), v.is_ok() ? 0 : 1);
    if (rc) return rc;
    return v.is_ok() ? codec<T>::encode(w, v.value()) : codec<E>::encode(w, v.error());
  }
  static int decode(reader &r, result<T, E> &v) {
    uint32_t index = 0;
    int rc = roam_postcard_read_variant(r.c(), 2, &index);
    if (rc) return rc;
    if (index == 0) {
      T t{};
      rc = codec<T>::decode(r, t);
      v = ok(std::move(t));
    } else {
      E e{};
      rc = codec<E>::decode(r, e);
      v = err(std::move(e));
    }
    return rc;
  }
};
template <class T, class E>
struct signature<result<T, E>> : signature<unit> {};

// ---- declared structs and enums ---------------------------------------------------

namespace detail {
template <class T>
int append_fields(roam_sig_builder *b) {
  int rc = 0;
  roam_visit_fields(static_cast<const T *>(nullptr), [&](const char *name, auto member) {
    using M = typename member_type<decltype(member)>::type;
    if (rc == ROAM_OK) rc = roam_sig_field(b, name, ROAM_NTS);
    if (rc == ROAM_OK) rc = signature<M>::append(b);
  });
  return rc;
}
// One variant of a data enum, its kind from its C++ type.
template <class T>
struct is_tuple : std::false_type {};
template <class... T>
struct is_tuple<std::tuple<T...>> : std::true_type {};
template <class... T>
int append_tuple_variant(roam_sig_builder *b, const char *name, std::tuple<T...> *) {
  return first_error([&] { return roam_sig_variant_tuple(b, name, ROAM_NTS, sizeof...(T)); },
                     [&] { return append_all<T...>(b); });
}
template <class A>
int append_variant(roam_sig_builder *b, const char *name) {
  if constexpr (is_unit_like<A>()) {
    return roam_sig_variant_unit(b, name, ROAM_NTS);
  } else if constexpr (is_struct_v<A>) {
    return first_error([&] { return roam_sig_variant_struct(b, name, ROAM_NTS, field_count<A>()); },
                       [&] { return append_fields<A>(b); });
  } else if constexpr (is_tuple<A>::value) {
    return append_tuple_variant(b, name, static_cast<A *>(nullptr));
  } else {
    return then_append<A>(b, roam_sig_variant_newtype(b, name, ROAM_NTS));
  }
}
template <class V, class F, size_t... I>
void emplace_at(V &v, size_t index, F &&fn, std::index_sequence<I...>) {
  ((index == I ? (void)fn(v.template emplace<I>()) : (void)0), ...);
}
}  // namespace detail

// ROAM_STRUCT / ROAM_UNIT_STRUCT types: the fields in order.
template <class T>
struct codec<T, std::enable_if_t<detail::is_struct_v<T>>> {
  static constexpr size_t min_size = 0;  // fields may all be empty
  static int encode(writer &w, const T &v) {
    int rc = w.error();
    roam_visit_fields(static_cast<const T *>(nullptr), [&](const char *, auto member) {
      using M = typename detail::member_type<decltype(member)>::type;
      if (rc == ROAM_OK) rc = codec<M>::encode(w, v.*member);
    });
    return rc;
  }
  static int decode(reader &r, T &v) {
    int rc = r.error();
    roam_visit_fields(static_cast<const T *>(nullptr), [&](const char *, auto member) {
      using M = typename detail::member_type<decltype(member)>::type;
      if (rc == ROAM_OK) rc = codec<M>::decode(r, v.*member);
    });
    return rc;
  }
};
template <class T>
struct signature<T, std::enable_if_t<detail::is_struct_v<T>>> {
  static int append(roam_sig_builder *b) {
    if constexpr (detail::field_count<T>() == 0) {
      return roam_sig_primitive(b, ROAM_SIG_UNIT);  // a unit struct
    } else {
      const char *name = roam_type_name(static_cast<const T *>(nullptr));
      return detail::describe_named(b, name, [&] {
        return detail::first_error([&] { return roam_sig_struct(b, name, ROAM_NTS, detail::field_count<T>()); },
                                   [&] { return detail::append_fields<T>(b); });
      });
    }
  }
};

// ROAM_ENUM types: the variant index (a value not declared is ROAM_EINVAL).
template <class T>
struct codec<T, std::enable_if_t<detail::is_enum_v<T>>> {
  static int encode(writer &w, const T &v) {
    size_t n = 0;
    const auto *vars = roam_enum_variants(static_cast<const T *>(nullptr), &n);
    for (size_t i = 0; i < n; ++i) {
      if (vars[i].second == v) return roam_postcard_write_variant(w.c(), static_cast<uint32_t>(i));
    }
    return ROAM_EINVAL;
  }
  static int decode(reader &r, T &v) {
    size_t n = 0;
    const auto *vars = roam_enum_variants(static_cast<const T *>(nullptr), &n);
    uint32_t index = 0;
    int rc = roam_postcard_read_variant(r.c(), static_cast<uint32_t>(n), &index);
    if (rc == ROAM_OK) v = vars[index].second;
    return rc;
  }
};
template <class T>
struct signature<T, std::enable_if_t<detail::is_enum_v<T>>> {
  static int append(roam_sig_builder *b) {
    const char *name = roam_type_name(static_cast<const T *>(nullptr));
    return detail::describe_named(b, name, [&] {
      size_t n = 0;
      const auto *vars = roam_enum_variants(static_cast<const T *>(nullptr), &n);
      int rc = roam_sig_enum(b, name, ROAM_NTS, n);
      for (size_t i = 0; rc == ROAM_OK && i < n; ++i) rc = roam_sig_variant_unit(b, vars[i].first, ROAM_NTS);
      return rc;
    });
  }
};

// ROAM_VARIANT_ENUM types: the variant index, then the alternative.
template <class T>
struct codec<T, std::enable_if_t<detail::is_variant_enum_v<T>>> {
  using variant = std::decay_t<decltype(roam_variant_of(std::declval<T &>()))>;
  static constexpr size_t count = std::variant_size_v<variant>;
  static int encode(writer &w, const T &v) {
    const variant &var = roam_variant_of(v);
    if (var.valueless_by_exception()) return ROAM_EINVAL;
    int rc = roam_postcard_write_variant(w.c(), static_cast<uint32_t>(var.index()));
    if (rc) return rc;
    return std::visit([&](const auto &a) { return codec<std::decay_t<decltype(a)>>::encode(w, a); }, var);
  }
  static int decode(reader &r, T &v) {
    uint32_t index = 0;
    int rc = roam_postcard_read_variant(r.c(), static_cast<uint32_t>(count), &index);
    if (rc) return rc;
    detail::emplace_at(
        roam_variant_of(v), index,
        [&](auto &a) { rc = codec<std::decay_t<decltype(a)>>::decode(r, a); },
        std::make_index_sequence<count>());
    return rc;
  }
};
template <class T>
struct signature<T, std::enable_if_t<detail::is_variant_enum_v<T>>> {
  using variant = typename codec<T>::variant;
  template <size_t... I>
  static int variants(roam_sig_builder *b, const char *const *names, std::index_sequence<I...>) {
    return detail::first_error(
        [&] { return detail::append_variant<std::variant_alternative_t<I, variant>>(b, names[I]); }...,
        [] { return 0; });
  }
  static int append(roam_sig_builder *b) {
    const char *name = roam_type_name(static_cast<const T *>(nullptr));
    const char *const *names = roam_variant_names(static_cast<const T *>(nullptr));
    constexpr size_t n = std::variant_size_v<variant>;
    return detail::describe_named(b, name, [&] {
      return detail::first_error([&] { return roam_sig_enum(b, name, ROAM_NTS, n); },
                                 [&] { return variants(b, names, std::make_index_sequence<n>()); });
    });
  }
};

// ---- the declaring macros (use them in the type's namespace, then a `;`) ---------

#define ROAM_DETAIL_ID(...) __VA_ARGS__
#define ROAM_DETAIL_CAT(a, b) ROAM_DETAIL_CAT_I(a, b)
#define ROAM_DETAIL_CAT_I(a, b) a##b
#define ROAM_DETAIL_FOREACH(M, d, ...) \
  ROAM_DETAIL_CAT(ROAM_DETAIL_FE_, ROAM_DETAIL_NARGS(__VA_ARGS__))(M, d, __VA_ARGS__)
#define ROAM_DETAIL_NARGS(...) ROAM_DETAIL_NARGS_I(__VA_ARGS__, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define ROAM_DETAIL_NARGS_I(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, n, ...) n
#define ROAM_DETAIL_FE_1(M, d, x) M(d, x)
#define ROAM_DETAIL_FE_2(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_1(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_3(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_2(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_4(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_3(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_5(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_4(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_6(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_5(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_7(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_6(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_8(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_7(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_9(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_8(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_10(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_9(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_11(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_10(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_12(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_11(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_13(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_12(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_14(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_13(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_15(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_14(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_16(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_15(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_17(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_16(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_18(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_17(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_19(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_18(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_20(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_19(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_21(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_20(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_22(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_21(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_23(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_22(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_24(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_23(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_25(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_24(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_26(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_25(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_27(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_26(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_28(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_27(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_29(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_28(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_30(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_29(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_31(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_30(M, d, __VA_ARGS__)
#define ROAM_DETAIL_FE_32(M, d, x, ...) M(d, x) ROAM_DETAIL_FE_31(M, d, __VA_ARGS__)

#define ROAM_DETAIL_FIELD(T, f) fn(#f, &T::f);
#define ROAM_DETAIL_NAME(T, v) #v,
#define ROAM_DETAIL_ENUMERATOR(T, v) {#v, T::v},

// struct T { fields... }, the fields named in their declaration order.
#define ROAM_STRUCT(T, ...)                                                        \
  constexpr const char *roam_type_name(const T *) { return #T; }                   \
  constexpr std::size_t roam_field_count(const T *) {                              \
    return ROAM_DETAIL_NARGS(__VA_ARGS__);                                         \
  }                                                                                \
  template <class F>                                                               \
  void roam_visit_fields(const T *, F &&fn) {                                      \
    ROAM_DETAIL_FOREACH(ROAM_DETAIL_FIELD, T, __VA_ARGS__)                         \
  }                                                                                \
  static_assert(true, "")
// struct T; (no fields: zero bytes, hashed as unit; a unit variant in a
// ROAM_VARIANT_ENUM)
#define ROAM_UNIT_STRUCT(T)                                        \
  constexpr const char *roam_type_name(const T *) { return #T; }   \
  constexpr std::size_t roam_field_count(const T *) { return 0; }  \
  template <class F>                                               \
  void roam_visit_fields(const T *, F &&) {}                       \
  static_assert(true, "")
// enum T { variants... } with unit variants only, for a C++ enum: every
// enumerator named, in the Rust declaration order.
#define ROAM_ENUM(T, ...)                                                                   \
  constexpr const char *roam_type_name(const T *) { return #T; }                            \
  inline const std::pair<const char *, T> *roam_enum_variants(const T *, std::size_t *n) { \
    static const std::pair<const char *, T> variants[] = {                                  \
        ROAM_DETAIL_FOREACH(ROAM_DETAIL_ENUMERATOR, T, __VA_ARGS__)};                       \
    if (n) *n = sizeof variants / sizeof variants[0];                                       \
    return variants;                                                                        \
  }                                                                                         \
  static_assert(true, "")
// enum T with data: `member` is a std::variant, its alternatives the
// variants, named here in order.
#define ROAM_VARIANT_ENUM(T, member, ...)                                                  \
  constexpr const char *roam_type_name(const T *) { return #T; }                           \
  inline const char *const *roam_variant_names(const T *) {                                \
    static const char *const names[] = {ROAM_DETAIL_FOREACH(ROAM_DETAIL_NAME, T, __VA_ARGS__)}; \
    static_assert(sizeof names / sizeof names[0] ==                                        \
                      std::variant_size_v<decltype(std::declval<T &>().member)>,           \
                  "name every alternative of " #T "::" #member);                            \
    return names;                                                                          \
  }                                                                                        \
  inline auto &roam_variant_of(T &v) { return v.member; }                                  \
  inline const auto &roam_variant_of(const T &v) { return v.member; }                      \
  static_assert(true, "")

// ==== Whole values =================================================================

// T as postcard bytes, appended to out: 0 or a ROAM_E* code.
template <class T>
int encode(const T &v, std::vector<uint8_t> &out) {
  writer w;
  bytes_view b;
  int rc = codec<T>::encode(w, v);
  if (rc == ROAM_OK) rc = w.finish(&b);
  if (rc == ROAM_OK) out.insert(out.end(), b.data, b.data + b.size);
  return rc;
}
// One whole T from bytes (ROAM_ETRAILING if bytes are left over).
template <class T>
int decode(bytes_view bytes, T &v) {
  reader r(bytes);
  int rc = codec<T>::decode(r, v);
  return rc ? rc : r.finish();
}
// The roam signature of T, then U... (a method: its args tuple, then its
// return type), as roam_sig_finish gives it. Throws roam::error.
template <class... T>
std::vector<uint8_t> signature_bytes() {
  detail::c_owner<roam_sig_builder, roam_sig_builder_free> b;
  detail::check(roam_sig_builder_new(b.out()), "roam_sig_builder_new");
  detail::check(detail::append_all<T...>(b.get()), "roam::signature");
  const uint8_t *sig = nullptr;
  size_t len = 0;
  detail::check(roam_sig_finish(b.get(), &sig, &len), "roam_sig_finish");
  return {sig, sig + len};
}

// ==== Channels =====================================================================

namespace detail {
// What both ends of a typed channel share: the channel once it is open or
// bound, and the receiving side's handlers (items kept until they are set).
template <class T>
struct chan_state {
  channel ch;
  bool attached = false;
  bool ended = false;
  bool end_delivered = false;
  int end_reason = 0;
  std::vector<T> pending;
  std::function<void(T)> on_item;
  std::function<void(int)> on_end;

  void item(bytes_view b) {
    if (ended) return;
    T v{};
    int rc = roam::decode(b, v);
    if (rc != ROAM_OK) {  // an item that does not decode ends the channel
      std::error_code ec;
      ch.reset(ec);
      end(rc);
      return;
    }
    if (on_item) {
      on_item(std::move(v));
    } else {
      pending.push_back(std::move(v));
    }
  }
  void end(int reason) {
    if (ended) return;
    ended = true;
    end_reason = reason;
    deliver_end();
  }
  // The end goes out once, after every item kept for on_item.
  void deliver_end() {
    if (ended && !end_delivered && on_end && pending.empty()) {
      end_delivered = true;
      on_end(end_reason);
    }
  }
  void set(std::function<void(T)> item_fn, std::function<void(int)> end_fn) {
    on_item = std::move(item_fn);
    on_end = std::move(end_fn);
    std::vector<T> items = std::move(pending);
    pending.clear();
    for (auto &x : items) {
      if (on_item) on_item(std::move(x));
    }
    deliver_end();
  }
};

// Opens (calling) or binds (serving) the channel of one Tx/Rx argument.
// `direction` is ours.
template <class T>
int attach(call_ctx *ctx, const std::shared_ptr<chan_state<T>> &st, int direction, uint32_t credit) {
  if (ctx == nullptr) return ROAM_ESTATE;  // channels travel only in calls
  if (st->attached) return ROAM_ESTATE;    // each end goes in one call
  std::function<void(bytes_view)> on_item;
  if (direction == ROAM_CHANNEL_RECEIVE) on_item = [st](bytes_view b) { st->item(b); };
  auto on_end = [st](int reason) { st->end(reason); };
  try {
    if (ctx->serving) {
      if (ctx->next >= ctx->channels.size()) return ROAM_EINVALIDPAYLOAD;
      st->ch = ctx->conn.bind_channel(ctx->channels[ctx->next++], direction, credit, on_item, on_end);
    } else {
      st->ch = ctx->conn.open_channel(direction, credit, on_item, on_end);
      ctx->channels.push_back(st->ch.id());
    }
  } catch (const error &e) {
    return e.code().value();
  }
  st->attached = true;
  return ROAM_OK;
}
}  // namespace detail

// The sending end of a channel of T with credit N (Rust's Tx<T, N>).
template <class T, uint32_t N = ROAM_DEFAULT_CHANNEL_CREDIT>
class tx {
 public:
  tx() : st_(std::make_shared<detail::chan_state<T>>()) {}
  uint64_t id() const noexcept { return st_->ch.id(); }
  // ROAM_ESTATE before the channel is open (it opens with its call),
  // ROAM_EAGAIN when its queue is full.
  bool send(std::error_code &ec, const T &v) const {
    if (!st_->attached) {
      ec = make_error_code(ROAM_ESTATE);
      return false;
    }
    writer w;
    bytes_view b;
    int rc = codec<T>::encode(w, v);
    if (rc == ROAM_OK) rc = w.finish(&b);
    if (!detail::check(rc, ec)) return false;
    return st_->ch.send(ec, b);
  }
  void send(const T &v) const {
    std::error_code ec;
    if (!send(ec, v)) throw error(ec.value(), "roam::tx::send");
  }
  void close() const {
    if (!st_->attached) throw error(ROAM_ESTATE, "roam::tx::close");
    st_->ch.close();
  }
  // The receiver reset the channel, or it ended with its connection.
  void on_end(std::function<void(int reason)> fn) const {
    st_->on_end = std::move(fn);
    st_->deliver_end();
  }

  // What both ends share (the channel handle, the receiving handlers).
  const std::shared_ptr<detail::chan_state<T>> &state() const noexcept { return st_; }
  void share(const std::shared_ptr<detail::chan_state<T>> &st) { st_ = st; }

 private:
  std::shared_ptr<detail::chan_state<T>> st_;
};

// The receiving end of a channel of T with credit N (Rust's Rx<T, N>).
template <class T, uint32_t N = ROAM_DEFAULT_CHANNEL_CREDIT>
class rx {
 public:
  rx() : st_(std::make_shared<detail::chan_state<T>>()) {}
  uint64_t id() const noexcept { return st_->ch.id(); }
  // Each item, then the end (0: the sender closed; else a ROAM_E* reason:
  // ROAM_ERESET, the connection's end, or a decoding error for an item that
  // does not decode). Items and an end that came before are delivered now.
  void receive(std::function<void(T)> on_item, std::function<void(int reason)> on_end = nullptr) const {
    st_->set(std::move(on_item), std::move(on_end));
  }
  // Asks the sender to stop.
  void reset() const {
    if (!st_->attached) throw error(ROAM_ESTATE, "roam::rx::reset");
    st_->ch.reset();
  }

  // What both ends share (the channel handle, the receiving handlers).
  const std::shared_ptr<detail::chan_state<T>> &state() const noexcept { return st_; }
  void share(const std::shared_ptr<detail::chan_state<T>> &st) { st_ = st; }

 private:
  std::shared_ptr<detail::chan_state<T>> st_;
};

// Two ends of one channel: pass one in a call, keep the other.
template <class T, uint32_t N = ROAM_DEFAULT_CHANNEL_CREDIT>
std::pair<tx<T, N>, rx<T, N>> make_channel() {
  std::pair<tx<T, N>, rx<T, N>> ends;
  ends.second.share(ends.first.state());
  return ends;
}

// A Tx/Rx argument is zero bytes; its id goes in the call's channel list.
// Passing an Rx, the caller sends (and the server receives), and the other
// way round.
template <class T, uint32_t N>
struct codec<tx<T, N>> {
  static constexpr size_t min_size = 0;
  static int encode(writer &w, const tx<T, N> &v) {
    return detail::attach(w.ctx, v.state(), ROAM_CHANNEL_RECEIVE, N);
  }
  static int decode(reader &r, tx<T, N> &v) { return detail::attach(r.ctx, v.state(), ROAM_CHANNEL_SEND, N); }
};
template <class T, uint32_t N>
struct codec<rx<T, N>> {
  static constexpr size_t min_size = 0;
  static int encode(writer &w, const rx<T, N> &v) { return detail::attach(w.ctx, v.state(), ROAM_CHANNEL_SEND, N); }
  static int decode(reader &r, rx<T, N> &v) {
    return detail::attach(r.ctx, v.state(), ROAM_CHANNEL_RECEIVE, N);
  }
};
template <class T, uint32_t N>
struct signature<tx<T, N>> {
  static int append(roam_sig_builder *b) {
    return detail::then_append<T>(b, roam_sig_tx(b));
  }
};
template <class T, uint32_t N>
struct signature<rx<T, N>> {
  static int append(roam_sig_builder *b) {
    return detail::then_append<T>(b, roam_sig_rx(b));
  }
};

// ==== Methods and services ===========================================================

namespace detail {
template <class R>
struct returned {
  using type = R;
};
template <>
struct returned<void> {
  using type = unit;
};
// A method's Return(Args...) as its args tuple and return type.
template <class Sig>
struct method_sig;
template <class R, class... A>
struct method_sig<R(A...)> {
  using args = std::tuple<std::decay_t<A>...>;
  using ret = typename returned<R>::type;
};
}  // namespace detail

// The id of method descriptor D (from ROAM_SERVICE), computed once.
template <class D>
uint64_t method_id() {
  static const uint64_t id = [] {
    std::vector<uint8_t> sig = signature_bytes<typename D::args, typename D::ret>();
    uint64_t out = 0;
    detail::check(roam_method_id(D::service::name(), ROAM_NTS, D::name(), ROAM_NTS, sig.data(),
                                 sig.size(), &out),
                  "roam_method_id");
    return out;
  }();
  return id;
}

// What a typed call completes with: result<T, call_error<E>> for a method
// returning result<T, E>, else result<R, call_error<>>.
namespace detail {
template <class R>
struct outcome {
  using type = result<R, call_error<>>;
  static type from(const response &r) {
    if (r.status != ROAM_OK) return err(call_error<>{r.status, {}});
    R v{};
    int rc = roam::decode(r.value, v);
    if (rc != ROAM_OK) return err(call_error<>{rc, {}});
    return ok(std::move(v));
  }
};
template <class T, class E>
struct outcome<result<T, E>> {
  using type = result<T, call_error<E>>;
  static type from(const response &r) {
    if (r.status == ROAM_OK) {
      T v{};
      int rc = roam::decode(r.value, v);
      if (rc != ROAM_OK) return err(call_error<E>{rc, {}});
      return ok(std::move(v));
    }
    call_error<E> e{r.status, {}};
    if (r.status == ROAM_EUSER) {
      int rc = roam::decode(r.value, e.user);
      if (rc != ROAM_OK) e = call_error<E>{rc, {}};
    }
    return err(std::move(e));
  }
};
}  // namespace detail
template <class R>
using outcome_t = typename detail::outcome<R>::type;

// Calls method D on conn with its arguments; on_done(outcome_t<D::ret>)
// runs once. Returns the request id; throws roam::error when the call
// cannot be made (arguments that do not encode, a closed connection).
// (Channels its arguments opened are reset / closed again when it throws.)
template <class D, class F>
uint64_t call(const conn_ref &conn, const typename D::args &args, F &&on_done) {
  detail::call_ctx ctx;
  ctx.conn = conn;
  auto unwind = [&](int rc, const char *what) {
    for (uint64_t id : ctx.channels) {
      conn.with([&](roam_conn *c) {  // one of the two fits the channel's direction
        return roam_channel_reset(c, id, nullptr) == ROAM_OK ? ROAM_OK : roam_channel_close(c, id, nullptr);
      });
    }
    throw error(rc, what);
  };
  writer w;
  w.ctx = &ctx;
  bytes_view b;
  int rc = codec<typename D::args>::encode(w, args);
  if (rc == ROAM_OK) rc = w.finish(&b);
  if (rc != ROAM_OK) unwind(rc, "roam::call: the arguments do not encode");
  std::function<void(outcome_t<typename D::ret>)> fn(std::forward<F>(on_done));
  std::error_code ec;
  uint64_t id = conn.call(
      ec, D::id(), b, [fn](const response &r) { fn(detail::outcome<typename D::ret>::from(r)); }, ctx.channels);
  if (ec) unwind(ec.value(), "roam_conn_call");
  return id;
}

namespace detail {
template <class D, class Tup, size_t... I>
uint64_t call_unpacked(const conn_ref &conn, Tup &all, std::index_sequence<I...>) {
  typename D::args args{std::get<I>(all)...};
  return roam::call<D>(conn, args, std::get<sizeof...(I)>(all));
}
// client.m(args..., on_done): the arguments, then the callback.
template <class D, class... A>
uint64_t call_split(const conn_ref &conn, A &&...a) {
  static_assert(sizeof...(A) == std::tuple_size<typename D::args>::value + 1,
                "pass the method's arguments, then the callback");
  auto all = std::forward_as_tuple(std::forward<A>(a)...);
  return call_unpacked<D>(conn, all, std::make_index_sequence<sizeof...(A) - 1>());
}
}  // namespace detail

// Answers one served call of a method returning R, once.
template <class R>
class reply {
 public:
  explicit reply(request req) : req_(std::move(req)) {}
  // The value (for result<T, E>: Ok answers T, Err the user error E).
  void operator()(const R &v) const { send(v); }
  // Err(UnknownMethod / InvalidPayload / Cancelled).
  void reply_fail(int code) const { req_.reply_fail(code); }
  const request &req() const noexcept { return req_; }

 private:
  template <class V>
  static std::vector<uint8_t> bytes(const V &v) {
    std::vector<uint8_t> out;
    detail::check(roam::encode(v, out), "roam::reply: the value does not encode");
    return out;
  }
  template <class V>
  void send(const V &v) const {
    req_.reply_ok(bytes(v));
  }
  template <class T, class E>
  void send(const result<T, E> &v) const {
    if (v.is_ok()) {
      req_.reply_ok(bytes(v.value()));
    } else {
      req_.reply_user_error(bytes(v.error()));
    }
  }
  request req_;
};

namespace detail {
template <class D, class Impl, class Args, class = void>
struct takes_reply : std::false_type {};
template <class D, class Impl, class... A>
struct takes_reply<D, Impl, std::tuple<A...>,
                   std::void_t<decltype(D::invoke(std::declval<Impl &>(), std::declval<reply<typename D::ret>>(),
                                                  std::declval<A>()...))>> : std::true_type {};

template <class D, class Impl>
void serve_one(Impl &impl, const request &req, bytes_view bytes) {
  using R = typename D::ret;
  typename D::args args{};
  call_ctx ctx;
  ctx.conn = req.conn();
  ctx.channels = req.channels();
  ctx.serving = true;
  reader r(bytes);
  r.ctx = &ctx;
  int rc = codec<typename D::args>::decode(r, args);
  if (rc == ROAM_OK) rc = r.finish();
  if (rc != ROAM_OK) {
    req.reply_fail(ROAM_EINVALIDPAYLOAD);
    return;
  }
  reply<R> answer(req);
  if constexpr (takes_reply<D, Impl, typename D::args>::value) {
    std::apply([&](auto &...a) { D::invoke(impl, answer, std::move(a)...); }, args);
  } else {
    auto run = [&](auto &...a) -> decltype(auto) { return D::invoke(impl, std::move(a)...); };
    if constexpr (std::is_void_v<decltype(std::apply(run, args))>) {
      std::apply(run, args);
      answer(R{});
    } else {
      answer(std::apply(run, args));
    }
  }
}
}  // namespace detail

using serve_handler = std::function<void(request, uint64_t, bytes_view, const metadata_view &)>;

// session_handlers::on_serve for Service, served by impl (which must
// outlive the session): each method id to impl's member of that name.
template <class Service, class Impl>
serve_handler serve(Impl &impl) {
  using fn = void (*)(Impl &, const request &, bytes_view);
  auto table = std::make_shared<std::unordered_map<uint64_t, fn>>();
  Service::for_each_method([&](auto d) {
    using D = decltype(d);
    (*table)[D::id()] = &detail::serve_one<D, Impl>;
  });
  Impl *self = &impl;
  return [table, self](request req, uint64_t method, bytes_view args, const metadata_view &) {
    auto it = table->find(method);
    if (it == table->end()) {
      req.reply_fail(ROAM_EUNKNOWNMETHOD);
    } else {
      it->second(*self, req, args);
    }
  };
}

#define ROAM_DETAIL_METHOD(S, entry) ROAM_DETAIL_METHOD_I(S, ROAM_DETAIL_ID entry)
#define ROAM_DETAIL_METHOD_I(S, ...) ROAM_DETAIL_METHOD_II(S, __VA_ARGS__)
#define ROAM_DETAIL_METHOD_II(S, m, ...)                                            \
  struct m##_method {                                                               \
    using service = S;                                                              \
    using args = typename ::roam::detail::method_sig<__VA_ARGS__>::args;            \
    using ret = typename ::roam::detail::method_sig<__VA_ARGS__>::ret;              \
    static constexpr const char *name() { return #m; }                              \
    static uint64_t id() { return ::roam::method_id<m##_method>(); }                \
    template <class Impl, class... A>                                               \
    static auto invoke(Impl &impl, A &&...a) -> decltype(impl.m(std::forward<A>(a)...)) { \
      return impl.m(std::forward<A>(a)...);                                         \
    }                                                                               \
  };
#define ROAM_DETAIL_VISIT(S, entry) ROAM_DETAIL_VISIT_I(S, ROAM_DETAIL_ID entry)
#define ROAM_DETAIL_VISIT_I(S, ...) ROAM_DETAIL_VISIT_II(S, __VA_ARGS__)
#define ROAM_DETAIL_VISIT_II(S, m, ...) fn(m##_method{});
#define ROAM_DETAIL_CLIENT(S, entry) ROAM_DETAIL_CLIENT_I(S, ROAM_DETAIL_ID entry)
#define ROAM_DETAIL_CLIENT_I(S, ...) ROAM_DETAIL_CLIENT_II(S, __VA_ARGS__)
#define ROAM_DETAIL_CLIENT_II(S, m, ...)                                                  \
  template <class... A>                                                                   \
  uint64_t m(A &&...a) const {                                                            \
    return ::roam::detail::call_split<m##_method>(conn, std::forward<A>(a)...);           \
  }

// A service: ROAM_SERVICE(Name, (method, Return(Args...)), ...); declares
// struct Name with a descriptor Name::method_method per method (args, ret,
// name(), id()), Name::for_each_method(fn) and Name::client{conn}.
#define ROAM_SERVICE(S, ...)                                                   \
  struct S {                                                                   \
    static constexpr const char *name() { return #S; }                         \
    ROAM_DETAIL_FOREACH(ROAM_DETAIL_METHOD, S, __VA_ARGS__)                    \
    template <class F>                                                         \
    static void for_each_method(F &&fn) {                                      \
      ROAM_DETAIL_FOREACH(ROAM_DETAIL_VISIT, S, __VA_ARGS__)                   \
    }                                                                          \
    struct client {                                                            \
      ::roam::conn_ref conn;                                                   \
      ROAM_DETAIL_FOREACH(ROAM_DETAIL_CLIENT, S, __VA_ARGS__)                  \
    };                                                                         \
  }

}  // namespace roam

#endif  // ROAM_CXX_ROAM_TYPED_HPP
