#include "uv/address.hpp"

#include <cstdlib>

#include "roam/roam_errors.h"

namespace roam::uvio {

std::string Address::to_string() const {
  if (kind == Kind::Unix) return "unix:" + path;
  bool v6 = host.find(':') != std::string::npos;
  return "tcp://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

int parse_address(const std::string &text, Address *out, std::string *error) {
  *out = Address();
  if (text.rfind("unix:", 0) == 0) {
    std::string path = text.substr(5);
    if (path.rfind("//", 0) == 0) path = path.substr(2);
    if (path.empty()) {
      *error = "unix address has no path: " + text;
      return ROAM_EINVAL;
    }
    out->kind = Address::Kind::Unix;
    out->path = path;
    return ROAM_OK;
  }
  if (text.rfind("tcp://", 0) != 0) {
    *error = "address must start with tcp:// or unix: (" + text + ")";
    return ROAM_EINVAL;
  }
  std::string rest = text.substr(6);
  std::string host, port;
  if (!rest.empty() && rest[0] == '[') {
    size_t close = rest.find(']');
    if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      *error = "bad IPv6 address (want tcp://[ADDR]:PORT): " + text;
      return ROAM_EINVAL;
    }
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    size_t colon = rest.rfind(':');
    if (colon == std::string::npos) {
      *error = "tcp address has no port (want tcp://HOST:PORT): " + text;
      return ROAM_EINVAL;
    }
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  char *end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (host.empty() || port.empty() || *end != '\0' || p < 0 || p > 65535) {
    *error = "bad host or port in " + text;
    return ROAM_EINVAL;
  }
  out->kind = Address::Kind::Tcp;
  out->host = host;
  out->port = static_cast<int>(p);
  return ROAM_OK;
}

}  // namespace roam::uvio
