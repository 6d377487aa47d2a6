#include "capi_fuzz_harness.hpp"

#include <algorithm>
#include <cstring>

#include "capi_hostile_peer.hpp"
#include "fuzz_check.hpp"
#include "fuzz_trace.hpp"

namespace roam::fuzz::capi {

namespace {

constexpr uint32_t kDefaultMaxFrame = 16u * 1024u * 1024u;
// Bounds that keep one input's run short whatever it asks for.
constexpr int kHandshakeRounds = 16;
constexpr int kFinishRounds = 64;
constexpr int kPumpAllRounds = 32;

SideRecord *side_of(void *user_data) { return static_cast<SideRecord *>(user_data); }

// ---- C callbacks: each forwards to the harness the side belongs to ----

void cb_handshake(roam_session *s, void *ud, int status, const roam_metadata *md) {
  SideRecord *side = side_of(ud);
  FUZZ_CHECK(side->s == s, "handshake callback for another session");
  side->harness->on_handshake(side, status, md);
}
void cb_end(roam_session *s, void *ud, int error, const char *reason) {
  SideRecord *side = side_of(ud);
  FUZZ_CHECK(side->s == s, "end callback for another session");
  side->harness->on_end(side, error, reason);
}
void cb_close(roam_session *s, void *ud) {
  SideRecord *side = side_of(ud);
  FUZZ_CHECK(side->s == s, "close callback for another session");
  side->harness->on_close(side);
}
void cb_inbound_open(roam_conn *conn, void *ud, const roam_metadata *md) {
  side_of(ud)->harness->on_inbound_open(side_of(ud), conn, md);
}
void cb_open(roam_conn *conn, void *ud, int status, const roam_metadata *md) {
  side_of(ud)->harness->on_open(side_of(ud), conn, status, md);
}
void cb_conn_closed(roam_conn *conn, void *ud, int origin, int, const roam_metadata *md) {
  side_of(ud)->harness->on_conn_closed(side_of(ud), conn, origin, md);
}
void cb_request(roam_conn *conn, void *ud, int, uint64_t, uint64_t, const uint64_t *, size_t,
                const roam_metadata *, const uint8_t *, size_t) {
  FUZZ_CHECK(roam_conn_session(conn) == side_of(ud)->s, "raw request for another session");
  side_of(ud)->harness->on_plain(side_of(ud));
}
void cb_channel(roam_conn *conn, void *ud, int, uint64_t, const roam_metadata *, const uint8_t *,
                size_t, uint32_t) {
  FUZZ_CHECK(roam_conn_session(conn) == side_of(ud)->s, "raw channel message for another session");
  side_of(ud)->harness->on_plain(side_of(ud));
}
void cb_pong(roam_session *s, void *ud, uint64_t, uint64_t) {
  FUZZ_CHECK(side_of(ud)->s == s, "pong for another session");
  side_of(ud)->harness->on_plain(side_of(ud));
}
void cb_keepalive_timeout(roam_session *s, void *ud) {
  FUZZ_CHECK(side_of(ud)->s == s, "keepalive timeout for another session");
  side_of(ud)->harness->on_plain(side_of(ud));
}
void cb_writable(roam_session *s, void *ud) {
  FUZZ_CHECK(side_of(ud)->s == s, "writable for another session");
  side_of(ud)->harness->on_plain(side_of(ud));
}
void cb_trace(roam_session *s, void *ud, int direction, uint64_t, int kind, int, uint64_t,
              size_t) {
  FUZZ_CHECK(side_of(ud)->s == s, "trace event for another session");
  FUZZ_CHECK(direction == ROAM_TRACE_IN || direction == ROAM_TRACE_OUT, "trace direction %d",
             direction);
  FUZZ_CHECK(kind >= ROAM_MSG_HELLO && kind <= ROAM_MSG_PONG, "trace message kind %d", kind);
  side_of(ud)->harness->on_plain(side_of(ud));
}
void cb_call(roam_conn *conn, void *ud, roam_reply *reply, uint64_t, const uint64_t *channels,
             size_t channel_count, const roam_metadata *md, const uint8_t *, size_t) {
  side_of(ud)->harness->on_call(side_of(ud), conn, reply, channels, channel_count, md);
}
void cb_call_cancelled(roam_reply *reply, void *ud) {
  side_of(ud)->harness->on_call_cancelled(side_of(ud), reply);
}
void cb_response(roam_call *call, void *ud, int, const roam_metadata *md, const uint8_t *,
                 size_t) {
  CallRecord *rec = static_cast<CallRecord *>(ud);
  rec->side->harness->on_response(rec, call, md);
}
void cb_channel_item(roam_channel *ch, void *ud, const uint8_t *, size_t) {
  side_of(ud)->harness->on_channel_item(side_of(ud), ch);
}
void cb_channel_end(roam_channel *ch, void *ud, int, const roam_metadata *md) {
  side_of(ud)->harness->on_channel_end(side_of(ud), ch, md);
}
void cb_channel_writable(roam_channel *ch, void *ud) {
  side_of(ud)->harness->on_channel_writable(side_of(ud), ch);
}

// Printable ASCII: valid UTF-8, as keys and string values must be.
std::string ascii(const std::vector<uint8_t> &raw) {
  std::string s;
  for (uint8_t c : raw) s += static_cast<char>(0x20 + c % 95);
  return s;
}

}  // namespace

CapiFuzzHarness::CapiFuzzHarness(const uint8_t *data, size_t size) : in_(data, size) {
  for (uint8_t &b : header_) b = in_.u8();
  flags_ = header_[kCapiFlags];
}

// Everything the harness allocated is owned by the record vectors; the
// library's objects were all closed and released by finish().
CapiFuzzHarness::~CapiFuzzHarness() = default;

void CapiFuzzHarness::run() {
  create_sides();
  handshake();
  while (!in_.empty()) run_op(in_.u8());
  finish();
  final_checks();
}

// ---- setup and the end --------------------------------------------------------------

roam_options *CapiFuzzHarness::make_options(bool acceptor) const {
  roam_options *o = roam_options_new();
  FUZZ_CHECK(o != nullptr, "roam_options_new failed");
  roam_options_set_role(o, acceptor ? ROAM_ROLE_ACCEPTOR : ROAM_ROLE_INITIATOR);
  roam_options_set_parity(o, (header_[kCapiParity] & 1) ? ROAM_PARITY_EVEN : ROAM_PARITY_ODD);
  roam_options_set_max_concurrent_requests(o, 1 + (header_[kCapiLimits] & 0xf));
  roam_options_set_max_connections(o, 1 + (header_[kCapiLimits] >> 4));
  if (flags_ & kCapiSmallFrames) roam_options_set_max_frame_size(o, 64 + 16u * header_[kCapiFrameSize]);
  if (flags_ & kCapiSmallOutbound) {
    size_t soft = 256 + 64u * (header_[kCapiOutbound] & 0xf);
    roam_options_set_outbound_limits(o, soft, soft + 256u * (1 + (header_[kCapiOutbound] >> 4)));
  }
  if (flags_ & kCapiSmallChannelBuffers) {
    roam_options_set_channel_buffer_limits(o, 32u * (1 + (header_[kCapiChannelBuffers] & 0xf)),
                                           128u * (1 + (header_[kCapiChannelBuffers] >> 4)));
  }
  if (flags_ & kCapiKeepaliveOn) {
    roam_options_set_keepalive(o, 100 + 50u * (header_[kCapiKeepalive] & 0xf),
                               100 + 100u * (header_[kCapiKeepalive] >> 4));
  }
  if (flags_ & kCapiShortTimeouts) {
    uint8_t t = header_[kCapiTimeouts];
    roam_options_set_handshake_timeout(o, 100u * (1 + (t & 0xf)));
    roam_options_set_frame_timeout(o, 50u * (1 + ((t >> 4) & 3)));
    roam_options_set_idle_timeout(o, 500u * (1 + (t >> 6)));
  }
  if (flags_ & kCapiHelloMetadata) {
    roam_metadata *md = roam_metadata_new();
    roam_metadata_add_string(md, "peer", ROAM_NTS, acceptor ? "acceptor" : "initiator", ROAM_NTS, 0);
    roam_metadata_add_u64(md, "n", ROAM_NTS, header_[kCapiLimits], ROAM_METADATA_NO_PROPAGATE);
    roam_options_set_hello_metadata(o, md);
    roam_metadata_free(md);
  }
  return o;
}

void CapiFuzzHarness::create_sides() {
  int count = (flags_ & kCapiTwoSessions) ? 2 : 1;
  for (int i = 0; i < count; ++i) {
    bool acceptor = ((flags_ & kCapiFirstAcceptor) != 0) == (i == 0);
    uint32_t max_frame = (flags_ & kCapiSmallFrames) ? 64 + 16u * header_[kCapiFrameSize]
                                                     : kDefaultMaxFrame;
    auto side = std::make_unique<SideRecord>(this, max_frame);
    side->index = i;
    roam_options *o = make_options(acceptor);
    int rc = roam_session_new_custom(o, now_us_, &side->s);
    roam_options_free(o);
    FUZZ_CHECK(rc == ROAM_OK && side->s, "roam_session_new_custom failed: %d", rc);
    roam_session *s = side->s;
    SideRecord *ud = side.get();
    roam_session_set_user_data(s, ud);
    roam_session_on_trace(s, cb_trace, ud);
    roam_session_on_handshake(s, cb_handshake, ud);
    roam_session_on_end(s, cb_end, ud);
    roam_session_on_inbound_open(s, cb_inbound_open, ud);
    roam_session_on_open(s, cb_open, ud);
    roam_session_on_conn_closed(s, cb_conn_closed, ud);
    roam_session_on_request(s, cb_request, ud);
    roam_session_on_channel(s, cb_channel, ud);
    roam_session_on_pong(s, cb_pong, ud);
    roam_session_on_keepalive_timeout(s, cb_keepalive_timeout, ud);
    roam_session_on_writable(s, cb_writable, ud);
    roam_session_on_call(s, cb_call, ud);
    roam_session_on_call_cancelled(s, cb_call_cancelled, ud);
    roam_session_on_channel_item(s, cb_channel_item, ud);
    roam_session_on_channel_end(s, cb_channel_end, ud);
    roam_session_on_channel_writable(s, cb_channel_writable, ud);
    sides_.push_back(std::move(side));
  }
}

void CapiFuzzHarness::handshake() {
  if (sides_.size() == 2) {
    for (int round = 0; round < kHandshakeRounds; ++round) {
      if (sides_[0]->handshake_seen && sides_[1]->handshake_seen) break;
      pump(sides_[0].get(), 0, 0);
      pump(sides_[1].get(), 0, 0);
      tick(sides_[0].get());
      tick(sides_[1].get());
    }
    // Each one established, unless a callback on the way (a trace event
    // reacting) shut it down or closed it.
    for (auto &side : sides_) {
      FUZZ_CHECK(side->handshake_seen || side->end_seen || side->close_called,
                 "session %d: a valid handshake did not complete", side->index);
    }
    return;
  }
  // The hostile peer's side of a valid handshake: its Hello if the
  // session accepts, else HelloYourself once the session's Hello is out.
  SideRecord *side = sides_[0].get();
  bool session_accepts = (flags_ & kCapiFirstAcceptor) != 0;
  pump(side, 0, 0);
  deliver(side, hostile_handshake(session_accepts, (header_[kCapiParity] & 2) != 0,
                                  1 + (header_[kCapiLimits] & 0xf)));
  tick(side);
}

void CapiFuzzHarness::finish() {
  finishing_ = true;
  for (auto &side : sides_) {
    if (!side->close_called) close_session(side.get());
  }
  // Drain each session's output until it says ECLOSED, ticking as roam.h
  // says; the close callback runs in one of those ticks.
  for (int round = 0; round < kFinishRounds; ++round) {
    bool all_closed = true;
    for (auto &side : sides_) {
      if (side->closed) continue;
      all_closed = false;
      pump(side.get(), 0, 0);
      if (!side->closed) tick(side.get());
    }
    if (all_closed) break;
    now_us_ += 1000;
  }
  for (auto &side : sides_) {
    FUZZ_CHECK(side->closed, "session %d: no close callback after close and %d drained ticks",
               side->index, kFinishRounds);
  }
  // Reply handles outlive their session: ours to release.
  for (auto &reply : replies_) {
    if (!reply->held) continue;
    reply->held = false;
    roam_reply_release(reply->reply);
  }
}

void CapiFuzzHarness::final_checks() {
  // (A session may stop inside a frame: when the linger after its end runs
  // out before the peer took everything, the rest is cut, as a socket's
  // would be. Every whole frame it wrote was checked.)
  for (auto &call : calls_) {
    FUZZ_CHECK(call->done, "a call never got its response callback");
  }
  for (auto &ch : channels_) {
    FUZZ_CHECK(!ch->alive, "channel %llu never got its end callback",
               static_cast<unsigned long long>(roam_channel_id(ch->ch)));
  }
  for (auto &conn : conns_) {
    FUZZ_CHECK(!conn->alive, "a connection never got its final callback");
  }
}

// ---- traffic and time ---------------------------------------------------------------

SideRecord *CapiFuzzHarness::other(SideRecord *side) {
  if (sides_.size() < 2) return nullptr;
  return sides_[side->index == 0 ? 1 : 0].get();
}

void CapiFuzzHarness::run_op(uint8_t code) {
  auto op = static_cast<CapiOp>(code % kCapiOpCount);
  trace("op %d", static_cast<int>(op));
  switch (op) {
    case CapiOp::Pump: {
      uint8_t how = in_.u8();
      size_t max_bytes = in_.u8();
      if (SideRecord *from = sides_[how & 1 ? sides_.size() - 1 : 0].get()) {
        pump(from, max_bytes, how >> 1);
      }
      break;
    }
    case CapiOp::PumpAll:
      pump_all();
      break;
    case CapiOp::PeerBytes: {
      SideRecord *to = pick_side();
      std::vector<uint8_t> bytes = in_.bytes(in_.u8());
      if (to) deliver(to, std::move(bytes));
      break;
    }
    case CapiOp::PeerMessages: {
      SideRecord *to = pick_side();
      KnownIds known;
      for (auto &side : sides_) side->output.add_to(known);
      for (auto &conn : conns_) {
        if (conn->alive) known.connections.push_back(roam_conn_id(conn->conn));
      }
      std::vector<uint8_t> bytes = hostile_messages(in_, known);
      if (to) deliver(to, std::move(bytes));
      break;
    }
    case CapiOp::Eof:
      if (SideRecord *side = pick_side()) feed_eof(side);
      break;
    case CapiOp::Tick: {
      uint8_t b = in_.u8();
      now_us_ += b < 128 ? b * 1000ull : (b - 127) * 1000000ull;
      for (auto &side : sides_) {
        if (!side->closed) tick(side.get());
      }
      break;
    }
    case CapiOp::TickToDeadline:
      if (SideRecord *side = pick_side()) tick_to_deadline(side);
      break;
    default:
      user_op(code);
      break;
  }
  // Like an application's loop: run what is due now (callbacks queued by
  // the operation's own calls come due at once).
  for (auto &side : sides_) {
    uint64_t deadline = 0;
    if (side->closed) continue;
    if (roam_session_next_deadline(side->s, &deadline) == ROAM_OK && deadline <= now_us_) {
      tick(side.get());
    }
  }
}

void CapiFuzzHarness::pump(SideRecord *from, size_t max_bytes, uint8_t mutation) {
  if (from->closed) return;
  const uint8_t *data = nullptr;
  size_t len = 0;
  int rc = roam_session_pending_output(from->s, &data, &len);
  if (rc == ROAM_ECLOSED) {
    FUZZ_CHECK(len == 0, "pending_output says ECLOSED with %zu bytes", len);
    return;
  }
  FUZZ_CHECK(rc == ROAM_OK, "pending_output failed: %d", rc);
  if (len == 0) return;
  size_t take = max_bytes != 0 && max_bytes < len ? max_bytes : len;
  // Copied before anything else touches the session: the view lasts only
  // until the next libroam call on it.
  std::vector<uint8_t> bytes(data, data + take);
  FUZZ_CHECK(roam_session_consume_output(from->s, take) == ROAM_OK, "consume_output failed");
  trace("session %d: wrote %zu of %zu pending", from->index, take, len);
  from->output.append(bytes.data(), bytes.size());
  SideRecord *to = other(from);
  if (to == nullptr || to->closed) return;  // the hostile peer reads and ignores
  switch (mutation % 16) {
    case 13:  // a byte flipped on the wire
      bytes[in_.u8() % bytes.size()] ^= static_cast<uint8_t>(in_.u8() | 1);
      break;
    case 14:  // the rest of this piece lost
      bytes.resize(in_.u8() % bytes.size());
      break;
    case 15: {  // bytes injected in front
      std::vector<uint8_t> extra = in_.bytes(in_.u8() % 16);
      bytes.insert(bytes.begin(), extra.begin(), extra.end());
      break;
    }
    default:
      break;
  }
  deliver(to, std::move(bytes));
}

void CapiFuzzHarness::pump_all() {
  for (int round = 0; round < kPumpAllRounds; ++round) {
    bool moved = false;
    for (auto &side : sides_) {
      if (side->closed) continue;
      const uint8_t *data = nullptr;
      size_t len = 0;
      if (roam_session_pending_output(side->s, &data, &len) == ROAM_OK && len > 0) {
        pump(side.get(), 0, 0);
        moved = true;
      }
    }
    if (!moved) break;
  }
}

void CapiFuzzHarness::deliver(SideRecord *to, std::vector<uint8_t> bytes) {
  if (to->closed) return;
  // Bytes it refused before go first, in stream order.
  std::vector<uint8_t> chunk = std::move(to->inbox);
  to->inbox.clear();
  chunk.insert(chunk.end(), bytes.begin(), bytes.end());
  if (chunk.empty()) return;
  // An exact-size copy, so ASan sees a read past the end.
  std::unique_ptr<uint8_t[]> exact(new uint8_t[chunk.size()]);
  std::memcpy(exact.get(), chunk.data(), chunk.size());
  ++to->driving;
  int rc = roam_session_receive(to->s, exact.get(), chunk.size(), now_us_);
  --to->driving;
  trace("session %d: receive %zu -> %d", to->index, chunk.size(), rc);
  if (rc == ROAM_EAGAIN && !to->closed) to->inbox = std::move(chunk);
}

void CapiFuzzHarness::feed_eof(SideRecord *side) {
  ++side->driving;
  roam_session_receive_eof(side->s, now_us_);
  --side->driving;
}

void CapiFuzzHarness::tick(SideRecord *side) {
  ++side->driving;
  roam_session_tick(side->s, now_us_);
  --side->driving;
}

void CapiFuzzHarness::tick_to_deadline(SideRecord *side) {
  uint64_t deadline = 0;
  if (roam_session_next_deadline(side->s, &deadline) != ROAM_OK) return;
  // At most an hour ahead: an idle session's deadline may be "never".
  if (deadline != UINT64_MAX && deadline > now_us_) {
    now_us_ = std::min<uint64_t>(deadline, now_us_ + 3600ull * 1000000ull);
  }
  tick(side);
}

// ---- user operations --------------------------------------------------------------

void CapiFuzzHarness::user_op(uint8_t code) {
  auto op = static_cast<CapiOp>(kFirstUserOp + code % (kCapiOpCount - kFirstUserOp));
  trace("user op %d (depth %d)", static_cast<int>(op), depth_);
  switch (op) {
    case CapiOp::Open: {
      SideRecord *side = pick_side();
      if (!side) break;
      int parity = static_cast<int>(in_.u8() % 3) - 1;
      uint32_t max_concurrent = in_.u8() % 8;
      roam_metadata *md = build_metadata();
      auto rec = std::make_unique<ConnRecord>();
      rec->side = side;
      int rc = roam_session_open(side->s, parity, max_concurrent, md, rec.get(), &rec->conn);
      roam_metadata_free(md);
      if (rc != ROAM_OK) rec->alive = false;  // no handle was made
      conns_.push_back(std::move(rec));
      break;
    }
    case CapiOp::Accept: {
      ConnRecord *conn = pick_conn();
      int parity = static_cast<int>(in_.u8() % 3) - 1;
      uint32_t max_concurrent = in_.u8() % 8;
      roam_metadata *md = build_metadata();
      if (conn) roam_conn_accept(conn->conn, parity, max_concurrent, md);
      roam_metadata_free(md);
      break;
    }
    case CapiOp::Reject: {
      ConnRecord *conn = pick_conn();
      roam_metadata *md = build_metadata();
      // A successful reject ends the handle at once, with no callback.
      if (conn) {
        trace("reject %d:%llu (state %d)", conn->side->index,
              static_cast<unsigned long long>(roam_conn_id(conn->conn)), roam_conn_state(conn->conn));
        int rc = roam_conn_reject(conn->conn, md);
        trace("reject -> %d", rc);
        if (rc == ROAM_OK) conn->alive = false;
      }
      roam_metadata_free(md);
      break;
    }
    case CapiOp::CloseConn: {
      ConnRecord *conn = pick_conn();
      roam_metadata *md = build_metadata();
      if (conn) roam_conn_close(conn->conn, md);
      roam_metadata_free(md);
      break;
    }
    case CapiOp::ReleaseConn:
      if (ConnRecord *conn = pick_conn()) {
        int rc = roam_conn_release(conn->conn);
        trace("release %d:%llu -> %d", conn->side->index,
              static_cast<unsigned long long>(roam_conn_id(conn->conn)), rc);
      }
      break;
    case CapiOp::Call:
      op_call(false);
      break;
    case CapiOp::CallWithChannels:
      op_call(true);
      break;
    case CapiOp::Cancel:
      if (CallRecord *call = pick_call()) cancel(call);
      break;
    case CapiOp::Reply:
      if (ReplyRecord *reply = pick_reply()) answer(reply);
      break;
    case CapiOp::ChannelOpen:
    case CapiOp::ChannelBind: {
      ConnRecord *conn = pick_conn();
      int direction = in_.u8() & 1;
      uint32_t credit = in_.u8() % 20;
      uint64_t id = in_.u8();
      if (!conn) break;
      auto rec = std::make_unique<ChannelRecord>();
      rec->conn = conn;
      int rc;
      if (op == CapiOp::ChannelOpen) {
        rc = roam_conn_channel_open(conn->conn, direction, credit, rec.get(), &rec->ch);
      } else {
        // Mostly an id a served call on this connection named.
        std::vector<uint64_t> named;
        for (auto &reply : replies_) {
          if (reply->conn == conn) named.insert(named.end(), reply->channels.begin(), reply->channels.end());
        }
        if (!named.empty() && (id & 0x80) == 0) id = named[id % named.size()];
        rc = roam_conn_channel_bind(conn->conn, id, direction, credit, rec.get(), &rec->ch);
      }
      if (rc != ROAM_OK) rec->alive = false;
      channels_.push_back(std::move(rec));
      break;
    }
    case CapiOp::ChannelSend: {
      ChannelRecord *ch = pick_channel();
      std::vector<uint8_t> item = build_payload();
      if (ch) roam_channel_send(ch->ch, item.data(), item.size());
      break;
    }
    case CapiOp::ChannelClose: {
      ChannelRecord *ch = pick_channel();
      roam_metadata *md = build_metadata();
      if (ch) roam_channel_close(ch->ch, md);
      roam_metadata_free(md);
      break;
    }
    case CapiOp::ChannelReset: {
      ChannelRecord *ch = pick_channel();
      roam_metadata *md = build_metadata();
      if (ch) roam_channel_reset(ch->ch, md);
      roam_metadata_free(md);
      break;
    }
    case CapiOp::ChannelGrant: {
      ChannelRecord *ch = pick_channel();
      uint32_t n = in_.u8();
      if (ch) roam_channel_grant(ch->ch, n);
      break;
    }
    case CapiOp::ChannelManualCredit: {
      ChannelRecord *ch = pick_channel();
      int manual = in_.u8() & 1;
      if (ch) {
        roam_channel_set_manual_credit(ch->ch, manual);
        (void)roam_channel_credit(ch->ch);
        (void)roam_channel_queued(ch->ch);
      }
      break;
    }
    case CapiOp::Ping:
      if (SideRecord *side = pick_side()) {
        uint64_t nonce = 0;
        roam_session_ping(side->s, &nonce);
      }
      break;
    case CapiOp::Shutdown:
      if (SideRecord *side = pick_side()) roam_session_shutdown(side->s);
      break;
    case CapiOp::CloseSession:
      if (SideRecord *side = pick_side()) close_session(side);
      break;
    case CapiOp::Proxy:
      op_proxy();
      break;
    case CapiOp::Serve: {
      ConnRecord *conn = pick_conn();
      bool own = in_.flag();
      if (conn) roam_conn_serve(conn->conn, own ? cb_call : nullptr, conn->side);
      break;
    }
    case CapiOp::RawSend:
      op_raw_send();
      break;
    default:
      break;
  }
}

void CapiFuzzHarness::op_call(bool with_channels) {
  ConnRecord *conn = pick_conn();
  uint64_t method = in_.u8();
  roam_metadata *md = build_metadata();
  std::vector<uint8_t> args = build_payload();
  std::vector<uint64_t> ids;
  if (with_channels) {
    unsigned count = in_.u8() % 4;
    for (unsigned i = 0; i < count; ++i) {
      uint8_t b = in_.u8();
      std::vector<uint64_t> ours;
      for (auto &ch : channels_) {
        if (ch->alive && ch->conn == conn) ours.push_back(roam_channel_id(ch->ch));
      }
      ids.push_back(!ours.empty() && (b & 0x80) == 0 ? ours[b % ours.size()] : b & 0x3f);
    }
  }
  if (conn) {
    auto rec = std::make_unique<CallRecord>();
    rec->side = conn->side;
    int rc = roam_conn_call_with_channels(conn->conn, method, ids.data(), ids.size(), md,
                                          args.data(), args.size(), cb_response, rec.get(),
                                          &rec->call);
    if (rc != ROAM_OK) rec->done = true;  // no call was made: no callback may come
    calls_.push_back(std::move(rec));
  }
  roam_metadata_free(md);
}

void CapiFuzzHarness::op_proxy() {
  ConnRecord *left = pick_conn();
  ConnRecord *right = pick_conn();
  if (left && right) {
    int rc = roam_conn_proxy(left->conn, right->conn);
    trace("proxy %d:%llu <-> %d:%llu -> %d", left->side->index,
          static_cast<unsigned long long>(roam_conn_id(left->conn)), right->side->index,
          static_cast<unsigned long long>(roam_conn_id(right->conn)), rc);
  }
}

void CapiFuzzHarness::op_raw_send() {
  ConnRecord *conn = pick_conn();
  uint8_t kind = in_.u8();
  uint64_t id = in_.u8();
  roam_metadata *md = build_metadata();
  std::vector<uint8_t> payload = build_payload();
  if (conn) {
    if (kind & 0x80) {
      roam_conn_send_channel(conn->conn, kind % 4, id, md, payload.data(), payload.size(), kind);
    } else {
      uint64_t channel = id + 1;
      roam_conn_send_request(conn->conn, kind % 3, id, kind >> 2, &channel, kind & 1, md,
                             payload.data(), payload.size());
    }
  }
  roam_metadata_free(md);
}

void CapiFuzzHarness::answer(ReplyRecord *reply) {
  uint8_t how = in_.u8();
  roam_metadata *md = build_metadata();
  std::vector<uint8_t> value = build_payload();
  roam_reply *r = reply->reply;
  // Whatever it returns, the handle is gone after any of these.
  reply->held = false;
  switch (how % 5) {
    case 0:
      roam_reply_ok(r, md, value.data(), value.size());
      break;
    case 1:
      roam_reply_user_error(r, md, value.data(), value.size());
      break;
    case 2: {
      static const int codes[] = {ROAM_EUNKNOWNMETHOD, ROAM_EINVALIDPAYLOAD, ROAM_ECANCELLED,
                                  ROAM_EPROTO, 0};
      roam_reply_fail(r, codes[(how >> 3) % 5]);
      break;
    }
    case 3:
      roam_reply_send(r, md, value.data(), value.size());
      break;
    default:
      roam_reply_release(r);
      break;
  }
  roam_metadata_free(md);
}

void CapiFuzzHarness::cancel(CallRecord *call) {
  roam_metadata *md = build_metadata();
  roam_call_cancel(call->call, md);
  roam_metadata_free(md);
}

void CapiFuzzHarness::close_session(SideRecord *side) {
  if (side->closed) return;
  int rc = roam_session_close(side->s, cb_close, side);
  if (side->close_called) {
    FUZZ_CHECK(rc == ROAM_ESTATE, "a second roam_session_close returned %d", rc);
  } else {
    FUZZ_CHECK(rc == ROAM_OK, "roam_session_close returned %d", rc);
    side->close_called = true;
  }
}

// ---- picking live handles -----------------------------------------------------------

SideRecord *CapiFuzzHarness::pick_side() {
  uint8_t b = in_.u8();
  SideRecord *side = sides_[b % sides_.size()].get();
  return side->closed ? nullptr : side;
}

ConnRecord *CapiFuzzHarness::pick_conn() {
  uint8_t b = in_.u8();
  std::vector<ConnRecord *> live;
  for (auto &c : conns_) {
    if (c->alive) live.push_back(c.get());
  }
  return live.empty() ? nullptr : live[b % live.size()];
}

CallRecord *CapiFuzzHarness::pick_call() {
  uint8_t b = in_.u8();
  std::vector<CallRecord *> live;
  for (auto &c : calls_) {
    if (!c->done) live.push_back(c.get());
  }
  return live.empty() ? nullptr : live[b % live.size()];
}

ReplyRecord *CapiFuzzHarness::pick_reply() {
  uint8_t b = in_.u8();
  std::vector<ReplyRecord *> held;
  for (auto &r : replies_) {
    if (r->held) held.push_back(r.get());
  }
  return held.empty() ? nullptr : held[b % held.size()];
}

ChannelRecord *CapiFuzzHarness::pick_channel() {
  uint8_t b = in_.u8();
  std::vector<ChannelRecord *> live;
  for (auto &c : channels_) {
    if (c->alive) live.push_back(c.get());
  }
  return live.empty() ? nullptr : live[b % live.size()];
}

roam_metadata *CapiFuzzHarness::build_metadata() {
  uint8_t shape = in_.u8();
  if ((shape & 3) == 0) return nullptr;
  roam_metadata *md = roam_metadata_new();
  FUZZ_CHECK(md != nullptr, "roam_metadata_new failed");
  for (unsigned i = 0; i < (shape & 3); ++i) {
    std::string key = ascii(in_.bytes(in_.u8() % 8));
    uint8_t kind = in_.u8();
    uint64_t flags = kind >> 2;
    if (kind % 4 == 0) {
      std::string value = ascii(in_.bytes(in_.u8() % 16));
      roam_metadata_add_string(md, key.data(), key.size(), value.data(), value.size(), flags);
    } else if (kind % 4 == 1) {
      std::vector<uint8_t> value = in_.bytes(in_.u8() % 16);
      roam_metadata_add_bytes(md, key.data(), key.size(), value.data(), value.size(), flags);
    } else if (kind % 4 == 2) {
      roam_metadata_add_u64(md, key.data(), key.size(), in_.u64(), flags);
    } else {
      // Raw bytes as a string: not UTF-8 is refused, and nothing else changes.
      std::vector<uint8_t> raw = in_.bytes(in_.u8() % 8);
      roam_metadata_add_string(md, key.data(), key.size(), reinterpret_cast<const char *>(raw.data()),
                               raw.size(), flags);
    }
  }
  if (shape & 0x80) {
    // A large entry, to cross the metadata and frame limits.
    std::vector<uint8_t> big((in_.u8() + 1u) * 64u, shape);
    roam_metadata_add_bytes(md, "big", ROAM_NTS, big.data(), big.size(), 0);
  }
  return md;
}

std::vector<uint8_t> CapiFuzzHarness::build_payload() {
  uint8_t b = in_.u8();
  if (b & 0x80) {
    // Large, to reach frame and backlog limits without long inputs.
    std::vector<uint8_t> big(((b & 0x7f) + 1u) * 128u);
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i);
    return big;
  }
  return in_.bytes(b % 32);
}

// ---- callbacks ----------------------------------------------------------------------

SideRecord *CapiFuzzHarness::callback_side(void *user_data, roam_session *s) {
  SideRecord *side = side_of(user_data);
  FUZZ_CHECK(!side->closed, "session %d: a callback after its close callback", side->index);
  FUZZ_CHECK(s == nullptr || side->s == s, "a callback for another session");
  FUZZ_CHECK(side->driving > 0,
             "session %d: a callback outside its receive / receive_eof / tick", side->index);
  return side;
}

ConnRecord *CapiFuzzHarness::callback_conn(SideRecord *side, roam_conn *conn) {
  FUZZ_CHECK(conn != nullptr, "a connection callback without a connection");
  FUZZ_CHECK(roam_conn_session(conn) == side->s, "a connection of another session");
  auto *rec = static_cast<ConnRecord *>(roam_conn_get_user_data(conn));
  if (rec == nullptr) {
    // A handle we were never introduced to (a root whose handshake callback
    // had not run): adopt it.
    auto owned = std::make_unique<ConnRecord>();
    owned->conn = conn;
    owned->side = side;
    rec = owned.get();
    roam_conn_set_user_data(conn, rec);
    conns_.push_back(std::move(owned));
  }
  FUZZ_CHECK(rec->alive, "a callback for connection %llu after its final callback",
             static_cast<unsigned long long>(roam_conn_id(conn)));
  FUZZ_CHECK(rec->conn == conn && rec->side == side, "connection record mix-up");
  return rec;
}

void CapiFuzzHarness::read_metadata(const roam_metadata *md) {
  size_t count = roam_metadata_count(md);
  for (size_t i = 0; i < count; ++i) {
    const char *key = nullptr;
    size_t key_len = 0;
    int kind = -1;
    const uint8_t *value = nullptr;
    size_t value_len = 0;
    uint64_t u64 = 0, flags = 0;
    FUZZ_CHECK(roam_metadata_get(md, i, &key, &key_len, &kind, &value, &value_len, &u64, &flags) ==
                   ROAM_OK,
               "metadata entry %zu of %zu unreadable", i, count);
    FUZZ_CHECK(kind >= ROAM_METADATA_STRING && kind <= ROAM_METADATA_U64, "metadata kind %d", kind);
    // Touch every byte the view hands out.
    volatile uint8_t sink = 0;
    for (size_t j = 0; j < key_len; ++j) sink = sink ^ static_cast<uint8_t>(key[j]);
    for (size_t j = 0; j < value_len; ++j) sink = sink ^ value[j];
    if (i == 0) FUZZ_CHECK(roam_metadata_find(md, key, key_len) == 0, "find missed the first key");
  }
  FUZZ_CHECK(roam_metadata_get(md, count, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                               nullptr) == ROAM_ENOTFOUND || md == nullptr,
             "metadata_get past the end");
  if (md != nullptr && count > 0) {
    roam_metadata *copy = roam_metadata_copy(md);
    FUZZ_CHECK(roam_metadata_count(copy) == count, "a metadata copy lost entries");
    // A view is read-only.
    FUZZ_CHECK(roam_metadata_add_u64(const_cast<roam_metadata *>(md), "x", 1, 1, 0) == ROAM_EINVAL,
               "a callback's metadata view accepted an entry");
    roam_metadata_free(copy);
  }
}

// Sometimes act from inside the callback: any user operation (one level
// deep), or on the very handle the callback is about, or on the session.
// Called last in each callback: what it does may end the handles it got.
void CapiFuzzHarness::react(SideRecord *side, ConnRecord *conn, CallRecord *call,
                            ReplyRecord *reply, ChannelRecord *channel) {
  if (finishing_) return;
  uint8_t b = in_.u8();
  switch (b % 8) {
    case 4:
      if (depth_ == 0) {
        ++depth_;
        user_op(in_.u8());
        --depth_;
      }
      break;
    case 5:
      if (reply && reply->held) {
        answer(reply);
      } else if (call) {
        cancel(call);
      } else if (channel) {
        roam_metadata *md = build_metadata();
        if (b & 0x10) {
          roam_channel_reset(channel->ch, md);
        } else {
          roam_channel_close(channel->ch, md);
        }
        roam_metadata_free(md);
      } else if (conn) {
        if (b & 0x10) {
          roam_conn_release(conn->conn);
        } else {
          roam_conn_close(conn->conn, nullptr);
        }
      }
      break;
    case 6:
      roam_session_shutdown(side->s);
      break;
    case 7:
      if (b & 0x80) close_session(side);
      break;
    default:
      break;
  }
}

void CapiFuzzHarness::on_handshake(SideRecord *side, int status, const roam_metadata *md) {
  callback_side(side, side->s);
  trace("session %d: handshake %d", side->index, status);
  FUZZ_CHECK(!side->handshake_seen, "session %d: a second handshake callback", side->index);
  side->handshake_seen = true;
  if (status == ROAM_OK) {
    read_metadata(md);
    // The callback reports the past: a callback before it (a trace event)
    // may have ended the session already, and the root with it.
    roam_conn *root = nullptr;
    int state = roam_session_state(side->s);
    bool over = state == ROAM_SESSION_ENDED || state == ROAM_SESSION_CLOSING;
    FUZZ_CHECK((roam_session_root(side->s, &root) == ROAM_OK && root) || over,
               "established, but no root connection (state %d)", state);
    if (root != nullptr && roam_conn_get_user_data(root) == nullptr) {
      auto rec = std::make_unique<ConnRecord>();
      rec->conn = root;
      rec->side = side;
      rec->root = true;
      roam_conn_set_user_data(root, rec.get());
      conns_.push_back(std::move(rec));
    }
  } else {
    FUZZ_CHECK(md == nullptr, "a failed handshake with metadata");
  }
  react(side, nullptr, nullptr, nullptr, nullptr);
}

void CapiFuzzHarness::on_end(SideRecord *side, int error, const char *reason) {
  callback_side(side, side->s);
  trace("session %d: end %d %s", side->index, error, reason ? reason : "(null)");
  FUZZ_CHECK(!side->end_seen, "session %d: a second end callback", side->index);
  FUZZ_CHECK(reason != nullptr, "end callback without a reason");
  side->end_seen = true;
  for (auto &conn : conns_) {
    FUZZ_CHECK(!(conn->side == side && conn->alive),
               "session %d ended before connection %llu got its final callback", side->index,
               static_cast<unsigned long long>(roam_conn_id(conn->conn)));
  }
  react(side, nullptr, nullptr, nullptr, nullptr);
}

void CapiFuzzHarness::on_close(SideRecord *side) {
  callback_side(side, side->s);
  trace("session %d: closed", side->index);
  FUZZ_CHECK(side->close_called, "a close callback without roam_session_close");
  FUZZ_CHECK(side->end_seen, "session %d: close callback before the end callback", side->index);
  for (auto &call : calls_) {
    FUZZ_CHECK(!(call->side == side && !call->done),
               "session %d closed with a call that never completed", side->index);
  }
  for (auto &ch : channels_) {
    FUZZ_CHECK(!(ch->conn->side == side && ch->alive),
               "session %d closed with channel %llu never ended", side->index,
               static_cast<unsigned long long>(roam_channel_id(ch->ch)));
  }
  side->closed = true;  // the handle is gone once this returns
}

void CapiFuzzHarness::on_inbound_open(SideRecord *side, roam_conn *conn,
                                      const roam_metadata *md) {
  callback_side(side, side->s);
  FUZZ_CHECK(roam_conn_get_user_data(conn) == nullptr, "an inbound open for a known handle");
  // Pending, or already closed (the session ended since): then its closed
  // callback is queued behind this one.
  FUZZ_CHECK(roam_conn_state(conn) == ROAM_CONN_PENDING_INBOUND ||
                 roam_conn_state(conn) == ROAM_CONN_CLOSED,
             "inbound open in state %d", roam_conn_state(conn));
  trace("session %d: inbound open %llu", side->index,
        static_cast<unsigned long long>(roam_conn_id(conn)));
  read_metadata(md);
  auto rec = std::make_unique<ConnRecord>();
  rec->conn = conn;
  rec->side = side;
  roam_conn_set_user_data(conn, rec.get());
  ConnRecord *r = rec.get();
  conns_.push_back(std::move(rec));
  // Mostly decide at once, as an application with an acceptor would.
  uint8_t b = in_.u8();
  if (b % 4 == 0) {
    roam_conn_accept(conn, ROAM_PARITY_DEFAULT, 1 + b % 8, nullptr);
  } else if (b % 4 == 1) {
    if (roam_conn_reject(conn, nullptr) == ROAM_OK) {
      r->alive = false;
      return;
    }
  }
  react(side, r, nullptr, nullptr, nullptr);
}

void CapiFuzzHarness::on_open(SideRecord *side, roam_conn *conn, int status,
                              const roam_metadata *md) {
  callback_side(side, side->s);
  ConnRecord *rec = callback_conn(side, conn);
  trace("session %d: open %llu -> %d", side->index,
        static_cast<unsigned long long>(roam_conn_id(conn)), status);
  read_metadata(md);
  if (status != ROAM_OK) rec->alive = false;  // a failed open is the handle's end
  react(side, rec, nullptr, nullptr, nullptr);
}

void CapiFuzzHarness::on_conn_closed(SideRecord *side, roam_conn *conn, int origin,
                                     const roam_metadata *md) {
  callback_side(side, side->s);
  ConnRecord *rec = callback_conn(side, conn);
  FUZZ_CHECK(origin >= ROAM_CLOSE_LOCAL && origin <= ROAM_CLOSE_SESSION, "close origin %d", origin);
  trace("session %d: connection %llu closed (origin %d)", side->index,
        static_cast<unsigned long long>(roam_conn_id(conn)), origin);
  read_metadata(md);
  rec->alive = false;
  react(side, rec, nullptr, nullptr, nullptr);
}

void CapiFuzzHarness::on_call(SideRecord *side, roam_conn *conn, roam_reply *reply,
                              const uint64_t *channels, size_t channel_count,
                              const roam_metadata *md) {
  callback_side(side, side->s);
  ConnRecord *c = callback_conn(side, conn);
  FUZZ_CHECK(reply != nullptr, "a served call without a reply handle");
  read_metadata(md);
  auto rec = std::make_unique<ReplyRecord>();
  rec->reply = reply;
  rec->conn = c;
  rec->channels.assign(channels, channels + channel_count);
  roam_reply_set_user_data(reply, rec.get());
  ReplyRecord *r = rec.get();
  replies_.push_back(std::move(rec));
  react(side, c, nullptr, r, nullptr);
}

void CapiFuzzHarness::on_call_cancelled(SideRecord *side, roam_reply *reply) {
  callback_side(side, side->s);
  auto *rec = static_cast<ReplyRecord *>(roam_reply_get_user_data(reply));
  FUZZ_CHECK(rec != nullptr && rec->reply == reply, "a cancel for a reply never handed out");
  FUZZ_CHECK(rec->held, "a cancel for a reply already answered or released");
  react(side, nullptr, nullptr, rec, nullptr);
}

void CapiFuzzHarness::on_response(CallRecord *call, roam_call *handle, const roam_metadata *md) {
  SideRecord *side = call->side;
  callback_side(side, nullptr);
  FUZZ_CHECK(call->call == handle, "a response for another call's handle");
  FUZZ_CHECK(!call->done, "a second response callback for one call");
  call->done = true;
  read_metadata(md);
  react(side, nullptr, call, nullptr, nullptr);  // its handle lives until we return
}

void CapiFuzzHarness::on_channel_item(SideRecord *side, roam_channel *ch) {
  callback_side(side, side->s);
  auto *rec = static_cast<ChannelRecord *>(roam_channel_get_user_data(ch));
  FUZZ_CHECK(rec && rec->ch == ch && rec->alive, "an item for a channel not live");
  FUZZ_CHECK(rec->conn->side == side, "an item for another session's channel");
  react(side, nullptr, nullptr, nullptr, rec);
}

void CapiFuzzHarness::on_channel_end(SideRecord *side, roam_channel *ch, const roam_metadata *md) {
  callback_side(side, side->s);
  auto *rec = static_cast<ChannelRecord *>(roam_channel_get_user_data(ch));
  FUZZ_CHECK(rec && rec->ch == ch, "an end for a channel never handed out");
  FUZZ_CHECK(rec->alive, "a second end callback for channel %llu",
             static_cast<unsigned long long>(roam_channel_id(ch)));
  read_metadata(md);
  rec->alive = false;
  react(side, nullptr, nullptr, nullptr, rec);  // its handle lives until we return
}

void CapiFuzzHarness::on_channel_writable(SideRecord *side, roam_channel *ch) {
  callback_side(side, side->s);
  auto *rec = static_cast<ChannelRecord *>(roam_channel_get_user_data(ch));
  FUZZ_CHECK(rec && rec->ch == ch && rec->alive, "writable for a channel not live");
  react(side, nullptr, nullptr, nullptr, rec);
}

void CapiFuzzHarness::on_plain(SideRecord *side) {
  callback_side(side, side->s);
  react(side, nullptr, nullptr, nullptr, nullptr);
}

}  // namespace roam::fuzz::capi
