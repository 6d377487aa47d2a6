#include "session/session_core.hpp"

#include <algorithm>
#include <cinttypes>
#include <utility>

#include "common/error_text.hpp"
#include "common/format.hpp"
#include "frame/frame_writer.hpp"
#include "wire/message_codec.hpp"

namespace roam::session {

using wire::ConnectionSettings;
using wire::Message;
using wire::MessageKind;
using wire::MetadataView;


SessionCore::SessionCore(SessionConfig config, SessionObserver *observer)
    : config_(std::move(config)),
      observer_(observer),
      parity_(config_.parity),
      decoder_(config_.max_frame_size) {
  keepalive_.configure(config_.keepalive_interval_ms, config_.keepalive_timeout_ms);
}

// ---- driving ------------------------------------------------------------------

int SessionCore::start(uint64_t now_us) {
  if (state_ != SessionState::Created) return ROAM_ESTATE;
  now_us_ = now_us;
  state_ = SessionState::Handshaking;
  if (config_.handshake_timeout_ms > 0) {
    handshake_deadline_ = now_us + config_.handshake_timeout_ms * 1000;
  }
  if (config_.role == Role::Initiator) {
    ConnectionSettings ours{config_.parity, config_.max_concurrent_requests};
    return queue(wire::make_hello(config_.protocol_version, ours, config_.hello_metadata.view()));
  }
  return ROAM_OK;
}

int SessionCore::receive(wire::ByteView bytes, uint64_t now_us) {
  if (state_ == SessionState::Ended) return ROAM_ECLOSED;
  if (state_ == SessionState::Created) return ROAM_ESTATE;
  now_us_ = now_us;
  stats_.bytes_in += bytes.size;
  bool was_mid_frame = decoder_.mid_frame();
  uint64_t frames_before = stats_.frames_in;
  decoding_ = true;
  int rc = decoder_.feed(bytes, [this](wire::ByteView frame) {
    handle_frame(frame);
    return state_ != SessionState::Ended;
  });
  decoding_ = false;
  if (rc == ROAM_EFRAMESIZE) {
    fail_protocol(ROAM_EFRAMESIZE,
                  format("frame of %" PRIu32 " bytes exceeds the maximum of %" PRIu32,
                         decoder_.rejected_size(), config_.max_frame_size));
  }
  if (state_ == SessionState::Ended) {
    decoder_.release();  // ended during this read (see end_session)
  } else {
    note_inbound_progress(was_mid_frame, frames_before);
  }
  return ROAM_OK;
}

void SessionCore::note_inbound_progress(bool was_mid_frame, uint64_t frames_before) {
  bool completed = stats_.frames_in != frames_before;
  if (completed) last_frame_us_ = now_us_;
  if (!decoder_.mid_frame()) {
    frame_started_us_ = kNoDeadline;
  } else if (!was_mid_frame || completed) {
    // The pending frame began in this read: its first byte arrived now.
    frame_started_us_ = now_us_;
  }
}

void SessionCore::set_reading_paused(bool paused, uint64_t now_us) {
  if (paused == reading_paused_) return;
  reading_paused_ = paused;
  if (!paused) {
    // The stall was ours, not the peer's: its clocks restart.
    if (frame_started_us_ != kNoDeadline) frame_started_us_ = now_us;
    last_frame_us_ = now_us;
  }
}

uint64_t SessionCore::frame_deadline() const {
  if (config_.frame_timeout_ms == 0 || frame_started_us_ == kNoDeadline || reading_paused_) {
    return kNoDeadline;
  }
  return frame_started_us_ + config_.frame_timeout_ms * 1000;
}

// How long a big reassembly buffer outlives the last frame: long enough to
// serve back-to-back big frames, short enough that a quiet session does not
// keep one.
constexpr uint64_t kSpareLingerUs = 1000 * 1000;

uint64_t SessionCore::spare_deadline() const {
  if (!decoder_.holds_spare() || decoding_) return kNoDeadline;
  return last_frame_us_ + kSpareLingerUs;
}

uint64_t SessionCore::idle_deadline() const {
  if (config_.idle_timeout_ms == 0 || state_ != SessionState::Established || reading_paused_) {
    return kNoDeadline;
  }
  return last_frame_us_ + config_.idle_timeout_ms * 1000;
}

void SessionCore::receive_eof(uint64_t now_us) {
  if (state_ == SessionState::Ended) return;
  now_us_ = now_us;
  if (decoder_.mid_frame()) {
    end_session(ROAM_ETRUNCATED, "peer closed the transport in the middle of a frame");
  } else if (state_ != SessionState::Established) {
    end_session(ROAM_EEOF, "peer closed during handshake");
  } else if (!peer_error_.empty()) {
    end_session(ROAM_EPEERERROR, peer_error_);
  } else {
    end_session(ROAM_EEOF, "peer closed the transport");
  }
}

void SessionCore::transport_failed(int code, std::string_view reason) {
  end_session(code, std::string(reason));
}

void SessionCore::tick(uint64_t now_us) {
  now_us_ = now_us;
  if (state_ == SessionState::Handshaking && now_us >= handshake_deadline_) {
    // Told why, as for every other timeout (session.protocol-error).
    fail_protocol(ROAM_ETIMEDOUT, format("handshake not completed within %" PRIu64 " ms",
                                         config_.handshake_timeout_ms));
    return;
  }
  if (state_ != SessionState::Handshaking && state_ != SessionState::Established) return;
  if (now_us >= spare_deadline()) decoder_.release_spare();
  if (handle_inbound_timeouts()) return;
  if (state_ == SessionState::Established) handle_keepalive_tick();
}

uint64_t SessionCore::next_deadline() const {
  switch (state_) {
    case SessionState::Handshaking:
      return std::min(handshake_deadline_, frame_deadline());
    case SessionState::Established:
      return std::min(
          {keepalive_.next_deadline(), frame_deadline(), idle_deadline(), spare_deadline()});
    default:
      return kNoDeadline;
  }
}

bool SessionCore::handle_inbound_timeouts() {
  if (now_us_ >= frame_deadline()) {
    // A peer that announces a big frame and trickles it (or stalls in the
    // middle) would otherwise hold the session and its buffer forever.
    std::string reason =
        decoder_.header_complete()
            ? format("frame timeout: frame of %" PRIu32 " bytes not completed within %" PRIu64
                     " ms (%zu bytes received)",
                     decoder_.announced_size(), config_.frame_timeout_ms, decoder_.body_received())
            : format("frame timeout: frame header not completed within %" PRIu64 " ms",
                     config_.frame_timeout_ms);
    fail_protocol(ROAM_ETIMEDOUT, std::move(reason));
    return true;
  }
  if (now_us_ >= idle_deadline()) {
    if (observer_->has_work_in_progress()) {
      last_frame_us_ = now_us_;  // quiet, not idle: a long call is not a dead peer
      return false;
    }
    fail_protocol(ROAM_ETIMEDOUT, format("idle timeout: no frame received for %" PRIu64 " ms",
                                         config_.idle_timeout_ms));
    return true;
  }
  return false;
}

void SessionCore::take_output(wire::ByteBuffer &into) {
  into.clear();
  into.swap(output_);
}

void SessionCore::set_transport_backlog(size_t bytes) {
  transport_backlog_ = bytes;
  maybe_report_writable();
}

// ---- inbound -------------------------------------------------------------------

void SessionCore::handle_frame(wire::ByteView frame) {
  ++stats_.frames_in;
  Message m;
  int rc = wire::decode_message(frame.data, frame.size, &m);
  if (rc != ROAM_OK) {
    fail_protocol(rc, format("malformed message (%s) in a frame of %zu bytes",
                             error_text(rc), frame.size));
    return;
  }
  rc = check_metadata_limits(m);
  if (rc != ROAM_OK) {
    fail_protocol(rc, format("metadata exceeds the maximum of %" PRIu32 " bytes",
                             config_.max_metadata_size));
    return;
  }
  observer_->on_message(Direction::Inbound, m, frame.size);
  if (state_ == SessionState::Handshaking) {
    handle_handshake_message(m);
  } else {
    dispatch(m);
  }
}

int SessionCore::check_metadata_limits(const Message &m) const {
  size_t size = 0;
  switch (m.kind) {
    case MessageKind::Request:
      size = m.request.metadata.encoded_size();
      break;
    case MessageKind::Channel:
      size = m.channel.metadata.encoded_size();
      break;
    default:
      size = m.metadata.encoded_size();
      break;
  }
  return size > config_.max_metadata_size ? ROAM_ELIMIT : ROAM_OK;
}

void SessionCore::handle_handshake_message(const Message &m) {
  if (m.kind == MessageKind::ProtocolError) {
    // The peer refused us; its description is the reason (as in roam-core).
    end_session(ROAM_EPEERERROR, std::string(m.description));
    return;
  }
  if (config_.role == Role::Initiator) {
    handle_hello_yourself(m);
  } else {
    handle_hello(m);
  }
}

void SessionCore::handle_hello(const Message &m) {
  if (m.kind != MessageKind::Hello) {
    fail_protocol(ROAM_EHANDSHAKE, "expected Hello");
    return;
  }
  if (m.version != wire::kProtocolVersion) {
    fail_protocol(ROAM_EVERSION, format("version mismatch: got %" PRIu32 ", expected %" PRIu32,
                                        m.version, wire::kProtocolVersion));
    return;
  }
  // The acceptor takes the opposite of the initiator's parity, whatever it
  // was configured with.
  ConnectionSettings ours{wire::opposite(m.settings.parity), config_.max_concurrent_requests};
  if (queue(wire::make_hello_yourself(ours, config_.hello_metadata.view())) != ROAM_OK) return;
  establish(ours, m.settings, m.metadata);
}

void SessionCore::handle_hello_yourself(const Message &m) {
  if (m.kind != MessageKind::HelloYourself) {
    fail_protocol(ROAM_EHANDSHAKE, "expected HelloYourself");
    return;
  }
  // Like roam-core, any HelloYourself is accepted: its parity is not checked.
  ConnectionSettings ours{config_.parity, config_.max_concurrent_requests};
  establish(ours, m.settings, m.metadata);
}

void SessionCore::establish(const ConnectionSettings &local, const ConnectionSettings &peer,
                            const MetadataView &peer_md) {
  state_ = SessionState::Established;
  parity_ = local.parity;
  conn_ids_ = IdAllocator(parity_);
  handshake_deadline_ = kNoDeadline;
  conns_.insert(Connection{0, ConnState::Open, local, peer});
  keepalive_.start(now_us_);
  observer_->on_handshake_done(local, peer, peer_md);
}

void SessionCore::dispatch(const Message &m) {
  switch (m.kind) {
    case MessageKind::Hello:
    case MessageKind::HelloYourself:
      return;  // not valid after the handshake; roam-core drops them
    case MessageKind::ProtocolError:
      // roam-core ignores it; the peer closes right after sending it, and
      // its description is then the best reason we will have.
      peer_error_ = std::string(m.description);
      return;
    case MessageKind::ConnectionOpen:
      return handle_inbound_open(m);
    case MessageKind::ConnectionAccept:
      return handle_inbound_accept(m);
    case MessageKind::ConnectionReject:
      return handle_inbound_reject(m);
    case MessageKind::ConnectionClose:
      return handle_inbound_close(m);
    case MessageKind::Request:
      if (open_connection_for_traffic(m.connection_id)) {
        observer_->on_request(m.connection_id, m.request);
      }
      return;
    case MessageKind::Channel:
      if (open_connection_for_traffic(m.connection_id)) {
        observer_->on_channel(m.connection_id, m.channel);
      }
      return;
    case MessageKind::Ping:
      return handle_ping(m);
    case MessageKind::Pong:
      return handle_pong(m);
  }
}

const Connection *SessionCore::open_connection_for_traffic(uint64_t conn) {
  const Connection *c = conns_.find(conn);
  if (c == nullptr || c->state != ConnState::Open) {
    ++stats_.dropped_messages;  // unknown or pending: dropped, as in roam-core
    return nullptr;
  }
  return c;
}

void SessionCore::reject_inbound(uint64_t conn) {
  queue(wire::make_connection_reject(conn, MetadataView()));
}

void SessionCore::handle_inbound_open(const Message &m) {
  uint64_t id = m.connection_id;
  // The peer must open ids of its own parity, the opposite of ours, and not
  // one in use; without an acceptor, or past our limit, we refuse as well.
  // roam-core answers all of these with an empty ConnectionReject.
  if (!wire::has_parity(id, wire::opposite(parity_)) || conns_.contains(id) ||
      !config_.accepts_inbound || conns_.virtual_count() >= config_.max_connections) {
    reject_inbound(id);
    return;
  }
  Connection c;
  c.id = id;
  c.state = ConnState::PendingInbound;
  c.peer = m.settings;
  conns_.insert(c);
  observer_->on_inbound_open(id, m.settings, m.metadata);
}

void SessionCore::handle_inbound_accept(const Message &m) {
  Connection *c = conns_.find(m.connection_id);
  // Duplicate or unsolicited accepts change nothing.
  if (c == nullptr || c->state != ConnState::PendingOutbound) return;
  c->state = ConnState::Open;
  c->peer = m.settings;
  observer_->on_open_accepted(m.connection_id, m.settings, m.metadata);
}

void SessionCore::handle_inbound_reject(const Message &m) {
  const Connection *c = conns_.find(m.connection_id);
  if (c == nullptr || c->state != ConnState::PendingOutbound) return;
  Connection gone;
  conns_.remove(m.connection_id, &gone);
  observer_->on_open_rejected(m.connection_id, gone.app, m.metadata);
  end_if_root_released_and_idle();
}

void SessionCore::handle_inbound_close(const Message &m) {
  // roam-core removes whatever is there, the root included (closing the root
  // is a protocol violation it only warns about).
  Connection gone;
  if (!conns_.remove(m.connection_id, &gone)) return;
  int reason = gone.state == ConnState::Open ? ROAM_OK : ROAM_ECLOSED;
  observer_->on_connection_closed(gone.id, gone.app, CloseOrigin::Remote, reason, m.metadata);
  end_if_root_released_and_idle();
}

void SessionCore::handle_ping(const Message &m) {
  // Answered on the connection it came on, as roam-core does.
  if (queue(wire::make_pong(m.connection_id, m.nonce)) == ROAM_OK) ++stats_.pongs_sent;
}

void SessionCore::handle_pong(const Message &m) {
  if (m.connection_id != 0) return;  // keepalive lives on the root only
  uint64_t rtt_us = 0;
  if (keepalive_.pong_received(m.nonce, now_us_, &rtt_us)) observer_->on_pong(m.nonce, rtt_us);
}

void SessionCore::handle_keepalive_tick() {
  switch (keepalive_.poll(now_us_)) {
    case KeepaliveClock::Due::Nothing:
      return;
    case KeepaliveClock::Due::SendPing: {
      uint64_t nonce = keepalive_.ping_sent(now_us_);
      if (queue(wire::make_ping(nonce)) == ROAM_OK) ++stats_.pings_sent;
      return;
    }
    case KeepaliveClock::Due::TimedOut: {
      uint64_t nonce = keepalive_.waiting_nonce();
      uint64_t timeout_ms = config_.keepalive_timeout_ms;
      observer_->on_keepalive_timeout(nonce);
      end_session(ROAM_EKEEPALIVE,
                  format("keepalive timeout: no Pong for ping %" PRIu64 " within %" PRIu64 " ms",
                         nonce, timeout_ms));
      return;
    }
  }
}

// ---- commands ---------------------------------------------------------------------

bool SessionCore::fits_in_frame(const Message &m) const {
  // Connection control messages only (not the hot path): encoding one to
  // measure it is simpler than a size formula that must stay in step.
  wire::ByteBuffer probe;
  wire::encode_message(probe, m);
  return probe.size() <= config_.max_frame_size;
}

int SessionCore::check_outbound_metadata(const MetadataView &md) const {
  return md.encoded_size() > config_.max_metadata_size ? ROAM_ELIMIT : ROAM_OK;
}

int SessionCore::open_connection(const ConnectionSettings &local, const MetadataView &md,
                                 uint64_t *conn_out) {
  if (state_ == SessionState::Ended) return ROAM_ECLOSED;
  if (state_ != SessionState::Established) return ROAM_ESTATE;
  if (conns_.virtual_count() >= config_.max_connections) return ROAM_ELIMIT;
  int rc = check_outbound_metadata(md);
  if (rc != ROAM_OK) return rc;
  uint64_t id = conn_ids_.next();
  Connection c;
  c.id = id;
  c.state = ConnState::PendingOutbound;
  c.local = local;
  conns_.insert(c);
  rc = queue(wire::make_connection_open(id, local, md));
  if (rc != ROAM_OK) {
    conns_.remove(id, nullptr);
    return rc;
  }
  if (conn_out) *conn_out = id;
  return ROAM_OK;
}

int SessionCore::accept_connection(uint64_t conn, const ConnectionSettings &local,
                                   const MetadataView &md) {
  if (state_ == SessionState::Ended) return ROAM_ECLOSED;
  Connection *c = conns_.find(conn);
  if (c == nullptr) return ROAM_ENOTFOUND;
  if (c->state != ConnState::PendingInbound) return ROAM_ESTATE;
  int rc = check_outbound_metadata(md);
  if (rc != ROAM_OK) return rc;
  wire::Message accept = wire::make_connection_accept(conn, local, md);
  // Too large for a frame: nothing changes, the open stays pending and the
  // caller can decide again (with less metadata).
  if (!fits_in_frame(accept)) return ROAM_EFRAMESIZE;
  c->state = ConnState::Open;
  c->local = local;
  return queue(accept);
}

int SessionCore::reject_connection(uint64_t conn, const MetadataView &md) {
  if (state_ == SessionState::Ended) return ROAM_ECLOSED;
  const Connection *c = conns_.find(conn);
  if (c == nullptr) return ROAM_ENOTFOUND;
  if (c->state != ConnState::PendingInbound) return ROAM_ESTATE;
  int rc = check_outbound_metadata(md);
  if (rc != ROAM_OK) return rc;
  // A Reject too large for a frame would not be queued: refuse it while the
  // open is still pending (the caller can decide again), rather than drop
  // the connection with nothing sent and nobody told.
  wire::Message reject = wire::make_connection_reject(conn, md);
  if (!fits_in_frame(reject)) return ROAM_EFRAMESIZE;
  conns_.remove(conn, nullptr);
  rc = queue(reject);
  end_if_root_released_and_idle();
  return rc;
}

int SessionCore::close_connection(uint64_t conn, const MetadataView &md) {
  if (conn == 0) return ROAM_EROOT;  // "cannot close root connection"
  if (state_ == SessionState::Ended) return ROAM_ECLOSED;
  const Connection *c = conns_.find(conn);
  if (c == nullptr) return ROAM_ENOTFOUND;  // "connection not found"
  if (c->state == ConnState::PendingInbound) return ROAM_ESTATE;  // decide it instead
  int rc = check_outbound_metadata(md);
  if (rc != ROAM_OK) return rc;
  // The connection stays open if its Close could not be sent at all.
  if (!fits_in_frame(wire::make_connection_close(conn, md))) return ROAM_EFRAMESIZE;
  Connection gone;
  conns_.remove(conn, &gone);
  // Reported before the ConnectionClose is queued: that send can end the
  // session (the outbound hard limit), which reports only the connections
  // still in the table, and this one must be closed before the session is.
  // Closing a pending open resolves that open as failed.
  int reason = gone.state == ConnState::Open ? ROAM_OK : ROAM_ECLOSED;
  observer_->on_connection_closed(conn, gone.app, CloseOrigin::Local, reason, MetadataView());
  if (state_ == SessionState::Ended) return ROAM_OK;  // the observer ended it
  queue(wire::make_connection_close(conn, md));
  end_if_root_released_and_idle();
  return ROAM_OK;
}

int SessionCore::release_root() {
  if (state_ == SessionState::Ended) return ROAM_ECLOSED;
  if (state_ != SessionState::Established) return ROAM_ESTATE;
  root_released_ = true;
  end_if_root_released_and_idle();
  return ROAM_OK;
}

void SessionCore::shutdown() { end_session(ROAM_ESHUTDOWN, "session shut down locally"); }

int SessionCore::queue_user_data(uint64_t conn, const Message &m, bool force) {
  if (state_ == SessionState::Ended) return ROAM_ECLOSED;
  if (state_ != SessionState::Established) return ROAM_ESTATE;
  const Connection *c = conns_.find(conn);
  if (c == nullptr) return ROAM_ENOTFOUND;
  if (c->state != ConnState::Open) return ROAM_ESTATE;
  if (congested()) {
    send_blocked_ = true;
    if (!force) return ROAM_EAGAIN;
  }
  int rc = queue(m);
  if (rc == ROAM_OK && force && congested()) send_blocked_ = true;
  return rc;
}

int SessionCore::send_request(uint64_t conn, const wire::RequestMessage &request, bool force) {
  int rc = check_outbound_metadata(request.metadata);
  if (rc != ROAM_OK) return rc;
  return queue_user_data(conn, wire::make_request(conn, request), force);
}

int SessionCore::send_channel(uint64_t conn, const wire::ChannelMessage &channel, bool force) {
  int rc = check_outbound_metadata(channel.metadata);
  if (rc != ROAM_OK) return rc;
  return queue_user_data(conn, wire::make_channel(conn, channel), force);
}

int SessionCore::ping(uint64_t now_us, uint64_t *nonce_out) {
  if (state_ == SessionState::Ended) return ROAM_ECLOSED;
  if (state_ != SessionState::Established) return ROAM_ESTATE;
  now_us_ = now_us;
  uint64_t nonce = keepalive_.probe_sent(now_us_);
  int rc = queue(wire::make_ping(nonce));
  if (rc == ROAM_OK) {
    ++stats_.pings_sent;
    if (nonce_out) *nonce_out = nonce;
  }
  return rc;
}

// ---- outbound ---------------------------------------------------------------------

int SessionCore::queue(const Message &m) {
  size_t mark = frame::begin_frame(output_);
  wire::encode_message(output_, m);
  size_t size = frame::finish_frame(output_, mark);
  if (size > config_.max_frame_size) {
    output_.truncate(mark);
    return ROAM_EFRAMESIZE;
  }
  ++stats_.frames_out;
  stats_.bytes_out += size + frame::kHeaderSize;
  observer_->on_message(Direction::Outbound, m, size);
  if (outbound_backlog() > config_.outbound_hard_limit) {
    end_session(ROAM_ELIMIT, format("outbound backlog exceeded %zu bytes: the peer is not reading",
                                    config_.outbound_hard_limit));
    return ROAM_ELIMIT;
  }
  return ROAM_OK;
}

void SessionCore::maybe_report_writable() {
  // Resume at half the soft limit, so a producer does not wake per frame.
  if (send_blocked_ && state_ == SessionState::Established &&
      outbound_backlog() <= config_.outbound_soft_limit / 2) {
    send_blocked_ = false;
    observer_->on_writable();
  }
}

// ---- endings ----------------------------------------------------------------------

void SessionCore::fail_protocol(int code, std::string reason) {
  // Spec (session.protocol-error): tell the peer why, then tear down. The
  // transport flushes this before closing.
  if (state_ == SessionState::Ended) return;
  queue(wire::make_protocol_error(reason));
  end_session(code, std::move(reason));
}

void SessionCore::end_session(int code, std::string reason) {
  if (state_ == SessionState::Ended) return;
  state_ = SessionState::Ended;
  end_error_ = code;
  end_reason_ = std::move(reason);
  // A partial frame is of no use any more. While a read is being decoded its
  // frame may still be in use: receive() lets go after the read instead.
  if (!decoding_) decoder_.release();
  // The table is emptied first: callbacks that call back in see a closed
  // session, not a half-torn-down one.
  for (const Connection &c : conns_.drain()) {
    observer_->on_connection_closed(c.id, c.app, CloseOrigin::Session, code, MetadataView());
  }
  observer_->on_session_ended(end_error_, end_reason_);
}

void SessionCore::end_if_root_released_and_idle() {
  if (root_released_ && state_ == SessionState::Established && conns_.virtual_count() == 0) {
    end_session(ROAM_OK, "root connection released and no virtual connection remains");
  }
}

}  // namespace roam::session
