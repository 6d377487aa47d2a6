// The I/O side of a session: what carries its bytes and keeps its time.
//
// A session (lib/capi's roam_session) drives one SessionCore; the link is
// everything around it that is not protocol: a byte stream to read from
// and write to, a clock, one timer for the core's next deadline, a way to
// flush output once per turn, and a queue that runs work after the user's
// current call. Two links exist: a libuv stream on a runtime's loop
// (lib/uv/uv_session_link), and the application's own transport, fed by
// hand (lib/capi/app_session_link: "bring your own transport", no libuv).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "wire/bytes.hpp"

namespace roam::session {

// What a link reports to its session.
class SessionLinkEvents {
 public:
  virtual void on_transport_connected() = 0;
  // Bytes read; the view is valid during the call only.
  virtual void on_transport_bytes(wire::ByteView bytes) = 0;
  virtual void on_transport_eof() = 0;
  virtual void on_transport_error(int code, const std::string &reason) = 0;
  // Some output was written; `backlog` bytes still wait.
  virtual void on_transport_drained(size_t backlog) = 0;
  // close() finished: nothing is left of the transport.
  virtual void on_transport_closed() = 0;
  // The deadline given to arm_timer() has come.
  virtual void on_deadline() = 0;
  // Output was requested (request_flush) and may go now.
  virtual void flush() = 0;
  // Events were scheduled (schedule_events) and may be delivered now.
  virtual void deliver_events() = 0;

 protected:
  ~SessionLinkEvents() = default;
};

class SessionLink {
 public:
  static constexpr uint64_t kNever = UINT64_MAX;
  virtual ~SessionLink() = default;

  // Monotonic microseconds: the loop's clock, or the application's.
  virtual uint64_t now_us() const = 0;
  virtual void start_reading() = 0;
  virtual void stop_reading() = 0;
  // Sends the bytes, taking them (`bytes` is left empty).
  virtual void write(wire::ByteBuffer &bytes) = 0;
  // Bytes handed to write() and not yet written.
  virtual size_t backlog() const = 0;
  // Graceful: what was written still goes out first. on_transport_closed
  // follows, never inside this call. Idempotent; a later close(false)
  // cuts a graceful close short.
  virtual void close(bool graceful) = 0;
  // on_deadline() at or after deadline_us (kNever: no deadline).
  virtual void arm_timer(uint64_t deadline_us) = 0;
  // flush() soon, once for everything queued meanwhile.
  virtual void request_flush() = 0;
  virtual void cancel_flush() = 0;
  // deliver_events() soon: after the user's current call returns, or at
  // the end of the loop turn. Once for any number of requests; never
  // allocates (it cannot fail).
  virtual void schedule_events() = 0;
  // Lets go of everything; `done` runs (never inside this call) when
  // nothing of the link is in use any more: the session may then be freed.
  virtual void shut(std::function<void()> done) = 0;
};

}  // namespace roam::session
