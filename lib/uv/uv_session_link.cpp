#include "uv/uv_session_link.hpp"

namespace roam::uvio {

UvSessionLink::UvSessionLink(EventLoop &loop, session::SessionLinkEvents *events)
    : loop_(loop),
      events_(events),
      transport_(loop, events),
      timer_(loop, [this] { events_->on_deadline(); }) {}

UvSessionLink::~UvSessionLink() = default;

void UvSessionLink::shut(std::function<void()> done) {
  // The transport is closed already (the session waits for that); the
  // timer is the last handle.
  flush_task_.cancel();
  events_task_.cancel();
  timer_.close(std::move(done));
}

}  // namespace roam::uvio
