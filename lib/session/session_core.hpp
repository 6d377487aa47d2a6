// The roam session state machine, sans I/O (roam-core's `Session`, one
// method per concern, like handle_inbound_open / handle_close_request /
// handle_keepalive_tick there).
//
// Input:  bytes from the transport (receive), end of stream (receive_eof),
//         the current time (tick), and commands (open, accept, close, …).
// Output: framed bytes to write (take_output), events (SessionObserver),
//         and the next deadline (next_deadline).
// Time is a monotonic clock in microseconds, supplied by the caller.
//
// Not thread-safe: one thread drives a core.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "frame/frame_decoder.hpp"
#include "session/connection_table.hpp"
#include "session/keepalive_clock.hpp"
#include "session/session_config.hpp"
#include "session/session_observer.hpp"
#include "wire/bytes.hpp"
#include "wire/message.hpp"

namespace roam::session {

enum class SessionState : uint8_t {
  Created,      // start() not called yet
  Handshaking,  // initiator: Hello sent; acceptor: waiting for Hello
  Established,
  Ended,
};

struct SessionStats {
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  // Request/channel messages for unknown or pending connections (dropped,
  // as roam-core does).
  uint64_t dropped_messages = 0;
  uint64_t pings_sent = 0;
  uint64_t pongs_sent = 0;
};

class SessionCore {
 public:
  static constexpr uint64_t kNoDeadline = UINT64_MAX;

  SessionCore(SessionConfig config, SessionObserver *observer);
  SessionCore(const SessionCore &) = delete;
  SessionCore &operator=(const SessionCore &) = delete;

  // ---- driving -------------------------------------------------------------
  // Begins the handshake: the initiator queues Hello; the acceptor starts
  // waiting for one. Arms the handshake timeout.
  int start(uint64_t now_us);
  // Bytes read from the transport, in any split. ROAM_ECLOSED once ended.
  int receive(wire::ByteView bytes, uint64_t now_us);
  // The transport reached end of stream.
  void receive_eof(uint64_t now_us);
  // The transport failed (read or write error).
  void transport_failed(int code, std::string_view reason);
  // Advances timers: handshake, frame and idle timeouts, keepalive pings
  // and deadlines.
  void tick(uint64_t now_us);
  // When tick() next has something to do, or kNoDeadline.
  uint64_t next_deadline() const;
  // The transport stopped (or resumed) reading for reasons of our own
  // (proxy backpressure). While paused, the frame and idle timeouts do not
  // run: the peer cannot make progress we do not read; on resume they start
  // afresh from `now_us`.
  void set_reading_paused(bool paused, uint64_t now_us);

  // ---- outbound bytes --------------------------------------------------------
  bool has_output() const { return !output_.empty(); }
  // Moves every queued frame into `into` (swapping buffers, no copy).
  void take_output(wire::ByteBuffer &into);
  // Bytes the transport holds but has not written yet; drives backpressure.
  void set_transport_backlog(size_t bytes);
  size_t outbound_backlog() const { return output_.size() + transport_backlog_; }

  // ---- commands ---------------------------------------------------------------
  // Opens a virtual connection with an id of our session parity. The new id
  // is returned at once; the connection stays pending until Accept/Reject.
  int open_connection(const wire::ConnectionSettings &local, const wire::MetadataView &md,
                      uint64_t *conn_out);
  // Decides a pending inbound open.
  int accept_connection(uint64_t conn, const wire::ConnectionSettings &local,
                        const wire::MetadataView &md);
  int reject_connection(uint64_t conn, const wire::MetadataView &md);
  // Closes an open (or pending outbound) virtual connection.
  int close_connection(uint64_t conn, const wire::MetadataView &md);
  // The last user of the root is gone: the root is closed internally (no
  // message) and the session ends once no virtual connection remains.
  int release_root();
  // Ends the session now: every connection is reported closed.
  void shutdown();
  // A layer above found the peer breaking a rule (e.g. flooding channels
  // nobody reads): the peer gets a ProtocolError with `reason`, then the
  // session ends with `code`, as for violations found here.
  void protocol_violation(int code, std::string reason) { fail_protocol(code, std::move(reason)); }
  // Request and channel traffic. ROAM_EAGAIN above the outbound soft limit,
  // unless `force`: what the protocol owes the peer (responses, cancels,
  // credit) and forwarded traffic bypass it, still bounded by the hard
  // limit. A forced send above the soft limit arms on_writable like a
  // refused one, so producers upstream can pause.
  int send_request(uint64_t conn, const wire::RequestMessage &request, bool force = false);
  int send_channel(uint64_t conn, const wire::ChannelMessage &channel, bool force = false);
  bool congested() const { return outbound_backlog() >= config_.outbound_soft_limit; }
  // Sends a Ping outside keepalive, now; its Pong is reported with a round trip.
  int ping(uint64_t now_us, uint64_t *nonce_out);
  // Whether inbound opens are offered to the observer (else rejected).
  void set_accepts_inbound(bool accepts) { config_.accepts_inbound = accepts; }

  // ---- queries ---------------------------------------------------------------
  SessionState state() const { return state_; }
  Role role() const { return config_.role; }
  // Our session parity (known once established).
  wire::Parity parity() const { return parity_; }
  const Connection *find(uint64_t conn) const { return conns_.find(conn); }
  // Attaches the layer above's object to a connection (Connection::app);
  // it comes back in the events about that connection.
  void set_app(uint64_t conn, void *app) {
    if (Connection *c = conns_.find(conn)) c->app = app;
  }
  // Every connection, in id order (the callback must not open or close any).
  template <class Fn>
  void for_each_connection(Fn &&fn) const {
    conns_.for_each(fn);
  }
  template <class Pred>
  bool any_connection(Pred &&pred) const {
    return conns_.any_of(pred);
  }
  size_t virtual_connection_count() const { return conns_.virtual_count(); }
  // Why the session ended (valid in state Ended).
  int end_error() const { return end_error_; }
  const std::string &end_reason() const { return end_reason_; }
  const SessionStats &stats() const { return stats_; }
  const SessionConfig &config() const { return config_; }

 private:
  // inbound
  void handle_frame(wire::ByteView frame);
  int check_metadata_limits(const wire::Message &m) const;
  void handle_handshake_message(const wire::Message &m);
  void handle_hello(const wire::Message &m);
  void handle_hello_yourself(const wire::Message &m);
  void establish(const wire::ConnectionSettings &local, const wire::ConnectionSettings &peer,
                 const wire::MetadataView &peer_md);
  void dispatch(const wire::Message &m);
  void handle_inbound_open(const wire::Message &m);
  void handle_inbound_accept(const wire::Message &m);
  void handle_inbound_reject(const wire::Message &m);
  void handle_inbound_close(const wire::Message &m);
  void handle_ping(const wire::Message &m);
  void handle_pong(const wire::Message &m);
  void handle_keepalive_tick();
  // Frame progress and idleness, both measured on inbound frames.
  void note_inbound_progress(bool was_mid_frame, uint64_t frames_before);
  uint64_t frame_deadline() const;
  uint64_t idle_deadline() const;
  // When the decoder's spare buffer (kept from a big frame) is let go: once
  // no frame has come for kSpareLingerUs.
  uint64_t spare_deadline() const;
  bool handle_inbound_timeouts();
  const Connection *open_connection_for_traffic(uint64_t conn);

  // outbound
  int queue(const wire::Message &m);
  int queue_user_data(uint64_t conn, const wire::Message &m, bool force);
  int check_outbound_metadata(const wire::MetadataView &md) const;
  // Whether `m` encodes within the maximum frame size (queue() would refuse it).
  bool fits_in_frame(const wire::Message &m) const;
  void reject_inbound(uint64_t conn);

  // endings
  void fail_protocol(int code, std::string reason);
  void end_session(int code, std::string reason);
  void end_if_root_released_and_idle();
  void maybe_report_writable();

  SessionConfig config_;
  SessionObserver *observer_;
  SessionState state_ = SessionState::Created;
  wire::Parity parity_;
  ConnectionTable conns_;
  IdAllocator conn_ids_;
  bool root_released_ = false;

  frame::FrameDecoder decoder_;
  wire::ByteBuffer output_;
  size_t transport_backlog_ = 0;
  bool send_blocked_ = false;  // a user send got ROAM_EAGAIN

  uint64_t now_us_ = 0;
  uint64_t handshake_deadline_ = kNoDeadline;
  // When the first byte of the partial frame arrived (kNoDeadline: none
  // pending), and when the last whole frame did.
  uint64_t frame_started_us_ = kNoDeadline;
  uint64_t last_frame_us_ = 0;
  bool reading_paused_ = false;
  bool decoding_ = false;  // inside decoder_.feed(): its frame is in use
  KeepaliveClock keepalive_;
  // A ProtocolError received after the handshake: the peer is about to
  // close, and that description is the best reason for the end.
  std::string peer_error_;

  int end_error_ = ROAM_OK;
  std::string end_reason_;
  SessionStats stats_;
};

}  // namespace roam::session
