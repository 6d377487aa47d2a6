// Transport addresses as users write them: "tcp://HOST:PORT" (HOST an IPv4
// address, a [bracketed] IPv6 address or a name) and "unix:PATH" (also
// "unix://PATH", so "unix:///abs/path" works).
#pragma once

#include <string>

namespace roam::uvio {

struct Address {
  enum class Kind { Tcp, Unix } kind = Kind::Tcp;
  std::string host;  // Tcp, without brackets
  int port = 0;      // Tcp
  std::string path;  // Unix

  std::string to_string() const;
};

// ROAM_OK, or ROAM_EINVAL with `error` saying what is wrong, quoting the
// offending text (it becomes roam_last_error_detail()).
int parse_address(const std::string &text, Address *out, std::string *error);

}  // namespace roam::uvio
