// The service both typed examples share, declared once: its method ids,
// its client (typed_client.cpp) and its server (typed_server.cpp) all come
// from this declaration (see cxx/roam_typed.hpp).
#pragma once

#include <cstdint>

#include "roam_typed.hpp"  // installed: <roam/roam_typed.hpp>

namespace calc {

enum class CalcError { DivisionByZero };
ROAM_ENUM(CalcError, DivisionByZero);

ROAM_SERVICE(Calculator,
             (add, int64_t(int64_t, int64_t)),
             (divide, roam::result<int64_t, CalcError>(int64_t, int64_t)));

}  // namespace calc
