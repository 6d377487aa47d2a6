// Field-by-field comparison of two decoded Messages, for the codec's
// round-trip oracle. Compares every field, not only those the kind uses:
// decode_message starts from a default Message, so unused fields must agree
// too.
#pragma once

#include <string>

#include "wire/message.hpp"

namespace roam::fuzz {

// True if equal; otherwise `why` names the first field that differs.
bool messages_equal(const wire::Message &a, const wire::Message &b, std::string *why);

}  // namespace roam::fuzz
