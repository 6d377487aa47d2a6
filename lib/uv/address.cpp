#include "uv/address.hpp"

#include <sys/un.h>

#include "roam/roam_errors.h"

namespace roam::uvio {

namespace {

constexpr const char *kForms = "use tcp://HOST:PORT or unix:PATH";

// The address as it appears in messages: quoted, so an empty or
// space-padded one is still visible.
std::string quoted(const std::string &text) { return "\"" + text + "\""; }

int fail(std::string *error, std::string why) {
  *error = std::move(why);
  return ROAM_EINVAL;
}

// Digits only, 0..65535. Stricter than strtol: no sign, no spaces.
bool parse_port(const std::string &text, int *port) {
  if (text.empty() || text.size() > 5) return false;
  long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value > 65535) return false;
  *port = static_cast<int>(value);
  return true;
}

int parse_unix(const std::string &text, Address *out, std::string *error) {
  std::string path = text.substr(5);
  if (path.rfind("//", 0) == 0) path = path.substr(2);
  if (path.empty()) return fail(error, "address " + quoted(text) + " has no path: use unix:PATH");
  // libuv copies the path into sockaddr_un and cuts what does not fit:
  // a long path would silently name another socket.
  constexpr size_t kMaxPath = sizeof(sockaddr_un::sun_path) - 1;
  if (path.size() > kMaxPath) {
    return fail(error, "unix socket path " + quoted(path) + " is " + std::to_string(path.size()) +
                           " bytes long; the limit is " + std::to_string(kMaxPath));
  }
  out->kind = Address::Kind::Unix;
  out->path = path;
  return ROAM_OK;
}

int parse_tcp(const std::string &text, Address *out, std::string *error) {
  std::string rest = text.substr(6);
  std::string host, port;
  const char *form = "use tcp://HOST:PORT";
  if (!rest.empty() && rest[0] == '[') {
    form = "use tcp://[ADDR]:PORT";
    size_t close = rest.find(']');
    if (close == std::string::npos) {
      return fail(error, "address " + quoted(text) + " has no \"]\" after its IPv6 host: " + form);
    }
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] != ':') {
      return fail(error, "address " + quoted(text) + " has " + quoted(rest.substr(close + 1)) +
                             " after its IPv6 host where \":PORT\" belongs: " + form);
    }
    if (close + 1 < rest.size()) port = rest.substr(close + 2);
  } else {
    size_t colon = rest.rfind(':');
    if (colon == std::string::npos) {
      return fail(error, "address " + quoted(text) + " has no port: " + form);
    }
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) return fail(error, "address " + quoted(text) + " has no host: " + form);
  if (port.empty()) return fail(error, "address " + quoted(text) + " has no port: " + form);
  int number = 0;
  if (!parse_port(port, &number)) {
    return fail(error, "port " + quoted(port) + " in " + quoted(text) +
                           " is not a number from 0 to 65535");
  }
  out->kind = Address::Kind::Tcp;
  out->host = host;
  out->port = number;
  return ROAM_OK;
}

}  // namespace

std::string Address::to_string() const {
  if (kind == Kind::Unix) return "unix:" + path;
  bool v6 = host.find(':') != std::string::npos;
  return "tcp://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

int parse_address(const std::string &text, Address *out, std::string *error) {
  *out = Address();
  if (text.rfind("unix:", 0) == 0) return parse_unix(text, out, error);
  if (text.rfind("tcp://", 0) == 0) return parse_tcp(text, out, error);
  if (text.empty()) return fail(error, std::string("the address is empty: ") + kForms);
  size_t scheme_end = text.find("://");
  if (scheme_end != std::string::npos) {
    return fail(error, "unknown scheme " + quoted(text.substr(0, scheme_end)) + " in " +
                           quoted(text) + ": " + kForms);
  }
  return fail(error, "address " + quoted(text) + " has no scheme: " + kForms);
}

}  // namespace roam::uvio
