#include "capi/frame_trace.hpp"

#include "capi/session_handle.hpp"

using roam::session::Direction;
using roam::wire::MessageKind;

// The public enums are the wire discriminants: events pass them through.
static_assert(ROAM_MSG_HELLO == static_cast<int>(MessageKind::Hello));
static_assert(ROAM_MSG_HELLO_YOURSELF == static_cast<int>(MessageKind::HelloYourself));
static_assert(ROAM_MSG_PROTOCOL_ERROR == static_cast<int>(MessageKind::ProtocolError));
static_assert(ROAM_MSG_CONNECTION_OPEN == static_cast<int>(MessageKind::ConnectionOpen));
static_assert(ROAM_MSG_CONNECTION_ACCEPT == static_cast<int>(MessageKind::ConnectionAccept));
static_assert(ROAM_MSG_CONNECTION_REJECT == static_cast<int>(MessageKind::ConnectionReject));
static_assert(ROAM_MSG_CONNECTION_CLOSE == static_cast<int>(MessageKind::ConnectionClose));
static_assert(ROAM_MSG_REQUEST == static_cast<int>(MessageKind::Request));
static_assert(ROAM_MSG_CHANNEL == static_cast<int>(MessageKind::Channel));
static_assert(ROAM_MSG_PING == static_cast<int>(MessageKind::Ping));
static_assert(ROAM_MSG_PONG == static_cast<int>(MessageKind::Pong));
static_assert(ROAM_REQUEST_CANCEL == static_cast<int>(roam::wire::RequestKind::Cancel));
static_assert(ROAM_CHANNEL_GRANT_CREDIT == static_cast<int>(roam::wire::ChannelKind::GrantCredit));

namespace roam::capi {

FrameTraceEvent describe_frame(Direction dir, const wire::Message &m, size_t frame_size) {
  FrameTraceEvent e;
  e.direction = dir == Direction::Inbound ? ROAM_TRACE_IN : ROAM_TRACE_OUT;
  e.conn_id = m.connection_id;
  e.message_kind = static_cast<int>(m.kind);  // roam_message_kind mirrors the wire discriminants
  e.frame_size = frame_size;
  switch (m.kind) {
    case MessageKind::Request:
      e.sub_kind = static_cast<int>(m.request.kind);
      e.id = m.request.id;
      break;
    case MessageKind::Channel:
      e.sub_kind = static_cast<int>(m.channel.kind);
      e.id = m.channel.id;
      break;
    case MessageKind::Ping:
    case MessageKind::Pong:
      e.id = m.nonce;
      break;
    default:
      break;
  }
  return e;
}

void report_frame(roam_session *s, const FrameTraceEvent &e) {
  s->cbs.trace(s, s->user_data, e.direction, e.conn_id, e.message_kind, e.sub_kind, e.id,
               e.frame_size);
}

}  // namespace roam::capi
