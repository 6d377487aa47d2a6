// roam-transcript: two session cores wired back to back in memory, driven
// through a handshake and a virtual-connection exchange, printing every
// message that crosses (decoded) and every event each side reports.
//
// It exercises only the sans-I/O layers (frame, wire, session): no sockets,
// no event loop, a fake clock. The socket demo is tools/roam-demo.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/error_text.hpp"
#include "session/session_core.hpp"
#include "wire/message_format.hpp"

using namespace roam;
using roam::session::SessionCore;

namespace {

// What each side's application does with the events: it prints them and
// follows a tiny accept policy (accept when metadata says want=accept).
class Peer : public session::SessionObserver {
 public:
  Peer(const char *name, const char *arrow) : name_(name), arrow_(arrow) {}
  SessionCore *core = nullptr;

  void on_message(session::Direction dir, const wire::Message &m, size_t) override {
    if (dir == session::Direction::Outbound) {
      std::printf("  %s %s\n", arrow_, wire::describe_message(m).c_str());
    }
  }
  void on_handshake_done(const wire::ConnectionSettings &local, const wire::ConnectionSettings &peer,
                         const wire::MetadataView &md) override {
    std::printf("[%s] handshake done: our parity %s, peer's %s, peer metadata %s\n", name_,
                local.parity == wire::Parity::Odd ? "odd" : "even",
                peer.parity == wire::Parity::Odd ? "odd" : "even",
                wire::describe_metadata(md).c_str());
  }
  void on_inbound_open(uint64_t conn, const wire::ConnectionSettings &peer,
                       const wire::MetadataView &md) override {
    std::printf("[%s] inbound open of conn %" PRIu64 " with %s\n", name_, conn,
                wire::describe_metadata(md).c_str());
    wire::MetadataEntry want;
    if (md.find("want", &want) && want.string_value() == "accept") {
      wire::MetadataList reply;
      reply.add_string("accepted-by", name_);
      core->accept_connection(conn, {wire::opposite(peer.parity), 64}, reply.view());
    } else {
      wire::MetadataList reply;
      reply.add_string("reason", "policy");
      core->reject_connection(conn, reply.view());
    }
  }
  void on_open_accepted(uint64_t conn, const wire::ConnectionSettings &,
                        const wire::MetadataView &md) override {
    std::printf("[%s] conn %" PRIu64 " accepted with %s\n", name_, conn,
                wire::describe_metadata(md).c_str());
  }
  void on_open_rejected(uint64_t conn, void *, const wire::MetadataView &md) override {
    std::printf("[%s] conn %" PRIu64 " rejected with %s\n", name_, conn,
                wire::describe_metadata(md).c_str());
  }
  void on_connection_closed(uint64_t conn, void *, session::CloseOrigin origin, int reason,
                            const wire::MetadataView &md) override {
    static const char *kOrigin[] = {"locally", "by the peer", "with the session"};
    std::printf("[%s] conn %" PRIu64 " closed %s (%s) %s\n", name_, conn,
                kOrigin[static_cast<int>(origin)], error_name(reason),
                wire::describe_metadata(md).c_str());
  }
  void on_request(uint64_t conn, const wire::RequestMessage &q) override {
    std::printf("[%s] %s %" PRIu64 " on conn %" PRIu64 "\n", name_,
                wire::request_kind_name(q.kind), q.id, conn);
    if (q.kind != wire::RequestKind::Call) return;
    // Echo: answer Ok(args) — a postcard Result is 00 + the value.
    std::string ret(1, '\0');
    ret.append(reinterpret_cast<const char *>(q.payload.data), q.payload.size);
    wire::RequestMessage resp;
    resp.id = q.id;
    resp.kind = wire::RequestKind::Response;
    resp.payload = wire::ByteView(ret);
    core->send_request(conn, resp);
  }
  void on_channel(uint64_t conn, const wire::ChannelMessage &c) override {
    std::printf("[%s] channel %" PRIu64 " %s on conn %" PRIu64 "\n", name_, c.id,
                wire::channel_kind_name(c.kind), conn);
  }
  void on_pong(uint64_t nonce, uint64_t rtt_us) override {
    std::printf("[%s] pong for ping %" PRIu64 " after %" PRIu64 " us (fake clock)\n", name_, nonce,
                rtt_us);
  }
  void on_session_ended(int error, std::string_view reason) override {
    std::printf("[%s] session ended: %s: %.*s\n", name_, error_name(error),
                static_cast<int>(reason.size()), reason.data());
  }

 private:
  const char *name_;
  const char *arrow_;
};

uint64_t g_clock_us = 1000000;

// Moves bytes both ways until neither side has anything left to say.
void pump(SessionCore &a, SessionCore &b) {
  wire::ByteBuffer buf;
  for (int round = 0; round < 100 && (a.has_output() || b.has_output()); ++round) {
    g_clock_us += 150;  // pretend each hop takes a little time
    if (a.has_output()) {
      a.take_output(buf);
      b.receive(buf.view(), g_clock_us);
    }
    if (b.has_output()) {
      b.take_output(buf);
      a.receive(buf.view(), g_clock_us);
    }
  }
}

void step(const char *what) { std::printf("\n== %s\n", what); }

void check(int rc, const char *what) {
  if (rc != ROAM_OK) {
    std::fprintf(stderr, "roam-transcript: %s failed: %s\n", what, error_text(rc));
    std::exit(1);
  }
}

}  // namespace

int main() {
  Peer alice("initiator", "initiator -> acceptor:");
  Peer bob("acceptor", "acceptor -> initiator:");

  session::SessionConfig ca;
  ca.role = session::Role::Initiator;
  ca.accepts_inbound = true;
  ca.hello_metadata.add_string("client", "roam-transcript").add_u64("pid", 4242);
  session::SessionConfig cb;
  cb.role = session::Role::Acceptor;
  cb.accepts_inbound = true;
  cb.max_concurrent_requests = 32;
  cb.hello_metadata.add_string("server", "roam-transcript")
      .add_bytes("token", wire::ByteView(std::string_view("secret")), wire::kMetadataSensitive);

  SessionCore a(ca, &alice);
  SessionCore b(cb, &bob);
  alice.core = &a;
  bob.core = &b;

  step("handshake");
  check(b.start(g_clock_us), "acceptor start");
  check(a.start(g_clock_us), "initiator start");
  pump(a, b);

  step("the initiator opens a virtual connection (accepted)");
  uint64_t conn1 = 0;
  wire::MetadataList want_accept;
  want_accept.add_string("want", "accept");
  check(a.open_connection({wire::Parity::Odd, 16}, want_accept.view(), &conn1), "open");
  pump(a, b);

  step("the acceptor opens one (rejected by the initiator's policy)");
  uint64_t conn2 = 0;
  wire::MetadataList want_reject;
  want_reject.add_string("want", "reject");
  check(b.open_connection({wire::Parity::Even, 16}, want_reject.view(), &conn2), "open");
  pump(a, b);

  step("a call and its response on the virtual connection");
  const uint8_t args[] = {0x02, 'h', 'i'};
  wire::RequestMessage call;
  call.id = 1;
  call.kind = wire::RequestKind::Call;
  call.method_id = 0x9aabc4ba61fd5df3ull;
  call.payload = wire::ByteView(args, sizeof args);
  check(a.send_request(conn1, call), "call");
  pump(a, b);

  step("channel traffic: an item, credit, and the close");
  const uint8_t item[] = {0x4d};
  wire::ChannelMessage ch;
  ch.id = 1;
  ch.kind = wire::ChannelKind::Item;
  ch.item = wire::ByteView(item, sizeof item);
  check(a.send_channel(conn1, ch), "item");
  ch.kind = wire::ChannelKind::GrantCredit;
  ch.additional = 8;
  check(b.send_channel(conn1, ch), "credit");
  ch.kind = wire::ChannelKind::Close;
  check(a.send_channel(conn1, ch), "channel close");
  pump(a, b);

  step("ping");
  check(a.ping(g_clock_us, nullptr), "ping");
  pump(a, b);

  step("the initiator closes the virtual connection");
  wire::MetadataList bye;
  bye.add_string("bye", "done");
  check(a.close_connection(conn1, bye.view()), "close");
  pump(a, b);

  step("the initiator releases its root: no virtual connection is left, so the session ends");
  check(a.release_root(), "release root");
  pump(a, b);
  b.receive_eof(g_clock_us);  // what the acceptor sees when the transport closes

  std::printf("\nframes: initiator sent %" PRIu64 ", acceptor sent %" PRIu64 "\n",
              a.stats().frames_out, b.stats().frames_out);
  return 0;
}
