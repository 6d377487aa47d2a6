// printf into a std::string, for error reasons and transcripts.
#pragma once

#include <string>

namespace roam {

std::string format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace roam
