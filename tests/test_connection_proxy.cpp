// Proxying, sans I/O: two session cores, each driven by a harness, with a
// connection of each joined by ProxyTables. What one side's peer sends on
// the joined connection comes out of the other side verbatim; a congested
// receiver pauses the sender's reading until it drains; when either
// connection ends, the other is closed.
#include <string>
#include <vector>

#include "roam/roam_errors.h"
#include "session/connection_proxy.hpp"
#include "support/assertions.hpp"
#include "support/session_harness.hpp"
#include "wire/message_format.hpp"

using namespace roam;
using roam::session::ProxyTable;
using roam::session::SessionConfig;
using roam::test::expect_lines;
using roam::test::call;
using roam::test::SessionHarness;
using wire::MetadataView;
using wire::Parity;

namespace {

SessionConfig config() {
  SessionConfig c;
  c.role = session::Role::Initiator;
  c.outbound_soft_limit = 200;
  c.outbound_hard_limit = 1 << 20;
  return c;
}

// One session as the proxy sees it, recording what the proxy asks of it.
struct End : session::ProxyEndpoint {
  SessionHarness h{config()};
  ProxyTable table{this};
  int output_queued = 0;
  std::vector<std::string> log;

  End() { h.handshake(); }

  uint64_t open_accepted() { return test::open_accepted(h); }
  std::vector<std::string> sent_lines() {
    std::vector<std::string> out;
    for (const wire::Message &m : h.sent()) out.push_back(wire::describe_message(m));
    return out;
  }

  session::SessionCore &proxy_core() override { return h.core; }
  ProxyTable &proxy_table() override { return table; }
  void proxy_output_queued() override { ++output_queued; }
  void proxy_set_reading(bool reading) override { log.push_back(reading ? "read" : "pause"); }
  void proxy_close(uint64_t conn) override {
    log.push_back("close " + std::to_string(conn));
    if (conn != 0) {
      h.core.close_connection(conn, MetadataView());
    } else {
      h.core.release_root();
    }
  }
};

void traffic_is_forwarded_verbatim_both_ways(void **) {
  End a, b;
  uint64_t ca = a.open_accepted(), cb = b.open_accepted();
  assert_int_equal(ProxyTable::join(a, ca, b, cb), ROAM_OK);
  assert_true(a.table.forwards(ca) && b.table.forwards(cb));
  // What a's peer sends on ca leaves b on cb, ids and bytes unchanged.
  a.table.forward(ca, call(5, "args"));
  expect_lines(b.sent_lines(), {"conn 1 Request{id 5, Call{method 0x0000000000000007, channels [], "
                                "metadata [], args 61726773}}"});
  assert_int_equal(b.output_queued, 1);
  wire::ChannelMessage item;
  item.id = 9;
  item.kind = wire::ChannelKind::Item;
  item.item = wire::ByteView(std::string_view("x"));
  b.table.forward(cb, item);
  expect_lines(a.sent_lines(), {"conn 1 Channel{id 9, Item{78}}"});
  // Connections nobody joined are not forwarded.
  assert_false(a.table.forwards(0));
}

void joining_needs_two_open_unjoined_connections(void **) {
  End a, b;
  uint64_t ca = a.open_accepted(), cb = b.open_accepted();
  assert_int_equal(ProxyTable::join(a, 99, b, cb), ROAM_ESTATE);  // no such connection
  assert_int_equal(ProxyTable::join(a, ca, a, ca), ROAM_EINVAL);  // itself
  assert_int_equal(ProxyTable::join(a, ca, b, cb), ROAM_OK);
  assert_int_equal(ProxyTable::join(a, ca, b, 0), ROAM_ESTATE);   // ca is taken
  // Two connections of one session can be joined too.
  uint64_t ca2 = a.open_accepted(), ca3 = a.open_accepted();
  assert_int_equal(ProxyTable::join(a, ca2, a, ca3), ROAM_OK);
}

void a_congested_receiver_pauses_the_sender_until_it_drains(void **) {
  End a, b;
  uint64_t ca = a.open_accepted(), cb = b.open_accepted();
  ProxyTable::join(a, ca, b, cb);
  std::string big(300, 'p');  // over b's soft limit of 200 bytes
  a.table.forward(ca, call(1, big));
  expect_lines(a.log, {"pause"});
  // b's transport drains: b reports writable, a reads again.
  wire::ByteBuffer out;
  b.h.core.take_output(out);
  b.h.core.set_transport_backlog(0);
  b.table.on_writable();
  expect_lines(a.log, {"pause", "read"});
  b.table.on_writable();  // nothing waits any more
  assert_int_equal(a.log.size(), 2);
}

void when_one_side_ends_the_other_is_closed(void **) {
  End a, b;
  uint64_t ca = a.open_accepted(), cb = b.open_accepted();
  ProxyTable::join(a, ca, b, cb);
  // a's peer closes ca.
  a.h.feed(wire::make_connection_close(ca, MetadataView()));
  a.table.connection_gone(ca);
  expect_lines(b.log, {"close " + std::to_string(cb)});
  assert_false(a.table.forwards(ca));
  assert_false(b.table.forwards(cb));
  assert_true(b.h.core.find(cb) == nullptr);
  assert_int_equal(a.log.size(), 0);  // ca was already gone
}

void a_forward_the_other_side_refuses_closes_both(void **) {
  End a, b;
  uint64_t ca = a.open_accepted(), cb = b.open_accepted();
  ProxyTable::join(a, ca, b, cb);
  b.h.core.shutdown();  // b's session ended without telling the table
  a.table.forward(ca, call(1, "x"));
  expect_lines(a.log, {"close " + std::to_string(ca)});
  assert_false(a.table.forwards(ca));
  assert_true(a.h.core.find(ca) == nullptr);
}

void a_table_going_away_leaves_no_one_paused(void **) {
  End a;
  uint64_t ca = a.open_accepted();
  {
    End b;
    uint64_t cb = b.open_accepted();
    ProxyTable::join(a, ca, b, cb);
    a.table.forward(ca, call(1, std::string(300, 'p')));
    expect_lines(a.log, {"pause"});
  }  // b's session is freed while a waits for it to drain
  expect_lines(a.log, {"pause", "read"});
  assert_false(a.table.forwards(ca));  // and nothing forwards into it any more
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(traffic_is_forwarded_verbatim_both_ways),
      cmocka_unit_test(joining_needs_two_open_unjoined_connections),
      cmocka_unit_test(a_congested_receiver_pauses_the_sender_until_it_drains),
      cmocka_unit_test(when_one_side_ends_the_other_is_closed),
      cmocka_unit_test(a_forward_the_other_side_refuses_closes_both),
      cmocka_unit_test(a_table_going_away_leaves_no_one_paused),
  };
  return cmocka_run_group_tests_name("connection_proxy", tests, nullptr, nullptr);
}
