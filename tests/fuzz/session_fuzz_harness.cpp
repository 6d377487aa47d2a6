#include "session_fuzz_harness.hpp"

#include "frame/frame_writer.hpp"
#include "fuzz_check.hpp"
#include "fuzz_trace.hpp"
#include "view_access.hpp"
#include "wire/message_codec.hpp"

namespace roam::fuzz {

using session::SessionState;
using wire::ConnectionSettings;
using wire::MetadataView;

namespace {

// Inputs are at most a few KiB; this only bounds pathological ones.
constexpr size_t kMaxOps = 20000;
// Callbacks inside reactions inside callbacks: deep enough for every
// interleaving that matters, shallow enough to stay fast.
constexpr unsigned kMaxReactionDepth = 3;

unsigned long long ull(uint64_t v) { return static_cast<unsigned long long>(v); }

}  // namespace

// ---- setup --------------------------------------------------------------------------------

SessionSetup SessionSetup::read(FuzzInput &in) {
  uint8_t h[kSessionHeaderSize];
  for (uint8_t &b : h) b = in.u8();
  SessionSetup s;
  s.flags = h[kHeaderFlags];
  session::SessionConfig &c = s.config;
  c.role = (s.flags & kFlagAcceptor) ? session::Role::Acceptor : session::Role::Initiator;
  c.parity = (s.flags & kFlagEvenParity) ? wire::Parity::Even : wire::Parity::Odd;
  c.max_concurrent_requests = h[kHeaderConcurrency] & 15;
  s.peer_hello.parity = (s.flags & kFlagPeerEvenParity) ? wire::Parity::Even : wire::Parity::Odd;
  s.peer_hello.max_concurrent_requests = h[kHeaderConcurrency] >> 4;
  // Small limits, so that frames over the maximum and backlogs past the
  // soft and hard limits are a few operations away.
  c.max_frame_size = 32 + 32u * h[kHeaderFrameSize];
  c.outbound_soft_limit = 64 + 64u * h[kHeaderSoftLimit];
  c.outbound_hard_limit = c.outbound_soft_limit + 64 + 128u * h[kHeaderHardLimit];
  c.max_connections = h[kHeaderConnections] & 15;
  s.channel_queue_limit = 1 + (h[kHeaderConnections] >> 4);
  c.max_metadata_size = 16 + 16u * h[kHeaderMetadata];
  if (s.flags & kFlagKeepalive) {
    c.keepalive_interval_ms = 1 + (h[kHeaderTimers] & 15) * 10u;
    c.keepalive_timeout_ms = 1 + (h[kHeaderTimers] >> 4) * 20u;
  }
  if (s.flags & kFlagHandshakeTimeout) c.handshake_timeout_ms = 1 + h[kHeaderTimers];
  c.accepts_inbound = (s.flags & kFlagAcceptsInbound) != 0;
  c.channel_buffer_per_connection = 32u * (h[kHeaderChannelBuffers] & 15);
  c.channel_buffer_per_session = 128u * (h[kHeaderChannelBuffers] >> 4);
  c.frame_timeout_ms = 100u * (h[kHeaderTimeouts] & 15);
  c.idle_timeout_ms = 500u * (h[kHeaderTimeouts] >> 4);
  return s;
}

SessionFuzzHarness::SessionFuzzHarness(const uint8_t *data, size_t size)
    : in_(data, size),
      setup_(SessionSetup::read(in_)),
      core_(setup_.config, this),
      channel_budget_(setup_.config.channel_buffer_per_session) {}

SessionFuzzHarness::~SessionFuzzHarness() = default;

// ---- the program ----------------------------------------------------------------------------

void SessionFuzzHarness::run() {
  handshake();
  for (size_t ops = 0; !in_.empty() && ops < kMaxOps; ++ops) {
    run_op(in_.u8());
    after_op();
  }
  core_.shutdown();  // no-op if it already ended
  after_op();
  final_checks();
}

void SessionFuzzHarness::handshake() {
  FUZZ_CHECK(core_.start(now_us_) == ROAM_OK, "start() failed");
  drain_output();
  if (!(setup_.flags & kFlagNoHandshake)) {
    if (core_.role() == session::Role::Acceptor) {
      feed_message(wire::make_hello(wire::kProtocolVersion, setup_.peer_hello, MetadataView()));
    } else {
      feed_message(wire::make_hello_yourself(setup_.peer_hello, MetadataView()));
    }
    // (Its reaction may already have ended the session again.)
    FUZZ_CHECK(handshake_done_, "a valid handshake did not establish the session: %s",
               core_.end_reason().c_str());
  }
  after_op();
}

void SessionFuzzHarness::run_op(uint8_t code) {
  auto op = static_cast<SessionOp>(code % kSessionOpCount);
  trace("op %d", static_cast<int>(op));
  switch (op) {
    case SessionOp::PeerBytes:
      feed(in_.bytes(in_.u16()));
      return;
    case SessionOp::PeerMessages:
      peer_messages();
      return;
    case SessionOp::Tick:
      now_us_ += in_.u8() * 1000ull;
      core_.tick(now_us_);
      return;
    case SessionOp::TickToDeadline: {
      uint64_t deadline = core_.next_deadline();
      if (deadline == session::SessionCore::kNoDeadline) return;
      if (deadline > now_us_) now_us_ = deadline;
      core_.tick(now_us_);
      // A deadline that does not move once served would spin the event loop.
      FUZZ_CHECK(core_.state() == SessionState::Ended || core_.next_deadline() > now_us_,
                 "tick() at the deadline %llu leaves the next deadline at %llu",
                 ull(now_us_), ull(core_.next_deadline()));
      return;
    }
    case SessionOp::SetBacklog:
      backlog_ = setup_.config.outbound_hard_limit / 128 * in_.u8();
      core_.set_transport_backlog(backlog_);
      return;
    case SessionOp::DrainBacklog:
      backlog_ -= backlog_ * in_.u8() / 255;
      core_.set_transport_backlog(backlog_);
      return;
    case SessionOp::TransportEnd:
      if (in_.flag()) {
        core_.transport_failed(ROAM_EIO, "fuzz: transport failed");
      } else {
        core_.receive_eof(now_us_);
      }
      return;
    case SessionOp::PauseReading:
      core_.set_reading_paused(in_.flag(), now_us_);
      return;
    default:
      run_local_op(op);
      return;
  }
}

void SessionFuzzHarness::run_local_op(SessionOp op) {
  trace("%*slocal op %d", static_cast<int>(depth_ * 2), "", static_cast<int>(op));
  switch (op) {
    case SessionOp::Open:
      return open_connection();
    case SessionOp::Accept:
      return accept(pick_connection(ConnPhase::PendingInbound));
    case SessionOp::Reject:
      return reject(pick_connection(ConnPhase::PendingInbound));
    case SessionOp::CloseConnection:
      return close_connection(pick_connection_id());
    case SessionOp::Call:
      return call(pick_connection(ConnPhase::Open));
    case SessionOp::Cancel: {
      FuzzConnection *c = pick_connection(ConnPhase::Open);
      if (c) cancel(c, pick_call_id(c));
      return;
    }
    case SessionOp::Reply: {
      FuzzConnection *c = pick_connection(ConnPhase::Open);
      if (c) reply(c, pick_served_id(c));
      return;
    }
    case SessionOp::Abandon: {
      FuzzConnection *c = pick_connection(ConnPhase::Open);
      if (c) abandon(c, pick_served_id(c));
      return;
    }
    case SessionOp::AddChannel: {
      FuzzConnection *c = pick_connection(ConnPhase::Open);
      if (c) add_channel(c, pick_bindable_channel_id(c));
      return;
    }
    case SessionOp::SendItem: {
      FuzzConnection *c = pick_connection(ConnPhase::Open);
      if (c) send_item(c, pick_channel_id(c));
      return;
    }
    case SessionOp::CloseChannel: {
      FuzzConnection *c = pick_connection(ConnPhase::Open);
      if (!c) return;
      uint64_t id = pick_channel_id(c);
      wire::MetadataList md = build_metadata(in_);
      c->driver->channels().close(id, md.view());
      return;
    }
    case SessionOp::ResetChannel: {
      FuzzConnection *c = pick_connection(ConnPhase::Open);
      if (!c) return;
      uint64_t id = pick_channel_id(c);
      wire::MetadataList md = build_metadata(in_);
      c->driver->channels().reset(id, md.view());
      return;
    }
    case SessionOp::GrantCredit: {
      FuzzConnection *c = pick_connection(ConnPhase::Open);
      if (!c) return;
      uint64_t id = pick_channel_id(c);
      uint8_t a = in_.u8();
      c->driver->channels().grant(id, (a & 0x80) ? in_.u32() : a % 8);
      uint32_t credit = 0;
      c->driver->channels().credit(id, &credit);
      return;
    }
    case SessionOp::ManualCredit: {
      FuzzConnection *c = pick_connection(ConnPhase::Open);
      if (!c) return;
      uint64_t id = pick_channel_id(c);
      c->driver->channels().set_manual_credit(id, in_.flag());
      return;
    }
    case SessionOp::Ping: {
      uint64_t nonce = 0;
      core_.ping(now_us_, &nonce);
      return;
    }
    case SessionOp::ReleaseRoot:
      core_.release_root();
      return;
    case SessionOp::Shutdown:
      core_.shutdown();
      return;
    case SessionOp::RawSend:
      return raw_send();
    case SessionOp::FlushChannels: {
      FuzzConnection *c = pick_connection(ConnPhase::Open);
      if (c) c->driver->on_writable();
      return;
    }
    case SessionOp::AcceptsInbound:
      core_.set_accepts_inbound(in_.flag());
      return;
    default:
      return;  // peer and transport operations never run from a callback
  }
}

void SessionFuzzHarness::after_op() {
  // Back at the top: no callback is running in a retired connection now.
  retired_.clear();
  drain_output();
  core_.set_transport_backlog(backlog_);
  drain_output();
  retired_.clear();
  check_connection_table();
}

void SessionFuzzHarness::drain_output() {
  wire::ByteBuffer out;
  core_.take_output(out);
  if (!out.empty()) {
    FUZZ_CHECK(!silent_after_end_, "%zu bytes were queued after the session had ended",
               out.size());
  }
  outbound_.check(out.view(), setup_.config.max_frame_size);
  if (setup_.flags & kFlagStalledTransport) backlog_ += out.size();
  if (core_.state() == SessionState::Ended) silent_after_end_ = true;
}

// What we hold must be what the core holds: it reports every connection it
// drops, except those a local call removes (reject), which we drop too.
void SessionFuzzHarness::check_connection_table() {
  size_t in_core = core_.virtual_connection_count() + (core_.find(0) ? 1 : 0);
  FUZZ_CHECK(in_core == conns_.size(), "the core holds %zu connections, events left %zu", in_core,
             conns_.size());
  for (const auto &kv : conns_) {
    const session::Connection *info = core_.find(kv.first);
    FUZZ_CHECK(info != nullptr, "connection %llu was dropped without an event", ull(kv.first));
    bool open = info->state == session::ConnState::Open;
    FUZZ_CHECK(open == (kv.second->phase == ConnPhase::Open),
               "connection %llu is %s in the core but %s by its events", ull(kv.first),
               open ? "open" : "pending", open ? "pending" : "open");
  }
}

void SessionFuzzHarness::final_checks() {
  FUZZ_CHECK(core_.state() == SessionState::Ended, "shutdown() did not end the session");
  FUZZ_CHECK(ended_, "the session ended without on_session_ended");
  for (const auto &call : call_records_) {
    FUZZ_CHECK(!call->registered || call->done,
               "call %llu never completed though its session ended", ull(call->request_id));
  }
  for (const auto &ch : channel_records_) {
    FUZZ_CHECK(!ch->bound || ch->ended, "channel %llu never ended though its session ended",
               ull(ch->id));
  }
}

// ---- reactions ----------------------------------------------------------------------------

void SessionFuzzHarness::react(Moment moment, FuzzConnection *conn, uint64_t id) {
  if (depth_ >= kMaxReactionDepth) return;
  uint8_t r = in_.u8();
  trace("%*sreact %d to moment %d", static_cast<int>(depth_ * 2), "", r % 3, static_cast<int>(moment));
  ++depth_;
  switch (r % 3) {
    case 0:
      break;
    case 1:
      context_action(moment, conn, id);
      break;
    default:
      run_local_op(static_cast<SessionOp>(kFirstLocalOp + in_.u8() % (kSessionOpCount - kFirstLocalOp)));
      break;
  }
  --depth_;
}

// The action a user is most likely to take at that moment, the one that
// stresses the caller's state the most.
void SessionFuzzHarness::context_action(Moment moment, FuzzConnection *conn, uint64_t id) {
  switch (moment) {
    case Moment::HandshakeDone:
    case Moment::OpenAccepted:
    case Moment::Writable:
      // New work at once.
      if (conn && conn->driver) {
        call(conn);
      } else {
        call(pick_connection(ConnPhase::Open));
      }
      return;
    case Moment::InboundOpen:
      if (in_.flag()) {
        accept(conn);
      } else {
        reject(conn);
      }
      return;
    case Moment::OpenRejected:
    case Moment::ConnectionClosed:
      close_connection(pick_connection_id());
      return;
    case Moment::CallDone:
      // Another call of the same connection, or the connection itself.
      if (in_.flag() && conn->driver) {
        cancel(conn, pick_call_id(conn));
      } else {
        close_connection(conn->id);
      }
      return;
    case Moment::IncomingCall:
    case Moment::ServedCallCancelled:
      reply(conn, id);
      return;
    case Moment::ChannelItem:
      if (conn->driver) conn->driver->channels().reset(id, MetadataView());
      return;
    case Moment::ChannelEnd:
    case Moment::UnroutedRequest:
      close_connection(conn->id);
      return;
    case Moment::ChannelWritable:
      send_item(conn, id);
      return;
    case Moment::UnroutedChannel:
      add_channel(conn, id);
      return;
    case Moment::Pong:
    case Moment::KeepaliveTimeout:
    case Moment::SessionEnded:
      if (in_.flag()) {
        core_.shutdown();
      } else {
        uint64_t nonce = 0;
        core_.ping(now_us_, &nonce);
      }
      return;
  }
}

// ---- session events -----------------------------------------------------------------------

void SessionFuzzHarness::observer_event(const char *name) {
  trace("%*sevent %s", static_cast<int>(depth_ * 2), "", name);
  FUZZ_CHECK(!ended_, "%s reported after on_session_ended", name);
}

void SessionFuzzHarness::on_handshake_done(const ConnectionSettings &local,
                                           const ConnectionSettings &peer,
                                           const MetadataView &peer_metadata) {
  observer_event("on_handshake_done");
  FUZZ_CHECK(!handshake_done_, "a second handshake completed");
  handshake_done_ = true;
  read_all(peer_metadata);
  FuzzConnection *root = add_connection(0, ConnPhase::Open);
  start_driver(root, local, peer);
  react(Moment::HandshakeDone, root, 0);
}

void SessionFuzzHarness::on_inbound_open(uint64_t conn, const ConnectionSettings &,
                                         const MetadataView &metadata) {
  observer_event("on_inbound_open");
  FUZZ_CHECK(find(conn) == nullptr, "inbound open for connection %llu, which is in use", ull(conn));
  read_all(metadata);
  FuzzConnection *c = add_connection(conn, ConnPhase::PendingInbound);
  react(Moment::InboundOpen, c, conn);
}

void SessionFuzzHarness::on_open_accepted(uint64_t conn, const ConnectionSettings &peer,
                                          const MetadataView &metadata) {
  observer_event("on_open_accepted");
  FuzzConnection *c = find(conn);
  FUZZ_CHECK(c && c->phase == ConnPhase::PendingOutbound,
             "accept reported for connection %llu, which we did not open", ull(conn));
  read_all(metadata);
  const session::Connection *info = core_.find(conn);
  FUZZ_CHECK(info != nullptr, "connection %llu accepted but not in the core", ull(conn));
  c->phase = ConnPhase::Open;
  start_driver(c, info->local, peer);
  react(Moment::OpenAccepted, c, conn);
}

void SessionFuzzHarness::on_open_rejected(uint64_t conn, void *, const MetadataView &metadata) {
  observer_event("on_open_rejected");
  FuzzConnection *c = find(conn);
  FUZZ_CHECK(c && c->phase == ConnPhase::PendingOutbound,
             "reject reported for connection %llu, which we did not open", ull(conn));
  read_all(metadata);
  retire(c);
  react(Moment::OpenRejected, nullptr, conn);
}

void SessionFuzzHarness::on_connection_closed(uint64_t conn, void *, session::CloseOrigin origin,
                                              int reason, const MetadataView &metadata) {
  observer_event("on_connection_closed");
  read_all(metadata);
  if (origin == session::CloseOrigin::Session) {
    FUZZ_CHECK(core_.state() == SessionState::Ended,
               "connection %llu closed by the session's end before it ended", ull(conn));
  }
  // Unknown only when open_connection itself ended the session (hard
  // limit) before returning the new id: lib/capi ignores it too.
  trace("  conn %llu origin %d reason %d", ull(conn), static_cast<int>(origin), reason);
  FuzzConnection *c = find(conn);
  if (c == nullptr) return;
  // As lib/capi: calls, served calls and channels end first, while the
  // connection can still be found; then it goes.
  c->closing = true;
  if (c->driver) c->driver->connection_gone(reason);
  retire(c);
  react(Moment::ConnectionClosed, nullptr, conn);
}

void SessionFuzzHarness::on_request(uint64_t conn, const wire::RequestMessage &request) {
  observer_event("on_request");
  FuzzConnection *c = find(conn);
  FUZZ_CHECK(c != nullptr, "request routed to unknown connection %llu", ull(conn));
  if (c->driver) {
    c->driver->handle_request(request);
  } else {
    read_all(request);
  }
}

void SessionFuzzHarness::on_channel(uint64_t conn, const wire::ChannelMessage &channel) {
  observer_event("on_channel");
  FuzzConnection *c = find(conn);
  FUZZ_CHECK(c != nullptr, "channel message routed to unknown connection %llu", ull(conn));
  if (c->driver) {
    c->driver->handle_channel(channel);
  } else {
    read_all(channel);
  }
}

void SessionFuzzHarness::on_pong(uint64_t nonce, uint64_t) {
  observer_event("on_pong");
  react(Moment::Pong, nullptr, nonce);
}

void SessionFuzzHarness::on_keepalive_timeout(uint64_t nonce) {
  observer_event("on_keepalive_timeout");
  react(Moment::KeepaliveTimeout, nullptr, nonce);
}

void SessionFuzzHarness::on_writable() {
  observer_event("on_writable");
  // As lib/capi: queued channel items first (the table may change under us).
  std::vector<uint64_t> ids;
  for (const auto &kv : conns_) ids.push_back(kv.first);
  for (uint64_t id : ids) {
    FuzzConnection *c = find(id);
    if (c && c->driver) c->driver->on_writable();
  }
  react(Moment::Writable, nullptr, 0);
}

bool SessionFuzzHarness::has_work_in_progress() const {
  // As lib/capi: calls either way or open channels keep a quiet session up.
  for (const auto &kv : conns_) {
    const rpc::ConnectionDriver *d = kv.second->driver.get();
    if (d && (d->calls_in_flight() || d->calls_being_served() || d->channel_count())) return true;
  }
  return false;
}

void SessionFuzzHarness::on_session_ended(int, std::string_view reason) {
  observer_event("on_session_ended");
  ended_ = true;
  read_all(wire::ByteView(reason));
  FUZZ_CHECK(core_.state() == SessionState::Ended, "on_session_ended before the state says so");
  for (const auto &kv : conns_) {
    FUZZ_CHECK(kv.second->closing, "session ended with connection %llu never reported closed",
               ull(kv.first));
  }
  react(Moment::SessionEnded, nullptr, 0);
}

// ---- the peer and the transport -----------------------------------------------------------

void SessionFuzzHarness::feed(const std::vector<uint8_t> &bytes) {
  // In an allocation of exactly their size, freed right after: views kept
  // past receive(), or reads beyond it, trip ASan.
  std::vector<uint8_t> read(bytes);
  core_.receive(wire::ByteView(read.data(), read.size()), now_us_);
}

void SessionFuzzHarness::feed_message(const wire::Message &m) {
  wire::ByteBuffer framed;
  size_t mark = frame::begin_frame(framed);
  wire::encode_message(framed, m);
  frame::finish_frame(framed, mark);
  feed(std::vector<uint8_t>(framed.data(), framed.data() + framed.size()));
}

void SessionFuzzHarness::peer_messages() {
  KnownIds known = known_ids();
  unsigned count = 1 + in_.u8() % 3;
  wire::ByteBuffer stream;
  for (unsigned i = 0; i < count; ++i) {
    MessageParts parts;
    wire::Message m = build_message(in_, known, parts);
    size_t mark = frame::begin_frame(stream);
    wire::encode_message(stream, m);
    frame::finish_frame(stream, mark);
  }
  // One read, or two split anywhere.
  uint8_t split = in_.u8();
  size_t cut = split == 0 ? stream.size() : split % stream.size();
  feed(std::vector<uint8_t>(stream.data(), stream.data() + cut));
  if (cut < stream.size()) feed(std::vector<uint8_t>(stream.data() + cut, stream.data() + stream.size()));
}

KnownIds SessionFuzzHarness::known_ids() const {
  KnownIds k;
  for (const auto &kv : conns_) {
    const FuzzConnection &c = *kv.second;
    k.connections.push_back(c.id);
    for (const CallRecord *call : c.calls) {
      if (!call->done) k.requests.push_back(call->request_id);
    }
    for (const auto &served : c.served) k.requests.push_back(served.first);
    for (const ChannelRecord *ch : c.channels) k.channels.push_back(ch->id);
    k.channels.insert(k.channels.end(), c.peer_channel_ids.begin(), c.peer_channel_ids.end());
  }
  outbound_.add_to(k);
  return k;
}

// ---- local operations ---------------------------------------------------------------------

void SessionFuzzHarness::open_connection() {
  ConnectionSettings local = build_settings(in_);
  wire::MetadataList md = build_metadata(in_);
  uint64_t id = 0;
  if (core_.open_connection(local, md.view(), &id) == ROAM_OK) {
    add_connection(id, ConnPhase::PendingOutbound);
    trace("  opened %llu", ull(id));
  }
}

void SessionFuzzHarness::accept(FuzzConnection *c) {
  if (c == nullptr || c->phase != ConnPhase::PendingInbound) return;
  ConnectionSettings local = build_settings(in_);
  wire::MetadataList md = build_metadata(in_);
  uint64_t id = c->id;
  core_.accept_connection(id, local, md.view());
  // Follow the core, not the return code: what matters is whether it now
  // treats the connection as open (and routes traffic to it).
  const session::Connection *info = core_.find(id);
  if (info && info->state == session::ConnState::Open && find(id) == c &&
      c->phase == ConnPhase::PendingInbound) {
    c->phase = ConnPhase::Open;
    start_driver(c, info->local, info->peer);
  }
}

void SessionFuzzHarness::reject(FuzzConnection *c) {
  if (c == nullptr || c->phase != ConnPhase::PendingInbound) return;
  wire::MetadataList md = build_metadata(in_);
  uint64_t id = c->id;
  // A rejected open goes without an event, possibly while the Reject's
  // send ends the session (which then rightly does not report it).
  c->closing = true;
  core_.reject_connection(id, md.view());
  if (core_.find(id) != nullptr) {
    c->closing = false;
  } else if (find(id) == c) {
    retire(c);
  }
}

void SessionFuzzHarness::close_connection(uint64_t conn) {
  wire::MetadataList md = build_metadata(in_);
  core_.close_connection(conn, md.view());
}

void SessionFuzzHarness::call(FuzzConnection *c) {
  if (c == nullptr || !c->driver) return;
  uint64_t method = in_.u8();
  std::vector<uint64_t> channel_ids;
  unsigned n = in_.u8() % 4;
  for (unsigned i = 0; i < n; ++i) {
    uint8_t how = in_.u8() % 3;
    if (how == 0) {
      // A fresh channel bound before the call goes out, as generated code does.
      uint64_t id = c->driver->allocate_channel_id();
      channel_ids.push_back(id);
      add_channel(c, id);
    } else if (how == 1) {
      channel_ids.push_back(pick_channel_id(c));
    } else {
      channel_ids.push_back(in_.u8());
    }
  }
  wire::MetadataList md = build_metadata(in_);
  std::vector<uint8_t> args = build_payload(in_);
  CallRecord *record = new_call(c);
  uint64_t request_id = 0;
  int rc = c->driver->call(method, wire::IdList(channel_ids.data(), channel_ids.size()), md.view(),
                           wire::ByteView(args.data(), args.size()), record, &request_id);
  if (rc == ROAM_OK) {
    record->registered = true;
    record->request_id = request_id;
    c->calls.push_back(record);
  }
}

void SessionFuzzHarness::cancel(FuzzConnection *c, uint64_t request_id) {
  if (c == nullptr || !c->driver) return;
  wire::MetadataList md = build_metadata(in_);
  c->driver->cancel(request_id, md.view());
}

void SessionFuzzHarness::reply(FuzzConnection *c, uint64_t request_id) {
  if (c == nullptr || !c->driver) return;
  wire::MetadataList md = build_metadata(in_);
  std::vector<uint8_t> ret = build_response_payload(in_);
  // Whatever it returns, the driver no longer holds the call afterwards;
  // but while the connection is being torn down the driver reports every
  // call it held as cancelled, answered meanwhile or not.
  if (!c->closing) c->served.erase(request_id);
  c->driver->reply(request_id, md.view(), wire::ByteView(ret.data(), ret.size()));
}

void SessionFuzzHarness::abandon(FuzzConnection *c, uint64_t request_id) {
  if (c == nullptr || !c->driver) return;
  if (!c->closing) c->served.erase(request_id);
  c->driver->abandon_reply(request_id);
}

void SessionFuzzHarness::add_channel(FuzzConnection *c, uint64_t id) {
  if (c == nullptr || !c->driver) return;
  uint8_t how = in_.u8();
  auto dir = (how & 1) ? rpc::ChannelDirection::Receive : rpc::ChannelDirection::Send;
  uint32_t credit = (how >> 1) % 8;
  ChannelRecord *record = new_channel(c, id, dir);
  // Bound before add(): items buffered for this id are delivered from inside it.
  record->bound = true;
  if (c->driver->channels().add(id, dir, credit, record) != ROAM_OK) record->bound = false;
}

void SessionFuzzHarness::send_item(FuzzConnection *c, uint64_t channel) {
  if (c == nullptr || !c->driver) return;
  std::vector<uint8_t> item = build_payload(in_);
  c->driver->channels().send_item(channel, wire::ByteView(item.data(), item.size()));
  size_t queued = 0;
  c->driver->channels().queued(channel, &queued);
}

void SessionFuzzHarness::raw_send() {
  uint64_t conn = pick_connection_id();
  bool force = in_.flag();
  KnownIds known = known_ids();
  MessageParts parts;
  if (in_.flag()) {
    core_.send_request(conn, build_request(in_, known, parts), force);
  } else {
    core_.send_channel(conn, build_channel(in_, known, parts), force);
  }
}

// ---- picking targets ----------------------------------------------------------------------

FuzzConnection *SessionFuzzHarness::find(uint64_t conn) const {
  auto it = conns_.find(conn);
  return it == conns_.end() ? nullptr : it->second.get();
}

FuzzConnection *SessionFuzzHarness::pick_connection(ConnPhase phase) {
  std::vector<FuzzConnection *> candidates;
  for (const auto &kv : conns_) {
    if (kv.second->phase == phase && (phase != ConnPhase::Open || kv.second->driver)) {
      candidates.push_back(kv.second.get());
    }
  }
  uint8_t b = in_.u8();
  return candidates.empty() ? nullptr : candidates[b % candidates.size()];
}

uint64_t SessionFuzzHarness::pick_connection_id() {
  std::vector<uint64_t> ids;
  for (const auto &kv : conns_) ids.push_back(kv.first);
  return pick_id(in_, ids);
}

uint64_t SessionFuzzHarness::pick_call_id(FuzzConnection *c) {
  std::vector<uint64_t> ids;
  for (const CallRecord *call : c->calls) {
    if (!call->done) ids.push_back(call->request_id);
  }
  return pick_id(in_, ids);
}

uint64_t SessionFuzzHarness::pick_served_id(FuzzConnection *c) {
  std::vector<uint64_t> ids;
  for (const auto &kv : c->served) ids.push_back(kv.first);
  return pick_id(in_, ids);
}

uint64_t SessionFuzzHarness::pick_channel_id(FuzzConnection *c) {
  std::vector<uint64_t> ids;
  for (const ChannelRecord *ch : c->channels) {
    if (ch->bound && !ch->ended) ids.push_back(ch->id);
  }
  return pick_id(in_, ids);
}

uint64_t SessionFuzzHarness::pick_bindable_channel_id(FuzzConnection *c) {
  uint8_t how = in_.u8() % 3;
  if (how == 0) return c->driver->allocate_channel_id();
  if (how == 1) return pick_id(in_, c->peer_channel_ids);
  KnownIds known = known_ids();
  return pick_id(in_, known.channels);
}

// ---- bookkeeping --------------------------------------------------------------------------

FuzzConnection *SessionFuzzHarness::add_connection(uint64_t conn, ConnPhase phase) {
  auto c = std::make_unique<FuzzConnection>(*this, conn, phase);
  FuzzConnection *raw = c.get();
  conns_[conn] = std::move(c);
  return raw;
}

void SessionFuzzHarness::start_driver(FuzzConnection *c, const ConnectionSettings &local,
                                      const ConnectionSettings &peer) {
  rpc::DriverConfig config;
  config.local_parity = local.parity;
  config.local_max_concurrent = local.max_concurrent_requests;
  config.peer_max_concurrent = peer.max_concurrent_requests;
  config.channel_queue_limit = setup_.channel_queue_limit;
  config.channel_buffer_limit = setup_.config.channel_buffer_per_connection;
  config.session_channel_budget = &channel_budget_;
  c->start_driver(config);
}

void SessionFuzzHarness::retire(FuzzConnection *c) {
  auto it = conns_.find(c->id);
  FUZZ_CHECK(it != conns_.end() && it->second.get() == c, "retiring connection %llu twice",
             ull(c->id));
  retired_.push_back(std::move(it->second));
  conns_.erase(it);
}

CallRecord *SessionFuzzHarness::new_call(FuzzConnection *c) {
  call_records_.push_back(std::make_unique<CallRecord>());
  CallRecord *record = call_records_.back().get();
  record->owner = c;
  return record;
}

ChannelRecord *SessionFuzzHarness::new_channel(FuzzConnection *c, uint64_t id,
                                               rpc::ChannelDirection dir) {
  channel_records_.push_back(std::make_unique<ChannelRecord>());
  ChannelRecord *record = channel_records_.back().get();
  record->owner = c;
  record->id = id;
  record->direction = dir;
  c->channels.push_back(record);
  return record;
}

}  // namespace roam::fuzz
