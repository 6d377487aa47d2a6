#include "hash/method_id.hpp"

#include <string>

#include "hash/blake3.hpp"
#include "hash/kebab_case.hpp"

namespace roam::hash {

bool method_id(std::string_view service, std::string_view method, const uint8_t *signature,
               size_t signature_len, uint64_t *id) {
  std::string input, method_kebab;
  if (!kebab_case(service, &input) || !kebab_case(method, &method_kebab)) return false;
  input += '.';
  input += method_kebab;
  Blake3Digest sig_hash = blake3(signature, signature_len);
  input.append(reinterpret_cast<const char *>(sig_hash.data()), sig_hash.size());
  Blake3Digest h = blake3(reinterpret_cast<const uint8_t *>(input.data()), input.size());
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | h[i];
  *id = v;
  return true;
}

}  // namespace roam::hash
