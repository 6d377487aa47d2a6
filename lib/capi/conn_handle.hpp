// roam_conn and the RPC handles hanging off it (roam_call, roam_reply,
// roam_channel). A connection owns a ConnectionDriver once it is open; the
// connection is the driver's sink (into the session core) and its event
// target (out to the session's callbacks).
#pragma once

#include <memory>
#include <unordered_map>

#include "roam/roam.h"
#include "rpc/connection_driver.hpp"

struct roam_call {
  roam_conn *conn = nullptr;
  uint64_t request_id = 0;
  roam_response_cb cb = nullptr;
  void *user_data = nullptr;
};

struct roam_reply {
  roam_conn *conn = nullptr;  // null once the connection is gone
  uint64_t request_id = 0;
  uint64_t method_id = 0;
  void *user_data = nullptr;
  // Callbacks about this reply waiting in the session's event queue. The
  // user may answer (and so free) it before they run: it then stays
  // allocated, marked answered, until the last of them has been skipped.
  int queued_events = 0;
  bool answered = false;

  // The user is done with it (answered or released).
  static void retire(roam_reply *r) {
    if (r->queued_events == 0) {
      delete r;
    } else {
      r->answered = true;
    }
  }
};

struct roam_channel {
  roam_conn *conn = nullptr;
  uint64_t id = 0;
  int direction = ROAM_CHANNEL_SEND;
  void *user_data = nullptr;
  bool ended = false;  // its end callback is queued
};

struct roam_conn final : roam::rpc::RpcSink, roam::rpc::RpcEvents {
  roam_conn(roam_session *s, uint64_t conn_id, int conn_state, void *ud)
      : session(s), id(conn_id), state(conn_state), user_data(ud) {}
  ~roam_conn();

  // The connection is open: from now on calls and channels run here.
  void start_driver(const roam::wire::ConnectionSettings &local,
                    const roam::wire::ConnectionSettings &peer);
  // The connection is gone: calls complete, served calls are cancelled,
  // channels end, outstanding replies are detached.
  void gone(int reason);
  // Inbound traffic for this connection.
  void route_request(const roam::wire::RequestMessage &m);
  void route_channel(const roam::wire::ChannelMessage &m);

  roam_session *const session;
  const uint64_t id;
  int state;
  void *user_data;
  std::unique_ptr<roam::rpc::ConnectionDriver> driver;
  roam_call_cb serve_fn = nullptr;
  void *serve_user_data = nullptr;
  // Outstanding served calls by request id: the peer's Cancel finds its
  // reply in O(1), however many are held.
  std::unordered_map<uint64_t, roam_reply *> replies;

 private:
  // RpcSink
  int send_request(const roam::wire::RequestMessage &m, bool force) override;
  int send_channel(const roam::wire::ChannelMessage &m, bool force) override;
  void protocol_violation(int code, std::string reason) override;
  // RpcEvents
  void on_call_done(void *token, int status, const roam::wire::MetadataView *response_md,
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
