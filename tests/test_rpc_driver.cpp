// The per-connection RPC driver, sans I/O: what it sends (recorded as the
// session would encode it) and what it reports, for each rule of calls,
// responses, cancels, serving limits and channel credit.
#include <string>
#include <vector>

#include "common/error_text.hpp"
#include "rpc/call_result.hpp"
#include "rpc/channel_id_array.hpp"
#include "rpc/connection_driver.hpp"
#include "support/assertions.hpp"
#include "wire/message_codec.hpp"
#include "wire/message_format.hpp"

using namespace roam;
using roam::rpc::ChannelDirection;
using roam::rpc::ConnectionDriver;
using roam::rpc::DriverConfig;
using roam::test::expect_lines;
using wire::ByteView;
using wire::MetadataView;

namespace {

// Plays the session below the driver (records sends, can refuse them) and
// the application above it (records events).
struct Recorder : rpc::RpcSink, rpc::RpcEvents {
  std::vector<std::string> sent;
  std::vector<std::string> events;
  bool congested = false;  // non-forced sends get ROAM_EAGAIN
  CallDisposition disposition = CallDisposition::kServed;
  std::vector<std::string> violations;

  int send_request(const wire::RequestMessage &m, bool force) override {
    if (congested && !force) return ROAM_EAGAIN;
    sent.push_back(wire::describe_message(wire::make_request(1, m)));
    return ROAM_OK;
  }
  int send_channel(const wire::ChannelMessage &m, bool force) override {
    if (congested && !force) return ROAM_EAGAIN;
    sent.push_back(wire::describe_message(wire::make_channel(1, m)));
    return ROAM_OK;
  }
  void protocol_violation(int code, std::string reason) override {
    violations.push_back(std::string(error_name(code)) + ": " + reason);
  }
  void on_call_done(void *token, uint64_t, int status, const MetadataView *md,
                    ByteView value) override {
    events.push_back("done " + std::string(static_cast<const char *>(token)) + " " +
                     error_name(status) + " value=" + wire::hex_preview(value) +
                     (md ? " md=" + wire::describe_metadata(*md) : " no-response"));
  }
  CallDisposition on_incoming_call(const wire::RequestMessage &call) override {
    events.push_back("serve id=" + std::to_string(call.id) + " args=" + wire::hex_preview(call.payload));
    return disposition;
  }
  void on_served_call_cancelled(uint64_t id) override {
    events.push_back("cancelled-by-peer id=" + std::to_string(id));
  }
  void on_channel_item(void *token, ByteView item) override {
    events.push_back(std::string("item ") + static_cast<const char *>(token) + " " + wire::hex_preview(item));
  }
  void on_channel_end(void *token, int reason, const MetadataView &md) override {
    events.push_back(std::string("end ") + static_cast<const char *>(token) + " " + error_name(reason) +
                     " md=" + wire::describe_metadata(md));
  }
  void on_channel_writable(void *token) override {
    events.push_back(std::string("writable ") + static_cast<const char *>(token));
  }
  void on_unrouted_request(const wire::RequestMessage &m) override {
    events.push_back("unrouted request id=" + std::to_string(m.id));
  }
  bool on_unrouted_channel(const wire::ChannelMessage &) override { return false; }

  std::vector<std::string> take_sent() {
    std::vector<std::string> s;
    s.swap(sent);
    return s;
  }
  std::vector<std::string> take_events() {
    std::vector<std::string> e;
    e.swap(events);
    return e;
  }
};

DriverConfig config(uint32_t local_max = 64, uint32_t peer_max = 64) {
  DriverConfig c;
  c.local_parity = wire::Parity::Odd;
  c.local_max_concurrent = local_max;
  c.peer_max_concurrent = peer_max;
  c.channel_queue_limit = 4;
  c.channel_buffer_limit = 1024;
  return c;
}

ByteView bytes(const char *s) { return ByteView(std::string_view(s)); }

size_t count_prefix(const std::vector<std::string> &lines, const std::string &prefix) {
  size_t n = 0;
  for (const std::string &l : lines) n += l.compare(0, prefix.size(), prefix) == 0;
  return n;
}


wire::RequestMessage response(uint64_t id, std::initializer_list<uint8_t> ret) {
  static std::vector<std::vector<uint8_t>> keep;
  keep.emplace_back(ret);
  wire::RequestMessage m;
  m.id = id;
  m.kind = wire::RequestKind::Response;
  m.payload = ByteView(keep.back().data(), keep.back().size());
  return m;
}

wire::RequestMessage incoming_call(uint64_t id, const char *args) {
  wire::RequestMessage m;
  m.id = id;
  m.kind = wire::RequestKind::Call;
  m.method_id = 5;
  m.payload = bytes(args);
  return m;
}

// A Call naming channel ids: messages for them are kept until bound.
wire::RequestMessage incoming_call_with_channels(uint64_t id, const uint64_t *ids, size_t n) {
  wire::RequestMessage m = incoming_call(id, "a");
  m.channels = wire::IdList(ids, n);
  return m;
}

wire::RequestMessage incoming_cancel(uint64_t id) {
  wire::RequestMessage m;
  m.id = id;
  m.kind = wire::RequestKind::Cancel;
  return m;
}

wire::ChannelMessage chan(uint64_t id, wire::ChannelKind kind, const char *item = "",
                          uint32_t additional = 0) {
  wire::ChannelMessage m;
  m.id = id;
  m.kind = kind;
  m.item = bytes(item);
  m.additional = additional;
  return m;
}

// ---- calling ------------------------------------------------------------------------------

void call_ids_follow_connection_parity(void **) {
  Recorder r;
  DriverConfig c = config();
  c.local_parity = wire::Parity::Even;
  ConnectionDriver d(c, &r, &r);
  uint64_t a = 0, b = 0;
  assert_int_equal(d.call(9, wire::IdList(), MetadataView(), bytes("x"), (void *)"a", &a), ROAM_OK);
  assert_int_equal(d.call(9, wire::IdList(), MetadataView(), bytes("y"), (void *)"b", &b), ROAM_OK);
  assert_int_equal(a, 2);
  assert_int_equal(b, 4);
  assert_int_equal(d.allocate_channel_id(), 2);
  expect_lines(r.take_sent(),
               {"conn 1 Request{id 2, Call{method 0x0000000000000009, channels [], metadata [], args 78}}",
                "conn 1 Request{id 4, Call{method 0x0000000000000009, channels [], metadata [], args 79}}"});
}

void response_completes_the_call_once_with_its_envelope_decoded(void **) {
  Recorder r;
  ConnectionDriver d(config(), &r, &r);
  uint64_t ok = 0, user = 0, unknown = 0, bogus = 0;
  d.call(1, wire::IdList(), MetadataView(), bytes(""), (void *)"ok", &ok);
  d.call(1, wire::IdList(), MetadataView(), bytes(""), (void *)"user", &user);
  d.call(1, wire::IdList(), MetadataView(), bytes(""), (void *)"unknown", &unknown);
  d.call(1, wire::IdList(), MetadataView(), bytes(""), (void *)"bogus", &bogus);
  d.handle_request(response(ok, {0x00, 0x2a}));
  d.handle_request(response(user, {0x01, 0x00, 0x07}));
  d.handle_request(response(unknown, {0x01, 0x01}));
  d.handle_request(response(bogus, {0x09}));
  d.handle_request(response(ok, {0x00, 0x2b}));  // a second response: not ours any more
  expect_lines(r.take_events(), {"done ok ROAM_OK value=2a md=[]",
                                 "done user ROAM_EUSER value=07 md=[]",
                                 "done unknown ROAM_EUNKNOWNMETHOD value=<empty> md=[]",
                                 "done bogus ROAM_EPROTO value=09 md=[]",
                                 "unrouted request id=1"});
  assert_int_equal(d.calls_in_flight(), 0);
}

void calls_never_exceed_the_peers_limit(void **) {
  Recorder r;
  ConnectionDriver d(config(64, 2), &r, &r);
  uint64_t a = 0, b = 0, c = 0;
  assert_int_equal(d.call(1, wire::IdList(), MetadataView(), bytes(""), (void *)"a", &a), ROAM_OK);
  assert_int_equal(d.call(1, wire::IdList(), MetadataView(), bytes(""), (void *)"b", &b), ROAM_OK);
  assert_int_equal(d.call(1, wire::IdList(), MetadataView(), bytes(""), (void *)"c", &c), ROAM_EAGAIN);
  assert_int_equal(r.take_sent().size(), 2);  // the third never went out
  d.handle_request(response(a, {0x00}));
  assert_int_equal(d.call(1, wire::IdList(), MetadataView(), bytes(""), (void *)"c", &c), ROAM_OK);
  // A congested session refuses new calls without registering them.
  r.congested = true;
  assert_int_equal(d.call(1, wire::IdList(), MetadataView(), bytes(""), (void *)"d", nullptr), ROAM_EAGAIN);
  assert_int_equal(d.calls_in_flight(), 2);
}

void cancel_sends_cancel_completes_at_once_and_drops_the_late_response(void **) {
  Recorder r;
  ConnectionDriver d(config(64, 1), &r, &r);
  uint64_t id = 0;
  d.call(1, wire::IdList(), MetadataView(), bytes("slow"), (void *)"c", &id);
  r.take_sent();
  r.congested = true;  // a cancel is owed to the peer: it goes out anyway
  assert_int_equal(d.cancel(id, MetadataView()), ROAM_OK);
  r.congested = false;
  expect_lines(r.take_sent(), {"conn 1 Request{id 1, Cancel{metadata []}}"});
  expect_lines(r.take_events(), {"done c ROAM_ECANCELLED value=<empty> no-response"});
  assert_int_equal(d.cancel(id, MetadataView()), ROAM_ENOTFOUND);
  // Until the late response, the peer is still working on it: the limit holds.
  assert_int_equal(d.call(1, wire::IdList(), MetadataView(), bytes(""), (void *)"x", nullptr), ROAM_EAGAIN);
  d.handle_request(response(id, {0x01, 0x03}));
  expect_lines(r.take_events(), {});
  assert_int_equal(d.stats().late_responses, 1);
  assert_int_equal(d.call(1, wire::IdList(), MetadataView(), bytes(""), (void *)"x", nullptr), ROAM_OK);
}

void connection_gone_completes_every_pending_call(void **) {
  Recorder r;
  ConnectionDriver d(config(), &r, &r);
  d.call(1, wire::IdList(), MetadataView(), bytes(""), (void *)"a", nullptr);
  d.call(1, wire::IdList(), MetadataView(), bytes(""), (void *)"b", nullptr);
  d.connection_gone(ROAM_EEOF);
  expect_lines(r.take_events(), {"done a ROAM_EEOF value=<empty> no-response",
                                 "done b ROAM_EEOF value=<empty> no-response"});
  d.connection_gone(ROAM_EEOF);  // once only
  expect_lines(r.take_events(), {});
  assert_int_equal(d.call(1, wire::IdList(), MetadataView(), bytes(""), (void *)"c", nullptr), ROAM_ECLOSED);
}

// ---- serving -----------------------------------------------------------------------------------

void served_call_gets_exactly_one_response(void **) {
  Recorder r;
  ConnectionDriver d(config(), &r, &r);
  d.handle_request(incoming_call(2, "q"));
  expect_lines(r.take_events(), {"serve id=2 args=71"});
  const uint8_t ok[] = {0x00, 0x01};
  assert_int_equal(d.reply(2, MetadataView(), ByteView(ok, 2)), ROAM_OK);
  assert_int_equal(d.reply(2, MetadataView(), ByteView(ok, 2)), ROAM_ENOTFOUND);
  d.abandon_reply(2);
  expect_lines(r.take_sent(), {"conn 1 Request{id 2, Response{channels [], metadata [], ret 0001}}"});
}

void abandoned_reply_answers_cancelled(void **) {
  Recorder r;
  ConnectionDriver d(config(), &r, &r);
  d.handle_request(incoming_call(2, "q"));
  d.abandon_reply(2);
  expect_lines(r.take_sent(), {"conn 1 Request{id 2, Response{channels [], metadata [], ret 0103}}"});
}

void peer_cancel_answers_cancelled_and_refuses_the_late_reply(void **) {
  Recorder r;
  ConnectionDriver d(config(), &r, &r);
  d.handle_request(incoming_call(2, "q"));
  d.handle_request(incoming_cancel(2));
  expect_lines(r.take_sent(), {"conn 1 Request{id 2, Response{channels [], metadata [], ret 0103}}"});
  expect_lines(r.take_events(), {"serve id=2 args=71", "cancelled-by-peer id=2"});
  const uint8_t ok[] = {0x00};
  assert_int_equal(d.reply(2, MetadataView(), ByteView(ok, 1)), ROAM_ECANCELLED);
  d.handle_request(incoming_cancel(2));  // a duplicate cancel: nothing more
  expect_lines(r.take_sent(), {});
}

void calls_over_our_limit_are_refused_with_cancelled(void **) {
  Recorder r;
  ConnectionDriver d(config(2, 64), &r, &r);
  d.handle_request(incoming_call(2, "a"));
  d.handle_request(incoming_call(4, "b"));
  d.handle_request(incoming_call(6, "c"));
  expect_lines(r.take_events(), {"serve id=2 args=61", "serve id=4 args=62"});
  expect_lines(r.take_sent(), {"conn 1 Request{id 6, Response{channels [], metadata [], ret 0103}}"});
  assert_int_equal(d.stats().calls_refused_over_limit, 1);
  d.abandon_reply(2);
  r.take_sent();
  d.handle_request(incoming_call(8, "d"));
  expect_lines(r.take_events(), {"serve id=8 args=64"});
}

// A call the peer cancelled still holds its slot while the application
// holds its reply: Call + Cancel pairs cannot pile up past the limit.
void peer_cancelled_calls_count_until_released(void **) {
  Recorder r;
  ConnectionDriver d(config(2, 64), &r, &r);
  for (uint64_t id = 2; id <= 40000; id += 2) {
    d.handle_request(incoming_call(id, "a"));
    d.handle_request(incoming_cancel(id));
  }
  assert_int_equal(d.calls_being_served(), 2);
  assert_int_equal(d.stats().calls_refused_over_limit, 20000 - 2);
  assert_int_equal(count_prefix(r.take_events(), "serve "), 2);
  d.abandon_reply(2);  // released: no second response goes out
  r.take_sent();
  d.handle_request(incoming_call(50000, "b"));
  expect_lines(r.take_events(), {"serve id=50000 args=62"});
  expect_lines(r.take_sent(), {});
  assert_int_equal(d.calls_being_served(), 2);
}

void unserved_calls_get_unknown_method(void **) {
  Recorder r;
  r.disposition = rpc::RpcEvents::CallDisposition::kUnhandled;
  ConnectionDriver d(config(), &r, &r);
  d.handle_request(incoming_call(2, "a"));
  expect_lines(r.take_sent(), {"conn 1 Request{id 2, Response{channels [], metadata [], ret 0101}}"});
  assert_int_equal(d.calls_being_served(), 0);
}

void reply_too_large_for_a_frame_becomes_cancelled(void **) {
  struct Small : Recorder {
    int send_request(const wire::RequestMessage &m, bool force) override {
      if (m.payload.size > 4) return ROAM_EFRAMESIZE;
      return Recorder::send_request(m, force);
    }
  } r;
  ConnectionDriver d(config(), &r, &r);
  d.handle_request(incoming_call(2, "a"));
  const uint8_t big[] = {0, 1, 2, 3, 4, 5};
  assert_int_equal(d.reply(2, MetadataView(), ByteView(big, sizeof big)), ROAM_EFRAMESIZE);
  expect_lines(r.take_sent(), {"conn 1 Request{id 2, Response{channels [], metadata [], ret 0103}}"});
}

void connection_gone_cancels_served_calls(void **) {
  Recorder r;
  ConnectionDriver d(config(), &r, &r);
  d.handle_request(incoming_call(2, "a"));
  r.take_events();
  d.connection_gone(ROAM_OK);
  expect_lines(r.take_events(), {"cancelled-by-peer id=2"});
  // Still owed by the application until it answers or releases it.
  assert_true(d.is_serving(2));
  const uint8_t ok[] = {0x00};
  assert_int_equal(d.reply(2, MetadataView(), ByteView(ok, 1)), ROAM_ECLOSED);
  assert_false(d.is_serving(2));
  assert_int_equal(d.reply(2, MetadataView(), ByteView(ok, 1)), ROAM_ECLOSED);
  expect_lines(r.take_sent(), {});
}

// ---- channels ------------------------------------------------------------------------------------

void sender_never_exceeds_credit_and_queues_to_a_bound(void **) {
  Recorder r;
  ConnectionDriver d(config(), &r, &r);
  auto &t = d.channels();
  assert_int_equal(t.add(3, ChannelDirection::Send, 2, (void *)"tx"), ROAM_OK);
  for (int i = 0; i < 6; ++i) assert_int_equal(t.send_item(3, bytes("i")), ROAM_OK);
  assert_int_equal(t.send_item(3, bytes("i")), ROAM_EAGAIN);  // 2 sent + 4 queued
  assert_int_equal(r.take_sent().size(), 2);
  uint32_t credit = 9;
  t.credit(3, &credit);
  assert_int_equal(credit, 0);
  d.handle_channel(chan(3, wire::ChannelKind::GrantCredit, "", 3));
  assert_int_equal(r.take_sent().size(), 3);
  expect_lines(r.take_events(), {"writable tx"});
  size_t queued = 0;
  t.queued(3, &queued);
  assert_int_equal(queued, 1);
}

void close_goes_out_after_queued_items(void **) {
  Recorder r;
  ConnectionDriver d(config(), &r, &r);
  auto &t = d.channels();
  t.add(3, ChannelDirection::Send, 0, (void *)"tx");  // credit 0: wait for a grant
  t.send_item(3, bytes("a"));
  assert_int_equal(t.close(3, MetadataView()), ROAM_OK);
  assert_int_equal(t.send_item(3, bytes("b")), ROAM_ECLOSED);
  expect_lines(r.take_sent(), {});
  d.handle_channel(chan(3, wire::ChannelKind::GrantCredit, "", 16));
  expect_lines(r.take_sent(), {"conn 1 Channel{id 3, Item{61}}", "conn 1 Channel{id 3, Close{metadata []}}"});
  expect_lines(r.take_events(), {"end tx ROAM_OK md=[]"});
}

void receiver_grants_credit_in_batches_of_half_the_window(void **) {
  Recorder r;
  ConnectionDriver d(config(), &r, &r);
  d.channels().add(4, ChannelDirection::Receive, 16, (void *)"rx");
  for (int i = 0; i < 16; ++i) d.handle_channel(chan(4, wire::ChannelKind::Item, "n"));
  expect_lines(r.take_sent(), {"conn 1 Channel{id 4, GrantCredit{additional 8}}",
                               "conn 1 Channel{id 4, GrantCredit{additional 8}}"});
  assert_int_equal(r.take_events().size(), 16);
  // A window of one is granted back item by item.
  d.channels().add(6, ChannelDirection::Receive, 1, (void *)"one");
  d.handle_channel(chan(6, wire::ChannelKind::Item, "n"));
  expect_lines(r.take_sent(), {"conn 1 Channel{id 6, GrantCredit{additional 1}}"});
}

void manual_credit_is_granted_by_the_user(void **) {
  Recorder r;
  ConnectionDriver d(config(), &r, &r);
  d.channels().add(4, ChannelDirection::Receive, 2, (void *)"rx");
  d.channels().set_manual_credit(4, true);
  d.handle_channel(chan(4, wire::ChannelKind::Item, "a"));
  d.handle_channel(chan(4, wire::ChannelKind::Item, "b"));
  expect_lines(r.take_sent(), {});
  d.channels().grant(4, 5);
  expect_lines(r.take_sent(), {"conn 1 Channel{id 4, GrantCredit{additional 5}}"});
  for (int i = 0; i < 5; ++i) d.handle_channel(chan(4, wire::ChannelKind::Item, "c"));
  assert_int_equal(r.take_events().size(), 7);
  assert_int_equal(d.channels().stats().credit_violations, 0);
}

// rpc.flow-control.credit: no item at zero credit. The item past the
// credit we granted is not delivered; the sender is told to stop (Reset)
// and the application sees the channel end with ROAM_EPROTO.
void items_beyond_credit_reset_the_channel(void **) {
  Recorder r;
  ConnectionDriver d(config(), &r, &r);
  d.channels().add(4, ChannelDirection::Receive, 2, (void *)"rx");
  d.channels().set_manual_credit(4, true);
  d.handle_channel(chan(4, wire::ChannelKind::Item, "a"));
  d.handle_channel(chan(4, wire::ChannelKind::Item, "b"));
  d.handle_channel(chan(4, wire::ChannelKind::Item, "c"));
  expect_lines(r.take_events(), {"item rx 61", "item rx 62", "end rx ROAM_EPROTO md=[]"});
  expect_lines(r.take_sent(), {"conn 1 Channel{id 4, Reset{metadata []}}"});
  assert_int_equal(d.channels().stats().credit_violations, 1);
  // A flood after the reset is neither delivered nor kept.
  for (int i = 0; i < 1000; ++i) d.handle_channel(chan(4, wire::ChannelKind::Item, "d"));
  expect_lines(r.take_events(), {});
  assert_int_equal(d.channels().kept_bytes(), 0);
  assert_int_equal(d.channels().stats().dropped_unknown, 1000);
  // Automatic grants count too: a window of 4 takes exactly 4 + what we granted.
  d.channels().add(6, ChannelDirection::Receive, 4, (void *)"auto");
  for (int i = 0; i < 4; ++i) d.handle_channel(chan(6, wire::ChannelKind::Item, "x"));
  expect_lines(r.take_sent(), {"conn 1 Channel{id 6, GrantCredit{additional 2}}",
                               "conn 1 Channel{id 6, GrantCredit{additional 2}}"});
  for (int i = 0; i < 4; ++i) d.handle_channel(chan(6, wire::ChannelKind::Item, "x"));
  assert_int_equal(d.channels().stats().credit_violations, 1);
  for (int i = 0; i < 1; ++i) d.handle_channel(chan(6, wire::ChannelKind::Item, "x"));
  assert_int_equal(d.channels().stats().credit_violations, 1);
  assert_int_equal(d.channels().stats().items_received, 2 + 9);
}

void reset_and_close_end_channels(void **) {
  Recorder r;
  ConnectionDriver d(config(), &r, &r);
  d.channels().add(3, ChannelDirection::Send, 4, (void *)"tx");
  d.channels().add(4, ChannelDirection::Receive, 4, (void *)"rx");
  d.channels().add(8, ChannelDirection::Receive, 4, (void *)"rx2");
  d.handle_channel(chan(3, wire::ChannelKind::Reset));
  d.handle_channel(chan(4, wire::ChannelKind::Close));
  assert_int_equal(d.channels().reset(8, MetadataView()), ROAM_OK);
  expect_lines(r.take_events(), {"end tx ROAM_ERESET md=[]", "end rx ROAM_OK md=[]", "end rx2 ROAM_ERESET md=[]"});
  expect_lines(r.take_sent(), {"conn 1 Channel{id 8, Reset{metadata []}}"});
  assert_int_equal(d.channels().send_item(3, bytes("x")), ROAM_ENOTFOUND);
}

void messages_before_binding_are_kept_and_delivered_on_bind(void **) {
  Recorder r;
  ConnectionDriver d(config(), &r, &r);
  const uint64_t ids[] = {2};
  d.handle_request(incoming_call_with_channels(1, ids, 1));
  r.take_events();
  d.handle_channel(chan(2, wire::ChannelKind::Item, "a"));
  d.handle_channel(chan(2, wire::ChannelKind::Item, "b"));
  d.handle_channel(chan(2, wire::ChannelKind::Close));
  expect_lines(r.take_events(), {});
  assert_true(d.channels().kept_bytes() > 0);
  d.channels().add(2, ChannelDirection::Receive, 16, (void *)"late");
  expect_lines(r.take_events(), {"item late 61", "item late 62", "end late ROAM_OK md=[]"});
  assert_int_equal(d.channels().kept_bytes(), 0);
  // Ids no served call named are not kept at all.
  for (int i = 0; i < 10; ++i) d.handle_channel(chan(10, wire::ChannelKind::Item, "z"));
  assert_int_equal(d.channels().stats().dropped_unknown, 10);
  assert_int_equal(d.channels().kept_bytes(), 0);
  expect_lines(r.violations, {});
}

// Kept messages are bounded in bytes, not in count: a flood of items for a
// channel nobody binds is a protocol violation once past the limit.
void kept_messages_are_bounded_in_bytes_per_connection(void **) {
  Recorder r;
  ConnectionDriver d(config(), &r, &r);  // 1024 bytes per connection
  const uint64_t ids[] = {2};
  d.handle_request(incoming_call_with_channels(1, ids, 1));
  std::string item(200, 'x');
  for (int i = 0; i < 3; ++i) d.handle_channel(chan(2, wire::ChannelKind::Item, item.c_str()));
  expect_lines(r.violations, {});
  assert_true(d.channels().kept_bytes() <= 1024);
  d.handle_channel(chan(2, wire::ChannelKind::Item, item.c_str()));  // 4 x 264 + 64 > 1024
  assert_int_equal(r.violations.size(), 1);
  assert_true(r.violations[0].find("ROAM_ELIMIT") == 0);
  assert_true(d.channels().kept_bytes() <= 1024);
}

// One budget is shared by every connection of a session, so many small
// connections cannot add up past it either.
void kept_messages_are_bounded_in_bytes_per_session(void **) {
  Recorder r1, r2;
  rpc::BufferBudget session(1500);
  DriverConfig c = config();
  c.session_channel_budget = &session;
  std::string item(250, 'x');  // kept at 314 bytes: 2 x 2 x 314 + 2 x 64 = 1384
  {
    ConnectionDriver d1(c, &r1, &r1), d2(c, &r2, &r2);
    const uint64_t ids[] = {2};
    d1.handle_request(incoming_call_with_channels(1, ids, 1));
    d2.handle_request(incoming_call_with_channels(1, ids, 1));
    for (int i = 0; i < 2; ++i) d1.handle_channel(chan(2, wire::ChannelKind::Item, item.c_str()));
    for (int i = 0; i < 2; ++i) d2.handle_channel(chan(2, wire::ChannelKind::Item, item.c_str()));
    expect_lines(r1.violations, {});
    expect_lines(r2.violations, {});
    d2.handle_channel(chan(2, wire::ChannelKind::Item, item.c_str()));
    assert_int_equal(r2.violations.size(), 1);
    assert_true(session.used() <= 1500);
  }
  assert_int_equal(session.used(), 0);  // each connection gave its bytes back
}

// Channels a call named are bound while it is served; once the application
// answers or releases it, what was kept for ids still unbound is dropped,
// and so is later traffic for them.
void releasing_a_call_forgets_its_unbound_channels(void **) {
  Recorder r;
  ConnectionDriver d(config(), &r, &r);
  const uint64_t ids[] = {2, 4};
  d.handle_request(incoming_call_with_channels(1, ids, 2));
  d.handle_channel(chan(2, wire::ChannelKind::Item, "a"));
  d.channels().add(4, ChannelDirection::Receive, 16, (void *)"bound");
  assert_true(d.channels().kept_bytes() > 0);
  const uint8_t ok[] = {0x00};
  assert_int_equal(d.reply(1, MetadataView(), ByteView(ok, 1)), ROAM_OK);
  assert_int_equal(d.channels().kept_bytes(), 0);
  r.take_events();
  d.handle_channel(chan(2, wire::ChannelKind::Item, "b"));
  d.handle_channel(chan(4, wire::ChannelKind::Item, "c"));  // bound: still delivered
  expect_lines(r.take_events(), {"item bound 63"});
}

// A Call naming more channels than the buffer budget covers is refused as
// a violation, before the application sees it.
void a_call_naming_too_many_channels_is_a_violation(void **) {
  Recorder r;
  ConnectionDriver d(config(), &r, &r);  // 1024 bytes: 16 announced ids
  std::vector<uint64_t> ids;
  for (uint64_t i = 0; i < 100; ++i) ids.push_back(2 * i + 2);
  d.handle_request(incoming_call_with_channels(1, ids.data(), ids.size()));
  assert_int_equal(r.violations.size(), 1);
  expect_lines(r.take_events(), {});
  assert_int_equal(d.calls_being_served(), 0);
  assert_int_equal(d.channels().kept_bytes(), 0);
}

void connection_gone_ends_every_channel(void **) {
  Recorder r;
  ConnectionDriver d(config(), &r, &r);
  d.channels().add(3, ChannelDirection::Send, 4, (void *)"tx");
  d.channels().add(4, ChannelDirection::Receive, 4, (void *)"rx");
  d.connection_gone(ROAM_EKEEPALIVE);
  expect_lines(r.take_events(), {"end tx ROAM_EKEEPALIVE md=[]", "end rx ROAM_EKEEPALIVE md=[]"});
  // Found by fuzz_session: a channel added from inside an end callback
  // would never end. The table takes none once its connection is gone.
  assert_int_equal(d.channels().add(5, ChannelDirection::Send, 4, (void *)"late"), ROAM_ECLOSED);
}

void congested_session_holds_items_until_flush(void **) {
  Recorder r;
  ConnectionDriver d(config(), &r, &r);
  d.channels().add(3, ChannelDirection::Send, 10, (void *)"tx");
  r.congested = true;
  assert_int_equal(d.channels().send_item(3, bytes("a")), ROAM_OK);
  expect_lines(r.take_sent(), {});
  r.congested = false;
  d.on_writable();
  expect_lines(r.take_sent(), {"conn 1 Channel{id 3, Item{61}}"});
  uint32_t credit = 0;
  d.channels().credit(3, &credit);
  assert_int_equal(credit, 9);
}

// ---- re-entrancy: a send that ends the session inside it --------------------------------------
//
// The session ends inside a send when the outbound hard limit is crossed,
// and then tells every connection it is gone, which completes and frees
// what the driver holds. Each case below reproduces that and checks that
// everything completes exactly once (run under ASan, a use of a freed
// entry aborts the test).

struct EndsInsideSend : Recorder {
  ConnectionDriver *driver = nullptr;
  // The send of this kind ends the session (as crossing the hard limit does).
  std::string fatal;
  int send_request(const wire::RequestMessage &m, bool force) override {
    if (driver && fatal == wire::request_kind_name(m.kind)) return end();
    return Recorder::send_request(m, force);
  }
  int send_channel(const wire::ChannelMessage &m, bool force) override {
    if (driver && fatal == wire::channel_kind_name(m.kind)) return end();
    return Recorder::send_channel(m, force);
  }
  int end() {
    ConnectionDriver *d = driver;
    driver = nullptr;
    d->connection_gone(ROAM_ELIMIT);
    return ROAM_ELIMIT;
  }
};

void cancel_whose_send_ends_the_session_completes_the_call_once(void **) {
  EndsInsideSend r;
  ConnectionDriver d(config(), &r, &r);
  r.driver = &d;
  r.fatal = "Cancel";
  uint64_t a = 0, b = 0;
  d.call(9, wire::IdList(), MetadataView(), bytes("x"), (void *)"a", &a);
  d.call(9, wire::IdList(), MetadataView(), bytes("y"), (void *)"b", &b);
  assert_int_equal(d.cancel(a, MetadataView()), ROAM_OK);
  std::vector<std::string> events = r.take_events();
  assert_int_equal(count_prefix(events, "done a "), 1);
  assert_int_equal(count_prefix(events, "done b "), 1);
  assert_int_equal(events.size(), 2);
  assert_string_equal(events[0].c_str(), "done a ROAM_ECANCELLED value=<empty> no-response");
  assert_int_equal(d.cancel(a, MetadataView()), ROAM_ENOTFOUND);
}

void grant_whose_send_ends_the_session_touches_nothing_freed(void **) {
  EndsInsideSend r;
  ConnectionDriver d(config(), &r, &r);
  d.channels().add(4, ChannelDirection::Receive, 2, (void *)"rx");
  r.driver = &d;
  r.fatal = "GrantCredit";
  assert_int_equal(d.channels().grant(4, 8), ROAM_ELIMIT);
  expect_lines(r.take_events(), {"end rx ROAM_ELIMIT md=[]"});
  // The automatic grant after a delivered item takes the same path.
  EndsInsideSend r2;
  ConnectionDriver d2(config(), &r2, &r2);
  d2.channels().add(4, ChannelDirection::Receive, 1, (void *)"rx2");
  r2.driver = &d2;
  r2.fatal = "GrantCredit";
  d2.handle_channel(chan(4, wire::ChannelKind::Item, "a"));
  expect_lines(r2.take_events(), {"item rx2 61", "end rx2 ROAM_ELIMIT md=[]"});
}

void item_send_that_ends_the_session_stops_the_pump(void **) {
  EndsInsideSend r;
  ConnectionDriver d(config(), &r, &r);
  d.channels().add(3, ChannelDirection::Send, 0, (void *)"tx");
  d.channels().send_item(3, bytes("a"));
  d.channels().send_item(3, bytes("b"));
  d.channels().close(3, MetadataView());
  r.driver = &d;
  r.fatal = "Item";
  d.handle_channel(chan(3, wire::ChannelKind::GrantCredit, "", 8));
  expect_lines(r.take_events(), {"end tx ROAM_ELIMIT md=[]"});
}

void reset_and_close_whose_send_ends_the_session_end_once(void **) {
  EndsInsideSend r;
  ConnectionDriver d(config(), &r, &r);
  d.channels().add(4, ChannelDirection::Receive, 2, (void *)"rx");
  r.driver = &d;
  r.fatal = "Reset";
  assert_int_equal(d.channels().reset(4, MetadataView()), ROAM_OK);
  expect_lines(r.take_events(), {"end rx ROAM_ELIMIT md=[]"});

  EndsInsideSend r2;
  ConnectionDriver d2(config(), &r2, &r2);
  d2.channels().add(3, ChannelDirection::Send, 4, (void *)"tx");
  r2.driver = &d2;
  r2.fatal = "Close";
  assert_int_equal(d2.channels().close(3, MetadataView()), ROAM_OK);
  expect_lines(r2.take_events(), {"end tx ROAM_ELIMIT md=[]"});
}

void reply_and_peer_cancel_whose_send_ends_the_session_answer_once(void **) {
  EndsInsideSend r;
  ConnectionDriver d(config(), &r, &r);
  d.handle_request(incoming_call(2, "a"));
  d.handle_request(incoming_call(4, "b"));
  r.take_events();
  r.driver = &d;
  r.fatal = "Response";
  const uint8_t ok[] = {0x00};
  assert_int_equal(d.reply(2, MetadataView(), ByteView(ok, 1)), ROAM_ELIMIT);
  expect_lines(r.take_events(), {"cancelled-by-peer id=4"});
  expect_lines(r.take_sent(), {});  // no fallback on a session that ended
  assert_int_equal(d.reply(4, MetadataView(), ByteView(ok, 1)), ROAM_ECLOSED);

  EndsInsideSend r2;
  ConnectionDriver d2(config(), &r2, &r2);
  d2.handle_request(incoming_call(2, "a"));
  r2.take_events();
  r2.driver = &d2;
  r2.fatal = "Response";
  d2.handle_request(incoming_cancel(2));
  expect_lines(r2.take_events(), {"cancelled-by-peer id=2"});
}

// ---- work, counted ---------------------------------------------------------------------------

// A Call naming N channels is decoded, routed and handed to the
// application as an array with O(N) varint reads in all: the old walk
// re-parsed the list from its start for every id (N^2 / 2 reads).
void channel_id_lists_are_walked_in_linear_work(void **) {
  struct ToArray : Recorder {
    std::vector<uint64_t> got;
    CallDisposition on_incoming_call(const wire::RequestMessage &call) override {
      rpc::ChannelIdArray ids(call.channels);
      got.assign(ids.data(), ids.data() + ids.size());
      return CallDisposition::kServed;
    }
  } r;
  DriverConfig c = config();
  c.channel_buffer_limit = 64u << 20;
  ConnectionDriver d(c, &r, &r);
  const uint64_t n = 20000;
  std::vector<uint64_t> ids;
  for (uint64_t i = 0; i < n; ++i) ids.push_back(2 * i + 1000001);
  wire::ByteBuffer frame;
  wire::encode_message(frame, wire::make_request(1, incoming_call_with_channels(7, ids.data(), n)));
  uint64_t before = wire::varints_decoded_on_this_thread();
  wire::Message m;
  assert_int_equal(wire::decode_message(frame.data(), frame.size(), &m), ROAM_OK);
  d.handle_request(m.request);
  uint64_t work = wire::varints_decoded_on_this_thread() - before;
  assert_true(r.got == ids);
  // decode (N) + announce for binding (N) + the array (N), plus a constant.
  assert_true(work <= 3 * n + 64);
}

void call_result_envelopes(void **) {
  ByteView value;
  const uint8_t ok[] = {0x00, 0x05, 'h', 'e', 'l', 'l', 'o'};
  assert_int_equal(rpc::decode_call_result(ByteView(ok, sizeof ok), &value), ROAM_OK);
  assert_int_equal(value.size, 6);
  const uint8_t cancelled[] = {0x01, 0x03};
  assert_int_equal(rpc::decode_call_result(ByteView(cancelled, 2), &value), ROAM_ECANCELLED);
  const uint8_t trailing[] = {0x01, 0x03, 0x00};
  assert_int_equal(rpc::decode_call_result(ByteView(trailing, 3), &value), ROAM_EPROTO);
  assert_int_equal(rpc::decode_call_result(ByteView(), &value), ROAM_EPROTO);
  assert_true(rpc::roam_error_payload(ROAM_EINVALIDPAYLOAD) == ByteView((const uint8_t *)"\x01\x02", 2));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(call_ids_follow_connection_parity),
      cmocka_unit_test(response_completes_the_call_once_with_its_envelope_decoded),
      cmocka_unit_test(calls_never_exceed_the_peers_limit),
      cmocka_unit_test(cancel_sends_cancel_completes_at_once_and_drops_the_late_response),
      cmocka_unit_test(connection_gone_completes_every_pending_call),
      cmocka_unit_test(served_call_gets_exactly_one_response),
      cmocka_unit_test(abandoned_reply_answers_cancelled),
      cmocka_unit_test(peer_cancel_answers_cancelled_and_refuses_the_late_reply),
      cmocka_unit_test(calls_over_our_limit_are_refused_with_cancelled),
      cmocka_unit_test(peer_cancelled_calls_count_until_released),
      cmocka_unit_test(unserved_calls_get_unknown_method),
      cmocka_unit_test(reply_too_large_for_a_frame_becomes_cancelled),
      cmocka_unit_test(connection_gone_cancels_served_calls),
      cmocka_unit_test(sender_never_exceeds_credit_and_queues_to_a_bound),
      cmocka_unit_test(close_goes_out_after_queued_items),
      cmocka_unit_test(receiver_grants_credit_in_batches_of_half_the_window),
      cmocka_unit_test(manual_credit_is_granted_by_the_user),
      cmocka_unit_test(reset_and_close_end_channels),
      cmocka_unit_test(messages_before_binding_are_kept_and_delivered_on_bind),
      cmocka_unit_test(kept_messages_are_bounded_in_bytes_per_connection),
      cmocka_unit_test(kept_messages_are_bounded_in_bytes_per_session),
      cmocka_unit_test(releasing_a_call_forgets_its_unbound_channels),
      cmocka_unit_test(a_call_naming_too_many_channels_is_a_violation),
      cmocka_unit_test(items_beyond_credit_reset_the_channel),
      cmocka_unit_test(connection_gone_ends_every_channel),
      cmocka_unit_test(cancel_whose_send_ends_the_session_completes_the_call_once),
      cmocka_unit_test(grant_whose_send_ends_the_session_touches_nothing_freed),
      cmocka_unit_test(item_send_that_ends_the_session_stops_the_pump),
      cmocka_unit_test(reset_and_close_whose_send_ends_the_session_end_once),
      cmocka_unit_test(reply_and_peer_cancel_whose_send_ends_the_session_answer_once),
      cmocka_unit_test(channel_id_lists_are_walked_in_linear_work),
      cmocka_unit_test(congested_session_holds_items_until_flush),
      cmocka_unit_test(call_result_envelopes),
  };
  return cmocka_run_group_tests_name("rpc_driver", tests, nullptr, nullptr);
}
