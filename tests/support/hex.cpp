#include "support/hex.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "support/cmocka.hpp"

namespace roam::test {

std::vector<uint8_t> from_hex(const std::string &hex) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    else fail_msg("bad hex character '%c'", c);
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) fail_msg("odd number of hex digits");
  return out;
}

std::string to_hex(const uint8_t *data, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < size; ++i) {
    s += kDigits[data[i] >> 4];
    s += kDigits[data[i] & 15];
  }
  return s;
}

std::vector<uint8_t> load_vector(const std::string &name) {
  std::string path = std::string(ROAM_VECTORS_DIR) + "/" + name + ".hex";
  std::ifstream in(path);
  if (!in) fail_msg("missing golden vector %s", path.c_str());
  std::string line, hex;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') continue;
    hex += line;
  }
  return from_hex(hex);
}

bool read_file(const std::string &path, std::vector<uint8_t> *out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  out->assign(s.begin(), s.end());
  return true;
}

}  // namespace roam::test
