// The C++ facade (cxx/roam.hpp) over real sessions: an in-process pair and a
// listener on loopback TCP. Built twice, as C++17 and as C++20, with
// -Wall -Wextra -Wpedantic -Werror.
#include "roam.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "cxx/run_until.hpp"
#include "support/cmocka.hpp"

namespace {

constexpr uint64_t kEcho = 0x1001;
constexpr uint64_t kSink = 0x1002;
constexpr uint64_t kThrow = 0x1003;

using roam_test::run_until;

// A server that answers kEcho with its args, counts kSink's channel items
// (answering with the count when the channel ends) and throws on kThrow.
struct server {
  int handshakes = 0;
  int items = 0;
  int exceptions = 0;
  std::string last_exception;
  roam::session_handlers handlers() {
    roam::session_handlers h;
    h.on_handshake = [this](roam::session_ref, int status, const roam::metadata_view &) {
      if (status == ROAM_OK) handshakes++;
    };
    h.on_inbound_open = [](roam::conn_ref c, const roam::metadata_view &md) {
      std::string_view want;
      if (md.find_string("want", &want) && want == "accept") {
        roam::metadata reply;
        reply.add("accepted-by", "server");
        c.accept(&reply);
      } else {
        c.reject();
      }
    };
    h.on_serve = [this](roam::request req, uint64_t method, roam::bytes_view args,
                        const roam::metadata_view &) {
      if (method == kEcho) {
        req.reply_ok(args);
      } else if (method == kThrow) {
        throw std::runtime_error("handler failed on purpose");
      } else if (method == kSink) {
        // The one channel the call names (its id is the first byte of args
        // here, as the test client sends it).
        uint64_t id = args.size ? args.data[0] : 0;
        req.conn().bind_channel(
            id, ROAM_CHANNEL_RECEIVE, 0, [this](roam::bytes_view) { items++; },
            [this, req](int) {
              uint8_t n = static_cast<uint8_t>(items);
              req.reply_ok(roam::bytes_view(&n, 1));
            });
      } else {
        req.reply_fail(ROAM_EUNKNOWNMETHOD);
      }
    };
    h.on_exception = [this](std::exception_ptr e) {
      exceptions++;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception &ex) {
        last_exception = ex.what();
      }
    };
    return h;
  }
};

struct client {
  int handshakes = 0;
  roam::session_handlers handlers() {
    roam::session_handlers h;
    h.on_handshake = [this](roam::session_ref, int status, const roam::metadata_view &) {
      if (status == ROAM_OK) handshakes++;
    };
    return h;
  }
};

void calls_on_the_root_of_a_pair(void **) {
  roam::runtime rt;
  server srv;
  client cli;
  auto [a, b] = roam::session::pair(rt, cli.handlers(), srv.handlers());
  assert_true(run_until(rt, [&] { return cli.handshakes == 1 && srv.handshakes == 1; }));
  std::string got;
  int status = 1;
  uint64_t id = a.root().call(kEcho, std::string_view("hello, facade"), [&](const roam::response &r) {
    status = r.status;
    got = std::string(r.value.as_string());
  });
  assert_true(id != 0);
  assert_true(run_until(rt, [&] { return status != 1; }));
  assert_int_equal(status, ROAM_OK);
  assert_string_equal(got.c_str(), "hello, facade");
  // An unknown method comes back as roam says.
  status = 1;
  a.root().call(0xdead, roam::bytes_view(), [&](const roam::response &r) { status = r.status; });
  assert_true(run_until(rt, [&] { return status != 1; }));
  assert_int_equal(status, ROAM_EUNKNOWNMETHOD);
  a.close();
  b.close();
  assert_true(run_until(rt, [&] { return a.closed() && b.closed(); }));
  assert_true(run_until(rt, [&] { return rt.try_free(); }));
}

void an_exception_in_a_handler_is_caught_and_reported(void **) {
  roam::runtime rt;
  server srv;
  client cli;
  auto [a, b] = roam::session::pair(rt, cli.handlers(), srv.handlers());
  assert_true(run_until(rt, [&] { return cli.handshakes == 1 && srv.handshakes == 1; }));
  int status = 1;
  a.root().call(kThrow, roam::bytes_view(), [&](const roam::response &r) { status = r.status; });
  assert_true(run_until(rt, [&] { return status != 1; }));
  // The handler that threw will never answer: Cancelled went out for it.
  assert_int_equal(status, ROAM_ECANCELLED);
  assert_int_equal(srv.exceptions, 1);
  assert_string_equal(srv.last_exception.c_str(), "handler failed on purpose");
  // The session is unharmed.
  status = 1;
  a.root().call(kEcho, std::string_view("still here"), [&](const roam::response &r) { status = r.status; });
  assert_true(run_until(rt, [&] { return status != 1; }));
  assert_int_equal(status, ROAM_OK);
  a.close();
  b.close();
  assert_true(run_until(rt, [&] { return rt.try_free(); }));
}

void errors_as_exceptions_or_error_codes(void **) {
  roam::runtime rt;
  server srv;
  client cli;
  roam::conn_ref conn;
  int opened = 0, closed = 0;
  roam::session_handlers h = cli.handlers();
  h.on_open_result = [&](roam::conn_ref, int status, const roam::metadata_view &md) {
    std::string_view by;
    assert_int_equal(status, ROAM_OK);
    assert_true(md.find_string("accepted-by", &by));
    assert_true(by == "server");
    opened++;
  };
  h.on_conn_closed = [&](roam::conn_ref, int, int, const roam::metadata_view &) { closed++; };
  auto [a, b] = roam::session::pair(rt, h, srv.handlers());
  assert_true(run_until(rt, [&] { return cli.handshakes == 1; }));
  roam::metadata md;
  md.add("want", "accept");
  conn = a.ref().open(&md);
  assert_true(run_until(rt, [&] { return opened == 1; }));
  assert_true(conn.valid());
  conn.close();
  assert_true(run_until(rt, [&] { return closed == 1; }));
  // The handle names a connection that is gone: a clean error, both ways.
  assert_false(conn.valid());
  std::error_code ec;
  conn.call(ec, kEcho, std::string_view("x"), nullptr);
  assert_true(ec == roam::make_error_code(ROAM_ECLOSED));
  assert_string_equal(ec.category().name(), "roam");
  bool threw = false;
  try {
    conn.call(kEcho, std::string_view("x"), nullptr);
  } catch (const roam::error &e) {
    threw = true;
    assert_int_equal(e.code().value(), ROAM_ECLOSED);
  }
  assert_true(threw);
  // A cancel of a call that is not in flight: ROAM_ENOTFOUND with a detail.
  threw = false;
  try {
    a.root().cancel(12345);
  } catch (const roam::error &e) {
    threw = true;
    assert_int_equal(e.code().value(), ROAM_ENOTFOUND);
    assert_true(e.detail().find("12345") != std::string::npos);
  }
  assert_true(threw);
  // Constructors too: a bad address, as a code or as an exception.
  roam::session none = roam::session::connect(ec, rt, "tcp://no-port", cli.handlers());
  assert_true(ec == roam::make_error_code(ROAM_EINVAL));
  assert_null(none.c_ptr());
  roam::listener nl = roam::listener::listen(ec, rt, "bogus", srv.handlers(), nullptr);
  assert_true(ec == roam::make_error_code(ROAM_EINVAL));
  threw = false;
  try {
    roam::listener l(rt, "bogus", srv.handlers(), nullptr);
  } catch (const roam::error &e) {
    threw = true;
    assert_int_equal(e.code().value(), ROAM_EINVAL);
  }
  assert_true(threw);
  a.close();
  b.close();
  assert_true(run_until(rt, [&] { return rt.try_free(); }));
}

void a_connection_owner_closes_its_connection(void **) {
  roam::runtime rt;
  server srv;
  client cli;
  int opened = 0, server_closed = 0;
  roam::session_handlers h = cli.handlers();
  h.on_open_result = [&](roam::conn_ref, int status, const roam::metadata_view &) {
    if (status == ROAM_OK) opened++;
  };
  roam::session_handlers sh = srv.handlers();
  sh.on_conn_closed = [&](roam::conn_ref c, int origin, int, const roam::metadata_view &) {
    if (c.id() != 0 && origin == ROAM_CLOSE_REMOTE) server_closed++;
  };
  auto [a, b] = roam::session::pair(rt, h, sh);
  assert_true(run_until(rt, [&] { return cli.handshakes == 1; }));
  roam::metadata md;
  md.add("want", "accept");
  roam::conn_ref kept;
  {
    roam::connection owned(a.ref().open(&md));
    kept = owned.get();
    assert_true(run_until(rt, [&] { return opened == 1; }));
    assert_true(owned->valid());
    roam::connection moved(std::move(owned));  // ownership moves; nothing is released
    assert_false(owned.get().valid());
    assert_true(moved->valid());
  }  // the owner goes: the connection is released
  assert_true(run_until(rt, [&] { return server_closed == 1; }));
  assert_false(kept.valid());
  a.close();
  b.close();
  assert_true(run_until(rt, [&] { return rt.try_free(); }));
}

void a_channel_to_a_server_over_tcp(void **) {
  roam::runtime rt;
  server srv;
  client cli;
  std::vector<roam::session> accepted;
  roam::listener l(rt, "tcp://127.0.0.1:0", srv.handlers(),
                   [&](roam::session s) { accepted.push_back(std::move(s)); });
  std::string address = l.address();
  assert_true(address.rfind("tcp://127.0.0.1:", 0) == 0);
  roam::session s = roam::session::connect(rt, address.c_str(), cli.handlers());
  assert_true(run_until(rt, [&] { return cli.handshakes == 1 && srv.handshakes == 1; }));
  assert_int_equal(accepted.size(), 1);
  roam::channel ch = s.root().open_channel(ROAM_CHANNEL_SEND);
  uint8_t arg = static_cast<uint8_t>(ch.id());
  int count = -1;
  s.root().call(kSink, roam::bytes_view(&arg, 1), [&](const roam::response &r) {
    assert_int_equal(r.status, ROAM_OK);
    count = r.value.data[0];
  }, {ch.id()});
  for (int i = 0; i < 5; i++) ch.send(std::string_view("item"));
  ch.close();
  assert_true(run_until(rt, [&] { return count >= 0; }));
  assert_int_equal(count, 5);
  s.close();
  accepted.clear();
  l.close();
  assert_true(run_until(rt, [&] { return rt.try_free(); }));
}

void post_from_another_thread(void **) {
  roam::runtime rt;
  std::atomic<int> ran{0};
  std::thread t([&] { rt.post([&] { ran++; }); });
  t.join();
  assert_true(run_until(rt, [&] { return ran.load() == 1; }));
}

}  // namespace

int main() {
  const CMUnitTest tests[] = {
      cmocka_unit_test(calls_on_the_root_of_a_pair),
      cmocka_unit_test(an_exception_in_a_handler_is_caught_and_reported),
      cmocka_unit_test(errors_as_exceptions_or_error_codes),
      cmocka_unit_test(a_connection_owner_closes_its_connection),
      cmocka_unit_test(a_channel_to_a_server_over_tcp),
      cmocka_unit_test(post_from_another_thread),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
