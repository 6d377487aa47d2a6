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

uint64_t conn_id(const roam_conn *conn) {
  uint64_t id = 0;
  FUZZ_CHECK(roam_conn_id(conn, &id) == ROAM_OK, "roam_conn_id failed");
  return id;
}

// ---- C callbacks: each forwards to the harness the side belongs to ----
// (the session's callbacks table; the call and channel ones are given per
// call and per channel, with the record as user_data)

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
void cb_inbound_open(roam_session *s, void *ud, roam_conn *conn, const roam_metadata *md) {
  FUZZ_CHECK(side_of(ud)->s == s, "inbound open for another session");
  side_of(ud)->harness->on_inbound_open(side_of(ud), conn, md);
}
void cb_open_result(roam_session *s, void *ud, roam_conn *conn, int status,
                    const roam_metadata *md) {
  FUZZ_CHECK(side_of(ud)->s == s, "open result for another session");
  side_of(ud)->harness->on_open(side_of(ud), conn, status, md);
}
void cb_conn_closed(roam_session *s, void *ud, roam_conn *conn, int origin, int,
                    const roam_metadata *md) {
  FUZZ_CHECK(side_of(ud)->s == s, "connection closed for another session");
  side_of(ud)->harness->on_conn_closed(side_of(ud), conn, origin, md);
}
void cb_serve(roam_session *s, void *ud, roam_conn *conn, uint64_t request_id, uint64_t,
              const uint64_t *channels, size_t channel_count, const roam_metadata *md,
              const uint8_t *, size_t) {
  FUZZ_CHECK(side_of(ud)->s == s, "serve callback for another session");
  side_of(ud)->harness->on_serve(side_of(ud), conn, request_id, channels, channel_count, md);
}
void cb_serve_cancelled(roam_session *s, void *ud, roam_conn *conn, uint64_t request_id) {
  FUZZ_CHECK(side_of(ud)->s == s, "serve-cancelled callback for another session");
  side_of(ud)->harness->on_serve_cancelled(side_of(ud), conn, request_id);
}
void cb_raw_request(roam_session *s, void *ud, roam_conn *conn, int kind, uint64_t request_id,
                    uint64_t, const uint64_t *, size_t, const roam_metadata *md, const uint8_t *,
                    size_t) {
  FUZZ_CHECK(side_of(ud)->s == s, "raw request for another session");
  trace("session %d: raw request kind %d id %llu", side_of(ud)->index, kind,
        static_cast<unsigned long long>(request_id));
  FUZZ_CHECK(kind >= ROAM_REQUEST_CALL && kind <= ROAM_REQUEST_CANCEL, "raw request kind %d", kind);
  side_of(ud)->harness->on_raw(side_of(ud), conn, md);
}
void cb_raw_channel(roam_session *s, void *ud, roam_conn *conn, int kind, uint64_t channel_id,
                    const roam_metadata *md, const uint8_t *, size_t, uint32_t) {
  FUZZ_CHECK(side_of(ud)->s == s, "raw channel message for another session");
  trace("session %d: raw channel kind %d id %llu", side_of(ud)->index, kind,
        static_cast<unsigned long long>(channel_id));
  FUZZ_CHECK(kind >= ROAM_CHANNEL_ITEM && kind <= ROAM_CHANNEL_GRANT_CREDIT,
             "raw channel kind %d", kind);
  side_of(ud)->harness->on_raw(side_of(ud), conn, md);
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
void cb_response(roam_conn *conn, void *ud, uint64_t request_id, int, const roam_metadata *md,
                 const uint8_t *, size_t) {
  CallRecord *rec = static_cast<CallRecord *>(ud);
  rec->conn->side->harness->on_response(rec, conn, request_id, md);
}
void cb_channel_item(roam_conn *conn, uint64_t channel_id, void *ud, const uint8_t *, size_t) {
  ChannelRecord *rec = static_cast<ChannelRecord *>(ud);
  rec->conn->side->harness->on_channel(rec, conn, channel_id, false, nullptr);
}
void cb_channel_end(roam_conn *conn, uint64_t channel_id, void *ud, int,
                    const roam_metadata *md) {
  ChannelRecord *rec = static_cast<ChannelRecord *>(ud);
  rec->conn->side->harness->on_channel(rec, conn, channel_id, true, md);
}
void cb_channel_writable(roam_conn *conn, uint64_t channel_id, void *ud) {
  ChannelRecord *rec = static_cast<ChannelRecord *>(ud);
  rec->conn->side->harness->on_channel(rec, conn, channel_id, false, nullptr);
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
  trace("handshake done: the program has %zu bytes left", in_.remaining());
  while (!in_.empty()) run_op(in_.u8());
  finish();
  final_checks();
}

// ---- setup and the end --------------------------------------------------------------

roam_options *CapiFuzzHarness::make_options(bool acceptor) const {
  roam_options *o = nullptr;
  FUZZ_CHECK(roam_options_new(&o) == ROAM_OK && o != nullptr, "roam_options_new failed");
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
    roam_metadata *md = nullptr;
    FUZZ_CHECK(roam_metadata_new(&md) == ROAM_OK && md != nullptr, "roam_metadata_new failed");
    roam_metadata_add_string(md, "peer", ROAM_NTS, acceptor ? "acceptor" : "initiator", ROAM_NTS, 0);
    roam_metadata_add_u64(md, "n", ROAM_NTS, header_[kCapiLimits], ROAM_METADATA_NO_PROPAGATE);
    roam_options_set_hello_metadata(o, md);
    roam_metadata_free(md);
  }
  return o;
}

// The session's callbacks table: every entry, except those the header's
// table bits leave out. The caller frees it right after the constructor.
roam_callbacks *CapiFuzzHarness::make_callbacks() const {
  uint8_t bits = header_[kCapiParity];
  roam_callbacks *cbs = nullptr;
  FUZZ_CHECK(roam_callbacks_new(&cbs) == ROAM_OK && cbs != nullptr, "roam_callbacks_new failed");
  int rc = 0;
  rc |= roam_callbacks_set_handshake(cbs, cb_handshake);
  rc |= roam_callbacks_set_session_end(cbs, cb_end);
  rc |= roam_callbacks_set_inbound_open(cbs, cb_inbound_open);
  rc |= roam_callbacks_set_open_result(cbs, cb_open_result);
  rc |= roam_callbacks_set_conn_closed(cbs, cb_conn_closed);
  rc |= roam_callbacks_set_serve(cbs, cb_serve);
  rc |= roam_callbacks_set_serve_cancelled(cbs, cb_serve_cancelled);
  rc |= roam_callbacks_set_pong(cbs, cb_pong);
  rc |= roam_callbacks_set_keepalive_timeout(cbs, cb_keepalive_timeout);
  rc |= roam_callbacks_set_writable(cbs, cb_writable);
  rc |= roam_callbacks_set_trace(cbs, cb_trace);
  rc |= roam_callbacks_set_raw_request(cbs, cb_raw_request);
  rc |= roam_callbacks_set_raw_channel(cbs, cb_raw_channel);
  FUZZ_CHECK(rc == ROAM_OK, "a roam_callbacks_set_* failed");
  // NULL clears an entry.
  if (bits & kCapiTableNoServe) rc |= roam_callbacks_set_serve(cbs, nullptr);
  if (bits & kCapiTableNoRaw) {
    rc |= roam_callbacks_set_raw_request(cbs, nullptr);
    rc |= roam_callbacks_set_raw_channel(cbs, nullptr);
  }
  if (bits & kCapiTableNoInboundOpen) rc |= roam_callbacks_set_inbound_open(cbs, nullptr);
  if (bits & kCapiTableNoTrace) rc |= roam_callbacks_set_trace(cbs, nullptr);
  FUZZ_CHECK(rc == ROAM_OK, "clearing a callbacks entry failed");
  FUZZ_CHECK(roam_callbacks_set_serve(nullptr, cb_serve) == ROAM_EINVAL,
             "a setter accepted a NULL table");
  return cbs;
}

void CapiFuzzHarness::create_sides() {
  int count = (flags_ & kCapiTwoSessions) ? 2 : 1;
  for (int i = 0; i < count; ++i) {
    bool acceptor = ((flags_ & kCapiFirstAcceptor) != 0) == (i == 0);
    uint32_t max_frame = (flags_ & kCapiSmallFrames) ? 64 + 16u * header_[kCapiFrameSize]
                                                     : kDefaultMaxFrame;
    auto side = std::make_unique<SideRecord>(this, max_frame);
    side->index = i;
    SideRecord *ud = side.get();
    roam_options *o = make_options(acceptor);
    if (i == 0 && (header_[kCapiParity] & kCapiTableTestVersion)) {
      uint32_t version = (header_[kCapiParity] & kCapiTableTestVersionSeven) ? 7 : 8;
      FUZZ_CHECK(roam_options_set_protocol_version_for_testing(o, version) == ROAM_OK,
                 "roam_options_set_protocol_version_for_testing failed");
    }
    // The table and the options are copied: freed at once, before any
    // callback could use them.
    roam_callbacks *cbs = make_callbacks();
    int rc = roam_session_new_custom(o, cbs, ud, now_us_, &side->s);
    roam_callbacks_free(cbs);
    roam_options_free(o);
    FUZZ_CHECK(rc == ROAM_OK && side->s, "roam_session_new_custom failed: %d", rc);
    FUZZ_CHECK(roam_session_get_user_data(side->s) == ud, "the session lost its user_data");
    roam_session_set_user_data(side->s, ud);
    FUZZ_CHECK(roam_session_runtime(side->s) == nullptr, "a custom session with a runtime");
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
    // reacting) shut it down or closed it, or a test version in Hello
    // failed it on purpose.
    bool mismatch = (header_[kCapiParity] & kCapiTableTestVersion) &&
                    !(header_[kCapiParity] & kCapiTableTestVersionSeven);
    for (auto &side : sides_) {
      if (mismatch) break;
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
  // Served requests ended with their connections: nothing of ours to
  // release (their connection handles are gone).
  for (auto &reply : replies_) {
    FUZZ_CHECK(!reply->held, "a served request outlived its connection's final callback");
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
               static_cast<unsigned long long>(ch->id));
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
        if (conn->alive) known.connections.push_back(conn_id(conn->conn));
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
      // user_op() counts from the first user operation: the opcode byte
      // names the same operation here as inside a callback's reaction.
      user_op(static_cast<uint8_t>(static_cast<uint8_t>(op) - kFirstUserOp));
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
      int parity = static_cast<int>(in_.u8() % 3);  // DEFAULT (0), ODD, EVEN
      uint32_t max_concurrent = in_.u8() % 8;         // 0: the default
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
      int parity = static_cast<int>(in_.u8() % 3);
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
              static_cast<unsigned long long>(conn_id(conn->conn)), roam_conn_state(conn->conn));
        int rc = roam_conn_reject(conn->conn, md);
        trace("reject -> %d", rc);
        if (rc == ROAM_OK) connection_ended(conn);
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
              static_cast<unsigned long long>(conn_id(conn->conn)), rc);
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
      op_channel(true);
      break;
    case CapiOp::ChannelBind:
      op_channel(false);
      break;
    case CapiOp::ChannelSend: {
      ChannelRecord *ch = pick_channel();
      std::vector<uint8_t> item = build_payload();
      if (ch) roam_channel_send(ch->conn->conn, ch->id, item.data(), item.size());
      break;
    }
    case CapiOp::ChannelClose: {
      ChannelRecord *ch = pick_channel();
      roam_metadata *md = build_metadata();
      if (ch) roam_channel_close(ch->conn->conn, ch->id, md);
      roam_metadata_free(md);
      break;
    }
    case CapiOp::ChannelReset: {
      ChannelRecord *ch = pick_channel();
      roam_metadata *md = build_metadata();
      if (ch) roam_channel_reset(ch->conn->conn, ch->id, md);
      roam_metadata_free(md);
      break;
    }
    case CapiOp::ChannelGrant: {
      ChannelRecord *ch = pick_channel();
      uint32_t n = in_.u8();
      if (ch) roam_channel_grant(ch->conn->conn, ch->id, n);
      break;
    }
    case CapiOp::ChannelManualCredit: {
      ChannelRecord *ch = pick_channel();
      int manual = in_.u8() & 1;
      if (ch) {
        roam_channel_set_manual_credit(ch->conn->conn, ch->id, manual);
        uint32_t credit = 0;
        size_t queued = 0;
        (void)roam_channel_credit(ch->conn->conn, ch->id, &credit);
        (void)roam_channel_queued(ch->conn->conn, ch->id, &queued);
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
    case CapiOp::Inspect:
      op_inspect();
      break;
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
        if (ch->alive && ch->conn == conn) ours.push_back(ch->id);
      }
      ids.push_back(!ours.empty() && (b & 0x80) == 0 ? ours[b % ours.size()] : b & 0x3f);
    }
  }
  if (conn) {
    auto rec = std::make_unique<CallRecord>();
    rec->conn = conn;
    // Without channels, sometimes NULL for the list (allowed with a count of 0).
    const uint64_t *list = ids.empty() && (method & 1) ? nullptr : ids.data();
    int rc = roam_conn_call(conn->conn, method, list, ids.size(), md, args.data(), args.size(),
                            cb_response, rec.get(), &rec->request_id);
    if (rc != ROAM_OK) {
      rec->done = true;  // no call was made: no callback may come
    } else {
      for (auto &call : calls_) {
        FUZZ_CHECK(call->done || call->conn != conn || call->request_id != rec->request_id,
                   "request id %llu handed out twice on one connection",
                   static_cast<unsigned long long>(rec->request_id));
      }
    }
    calls_.push_back(std::move(rec));
  }
  roam_metadata_free(md);
}

void CapiFuzzHarness::op_channel(bool open) {
  ConnRecord *conn = pick_conn();
  uint8_t d = in_.u8();
  // Mostly SEND (1) or RECEIVE (2); now and then 0 or 3, which are refused.
  int direction = (d & 0x80) ? d % 4 : (d & 1) + 1;
  uint32_t credit = in_.u8() % 20;  // 0: the default
  uint64_t id = in_.u8();
  if (!conn) return;
  auto rec = std::make_unique<ChannelRecord>();
  rec->conn = conn;
  int rc;
  if (open) {
    rc = roam_conn_channel_open(conn->conn, direction, credit, cb_channel_item, cb_channel_end,
                                cb_channel_writable, rec.get(), &rec->id);
  } else {
    // Mostly an id a served call on this connection named.
    std::vector<uint64_t> named;
    for (auto &reply : replies_) {
      if (reply->conn == conn) named.insert(named.end(), reply->channels.begin(), reply->channels.end());
    }
    if (!named.empty() && (id & 0x80) == 0) id = named[id % named.size()];
    rec->id = id;
    rc = roam_conn_channel_bind(conn->conn, id, direction, credit, cb_channel_item, cb_channel_end,
                                cb_channel_writable, rec.get());
  }
  trace("channel %s %d:%llu dir %d -> %d", open ? "open" : "bind", conn->side->index,
        static_cast<unsigned long long>(rec->id), direction, rc);
  if (rc != ROAM_OK) {
    rec->alive = false;
  } else {
    rec->made = true;
    FUZZ_CHECK(direction == ROAM_CHANNEL_SEND || direction == ROAM_CHANNEL_RECEIVE,
               "a channel made with direction %d", direction);
    FUZZ_CHECK(!live_channel(conn, rec->id, nullptr), "channel id %llu live twice on a connection",
               static_cast<unsigned long long>(rec->id));
  }
  channels_.push_back(std::move(rec));
}

void CapiFuzzHarness::op_proxy() {
  ConnRecord *left = pick_conn();
  ConnRecord *right = pick_conn();
  if (left && right) {
    int rc = roam_conn_proxy(left->conn, right->conn);
    trace("proxy %d:%llu <-> %d:%llu -> %d", left->side->index,
          static_cast<unsigned long long>(conn_id(left->conn)), right->side->index,
          static_cast<unsigned long long>(conn_id(right->conn)), rc);
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

// Getters on live handles, and what ids that have ended answer.
void CapiFuzzHarness::op_inspect() {
  uint8_t what = in_.u8();
  switch (what % 4) {
    case 0: {
      SideRecord *side = pick_side();
      if (!side) break;
      roam_session *s = side->s;
      int state = roam_session_state(s);
      FUZZ_CHECK(state >= ROAM_SESSION_CONNECTING && state <= ROAM_SESSION_CLOSING,
                 "session state %d", state);
      int role = roam_session_role(s);
      FUZZ_CHECK(role == ROAM_ROLE_INITIATOR || role == ROAM_ROLE_ACCEPTOR, "session role %d", role);
      int parity = roam_session_parity(s);
      FUZZ_CHECK(parity == ROAM_PARITY_ODD || parity == ROAM_PARITY_EVEN || parity == ROAM_ESTATE,
                 "session parity %d", parity);
      int error = 1;
      int rc = roam_session_error(s, &error);
      FUZZ_CHECK(rc == ROAM_OK || rc == ROAM_ESTATE, "roam_session_error -> %d", rc);
      FUZZ_CHECK(rc != ROAM_OK || error <= 0, "a session error %d", error);
      FUZZ_CHECK(roam_session_last_error(s) != nullptr, "no last error text");
      size_t backlog = 0;
      FUZZ_CHECK(roam_session_outbound_backlog(s, &backlog) == ROAM_OK, "outbound_backlog failed");
      for (int which = ROAM_STAT_FRAMES_IN; which <= ROAM_STAT_OPEN_CONNECTIONS + 1; ++which) {
        uint64_t value = 0;
        rc = roam_session_stat(s, which, &value);
        FUZZ_CHECK(rc == ROAM_OK || which > ROAM_STAT_OPEN_CONNECTIONS, "stat %d -> %d", which, rc);
      }
      roam_conn *root = nullptr;
      rc = roam_session_root(s, &root);
      FUZZ_CHECK(rc != ROAM_OK || root != nullptr, "roam_session_root gave no root");
      FUZZ_CHECK(roam_session_get_user_data(s) == side, "the session's user_data changed");
      break;
    }
    case 1: {
      ConnRecord *conn = pick_conn();
      if (!conn) break;
      uint64_t id = 0;
      FUZZ_CHECK(roam_conn_id(conn->conn, &id) == ROAM_OK, "roam_conn_id failed");
      FUZZ_CHECK(!conn->root || id == 0, "a root with id %llu", static_cast<unsigned long long>(id));
      int state = roam_conn_state(conn->conn);
      FUZZ_CHECK(state >= ROAM_CONN_PENDING_OUTBOUND && state <= ROAM_CONN_CLOSED,
                 "connection state %d", state);
      FUZZ_CHECK(roam_conn_session(conn->conn) == conn->side->s, "a connection's session changed");
      FUZZ_CHECK(roam_conn_get_user_data(conn->conn) == conn, "a connection's user_data changed");
      int parity = 0;
      uint32_t max = 0;
      int rc = roam_conn_local_settings(conn->conn, &parity, &max);
      FUZZ_CHECK(rc != ROAM_OK || parity == ROAM_PARITY_ODD || parity == ROAM_PARITY_EVEN,
                 "local parity %d", parity);
      rc = roam_conn_peer_settings(conn->conn, &parity, &max);
      FUZZ_CHECK(rc != ROAM_OK || parity == ROAM_PARITY_ODD || parity == ROAM_PARITY_EVEN,
                 "peer parity %d", parity);
      break;
    }
    case 2: {
      // A call that completed, on a connection still alive: its id is over.
      uint8_t b = in_.u8();
      std::vector<CallRecord *> ended;
      for (auto &call : calls_) {
        if (call->done && call->conn->alive && call->request_id != 0) ended.push_back(call.get());
      }
      if (!ended.empty()) {
        CallRecord *call = ended[b % ended.size()];
        bool reused = false;
        for (auto &other : calls_) {
          reused = reused || (!other->done && other->conn == call->conn &&
                              other->request_id == call->request_id);
        }
        int rc = roam_call_cancel(call->conn->conn, call->request_id, nullptr);
        FUZZ_CHECK(reused || rc == ROAM_ENOTFOUND || rc == ROAM_ECLOSED,
                   "cancel of ended call %llu -> %d", static_cast<unsigned long long>(call->request_id),
                   rc);
      }
      // A channel that ended, on a connection still alive.
      std::vector<ChannelRecord *> gone;
      for (auto &ch : channels_) {
        if (ch->made && !ch->alive && ch->conn->alive && !live_channel(ch->conn, ch->id, nullptr)) {
          gone.push_back(ch.get());
        }
      }
      if (!gone.empty()) {
        ChannelRecord *ch = gone[b % gone.size()];
        uint32_t credit = 0;
        size_t queued = 0;
        int rc = roam_channel_send(ch->conn->conn, ch->id, "x", 1);
        FUZZ_CHECK(rc == ROAM_ENOTFOUND || rc == ROAM_ECLOSED, "send on ended channel %llu -> %d",
                   static_cast<unsigned long long>(ch->id), rc);
        rc = roam_channel_credit(ch->conn->conn, ch->id, &credit);
        FUZZ_CHECK(rc == ROAM_ENOTFOUND || rc == ROAM_ECLOSED, "credit of ended channel -> %d", rc);
        rc = roam_channel_queued(ch->conn->conn, ch->id, &queued);
        FUZZ_CHECK(rc == ROAM_ENOTFOUND || rc == ROAM_ECLOSED, "queued of ended channel -> %d", rc);
      }
      // (Not a served request's id: a peer may use it again for a new
      // call, whose serve callback may still be queued.)
      break;
    }
    default: {
      int code = -static_cast<int>(in_.u8() % 48);
      FUZZ_CHECK(roam_strerror(code) != nullptr && roam_err_name(code) != nullptr,
                 "no text for code %d", code);
      FUZZ_CHECK(roam_message_kind_name(static_cast<int>(in_.u8() % 16) - 2) != nullptr,
                 "no message kind name");
      FUZZ_CHECK(roam_last_error_detail() != nullptr, "no last error detail");
      FUZZ_CHECK(roam_protocol_version() == ROAM_PROTOCOL_VERSION, "protocol version");
      FUZZ_CHECK(roam_version_number() == ((ROAM_VERSION_MAJOR << 16) | (ROAM_VERSION_MINOR << 8) |
                                           ROAM_VERSION_PATCH),
                 "version number");
      FUZZ_CHECK(roam_version() != nullptr, "no version string");
      break;
    }
  }
}

void CapiFuzzHarness::answer(ReplyRecord *reply) {
  uint8_t how = in_.u8();
  roam_metadata *md = build_metadata();
  std::vector<uint8_t> value = build_payload();
  roam_conn *conn = reply->conn->conn;
  uint64_t id = reply->request_id;
  // Whatever it returns, the request is over after any of these.
  reply->held = false;
  int rc;
  switch (how % 5) {
    case 0:
      rc = roam_reply_ok(conn, id, md, value.data(), value.size());
      break;
    case 1:
      rc = roam_reply_user_error(conn, id, md, value.data(), value.size());
      break;
    case 2: {
      static const int codes[] = {ROAM_EUNKNOWNMETHOD, ROAM_EINVALIDPAYLOAD, ROAM_ECANCELLED,
                                  ROAM_EPROTO, 0};
      rc = roam_reply_fail(conn, id, codes[(how >> 3) % 5], md);
      break;
    }
    case 3:
      rc = roam_reply_raw(conn, id, md, value.data(), value.size());
      break;
    default:
      rc = roam_reply_release(conn, id);
      break;
  }
  trace("answer %d:%llu (how %d) -> %d", reply->conn->side->index,
        static_cast<unsigned long long>(id), how % 5, rc);
  roam_metadata_free(md);
}

void CapiFuzzHarness::cancel(CallRecord *call) {
  roam_metadata *md = build_metadata();
  int rc = roam_call_cancel(call->conn->conn, call->request_id, md);
  roam_metadata_free(md);
  trace("cancel %d:%llu -> %d", call->conn->side->index,
        static_cast<unsigned long long>(call->request_id), rc);
  // From the call's own response callback: it has completed.
  FUZZ_CHECK(!call->done || rc == ROAM_ENOTFOUND || rc == ROAM_ECLOSED,
             "cancel of a completed call -> %d", rc);
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
  roam_metadata *md = nullptr;
  FUZZ_CHECK(roam_metadata_new(&md) == ROAM_OK && md != nullptr, "roam_metadata_new failed");
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

ReplyRecord *CapiFuzzHarness::find_reply(const ConnRecord *conn, uint64_t request_id, bool held) {
  for (auto &r : replies_) {
    if (r->conn == conn && r->request_id == request_id && r->held == held) return r.get();
  }
  return nullptr;
}

bool CapiFuzzHarness::live_channel(const ConnRecord *conn, uint64_t id,
                                   const ChannelRecord *except) const {
  for (auto &ch : channels_) {
    if (ch.get() != except && ch->alive && ch->conn == conn && ch->id == id) return true;
  }
  return false;
}

// A connection handle's end (its final callback, or our reject): every
// call and channel on it has ended before, and the requests it served end
// with it.
void CapiFuzzHarness::connection_ended(ConnRecord *rec) {
  rec->alive = false;
  for (auto &call : calls_) {
    FUZZ_CHECK(call->conn != rec || call->done,
               "connection %d's final callback before call %llu completed", rec->side->index,
               static_cast<unsigned long long>(call->request_id));
  }
  for (auto &ch : channels_) {
    FUZZ_CHECK(ch->conn != rec || !ch->alive,
               "connection %d's final callback before channel %llu ended", rec->side->index,
               static_cast<unsigned long long>(ch->id));
  }
  for (auto &reply : replies_) {
    if (reply->conn == rec) reply->held = false;
  }
}

SideRecord *CapiFuzzHarness::callback_side(SideRecord *side, roam_session *s) {
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
             static_cast<unsigned long long>(conn_id(conn)));
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
    roam_metadata *copy = nullptr;
    FUZZ_CHECK(roam_metadata_copy(md, &copy) == ROAM_OK && copy != nullptr,
               "roam_metadata_copy failed");
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
  if (b % 8 >= 4) trace("session %d: react %d", side->index, b % 8);
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
        // From its end callback too: the id is over then (ROAM_ENOTFOUND).
        roam_metadata *md = build_metadata();
        if (b & 0x10) {
          roam_channel_reset(channel->conn->conn, channel->id, md);
        } else {
          roam_channel_close(channel->conn->conn, channel->id, md);
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
               static_cast<unsigned long long>(conn_id(conn->conn)));
  }
  react(side, nullptr, nullptr, nullptr, nullptr);
}

void CapiFuzzHarness::on_close(SideRecord *side) {
  callback_side(side, side->s);
  trace("session %d: closed", side->index);
  FUZZ_CHECK(side->close_called, "a close callback without roam_session_close");
  FUZZ_CHECK(side->end_seen, "session %d: close callback before the end callback", side->index);
  for (auto &call : calls_) {
    FUZZ_CHECK(!(call->conn->side == side && !call->done),
               "session %d closed with a call that never completed", side->index);
  }
  for (auto &ch : channels_) {
    FUZZ_CHECK(!(ch->conn->side == side && ch->alive),
               "session %d closed with channel %llu never ended", side->index,
               static_cast<unsigned long long>(ch->id));
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
        static_cast<unsigned long long>(conn_id(conn)));
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
      connection_ended(r);
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
        static_cast<unsigned long long>(conn_id(conn)), status);
  read_metadata(md);
  if (status != ROAM_OK) connection_ended(rec);  // a failed open is the handle's end
  react(side, rec, nullptr, nullptr, nullptr);
}

void CapiFuzzHarness::on_conn_closed(SideRecord *side, roam_conn *conn, int origin,
                                     const roam_metadata *md) {
  callback_side(side, side->s);
  ConnRecord *rec = callback_conn(side, conn);
  FUZZ_CHECK(origin >= ROAM_CLOSE_LOCAL && origin <= ROAM_CLOSE_SESSION, "close origin %d", origin);
  trace("session %d: connection %llu closed (origin %d)", side->index,
        static_cast<unsigned long long>(conn_id(conn)), origin);
  read_metadata(md);
  connection_ended(rec);
  react(side, rec, nullptr, nullptr, nullptr);
}

void CapiFuzzHarness::on_serve(SideRecord *side, roam_conn *conn, uint64_t request_id,
                               const uint64_t *channels, size_t channel_count,
                               const roam_metadata *md) {
  callback_side(side, side->s);
  ConnRecord *c = callback_conn(side, conn);
  FUZZ_CHECK(channel_count == 0 || channels != nullptr, "a served call's channel list is NULL");
  FUZZ_CHECK(find_reply(c, request_id, true) == nullptr,
             "request %llu served twice at once on one connection",
             static_cast<unsigned long long>(request_id));
  trace("session %d: serve %llu:%llu", side->index, static_cast<unsigned long long>(conn_id(conn)),
        static_cast<unsigned long long>(request_id));
  read_metadata(md);
  auto rec = std::make_unique<ReplyRecord>();
  rec->conn = c;
  rec->request_id = request_id;
  rec->channels.assign(channels, channels + channel_count);
  ReplyRecord *r = rec.get();
  replies_.push_back(std::move(rec));
  react(side, c, nullptr, r, nullptr);
}

void CapiFuzzHarness::on_serve_cancelled(SideRecord *side, roam_conn *conn, uint64_t request_id) {
  callback_side(side, side->s);
  ConnRecord *c = callback_conn(side, conn);
  trace("session %d: serve cancelled %llu:%llu", side->index,
        static_cast<unsigned long long>(conn_id(conn)), static_cast<unsigned long long>(request_id));
  ReplyRecord *rec = find_reply(c, request_id, true);
  FUZZ_CHECK(rec != nullptr, "a cancel for request %llu, not one being served",
             static_cast<unsigned long long>(request_id));
  FUZZ_CHECK(!rec->cancelled, "a second cancel for request %llu",
             static_cast<unsigned long long>(request_id));
  rec->cancelled = true;
  react(side, c, nullptr, rec, nullptr);
}

void CapiFuzzHarness::on_response(CallRecord *call, roam_conn *conn, uint64_t request_id,
                                  const roam_metadata *md) {
  SideRecord *side = call->conn->side;
  callback_side(side, nullptr);
  FUZZ_CHECK(call->conn->conn == conn && call->conn->alive, "a response on another connection");
  FUZZ_CHECK(call->request_id == request_id, "the response of call %llu for call %llu",
             static_cast<unsigned long long>(request_id),
             static_cast<unsigned long long>(call->request_id));
  FUZZ_CHECK(!call->done, "a second response callback for one call");
  call->done = true;
  read_metadata(md);
  react(side, nullptr, call, nullptr, nullptr);  // the connection lives until we return
}

void CapiFuzzHarness::on_channel(ChannelRecord *ch, roam_conn *conn, uint64_t channel_id, bool end,
                                 const roam_metadata *md) {
  SideRecord *side = ch->conn->side;
  callback_side(side, nullptr);
  FUZZ_CHECK(ch->conn->conn == conn && ch->conn->alive, "a channel callback on another connection");
  FUZZ_CHECK(ch->id == channel_id, "a callback of channel %llu for channel %llu",
             static_cast<unsigned long long>(channel_id), static_cast<unsigned long long>(ch->id));
  FUZZ_CHECK(ch->made && ch->alive, "a callback for channel %llu after its end",
             static_cast<unsigned long long>(channel_id));
  trace("session %d: channel %llu:%llu %s", side->index,
        static_cast<unsigned long long>(conn_id(conn)), static_cast<unsigned long long>(channel_id),
        end ? "end" : "item or writable");
  if (end) {
    read_metadata(md);
    ch->alive = false;
  }
  react(side, nullptr, nullptr, nullptr, ch);  // the connection lives until we return
}

void CapiFuzzHarness::on_raw(SideRecord *side, roam_conn *conn, const roam_metadata *md) {
  callback_side(side, side->s);
  ConnRecord *c = callback_conn(side, conn);
  read_metadata(md);
  react(side, c, nullptr, nullptr, nullptr);
}

void CapiFuzzHarness::on_plain(SideRecord *side) {
  callback_side(side, side->s);
  react(side, nullptr, nullptr, nullptr, nullptr);
}

}  // namespace roam::fuzz::capi
