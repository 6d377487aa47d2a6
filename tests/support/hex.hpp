// Hex helpers and golden-vector loading shared by the C/C++ tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace roam::test {

std::vector<uint8_t> from_hex(const std::string &hex);
std::string to_hex(const uint8_t *data, size_t size);
inline std::string to_hex(const std::vector<uint8_t> &v) { return to_hex(v.data(), v.size()); }

// Reads tests/vectors/<name>.hex (lines starting with '#' are comments).
// Fails the running test if the file is missing or not hex.
std::vector<uint8_t> load_vector(const std::string &name);
// Reads a binary file; returns false if it does not exist.
bool read_file(const std::string &path, std::vector<uint8_t> *out);

}  // namespace roam::test
