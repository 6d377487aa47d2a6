// What the session core reports. Called synchronously from inside
// receive() / tick() / commands; every view argument is valid only during
// the call. Implementations may call back into the core (accept an inbound
// open, send a response, close, shut down): the core finishes its own state
// changes before it reports anything, and re-checks its state afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "wire/message.hpp"

namespace roam::session {

enum class CloseOrigin : uint8_t {
  Local,    // this side closed it (close_connection)
  Remote,   // the peer sent ConnectionClose
  Session,  // the whole session ended
};

enum class Direction : uint8_t { Inbound, Outbound };

class SessionObserver {
 public:
  virtual ~SessionObserver() = default;

  // Handshake complete: the root connection (id 0) is open.
  virtual void on_handshake_done(const wire::ConnectionSettings &local,
                                 const wire::ConnectionSettings &peer,
                                 const wire::MetadataView &peer_metadata) = 0;

  // The peer wants a virtual connection; decide with accept_connection() or
  // reject_connection(), now or later. Wrong-parity, duplicate and over-limit
  // opens never get here: the core rejects them itself.
  virtual void on_inbound_open(uint64_t conn, const wire::ConnectionSettings &peer,
                               const wire::MetadataView &metadata) = 0;

  virtual void on_open_accepted(uint64_t conn, const wire::ConnectionSettings &peer,
                                const wire::MetadataView &metadata) = 0;
  // The connection is gone; no closed event follows. `app` is what was
  // attached to it (SessionCore::set_app), for this last event.
  virtual void on_open_rejected(uint64_t conn, void *app, const wire::MetadataView &metadata) = 0;

  // A connection (open or still pending) is gone. `reason` is ROAM_OK for a
  // plain close, else why (ROAM_ECLOSED for an open that never completed, or
  // the session's end code). `metadata` is the peer's, for Remote closes.
  // `app` as for on_open_rejected.
  virtual void on_connection_closed(uint64_t conn, void *app, CloseOrigin origin, int reason,
                                    const wire::MetadataView &metadata) = 0;

  // Request and channel traffic for an open connection.
  virtual void on_request(uint64_t conn, const wire::RequestMessage &request) = 0;
  virtual void on_channel(uint64_t conn, const wire::ChannelMessage &channel) = 0;

  // A Pong answered one of our Pings (keepalive or explicit).
  virtual void on_pong(uint64_t /*nonce*/, uint64_t /*rtt_us*/) {}
  // Reported just before the session ends with ROAM_EKEEPALIVE.
  virtual void on_keepalive_timeout(uint64_t /*nonce*/) {}
  // Outbound backlog fell back under the low-water mark after a ROAM_EAGAIN.
  virtual void on_writable() {}
  // Asked when the idle timeout runs out: true if work is still in progress
  // above the core (calls awaiting a response or being served, channels
  // open), which a quiet peer may legitimately be waiting on. The session
  // then stays up and its idle clock restarts.
  virtual bool has_work_in_progress() const { return false; }

  // The session is over (handshake failure included). Every connection has
  // already been reported closed. `error` is ROAM_OK for an orderly end.
  virtual void on_session_ended(int error, std::string_view reason) = 0;

  // Every message decoded or queued, for transcripts and tracing.
  // `frame_size` is its encoded size: the frame's length prefix, which
  // does not count the 4-byte prefix itself. Called in the middle of
  // receive() or of queueing (the message is decoded but not acted on, or
  // queued but the backlog not yet checked): an implementation must not
  // call back into the core from here.
  virtual void on_message(Direction /*dir*/, const wire::Message & /*m*/,
                          size_t /*frame_size*/) {}
};

}  // namespace roam::session
