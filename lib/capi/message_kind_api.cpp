// roam_message_kind_name: the names frame tracing reports by.
#include "capi/api_guard.hpp"
#include "roam/roam.h"
#include "wire/message.hpp"

extern "C" {

const char *roam_message_kind_name(int kind) {
  if (kind < 0 || kind >= static_cast<int>(roam::wire::kMessageKinds)) return "unknown";
  return roam::wire::message_kind_name(static_cast<roam::wire::MessageKind>(kind));
}

}  // extern "C"
