// Drives one SessionCore from a test: feeds it messages as a peer would send
// them (encoded and framed with the real codec), and records what comes out
// (frames written, decoded back) and what it reports (events, as text).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "session/session_core.hpp"
#include "wire/message.hpp"

namespace roam::test {

// Renders every observer event as one line of text, so tests can assert on
// exactly what was reported and in what order.
class EventRecorder : public session::SessionObserver {
 public:
  std::vector<std::string> events;
  // Optional reactions, run from inside the callbacks (like a user would).
  std::function<void(uint64_t, const wire::MetadataView &)> on_inbound_open_hook;
  std::function<void(uint64_t, const wire::RequestMessage &)> on_request_hook;
  // What has_work_in_progress() answers (calls or channels above the core).
  bool busy = false;
  bool has_work_in_progress() const override { return busy; }

  void on_handshake_done(const wire::ConnectionSettings &local, const wire::ConnectionSettings &peer,
                         const wire::MetadataView &md) override;
  void on_inbound_open(uint64_t conn, const wire::ConnectionSettings &peer,
                       const wire::MetadataView &md) override;
  void on_open_accepted(uint64_t conn, const wire::ConnectionSettings &peer,
                        const wire::MetadataView &md) override;
  void on_open_rejected(uint64_t conn, void *, const wire::MetadataView &md) override;
  void on_connection_closed(uint64_t conn, void *, session::CloseOrigin origin, int reason,
                            const wire::MetadataView &md) override;
  void on_request(uint64_t conn, const wire::RequestMessage &request) override;
  void on_channel(uint64_t conn, const wire::ChannelMessage &channel) override;
  void on_pong(uint64_t nonce, uint64_t rtt_us) override;
  void on_keepalive_timeout(uint64_t nonce) override;
  void on_writable() override;
  void on_session_ended(int error, std::string_view reason) override;
};

class SessionHarness {
 public:
  explicit SessionHarness(session::SessionConfig config);

  session::SessionCore core;
  EventRecorder recorder;
  uint64_t now_us = 1000000;

  // Starts the core (initiator: Hello goes out).
  void start();
  // The peer sends `m` (encoded, framed, fed in one piece).
  void feed(const wire::Message &m);
  // Raw bytes from the peer, as they would come off the socket.
  void feed_bytes(const std::vector<uint8_t> &bytes);
  // A frame containing exactly `payload` (for malformed-message tests).
  void feed_frame(const std::vector<uint8_t> &payload);
  void advance_ms(uint64_t ms);

  // Frames the core wrote since the last call, decoded.
  std::vector<wire::Message> sent();
  // Everything recorded since the last call.
  std::vector<std::string> take_events();

  // Completes the handshake with a peer playing the other role. The peer's
  // Hello/HelloYourself use `peer_parity` (initiator peer) and empty metadata.
  void handshake(wire::Parity peer_parity = wire::Parity::Even);

 private:
  std::deque<wire::ByteBuffer> kept_;  // keeps decoded views alive
};

// Opens a virtual connection from the harness's core (odd parity, 64) and
// has the peer accept it; what that sent and reported is taken away.
uint64_t open_accepted(SessionHarness &h);
// A Call with method 7 whose args view `args` (keep it alive meanwhile).
wire::RequestMessage call(uint64_t id, const std::string &args);

// "[k=\"v\", …]" as wire::describe_metadata renders it.
std::string md_text(const wire::MetadataView &md);
// Convenience metadata with one string entry.
wire::MetadataList md1(const char *key, const char *value);

}  // namespace roam::test
