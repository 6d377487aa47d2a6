#include "support/session_harness.hpp"

#include <cinttypes>
#include <cstdio>

#include "common/error_text.hpp"
#include "common/format.hpp"
#include "frame/frame_writer.hpp"
#include "wire/message_codec.hpp"
#include "wire/message_format.hpp"

#include "support/cmocka.hpp"

namespace roam::test {

namespace {
const char *parity_text(wire::Parity p) { return p == wire::Parity::Odd ? "odd" : "even"; }

}  // namespace

std::string md_text(const wire::MetadataView &md) { return wire::describe_metadata(md); }

wire::MetadataList md1(const char *key, const char *value) {
  wire::MetadataList md;
  md.add_string(key, value);
  return md;
}

void EventRecorder::on_handshake_done(const wire::ConnectionSettings &local,
                                      const wire::ConnectionSettings &peer,
                                      const wire::MetadataView &md) {
  events.push_back(roam::format("handshake local=%s/%" PRIu32 " peer=%s/%" PRIu32 " md=%s",
                        parity_text(local.parity), local.max_concurrent_requests,
                        parity_text(peer.parity), peer.max_concurrent_requests,
                        md_text(md).c_str()));
}

void EventRecorder::on_inbound_open(uint64_t conn, const wire::ConnectionSettings &peer,
                                    const wire::MetadataView &md) {
  events.push_back(roam::format("inbound_open conn=%" PRIu64 " peer=%s/%" PRIu32 " md=%s", conn,
                        parity_text(peer.parity), peer.max_concurrent_requests,
                        md_text(md).c_str()));
  if (on_inbound_open_hook) on_inbound_open_hook(conn, md);
}

void EventRecorder::on_open_accepted(uint64_t conn, const wire::ConnectionSettings &peer,
                                     const wire::MetadataView &md) {
  events.push_back(roam::format("open_accepted conn=%" PRIu64 " peer=%s/%" PRIu32 " md=%s", conn,
                        parity_text(peer.parity), peer.max_concurrent_requests,
                        md_text(md).c_str()));
}

void EventRecorder::on_open_rejected(uint64_t conn, void *, const wire::MetadataView &md) {
  events.push_back(roam::format("open_rejected conn=%" PRIu64 " md=%s", conn, md_text(md).c_str()));
}

void EventRecorder::on_connection_closed(uint64_t conn, void *, session::CloseOrigin origin, int reason,
                                         const wire::MetadataView &md) {
  static const char *kOrigin[] = {"local", "remote", "session"};
  events.push_back(roam::format("closed conn=%" PRIu64 " origin=%s reason=%s md=%s", conn,
                        kOrigin[static_cast<int>(origin)], error_name(reason),
                        md_text(md).c_str()));
}

void EventRecorder::on_request(uint64_t conn, const wire::RequestMessage &q) {
  wire::Message m = wire::make_request(conn, q);
  events.push_back("request " + wire::describe_message(m));
  if (on_request_hook) on_request_hook(conn, q);
}

void EventRecorder::on_channel(uint64_t conn, const wire::ChannelMessage &c) {
  wire::Message m = wire::make_channel(conn, c);
  events.push_back("channel " + wire::describe_message(m));
}

void EventRecorder::on_pong(uint64_t nonce, uint64_t rtt_us) {
  events.push_back(roam::format("pong nonce=%" PRIu64 " rtt_us=%" PRIu64, nonce, rtt_us));
}

void EventRecorder::on_keepalive_timeout(uint64_t nonce) {
  events.push_back(roam::format("keepalive_timeout nonce=%" PRIu64, nonce));
}

void EventRecorder::on_writable() { events.push_back("writable"); }

void EventRecorder::on_session_ended(int error, std::string_view reason) {
  events.push_back(roam::format("ended %s: %.*s", error_name(error), static_cast<int>(reason.size()),
                        reason.data()));
}

SessionHarness::SessionHarness(session::SessionConfig config)
    : core(std::move(config), &recorder) {}

void SessionHarness::start() { assert_int_equal(core.start(now_us), ROAM_OK); }

void SessionHarness::feed(const wire::Message &m) {
  wire::ByteBuffer buf;
  size_t mark = frame::begin_frame(buf);
  wire::encode_message(buf, m);
  frame::finish_frame(buf, mark);
  core.receive(buf.view(), now_us);
}

void SessionHarness::feed_bytes(const std::vector<uint8_t> &bytes) {
  core.receive(wire::ByteView(bytes.data(), bytes.size()), now_us);
}

void SessionHarness::feed_frame(const std::vector<uint8_t> &payload) {
  std::vector<uint8_t> framed(4);
  uint32_t n = static_cast<uint32_t>(payload.size());
  framed[0] = static_cast<uint8_t>(n);
  framed[1] = static_cast<uint8_t>(n >> 8);
  framed[2] = static_cast<uint8_t>(n >> 16);
  framed[3] = static_cast<uint8_t>(n >> 24);
  framed.insert(framed.end(), payload.begin(), payload.end());
  feed_bytes(framed);
}

void SessionHarness::advance_ms(uint64_t ms) {
  now_us += ms * 1000;
  core.tick(now_us);
}

std::vector<wire::Message> SessionHarness::sent() {
  kept_.emplace_back();
  wire::ByteBuffer &buf = kept_.back();
  core.take_output(buf);
  std::vector<wire::Message> out;
  frame::FrameDecoder dec(UINT32_MAX);
  int rc = dec.feed(buf.view(), [&](wire::ByteView f) {
    wire::Message m;
    int drc = wire::decode_message(f.data, f.size, &m);
    if (drc != ROAM_OK) fail_msg("core wrote an undecodable frame: %s", error_text(drc));
    out.push_back(m);
    return true;
  });
  assert_int_equal(rc, ROAM_OK);
  assert_false(dec.mid_frame());
  return out;
}

std::vector<std::string> SessionHarness::take_events() {
  std::vector<std::string> e;
  e.swap(recorder.events);
  return e;
}

void SessionHarness::handshake(wire::Parity peer_parity) {
  start();
  if (core.role() == session::Role::Initiator) {
    sent();  // the Hello
    feed(wire::make_hello_yourself({peer_parity, 64}, wire::MetadataView()));
  } else {
    feed(wire::make_hello(wire::kProtocolVersion, {peer_parity, 64}, wire::MetadataView()));
    sent();  // the HelloYourself
  }
  assert_int_equal(static_cast<int>(core.state()),
                   static_cast<int>(session::SessionState::Established));
  take_events();
}

uint64_t open_accepted(SessionHarness &h) {
  uint64_t id = 0;
  assert_int_equal(h.core.open_connection({wire::Parity::Odd, 64}, wire::MetadataView(), &id),
                   ROAM_OK);
  h.feed(wire::make_connection_accept(id, {wire::Parity::Even, 64}, wire::MetadataView()));
  h.sent();
  h.take_events();
  return id;
}

wire::RequestMessage call(uint64_t id, const std::string &args) {
  wire::RequestMessage q;
  q.id = id;
  q.kind = wire::RequestKind::Call;
  q.method_id = 7;
  q.payload = wire::ByteView(std::string_view(args));
  return q;
}

}  // namespace roam::test
