// roam_runtime: the event loop every session and listener of a thread runs
// on, and a count of those still alive (a runtime cannot be freed under
// them).
#pragma once

#include <memory>

#include "roam/roam.h"
#include "uv/event_loop.hpp"

struct roam_runtime {
  std::unique_ptr<roam::uvio::EventLoop> loop;
  // Sessions and listeners created and not yet fully closed.
  size_t live_handles = 0;
  // Of those, the ones the application never got (a constructor failed
  // after making them): they close by themselves, and freeing the runtime
  // waits for them instead of refusing.
  size_t abandoned_handles = 0;
};
