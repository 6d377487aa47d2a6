// The session under fuzz: a SessionCore driven sans I/O by an input program
// (session_input.hpp), with one ConnectionDriver per open connection as
// lib/capi wires them, and a simulated transport (a backlog the program
// sets, a clock it advances). Checks, besides the sanitizers:
//  - every byte written splits into frames that decode (outbound_frames.hpp);
//  - the connections the core reports match those it holds;
//  - nothing is reported, and nothing written, after the session ended;
//  - after the final shutdown every call completed and every channel ended.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "fuzz_connection.hpp"
#include "fuzz_input.hpp"
#include "message_builder.hpp"
#include "outbound_frames.hpp"
#include "rpc/buffer_budget.hpp"
#include "session/session_core.hpp"
#include "session_input.hpp"

namespace roam::fuzz {

// Where a callback came from: decides what a re-entrant reaction does.
enum class Moment : uint8_t {
  HandshakeDone,
  InboundOpen,
  OpenAccepted,
  OpenRejected,
  ConnectionClosed,
  Writable,
  Pong,
  KeepaliveTimeout,
  SessionEnded,
  CallDone,
  IncomingCall,
  ServedCallCancelled,
  ChannelItem,
  ChannelEnd,
  ChannelWritable,
  UnroutedRequest,
  UnroutedChannel,
};

// What the input header configures.
struct SessionSetup {
  uint8_t flags = 0;  // SessionHeaderFlag bits
  wire::ConnectionSettings peer_hello;
  session::SessionConfig config;
  size_t channel_queue_limit = 64;

  static SessionSetup read(FuzzInput &in);
};

class SessionFuzzHarness final : public session::SessionObserver {
 public:
  SessionFuzzHarness(const uint8_t *data, size_t size);
  ~SessionFuzzHarness() override;

  // Handshake, the program, a final shutdown, the final checks.
  void run();

  // ---- for FuzzConnection ----
  session::SessionCore &core() { return core_; }
  FuzzInput &input() { return in_; }
  // Called at the end of every callback: the input decides whether to do
  // nothing, the action that suits the moment, or any local operation.
  void react(Moment moment, FuzzConnection *conn, uint64_t id);

 private:
  // SessionObserver
  void on_handshake_done(const wire::ConnectionSettings &local, const wire::ConnectionSettings &peer,
                         const wire::MetadataView &peer_metadata) override;
  void on_inbound_open(uint64_t conn, const wire::ConnectionSettings &peer,
                       const wire::MetadataView &metadata) override;
  void on_open_accepted(uint64_t conn, const wire::ConnectionSettings &peer,
                        const wire::MetadataView &metadata) override;
  void on_open_rejected(uint64_t conn, void *, const wire::MetadataView &metadata) override;
  void on_connection_closed(uint64_t conn, void *, session::CloseOrigin origin, int reason,
                            const wire::MetadataView &metadata) override;
  void on_request(uint64_t conn, const wire::RequestMessage &request) override;
  void on_channel(uint64_t conn, const wire::ChannelMessage &channel) override;
  void on_pong(uint64_t nonce, uint64_t rtt_us) override;
  void on_keepalive_timeout(uint64_t nonce) override;
  void on_writable() override;
  bool has_work_in_progress() const override;
  void on_session_ended(int error, std::string_view reason) override;
  void observer_event(const char *name);

  // the program
  void handshake();
  void run_op(uint8_t code);
  void run_local_op(SessionOp op);
  void after_op();
  void drain_output();
  void check_connection_table();
  void final_checks();
  void context_action(Moment moment, FuzzConnection *conn, uint64_t id);

  // the peer and the transport
  void feed(const std::vector<uint8_t> &bytes);
  void feed_message(const wire::Message &m);
  void peer_messages();
  KnownIds known_ids() const;

  // local operations
  void open_connection();
  void accept(FuzzConnection *c);
  void reject(FuzzConnection *c);
  void close_connection(uint64_t conn);
  void call(FuzzConnection *c);
  void cancel(FuzzConnection *c, uint64_t request_id);
  void reply(FuzzConnection *c, uint64_t request_id);
  void abandon(FuzzConnection *c, uint64_t request_id);
  void add_channel(FuzzConnection *c, uint64_t id);
  void send_item(FuzzConnection *c, uint64_t channel);
  void raw_send();

  // picking targets
  FuzzConnection *find(uint64_t conn) const;
  FuzzConnection *pick_connection(ConnPhase phase);
  uint64_t pick_connection_id();
  uint64_t pick_call_id(FuzzConnection *c);
  uint64_t pick_served_id(FuzzConnection *c);
  uint64_t pick_channel_id(FuzzConnection *c);
  uint64_t pick_bindable_channel_id(FuzzConnection *c);

  // bookkeeping
  FuzzConnection *add_connection(uint64_t conn, ConnPhase phase);
  void start_driver(FuzzConnection *c, const wire::ConnectionSettings &local,
                    const wire::ConnectionSettings &peer);
  // Out of the table; destroyed once no callback can be running in it.
  void retire(FuzzConnection *c);
  CallRecord *new_call(FuzzConnection *c);
  ChannelRecord *new_channel(FuzzConnection *c, uint64_t id, rpc::ChannelDirection dir);

  FuzzInput in_;
  const SessionSetup setup_;
  session::SessionCore core_;
  // What every connection's driver may keep for unbound channels, together.
  rpc::BufferBudget channel_budget_;
  uint64_t now_us_ = 1000000;
  size_t backlog_ = 0;  // bytes the simulated transport has not written
  unsigned depth_ = 0;  // reactions running inside callbacks

  std::map<uint64_t, std::unique_ptr<FuzzConnection>> conns_;
  std::vector<std::unique_ptr<FuzzConnection>> retired_;
  std::deque<std::unique_ptr<CallRecord>> call_records_;
  std::deque<std::unique_ptr<ChannelRecord>> channel_records_;
  OutboundFrames outbound_;
  bool handshake_done_ = false;    // on_handshake_done came
  bool ended_ = false;             // on_session_ended came
  bool silent_after_end_ = false;  // output was taken after the end
};

}  // namespace roam::fuzz
