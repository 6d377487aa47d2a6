// Frame tracing: what the trace callback (roam_callbacks_set_trace) reports, one event per
// message a session decodes or queues.
//
// The session's observer hook (SessionObserver::on_message) runs in the
// middle of the core's work, with the frame's views alive only for that
// moment. So an event is reduced to plain scalars at once and handed to
// the session's ordered event queue; the callback runs from there, never
// inside the core and never inside a libroam call the user made.
#pragma once

#include <cstddef>
#include <cstdint>

#include "roam/roam.h"
#include "session/session_observer.hpp"
#include "wire/message.hpp"

namespace roam::capi {

// The arguments of one roam_trace_cb call, minus the session handle.
struct FrameTraceEvent {
  int direction = ROAM_TRACE_IN;
  uint64_t conn_id = 0;
  int message_kind = 0;
  int sub_kind = -1;   // request or channel kind; -1 for other messages
  uint64_t id = 0;     // request id, channel id or ping nonce; else 0
  size_t frame_size = 0;
};

FrameTraceEvent describe_frame(session::Direction dir, const wire::Message &m, size_t frame_size);

// Calls the session's trace callback (set: events are made only then).
void report_frame(roam_session *s, const FrameTraceEvent &e);

}  // namespace roam::capi
