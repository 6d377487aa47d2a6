// roam_conn and what hangs off it. A connection owns a ConnectionDriver
// once it is open; the connection is the driver's sink (into the session
// core) and its event target (out to the application's callbacks). Calls,
// served requests and channels live in the driver, by id: the application
// addresses them by (connection, id), so no handle of theirs can dangle.
#pragma once

#include <memory>
#include <utility>

#include "capi/event_queue.hpp"
#include "roam/roam.h"
#include "rpc/connection_driver.hpp"

namespace roam::capi {

// What a call of ours completes to: the driver carries a pointer to it as
// the call's token, and it is freed after the response callback. It is
// also the call's final event for when the response cannot be kept (out
// of memory): the callback then says ROAM_ENOMEM.
struct CallCompletion final : QueuedEvent {
  roam_response_cb cb = nullptr;
  void *user_data = nullptr;
  roam_conn *conn = nullptr;
  uint64_t request_id = 0;
  void run() override {
    std::unique_ptr<CallCompletion> done(this);
    cb(conn, user_data, request_id, ROAM_ENOMEM, nullptr, nullptr, 0);
  }
  void discard() override { delete this; }
  CallCompletion *spare_next = nullptr;  // in a CallCompletionPool
};

// Completions that served their call, kept for the next ones: a session
// makes as many as it ever had calls in flight at once (bounded by the
// peers' max_concurrent_requests), then reuses them, so a call in steady
// state allocates nothing. Freed with the session.
class CallCompletionPool {
 public:
  CallCompletionPool() = default;
  CallCompletionPool(const CallCompletionPool &) = delete;
  CallCompletionPool &operator=(const CallCompletionPool &) = delete;
  ~CallCompletionPool() {
    while (head_ != nullptr) delete std::exchange(head_, head_->spare_next);
  }
  // A cleared completion (throws std::bad_alloc when none can be made).
  std::unique_ptr<CallCompletion> take() {
    if (head_ == nullptr) return std::make_unique<CallCompletion>();
    CallCompletion *c = std::exchange(head_, head_->spare_next);
    c->cb = nullptr;
    c->user_data = nullptr;
    c->conn = nullptr;
    c->request_id = 0;
    c->spare_next = nullptr;
    return std::unique_ptr<CallCompletion>(c);
  }
  void give_back(CallCompletion *c) {
    c->spare_next = head_;
    head_ = c;
  }

 private:
  CallCompletion *head_ = nullptr;
};

// A channel's own callbacks: the driver's channel table carries a pointer
// to it as the channel's token, and it is freed after the end callback.
// Its final event says ROAM_ENOMEM when the end could not be queued with
// its metadata.
struct ChannelHandler final : QueuedEvent {
  uint64_t id = 0;
  roam_channel_item_cb on_item = nullptr;
  roam_channel_end_cb on_end = nullptr;
  roam_channel_writable_cb on_writable = nullptr;
  void *user_data = nullptr;
  roam_conn *conn = nullptr;
  void run() override {
    std::unique_ptr<ChannelHandler> done(this);
    if (on_end) on_end(conn, id, user_data, ROAM_ENOMEM, nullptr);
  }
  void discard() override { delete this; }
};

// Which callback ends a connection handle.
enum class ConnFinal { kNone, kOpenResult, kClosed };

// A connection's final event, allocated with it: finish_conn() when its
// metadata could not be kept (the status is then ROAM_ENOMEM).
struct ConnFinalEvent final : QueuedEvent {
  roam_conn *conn = nullptr;
  ConnFinal kind = ConnFinal::kNone;
  int status = 0;
  int origin = 0;
  void run() override;
  void discard() override {}  // the session frees its retired connections
};

}  // namespace roam::capi

struct roam_conn final : roam::rpc::RpcSink, roam::rpc::RpcEvents {
  roam_conn(roam_session *s, uint64_t conn_id, int conn_state, void *ud)
      : session(s), id(conn_id), state(conn_state), user_data(ud) {
    final_event.conn = this;
  }

  // The connection is open: from now on calls and channels run here. The
  // driver that runs them is made on first use, so an idle connection
  // costs only this handle and the session core's entry.
  void start_driver(const roam::wire::ConnectionSettings &local,
                    const roam::wire::ConnectionSettings &peer);
  bool started() const { return started_; }
  // The driver of an open connection, made now if this is its first use
  // (throws std::bad_alloc). `driver` below is null until then.
  roam::rpc::ConnectionDriver &use_driver();
  // The connection is gone: calls complete, served calls are cancelled,
  // channels end.
  void gone(int reason);
  // Inbound traffic for this connection.
  void route_request(const roam::wire::RequestMessage &m);
  void route_channel(const roam::wire::ChannelMessage &m);

  roam_session *const session;
  const uint64_t id;
  int state;
  void *user_data;
  std::unique_ptr<roam::rpc::ConnectionDriver> driver;  // see use_driver()
  // Its last callback, ready from the start (see ConnFinalEvent).
  roam::capi::ConnFinalEvent final_event;
  // The session's list of closed handles waiting for their final callback.
  roam_conn *retired_next = nullptr;
  roam_conn *retired_prev = nullptr;

 private:
  // What the driver is made with (start_driver), and whether the
  // connection went away before it was.
  bool started_ = false;
  bool gone_ = false;
  roam::wire::Parity local_parity_ = roam::wire::Parity::Odd;
  int gone_reason_ = 0;
  uint32_t local_max_concurrent_ = 0;
  uint32_t peer_max_concurrent_ = 0;

  // RpcSink
  int send_request(const roam::wire::RequestMessage &m, bool force) override;
  int send_channel(const roam::wire::ChannelMessage &m, bool force) override;
  void protocol_violation(int code, std::string reason) override;
  // RpcEvents
  void on_call_done(void *token, uint64_t request_id, int status,
                    const roam::wire::MetadataView *response_md,
                    roam::wire::ByteView value) override;
  CallDisposition on_incoming_call(const roam::wire::RequestMessage &call) override;
  void on_served_call_cancelled(uint64_t request_id) override;
  void on_channel_item(void *token, roam::wire::ByteView item) override;
  void on_channel_end(void *token, int reason, const roam::wire::MetadataView &md) override;
  void on_channel_writable(void *token) override;
  void on_unrouted_request(const roam::wire::RequestMessage &m) override;
  bool on_unrouted_channel(const roam::wire::ChannelMessage &m) override;

  void deliver_raw_request(const roam::wire::RequestMessage &m);
};
