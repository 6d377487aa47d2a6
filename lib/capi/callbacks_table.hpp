// roam_callbacks: what a session reports, one table per session (copied
// into it at creation, so the application's table can change or go).
#pragma once

#include "roam/roam.h"
#include "roam/roam_experimental.h"

struct roam_callbacks {
  roam_handshake_cb handshake = nullptr;
  roam_session_end_cb session_end = nullptr;
  roam_inbound_open_cb inbound_open = nullptr;
  roam_open_result_cb open_result = nullptr;
  roam_conn_closed_cb conn_closed = nullptr;
  roam_serve_cb serve = nullptr;
  roam_serve_cancelled_cb serve_cancelled = nullptr;
  roam_pong_cb pong = nullptr;
  roam_keepalive_timeout_cb keepalive_timeout = nullptr;
  roam_writable_cb writable = nullptr;
  roam_trace_cb trace = nullptr;
  // Experimental (roam_experimental.h): traffic the RPC layer does not own.
  roam_raw_request_cb raw_request = nullptr;
  roam_raw_channel_cb raw_channel = nullptr;
};
