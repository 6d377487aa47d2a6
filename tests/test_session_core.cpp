// The sans-I/O session core, one test per behaviour of roam-core's Session.
// Each test plays the peer by feeding real encoded frames and asserts on what
// the core writes back (decoded) and on the events it reports.
#include <string>
#include <vector>

#include "frame/frame_writer.hpp"
#include "support/assertions.hpp"
#include "support/session_harness.hpp"
#include "wire/message_codec.hpp"
#include "wire/message_format.hpp"

using namespace roam;
using roam::test::expect_lines;
using roam::test::md1;
using roam::test::call;
using roam::test::open_accepted;
using roam::test::SessionHarness;
using session::Role;
using session::SessionConfig;
using session::SessionState;
using wire::MetadataView;
using wire::Parity;

namespace {

SessionConfig initiator_config() {
  SessionConfig c;
  c.role = Role::Initiator;
  c.accepts_inbound = true;
  return c;
}

SessionConfig acceptor_config() {
  SessionConfig c;
  c.role = Role::Acceptor;
  c.accepts_inbound = true;
  return c;
}

std::vector<std::string> describe(const std::vector<wire::Message> &msgs) {
  std::vector<std::string> out;
  for (const auto &m : msgs) out.push_back(wire::describe_message(m));
  return out;
}

std::vector<std::string> sent(SessionHarness &h) { return describe(h.sent()); }

// An initiator session with parity Odd, established against an Even peer.
struct Established {
  SessionHarness h;
  explicit Established(SessionConfig c = initiator_config()) : h(std::move(c)) { h.handshake(); }
};


// ---- handshake ------------------------------------------------------------------

void initiator_sends_hello_v7_with_settings_and_metadata(void **) {
  SessionConfig c = initiator_config();
  c.max_concurrent_requests = 32;
  c.hello_metadata.add_string("client", "test");
  SessionHarness h(std::move(c));
  h.start();
  expect_lines(sent(h),
               {"conn 0 Hello{version 7, settings {odd, max_concurrent_requests 32}, "
                "metadata [client=\"test\"]}"});
  assert_int_equal((int)h.core.state(), (int)SessionState::Handshaking);
}

void initiator_establishes_root_on_hello_yourself(void **) {
  SessionHarness h(initiator_config());
  h.start();
  h.sent();
  h.feed(wire::make_hello_yourself({Parity::Even, 16}, md1("server", "x").view()));
  expect_lines(h.take_events(), {"handshake local=odd/64 peer=even/16 md=[server=\"x\"]"});
  const session::Connection *root = h.core.find(0);
  assert_non_null(root);
  assert_int_equal((int)root->state, (int)session::ConnState::Open);
  assert_int_equal(root->peer.max_concurrent_requests, 16);
  expect_lines(sent(h), {});  // nothing more to say
}

void initiator_handshake_protocol_error_ends_with_its_description(void **) {
  SessionHarness h(initiator_config());
  h.start();
  h.sent();
  h.feed(wire::make_protocol_error("go away"));
  expect_lines(h.take_events(), {"ended ROAM_EPEERERROR: go away"});
}

void initiator_handshake_other_message_expected_hello_yourself(void **) {
  SessionHarness h(initiator_config());
  h.start();
  h.sent();
  h.feed(wire::make_ping(1));
  expect_lines(h.take_events(), {"ended ROAM_EHANDSHAKE: expected HelloYourself"});
  expect_lines(sent(h), {"conn 0 ProtocolError{\"expected HelloYourself\"}"});
}

void initiator_handshake_eof_peer_closed_during_handshake(void **) {
  SessionHarness h(initiator_config());
  h.start();
  h.core.receive_eof(h.now_us);
  expect_lines(h.take_events(), {"ended ROAM_EEOF: peer closed during handshake"});
}

void acceptor_answers_with_opposite_parity_of_initiator(void **) {
  for (Parity initiator : {Parity::Odd, Parity::Even}) {
    SessionConfig c = acceptor_config();
    c.parity = initiator;  // our own configured parity is ignored
    c.max_concurrent_requests = 8;
    c.hello_metadata.add_u64("n", 1);
    SessionHarness h(std::move(c));
    h.start();
    expect_lines(sent(h), {});  // the acceptor waits for Hello
    h.feed(wire::make_hello(7, {initiator, 64}, MetadataView()));
    std::string ours = initiator == Parity::Odd ? "even" : "odd";
    expect_lines(sent(h), {"conn 0 HelloYourself{settings {" + ours +
                           ", max_concurrent_requests 8}, metadata [n=1]}"});
    assert_int_equal((int)h.core.parity(), (int)wire::opposite(initiator));
  }
}

void acceptor_rejects_other_version_naming_both(void **) {
  SessionHarness h(acceptor_config());
  h.start();
  h.feed(wire::make_hello(8, {Parity::Odd, 64}, MetadataView()));
  expect_lines(h.take_events(), {"ended ROAM_EVERSION: version mismatch: got 8, expected 7"});
  expect_lines(sent(h), {"conn 0 ProtocolError{\"version mismatch: got 8, expected 7\"}"});
}

void acceptor_handshake_other_message_expected_hello(void **) {
  SessionHarness h(acceptor_config());
  h.start();
  h.feed(wire::make_hello_yourself({Parity::Odd, 64}, MetadataView()));
  expect_lines(h.take_events(), {"ended ROAM_EHANDSHAKE: expected Hello"});
}

void handshake_timeout_ends_session(void **) {
  SessionConfig c = acceptor_config();
  c.handshake_timeout_ms = 500;
  SessionHarness h(std::move(c));
  h.start();
  assert_int_equal(h.core.next_deadline(), h.now_us + 500000);
  h.advance_ms(499);
  expect_lines(h.take_events(), {});
  h.advance_ms(1);
  expect_lines(h.take_events(), {"ended ROAM_ETIMEDOUT: handshake not completed within 500 ms"});
  // The peer is told why, as for every other timeout.
  expect_lines(sent(h),
               {"conn 0 ProtocolError{\"handshake not completed within 500 ms\"}"});
}

// ---- opening connections ------------------------------------------------------------

void outbound_ids_follow_session_parity(void **) {
  Established odd;  // initiator, Odd
  uint64_t a = 0, b = 0;
  assert_int_equal(odd.h.core.open_connection({Parity::Odd, 64}, MetadataView(), &a), ROAM_OK);
  assert_int_equal(odd.h.core.open_connection({Parity::Odd, 64}, MetadataView(), &b), ROAM_OK);
  assert_int_equal(a, 1);
  assert_int_equal(b, 3);
  expect_lines(sent(odd.h), {"conn 1 ConnectionOpen{settings {odd, max_concurrent_requests 64}, metadata []}",
                             "conn 3 ConnectionOpen{settings {odd, max_concurrent_requests 64}, metadata []}"});

  SessionHarness even(acceptor_config());
  even.handshake(Parity::Odd);  // the initiator is Odd, so we are Even
  assert_int_equal(even.core.open_connection({Parity::Even, 64}, MetadataView(), &a), ROAM_OK);
  assert_int_equal(a, 2);
}

void open_stays_pending_until_answered(void **) {
  Established e;
  uint64_t id = 0;
  e.h.core.open_connection({Parity::Odd, 64}, md1("want", "accept").view(), &id);
  e.h.sent();
  assert_int_equal((int)e.h.core.find(id)->state, (int)session::ConnState::PendingOutbound);
  // No traffic before acceptance, in either direction.
  assert_int_equal(e.h.core.send_request(id, call(1, "x")), ROAM_ESTATE);
  e.h.feed(wire::make_request(id, call(2, "y")));
  expect_lines(e.h.take_events(), {});
  assert_int_equal(e.h.core.stats().dropped_messages, 1);
}

void accept_resolves_pending_open(void **) {
  Established e;
  uint64_t id = 0;
  e.h.core.open_connection({Parity::Odd, 10}, MetadataView(), &id);
  e.h.feed(wire::make_connection_accept(id, {Parity::Even, 20}, md1("hi", "there").view()));
  expect_lines(e.h.take_events(), {"open_accepted conn=1 peer=even/20 md=[hi=\"there\"]"});
  const session::Connection *c = e.h.core.find(id);
  assert_int_equal((int)c->state, (int)session::ConnState::Open);
  assert_int_equal(c->local.max_concurrent_requests, 10);
  assert_int_equal(c->peer.max_concurrent_requests, 20);
}

void reject_resolves_pending_open_with_metadata(void **) {
  Established e;
  uint64_t id = 0;
  e.h.core.open_connection({Parity::Odd, 10}, MetadataView(), &id);
  e.h.feed(wire::make_connection_reject(id, md1("reason", "policy").view()));
  expect_lines(e.h.take_events(), {"open_rejected conn=1 md=[reason=\"policy\"]"});
  assert_null(e.h.core.find(id));
}

void duplicate_accept_or_reject_changes_nothing(void **) {
  Established e;
  uint64_t id = open_accepted(e.h);
  e.h.feed(wire::make_connection_accept(id, {Parity::Odd, 1}, MetadataView()));
  e.h.feed(wire::make_connection_reject(id, MetadataView()));
  expect_lines(e.h.take_events(), {});
  assert_int_equal((int)e.h.core.find(id)->state, (int)session::ConnState::Open);
  assert_int_equal(e.h.core.find(id)->peer.max_concurrent_requests, 64);

  uint64_t r = 0;
  e.h.core.open_connection({Parity::Odd, 64}, MetadataView(), &r);
  e.h.feed(wire::make_connection_reject(r, MetadataView()));
  e.h.feed(wire::make_connection_reject(r, MetadataView()));
  e.h.feed(wire::make_connection_accept(r, {Parity::Even, 64}, MetadataView()));
  expect_lines(e.h.take_events(), {"open_rejected conn=3 md=[]"});
  assert_null(e.h.core.find(r));
}

void out_of_order_accept_or_reject_is_ignored(void **) {
  Established e;
  e.h.feed(wire::make_connection_accept(99, {Parity::Even, 64}, MetadataView()));
  e.h.feed(wire::make_connection_reject(97, MetadataView()));
  expect_lines(e.h.take_events(), {});
  expect_lines(sent(e.h), {});
  assert_int_equal(e.h.core.virtual_connection_count(), 0);
}

// ---- inbound opens ------------------------------------------------------------------

void inbound_open_with_wrong_parity_is_rejected(void **) {
  Established e;  // we are Odd, the peer must open even ids
  e.h.feed(wire::make_connection_open(3, {Parity::Odd, 64}, MetadataView()));
  expect_lines(sent(e.h), {"conn 3 ConnectionReject{metadata []}"});
  expect_lines(e.h.take_events(), {});
  assert_null(e.h.core.find(3));
}

void inbound_open_of_id_in_use_is_rejected(void **) {
  Established e;
  e.h.feed(wire::make_connection_open(2, {Parity::Even, 64}, MetadataView()));
  e.h.take_events();
  e.h.feed(wire::make_connection_open(2, {Parity::Even, 64}, MetadataView()));
  expect_lines(sent(e.h), {"conn 2 ConnectionReject{metadata []}"});
  expect_lines(e.h.take_events(), {});
  // The first one is still pending, untouched.
  assert_int_equal((int)e.h.core.find(2)->state, (int)session::ConnState::PendingInbound);
}

void inbound_open_without_acceptor_is_rejected(void **) {
  SessionConfig c = initiator_config();
  c.accepts_inbound = false;
  Established e(std::move(c));
  e.h.feed(wire::make_connection_open(2, {Parity::Even, 64}, md1("want", "accept").view()));
  expect_lines(sent(e.h), {"conn 2 ConnectionReject{metadata []}"});
  expect_lines(e.h.take_events(), {});
}

void inbound_open_accepted_with_our_settings_and_metadata(void **) {
  Established e;
  e.h.feed(wire::make_connection_open(2, {Parity::Even, 5}, md1("want", "accept").view()));
  expect_lines(e.h.take_events(), {"inbound_open conn=2 peer=even/5 md=[want=\"accept\"]"});
  assert_int_equal(e.h.core.accept_connection(2, {Parity::Odd, 9}, md1("ok", "1").view()), ROAM_OK);
  expect_lines(sent(e.h), {"conn 2 ConnectionAccept{settings {odd, max_concurrent_requests 9}, "
                           "metadata [ok=\"1\"]}"});
  const session::Connection *c = e.h.core.find(2);
  assert_int_equal((int)c->state, (int)session::ConnState::Open);
  assert_int_equal(c->peer.max_concurrent_requests, 5);
}

// Found by fuzz_capi: an Accept, Reject or Close too large for a frame is
// refused before anything changes, so the connection stays as it was (and
// the caller can try again) instead of changing state with nothing sent.
void decisions_too_large_for_a_frame_change_nothing(void **) {
  SessionConfig c = initiator_config();
  c.max_frame_size = 64;
  Established e(std::move(c));
  e.h.feed(wire::make_connection_open(2, {Parity::Even, 5}, MetadataView()));
  e.h.take_events();
  std::string big(100, 'x');
  wire::MetadataList huge = md1("k", big.c_str());
  assert_int_equal(e.h.core.accept_connection(2, {Parity::Odd, 9}, huge.view()), ROAM_EFRAMESIZE);
  assert_int_equal(e.h.core.reject_connection(2, huge.view()), ROAM_EFRAMESIZE);
  assert_int_equal((int)e.h.core.find(2)->state, (int)session::ConnState::PendingInbound);
  expect_lines(sent(e.h), {});
  assert_int_equal(e.h.core.accept_connection(2, {Parity::Odd, 9}, MetadataView()), ROAM_OK);
  sent(e.h);
  assert_int_equal(e.h.core.close_connection(2, huge.view()), ROAM_EFRAMESIZE);
  assert_int_equal((int)e.h.core.find(2)->state, (int)session::ConnState::Open);
  expect_lines(e.h.take_events(), {});
  assert_int_equal(e.h.core.close_connection(2, MetadataView()), ROAM_OK);
  expect_lines(sent(e.h), {"conn 2 ConnectionClose{metadata []}"});
}

void inbound_open_rejected_with_metadata(void **) {
  Established e;
  e.h.feed(wire::make_connection_open(2, {Parity::Even, 5}, MetadataView()));
  e.h.take_events();
  assert_int_equal(e.h.core.reject_connection(2, md1("reason", "policy").view()), ROAM_OK);
  expect_lines(sent(e.h), {"conn 2 ConnectionReject{metadata [reason=\"policy\"]}"});
  assert_null(e.h.core.find(2));
  // Deciding twice is an error, not a second message.
  assert_int_equal(e.h.core.reject_connection(2, MetadataView()), ROAM_ENOTFOUND);
  assert_int_equal(e.h.core.accept_connection(2, {Parity::Odd, 1}, MetadataView()), ROAM_ENOTFOUND);
  expect_lines(sent(e.h), {});
}

void inbound_open_decided_from_inside_the_callback(void **) {
  Established e;
  e.h.recorder.on_inbound_open_hook = [&](uint64_t conn, const MetadataView &) {
    assert_int_equal(e.h.core.accept_connection(conn, {Parity::Odd, 64}, MetadataView()), ROAM_OK);
  };
  e.h.feed(wire::make_connection_open(2, {Parity::Even, 64}, MetadataView()));
  expect_lines(sent(e.h), {"conn 2 ConnectionAccept{settings {odd, max_concurrent_requests 64}, metadata []}"});
}

void inbound_open_over_the_connection_limit_is_rejected(void **) {
  SessionConfig c = initiator_config();
  c.max_connections = 2;
  Established e(std::move(c));
  e.h.feed(wire::make_connection_open(2, {Parity::Even, 64}, MetadataView()));
  e.h.feed(wire::make_connection_open(4, {Parity::Even, 64}, MetadataView()));
  e.h.feed(wire::make_connection_open(6, {Parity::Even, 64}, MetadataView()));
  expect_lines(sent(e.h), {"conn 6 ConnectionReject{metadata []}"});
  uint64_t id = 0;
  assert_int_equal(e.h.core.open_connection({Parity::Odd, 64}, MetadataView(), &id), ROAM_ELIMIT);
}

// ---- closing ---------------------------------------------------------------------

void close_of_root_is_refused(void **) {
  Established e;
  assert_int_equal(e.h.core.close_connection(0, MetadataView()), ROAM_EROOT);
  expect_lines(sent(e.h), {});
}

void close_of_unknown_connection_is_not_found(void **) {
  Established e;
  assert_int_equal(e.h.core.close_connection(41, MetadataView()), ROAM_ENOTFOUND);
  expect_lines(sent(e.h), {});
}

void close_of_pending_open_fails_that_open(void **) {
  Established e;
  uint64_t id = 0;
  e.h.core.open_connection({Parity::Odd, 64}, MetadataView(), &id);
  e.h.sent();
  assert_int_equal(e.h.core.close_connection(id, MetadataView()), ROAM_OK);
  expect_lines(sent(e.h), {"conn 1 ConnectionClose{metadata []}"});
  expect_lines(e.h.take_events(), {"closed conn=1 origin=local reason=ROAM_ECLOSED md=[]"});
  // A late accept for it changes nothing.
  e.h.feed(wire::make_connection_accept(id, {Parity::Even, 64}, MetadataView()));
  expect_lines(e.h.take_events(), {});
}

void close_sends_connection_close_and_marks_closed(void **) {
  Established e;
  uint64_t id = open_accepted(e.h);
  assert_int_equal(e.h.core.close_connection(id, md1("bye", "now").view()), ROAM_OK);
  expect_lines(sent(e.h), {"conn 1 ConnectionClose{metadata [bye=\"now\"]}"});
  expect_lines(e.h.take_events(), {"closed conn=1 origin=local reason=ROAM_OK md=[]"});
  assert_null(e.h.core.find(id));
  assert_int_equal(e.h.core.send_request(id, call(1, "x")), ROAM_ENOTFOUND);
  assert_int_equal(e.h.core.close_connection(id, MetadataView()), ROAM_ENOTFOUND);
}

void inbound_close_removes_connection(void **) {
  Established e;
  uint64_t id = open_accepted(e.h);
  e.h.feed(wire::make_connection_close(id, md1("why", "done").view()));
  expect_lines(e.h.take_events(), {"closed conn=1 origin=remote reason=ROAM_OK md=[why=\"done\"]"});
  assert_null(e.h.core.find(id));
  // Later traffic on that id is dropped, not delivered.
  e.h.feed(wire::make_request(id, call(1, "late")));
  expect_lines(e.h.take_events(), {});
  expect_lines(sent(e.h), {});
}

// ---- routing ------------------------------------------------------------------------

void requests_and_channels_reach_their_connection(void **) {
  Established e;
  uint64_t id = open_accepted(e.h);
  e.h.feed(wire::make_request(0, call(2, "root")));
  e.h.feed(wire::make_request(id, call(4, "virtual")));
  wire::ChannelMessage item;
  item.id = 6;
  item.kind = wire::ChannelKind::Item;
  item.item = wire::ByteView(std::string_view("z"));
  e.h.feed(wire::make_channel(id, item));
  expect_lines(e.h.take_events(),
               {"request conn 0 Request{id 2, Call{method 0x0000000000000007, channels [], "
                "metadata [], args 726f6f74}}",
                "request conn 1 Request{id 4, Call{method 0x0000000000000007, channels [], "
                "metadata [], args 7669727475616c}}",
                "channel conn 1 Channel{id 6, Item{7a}}"});
}

void traffic_for_unknown_or_pending_connection_is_dropped(void **) {
  Established e;
  e.h.feed(wire::make_request(5, call(1, "nobody")));
  e.h.feed(wire::make_connection_open(2, {Parity::Even, 64}, MetadataView()));
  e.h.take_events();
  wire::ChannelMessage c;
  c.id = 2;
  c.kind = wire::ChannelKind::GrantCredit;
  c.additional = 1;
  e.h.feed(wire::make_channel(2, c));  // pending inbound: not ours to route yet
  expect_lines(e.h.take_events(), {});
  assert_int_equal(e.h.core.stats().dropped_messages, 2);
}

void ping_is_answered_with_pong_on_same_connection(void **) {
  Established e;
  e.h.feed(wire::make_ping(42));
  wire::Message odd = wire::make_ping(7);
  odd.connection_id = 3;
  e.h.feed(odd);
  expect_lines(sent(e.h), {"conn 0 Pong{nonce 42}", "conn 3 Pong{nonce 7}"});
}

// ---- keepalive ------------------------------------------------------------------------

SessionConfig keepalive_config(uint64_t interval, uint64_t timeout) {
  SessionConfig c = initiator_config();
  c.keepalive_interval_ms = interval;
  c.keepalive_timeout_ms = timeout;
  return c;
}

void keepalive_pings_after_each_interval(void **) {
  Established e(keepalive_config(100, 50));
  assert_int_equal(e.h.core.next_deadline(), e.h.now_us + 100000);
  e.h.advance_ms(99);
  expect_lines(sent(e.h), {});
  e.h.advance_ms(1);
  expect_lines(sent(e.h), {"conn 0 Ping{nonce 1}"});
  assert_int_equal(e.h.core.next_deadline(), e.h.now_us + 50000);  // now the pong deadline
}

void keepalive_matching_pong_rearms_and_reports_rtt(void **) {
  Established e(keepalive_config(100, 50));
  e.h.advance_ms(100);
  e.h.sent();
  e.h.now_us += 7000;
  e.h.feed(wire::make_pong(0, 1));
  expect_lines(e.h.take_events(), {"pong nonce=1 rtt_us=7000"});
  assert_int_equal(e.h.core.next_deadline(), e.h.now_us + 100000);
  e.h.advance_ms(100);
  expect_lines(sent(e.h), {"conn 0 Ping{nonce 2}"});
}

void keepalive_stale_nonce_is_ignored(void **) {
  Established e(keepalive_config(100, 50));
  e.h.advance_ms(100);
  e.h.sent();
  e.h.feed(wire::make_pong(0, 77));
  e.h.feed(wire::make_pong(5, 1));  // right nonce, wrong connection
  expect_lines(e.h.take_events(), {});
  e.h.advance_ms(50);
  expect_lines(e.h.take_events(),
               {"keepalive_timeout nonce=1", "closed conn=0 origin=session reason=ROAM_EKEEPALIVE md=[]",
                "ended ROAM_EKEEPALIVE: keepalive timeout: no Pong for ping 1 within 50 ms"});
}

void keepalive_timeout_ends_session(void **) {
  Established e(keepalive_config(10, 30));
  uint64_t id = open_accepted(e.h);
  e.h.advance_ms(10);
  expect_lines(sent(e.h), {"conn 0 Ping{nonce 1}"});
  e.h.advance_ms(29);
  expect_lines(e.h.take_events(), {});
  e.h.advance_ms(1);
  expect_lines(e.h.take_events(),
               {"keepalive_timeout nonce=1",
                "closed conn=0 origin=session reason=ROAM_EKEEPALIVE md=[]",
                "closed conn=1 origin=session reason=ROAM_EKEEPALIVE md=[]",
                "ended ROAM_EKEEPALIVE: keepalive timeout: no Pong for ping 1 within 30 ms"});
  assert_null(e.h.core.find(id));
  assert_int_equal(e.h.core.send_request(0, call(1, "x")), ROAM_ECLOSED);
}

void keepalive_with_a_zero_setting_is_off(void **) {
  for (auto cfg : {keepalive_config(0, 50), keepalive_config(100, 0)}) {
    cfg.idle_timeout_ms = 0;  // only keepalive is under test
    Established e(cfg);
    assert_int_equal(e.h.core.next_deadline(), session::SessionCore::kNoDeadline);
    e.h.advance_ms(100000);
    expect_lines(sent(e.h), {});
    expect_lines(e.h.take_events(), {});
  }
}

// ---- frame and idle timeouts ------------------------------------------------------------------

// A peer that announces a big frame and then trickles one byte every 2 s
// never completes it: the frame timeout (counted from its first byte) cuts
// it off and tells it why.
void frame_timeout_cuts_off_a_trickling_peer(void **) {
  SessionConfig c = initiator_config();
  c.frame_timeout_ms = 30000;
  Established e(std::move(c));
  uint64_t first_byte_at = e.h.now_us;
  e.h.feed_bytes({0x00, 0x00, 0x00, 0x01});  // announces 16 MiB
  assert_int_equal(e.h.core.next_deadline(), first_byte_at + 30000000);
  int trickled = 0;
  while (e.h.core.state() != SessionState::Ended && trickled < 100) {
    e.h.advance_ms(2000);
    if (e.h.core.state() == SessionState::Ended) break;
    e.h.feed_bytes({0x5a});
    ++trickled;
  }
  assert_int_equal(e.h.now_us - first_byte_at, 30000000);  // at the deadline, not later
  assert_int_equal(trickled, 14);
  expect_lines(sent(e.h), {"conn 0 ProtocolError{\"frame timeout: frame of 16777216 bytes not "
                           "completed within 30000 ms (14 bytes received)\"}"});
  expect_lines(e.h.take_events(),
               {"closed conn=0 origin=session reason=ROAM_ETIMEDOUT md=[]",
                "ended ROAM_ETIMEDOUT: frame timeout: frame of 16777216 bytes not completed within "
                "30000 ms (14 bytes received)"});
}

// The timeout covers one frame: each new frame gets its own, from its first
// byte, and whole frames in between are no progress problem at all.
void frame_timeout_restarts_with_each_frame(void **) {
  SessionConfig c = initiator_config();
  c.frame_timeout_ms = 1000;
  Established e(std::move(c));
  wire::ByteBuffer two;
  for (uint64_t nonce : {1, 2}) {
    size_t mark = frame::begin_frame(two);
    wire::encode_message(two, wire::make_ping(nonce));
    frame::finish_frame(two, mark);
  }
  std::vector<uint8_t> bytes(two.data(), two.data() + two.size());
  size_t first_len = bytes.size() / 2;
  // Half of frame 1, and 900 ms later the rest of it plus half of frame 2.
  e.h.feed_bytes(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 2));
  e.h.advance_ms(900);
  e.h.feed_bytes(std::vector<uint8_t>(bytes.begin() + 2, bytes.begin() + first_len + 2));
  assert_int_equal(e.h.core.next_deadline(), e.h.now_us + 1000000);  // frame 2's own clock
  e.h.advance_ms(999);
  assert_int_equal((int)e.h.core.state(), (int)SessionState::Established);
  e.h.feed_bytes(std::vector<uint8_t>(bytes.begin() + first_len + 2, bytes.end()));
  expect_lines(sent(e.h), {"conn 0 Pong{nonce 1}", "conn 0 Pong{nonce 2}"});
  // Nothing pending: no frame deadline (the idle one is minutes away).
  assert_int_equal(e.h.core.next_deadline(), e.h.now_us + 300000000);
  e.h.advance_ms(5000);
  expect_lines(e.h.take_events(), {});
}

// A big frame's reassembly buffer is kept for the next big frame, but not
// by a quiet session: one second after the last frame a deadline lets it go
// (and the next deadline is the idle timeout again).
void a_quiet_session_lets_its_big_frame_buffer_go(void **) {
  SessionConfig c = initiator_config();
  Established e(std::move(c));
  wire::ByteBuffer frame_bytes;
  size_t mark = frame::begin_frame(frame_bytes);
  wire::encode_message(frame_bytes, wire::make_request(0, call(2, std::string(256u << 10, 'p'))));
  frame::finish_frame(frame_bytes, mark);
  std::vector<uint8_t> bytes(frame_bytes.data(), frame_bytes.data() + frame_bytes.size());
  size_t half = bytes.size() / 2;  // split: gathered, so it has a buffer of its own
  e.h.feed_bytes(std::vector<uint8_t>(bytes.begin(), bytes.begin() + half));
  e.h.feed_bytes(std::vector<uint8_t>(bytes.begin() + half, bytes.end()));
  assert_int_equal(e.h.take_events().size(), 1);  // the call was delivered
  uint64_t last_frame = e.h.now_us;
  assert_int_equal(e.h.core.next_deadline(), last_frame + 1000000);
  e.h.advance_ms(999);
  assert_int_equal(e.h.core.next_deadline(), last_frame + 1000000);
  e.h.advance_ms(1);
  assert_int_equal(e.h.core.next_deadline(), last_frame + 300000000);  // only the idle timeout
  assert_int_equal((int)e.h.core.state(), (int)SessionState::Established);
}

// It runs during the handshake too: a Hello trickled byte by byte.
void frame_timeout_applies_during_the_handshake(void **) {
  SessionConfig c = acceptor_config();
  c.handshake_timeout_ms = 0;  // only the frame timeout is under test
  c.frame_timeout_ms = 500;
  SessionHarness h(std::move(c));
  h.start();
  assert_int_equal(h.core.next_deadline(), session::SessionCore::kNoDeadline);
  h.feed_bytes({0x06, 0x00});  // half a header
  assert_int_equal(h.core.next_deadline(), h.now_us + 500000);
  h.advance_ms(500);
  expect_lines(sent(h), {"conn 0 ProtocolError{\"frame timeout: frame header not completed within "
                         "500 ms\"}"});
  expect_lines(h.take_events(),
               {"ended ROAM_ETIMEDOUT: frame timeout: frame header not completed within 500 ms"});
}

void idle_timeout_ends_a_quiet_session(void **) {
  SessionConfig c = initiator_config();
  c.idle_timeout_ms = 60000;
  Established e(std::move(c));
  assert_int_equal(e.h.core.next_deadline(), e.h.now_us + 60000000);
  e.h.advance_ms(59999);
  expect_lines(e.h.take_events(), {});
  e.h.advance_ms(1);
  expect_lines(sent(e.h),
               {"conn 0 ProtocolError{\"idle timeout: no frame received for 60000 ms\"}"});
  expect_lines(e.h.take_events(), {"closed conn=0 origin=session reason=ROAM_ETIMEDOUT md=[]",
                                   "ended ROAM_ETIMEDOUT: idle timeout: no frame received for "
                                   "60000 ms"});
}

// Quiet is not idle while work is in progress above the core (a long call
// being served, a call awaiting its response): the session stays up and the
// idle clock restarts; once the work is done, the timeout applies again.
void work_in_progress_holds_off_the_idle_timeout(void **) {
  SessionConfig c = initiator_config();
  c.idle_timeout_ms = 60000;
  Established e(std::move(c));
  e.h.recorder.busy = true;
  e.h.advance_ms(60000);
  e.h.advance_ms(60000);
  expect_lines(e.h.take_events(), {});
  assert_true(e.h.core.state() == SessionState::Established);
  e.h.recorder.busy = false;
  e.h.advance_ms(60000);
  std::vector<std::string> ev = e.h.take_events();
  assert_true(!ev.empty() && ev.back().rfind("ended ROAM_ETIMEDOUT: idle timeout", 0) == 0);
}

// Any inbound frame is traffic: the idle clock restarts with each one.
void inbound_frames_reset_the_idle_timeout(void **) {
  SessionConfig c = initiator_config();
  c.idle_timeout_ms = 60000;
  Established e(std::move(c));
  for (int i = 0; i < 5; ++i) {
    e.h.advance_ms(59000);
    e.h.feed(wire::make_ping(static_cast<uint64_t>(i)));
  }
  e.h.feed(wire::make_request(0, call(1, "x")));
  assert_int_equal(e.h.core.next_deadline(), e.h.now_us + 60000000);
  // Bytes of a frame not yet complete are not a frame.
  e.h.advance_ms(30000);
  e.h.feed_bytes({0x10, 0x00});
  e.h.advance_ms(29999);
  assert_int_equal((int)e.h.core.state(), (int)SessionState::Established);
  e.h.advance_ms(1);
  assert_int_equal((int)e.h.core.state(), (int)SessionState::Ended);
  assert_int_equal(e.h.core.end_error(), ROAM_ETIMEDOUT);
}

// Keepalive keeps a quiet session alive: the peer's Pongs are traffic.
void keepalive_pongs_keep_an_idle_session_alive(void **) {
  SessionConfig c = keepalive_config(20000, 10000);
  c.idle_timeout_ms = 60000;
  Established e(std::move(c));
  for (uint64_t nonce = 1; nonce <= 10; ++nonce) {
    e.h.advance_ms(20000);
    expect_lines(sent(e.h), {"conn 0 Ping{nonce " + std::to_string(nonce) + "}"});
    e.h.feed(wire::make_pong(0, nonce));
  }
  assert_int_equal((int)e.h.core.state(), (int)SessionState::Established);
}

void frame_and_idle_timeouts_defaults_and_zero(void **) {
  SessionConfig defaults;
  assert_int_equal(defaults.frame_timeout_ms, 30000);
  assert_int_equal(defaults.idle_timeout_ms, 300000);
  {
    Established e;  // defaults
    assert_int_equal(e.h.core.next_deadline(), e.h.now_us + 300000000);
    e.h.feed_bytes({0x10});
    assert_int_equal(e.h.core.next_deadline(), e.h.now_us + 30000000);
  }
  SessionConfig off = initiator_config();
  off.frame_timeout_ms = 0;
  off.idle_timeout_ms = 0;
  Established e(std::move(off));
  e.h.feed_bytes({0x00, 0x00, 0x00, 0x01, 0x01});
  assert_int_equal(e.h.core.next_deadline(), session::SessionCore::kNoDeadline);
  e.h.advance_ms(24ull * 3600 * 1000);
  assert_int_equal((int)e.h.core.state(), (int)SessionState::Established);
}

// Reading paused by us (proxy backpressure) is not the peer's stall.
void paused_reading_stops_the_frame_and_idle_clocks(void **) {
  SessionConfig c = initiator_config();
  c.frame_timeout_ms = 1000;
  c.idle_timeout_ms = 5000;
  Established e(std::move(c));
  e.h.feed_bytes({0x10, 0x00});
  e.h.core.set_reading_paused(true, e.h.now_us);
  assert_int_equal(e.h.core.next_deadline(), session::SessionCore::kNoDeadline);
  e.h.advance_ms(60000);
  assert_int_equal((int)e.h.core.state(), (int)SessionState::Established);
  e.h.core.set_reading_paused(false, e.h.now_us);
  assert_int_equal(e.h.core.next_deadline(), e.h.now_us + 1000000);
  e.h.advance_ms(1000);
  assert_int_equal(e.h.core.end_error(), ROAM_ETIMEDOUT);
}

// ---- root liveness, shutdown, end of stream -------------------------------------------------

void releasing_root_with_no_virtual_connection_ends_session(void **) {
  Established e;
  assert_int_equal(e.h.core.release_root(), ROAM_OK);
  expect_lines(e.h.take_events(),
               {"closed conn=0 origin=session reason=ROAM_OK md=[]",
                "ended ROAM_OK: root connection released and no virtual connection remains"});
  expect_lines(sent(e.h), {});  // internal: nothing is sent
}

void releasing_root_waits_for_the_last_virtual_connection(void **) {
  Established e;
  uint64_t a = open_accepted(e.h);
  e.h.feed(wire::make_connection_open(2, {Parity::Even, 64}, MetadataView()));
  e.h.core.accept_connection(2, {Parity::Odd, 64}, MetadataView());
  e.h.sent();
  e.h.take_events();
  assert_int_equal(e.h.core.release_root(), ROAM_OK);
  expect_lines(e.h.take_events(), {});
  // The root still serves until then.
  e.h.feed(wire::make_request(0, call(2, "still here")));
  assert_int_equal(e.h.take_events().size(), 1);
  e.h.core.close_connection(a, MetadataView());
  expect_lines(e.h.take_events(), {"closed conn=1 origin=local reason=ROAM_OK md=[]"});
  e.h.feed(wire::make_connection_close(2, MetadataView()));
  expect_lines(e.h.take_events(),
               {"closed conn=2 origin=remote reason=ROAM_OK md=[]",
                "closed conn=0 origin=session reason=ROAM_OK md=[]",
                "ended ROAM_OK: root connection released and no virtual connection remains"});
}

void shutdown_ends_session_and_closes_every_connection(void **) {
  Established e;
  open_accepted(e.h);
  uint64_t pending = 0;
  e.h.core.open_connection({Parity::Odd, 64}, MetadataView(), &pending);
  e.h.sent();
  e.h.core.shutdown();
  expect_lines(e.h.take_events(),
               {"closed conn=0 origin=session reason=ROAM_ESHUTDOWN md=[]",
                "closed conn=1 origin=session reason=ROAM_ESHUTDOWN md=[]",
                "closed conn=3 origin=session reason=ROAM_ESHUTDOWN md=[]",
                "ended ROAM_ESHUTDOWN: session shut down locally"});
  assert_int_equal(e.h.core.open_connection({Parity::Odd, 64}, MetadataView(), &pending),
                   ROAM_ECLOSED);
  e.h.core.shutdown();  // idempotent
  expect_lines(e.h.take_events(), {});
}

void eof_ends_session_and_closes_every_connection(void **) {
  Established e;
  open_accepted(e.h);
  e.h.core.receive_eof(e.h.now_us);
  expect_lines(e.h.take_events(),
               {"closed conn=0 origin=session reason=ROAM_EEOF md=[]",
                "closed conn=1 origin=session reason=ROAM_EEOF md=[]",
                "ended ROAM_EEOF: peer closed the transport"});
}

void eof_in_the_middle_of_a_frame_is_truncation(void **) {
  Established e;
  e.h.feed_bytes({0x05, 0x00, 0x00, 0x00, 0x00, 0x09});
  e.h.core.receive_eof(e.h.now_us);
  expect_lines(e.h.take_events(),
               {"closed conn=0 origin=session reason=ROAM_ETRUNCATED md=[]",
                "ended ROAM_ETRUNCATED: peer closed the transport in the middle of a frame"});
}

void protocol_error_after_handshake_becomes_the_end_reason(void **) {
  Established e;
  e.h.feed(wire::make_protocol_error("you sent garbage"));
  expect_lines(e.h.take_events(), {});
  e.h.core.receive_eof(e.h.now_us);
  expect_lines(e.h.take_events(),
               {"closed conn=0 origin=session reason=ROAM_EPEERERROR md=[]",
                "ended ROAM_EPEERERROR: you sent garbage"});
}

// ---- bad input and limits -------------------------------------------------------------------

void malformed_frame_is_a_protocol_error(void **) {
  Established e;
  e.h.feed_frame({0x00, 0x0b});  // tag 11: no such message kind
  expect_lines(sent(e.h), {"conn 0 ProtocolError{\"malformed message (malformed message: unknown "
                           "discriminant) in a frame of 2 bytes\"}"});
  std::vector<std::string> ev = e.h.take_events();
  assert_int_equal(ev.size(), 2);
  assert_string_equal(ev[0].c_str(), "closed conn=0 origin=session reason=ROAM_EBADTAG md=[]");
  // Nothing after the bad frame is processed.
  e.h.feed(wire::make_ping(1));
  expect_lines(sent(e.h), {});
}

void frame_over_the_maximum_is_refused_before_reading_it(void **) {
  SessionConfig c = initiator_config();
  c.max_frame_size = 1024;
  Established e(std::move(c));
  e.h.feed_bytes({0x01, 0x04, 0x00, 0x00});  // announces 1025 bytes
  expect_lines(e.h.take_events(),
               {"closed conn=0 origin=session reason=ROAM_EFRAMESIZE md=[]",
                "ended ROAM_EFRAMESIZE: frame of 1025 bytes exceeds the maximum of 1024"});
  // And we refuse to send one ourselves.
  SessionConfig c2 = initiator_config();
  c2.max_frame_size = 64;
  SessionHarness h2(std::move(c2));
  h2.handshake();
  std::string big(100, 'x');
  assert_int_equal(h2.core.send_request(0, call(1, big)), ROAM_EFRAMESIZE);
  expect_lines(sent(h2), {});
  assert_int_equal((int)h2.core.state(), (int)SessionState::Established);
}

void metadata_over_the_maximum_is_refused(void **) {
  SessionConfig c = initiator_config();
  c.max_metadata_size = 32;
  Established e(std::move(c));
  std::string long_value(40, 'v');
  wire::MetadataList big;
  big.add_string("k", long_value);
  uint64_t id = 0;
  assert_int_equal(e.h.core.open_connection({Parity::Odd, 64}, big.view(), &id), ROAM_ELIMIT);
  expect_lines(sent(e.h), {});
  e.h.feed(wire::make_connection_open(2, {Parity::Even, 64}, big.view()));
  std::vector<std::string> ev = e.h.take_events();
  assert_int_equal(ev.size(), 2);
  expect_lines({ev[1]}, {"ended ROAM_ELIMIT: metadata exceeds the maximum of 32 bytes"});
}

void outbound_backpressure_soft_and_hard_limits(void **) {
  SessionConfig c = initiator_config();
  c.outbound_soft_limit = 100;
  c.outbound_hard_limit = 200;
  Established e(std::move(c));
  std::string chunk(40, 'p');
  int sent_ok = 0;
  int rc;
  while ((rc = e.h.core.send_request(0, call(1, chunk))) == ROAM_OK) ++sent_ok;
  assert_int_equal(rc, ROAM_EAGAIN);
  assert_int_equal(sent_ok, 2);  // 2 x ~50 bytes reach the soft limit
  // The transport takes the bytes but has not written them yet: still full.
  wire::ByteBuffer in_flight;
  e.h.core.take_output(in_flight);
  e.h.core.set_transport_backlog(in_flight.size());
  assert_int_equal(e.h.core.send_request(0, call(1, chunk)), ROAM_EAGAIN);
  expect_lines(e.h.take_events(), {});
  // Written: the producer is told to resume.
  e.h.core.set_transport_backlog(0);
  expect_lines(e.h.take_events(), {"writable"});
  assert_int_equal(e.h.core.send_request(0, call(1, chunk)), ROAM_OK);
  // Control replies are never refused, but a peer that never reads them
  // cannot make us buffer without bound.
  e.h.core.set_transport_backlog(150);
  for (int i = 0; i < 20 && e.h.core.state() != SessionState::Ended; ++i) e.h.feed(wire::make_ping(i));
  std::vector<std::string> ev = e.h.take_events();
  assert_true(!ev.empty());
  expect_lines({ev.back()}, {"ended ROAM_ELIMIT: outbound backlog exceeded 200 bytes: the peer is "
                             "not reading"});
}

// Hardening: a ConnectionClose that crosses the outbound hard limit ends the
// session inside close_connection(). The closed connection is still
// reported exactly once, and before the session's end.
void close_whose_send_crosses_the_hard_limit_reports_the_close_first(void **) {
  SessionConfig c = initiator_config();
  c.outbound_soft_limit = 100;
  c.outbound_hard_limit = 200;
  Established e(std::move(c));
  uint64_t id = 0;
  e.h.core.open_connection({Parity::Odd, 64}, MetadataView(), &id);
  e.h.feed(wire::make_connection_accept(id, {Parity::Even, 64}, MetadataView()));
  e.h.sent();
  e.h.take_events();
  e.h.core.set_transport_backlog(195);  // the peer stopped reading
  assert_int_equal(e.h.core.close_connection(id, MetadataView()), ROAM_OK);
  std::vector<std::string> ev = e.h.take_events();
  assert_true(ev.size() >= 2);
  assert_string_equal(ev[0].c_str(), "closed conn=1 origin=local reason=ROAM_OK md=[]");
  assert_true(ev.back().rfind("ended ROAM_ELIMIT", 0) == 0);
  size_t closes = 0;
  for (const std::string &line : ev) closes += line.rfind("closed conn=1 ", 0) == 0;
  assert_int_equal(closes, 1);
}

void shutdown_from_a_callback_stops_processing_the_read(void **) {
  Established e;
  e.h.recorder.on_request_hook = [&](uint64_t, const wire::RequestMessage &) { e.h.core.shutdown(); };
  // Two frames in one read: the second must not be processed.
  wire::ByteBuffer both;
  for (uint64_t id : {1, 3}) {
    size_t mark = frame::begin_frame(both);
    wire::encode_message(both, wire::make_request(0, call(id, "x")));
    frame::finish_frame(both, mark);
  }
  e.h.core.receive(both.view(), e.h.now_us);
  std::vector<std::string> ev = e.h.take_events();
  assert_int_equal(ev.size(), 3);  // request 1, root closed, ended
  assert_int_equal(e.h.core.receive(both.view(), e.h.now_us), ROAM_ECLOSED);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(initiator_sends_hello_v7_with_settings_and_metadata),
      cmocka_unit_test(initiator_establishes_root_on_hello_yourself),
      cmocka_unit_test(initiator_handshake_protocol_error_ends_with_its_description),
      cmocka_unit_test(initiator_handshake_other_message_expected_hello_yourself),
      cmocka_unit_test(initiator_handshake_eof_peer_closed_during_handshake),
      cmocka_unit_test(acceptor_answers_with_opposite_parity_of_initiator),
      cmocka_unit_test(acceptor_rejects_other_version_naming_both),
      cmocka_unit_test(acceptor_handshake_other_message_expected_hello),
      cmocka_unit_test(handshake_timeout_ends_session),
      cmocka_unit_test(outbound_ids_follow_session_parity),
      cmocka_unit_test(open_stays_pending_until_answered),
      cmocka_unit_test(accept_resolves_pending_open),
      cmocka_unit_test(reject_resolves_pending_open_with_metadata),
      cmocka_unit_test(duplicate_accept_or_reject_changes_nothing),
      cmocka_unit_test(out_of_order_accept_or_reject_is_ignored),
      cmocka_unit_test(inbound_open_with_wrong_parity_is_rejected),
      cmocka_unit_test(inbound_open_of_id_in_use_is_rejected),
      cmocka_unit_test(inbound_open_without_acceptor_is_rejected),
      cmocka_unit_test(inbound_open_accepted_with_our_settings_and_metadata),
      cmocka_unit_test(inbound_open_rejected_with_metadata),
      cmocka_unit_test(inbound_open_decided_from_inside_the_callback),
      cmocka_unit_test(inbound_open_over_the_connection_limit_is_rejected),
      cmocka_unit_test(close_of_root_is_refused),
      cmocka_unit_test(close_of_unknown_connection_is_not_found),
      cmocka_unit_test(close_of_pending_open_fails_that_open),
      cmocka_unit_test(close_sends_connection_close_and_marks_closed),
      cmocka_unit_test(inbound_close_removes_connection),
      cmocka_unit_test(requests_and_channels_reach_their_connection),
      cmocka_unit_test(traffic_for_unknown_or_pending_connection_is_dropped),
      cmocka_unit_test(ping_is_answered_with_pong_on_same_connection),
      cmocka_unit_test(keepalive_pings_after_each_interval),
      cmocka_unit_test(keepalive_matching_pong_rearms_and_reports_rtt),
      cmocka_unit_test(keepalive_stale_nonce_is_ignored),
      cmocka_unit_test(keepalive_timeout_ends_session),
      cmocka_unit_test(keepalive_with_a_zero_setting_is_off),
      cmocka_unit_test(frame_timeout_cuts_off_a_trickling_peer),
      cmocka_unit_test(frame_timeout_restarts_with_each_frame),
      cmocka_unit_test(a_quiet_session_lets_its_big_frame_buffer_go),
      cmocka_unit_test(frame_timeout_applies_during_the_handshake),
      cmocka_unit_test(idle_timeout_ends_a_quiet_session),
      cmocka_unit_test(work_in_progress_holds_off_the_idle_timeout),
      cmocka_unit_test(inbound_frames_reset_the_idle_timeout),
      cmocka_unit_test(keepalive_pongs_keep_an_idle_session_alive),
      cmocka_unit_test(frame_and_idle_timeouts_defaults_and_zero),
      cmocka_unit_test(paused_reading_stops_the_frame_and_idle_clocks),
      cmocka_unit_test(releasing_root_with_no_virtual_connection_ends_session),
      cmocka_unit_test(releasing_root_waits_for_the_last_virtual_connection),
      cmocka_unit_test(shutdown_ends_session_and_closes_every_connection),
      cmocka_unit_test(eof_ends_session_and_closes_every_connection),
      cmocka_unit_test(eof_in_the_middle_of_a_frame_is_truncation),
      cmocka_unit_test(protocol_error_after_handshake_becomes_the_end_reason),
      cmocka_unit_test(malformed_frame_is_a_protocol_error),
      cmocka_unit_test(frame_over_the_maximum_is_refused_before_reading_it),
      cmocka_unit_test(metadata_over_the_maximum_is_refused),
      cmocka_unit_test(outbound_backpressure_soft_and_hard_limits),
      cmocka_unit_test(shutdown_from_a_callback_stops_processing_the_read),
      cmocka_unit_test(close_whose_send_crosses_the_hard_limit_reports_the_close_first),
      cmocka_unit_test(decisions_too_large_for_a_frame_change_nothing),
  };
  return cmocka_run_group_tests_name("session_core", tests, nullptr, nullptr);
}
