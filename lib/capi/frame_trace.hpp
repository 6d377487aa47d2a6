// Frame tracing: what roam_session_on_trace() reports, one event per
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

// Whether a message needs an event at all. Without a callback, only the
// initiator's Hello does: it is queued while the session is being created,
// before the application could register a callback, so it must wait in the
// queue for one registered right after creation. Every other message costs
// this one test.
inline bool frame_trace_wanted(roam_trace_cb cb, session::Direction dir, const wire::Message &m) {
  if (cb != nullptr) return true;
  return dir == session::Direction::Outbound && m.kind == wire::MessageKind::Hello;
}

FrameTraceEvent describe_frame(session::Direction dir, const wire::Message &m, size_t frame_size);

// Calls cb (the callback registered when the queued event runs, which
// may differ from the one registered when the message passed; NULL: none).
void report_frame(roam_session *s, roam_trace_cb cb, void *user_data, const FrameTraceEvent &e);

}  // namespace roam::capi
