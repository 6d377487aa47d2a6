#include "hash/kebab_case.hpp"

namespace roam::hash {
namespace {

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_alnum(char c) { return is_lower(c) || is_upper(c) || (c >= '0' && c <= '9'); }
char to_lower(char c) { return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

// The case of the last cased letter since the current word began.
enum class Mode { kNone, kLower, kUpper };

class KebabWriter {
 public:
  explicit KebabWriter(std::string *out) : out_(out) {}
  void word(std::string_view w) {
    if (wrote_) out_->push_back('-');
    wrote_ = true;
    for (char c : w) out_->push_back(to_lower(c));
  }

 private:
  std::string *out_;
  bool wrote_ = false;
};

// One run of letters and digits, split at case changes.
void split_run(std::string_view run, KebabWriter &w) {
  size_t start = 0;
  Mode mode = Mode::kNone;
  for (size_t i = 0; i + 1 < run.size(); ++i) {
    char c = run[i], next = run[i + 1];
    Mode next_mode = is_lower(c) ? Mode::kLower : is_upper(c) ? Mode::kUpper : mode;
    if (next_mode == Mode::kLower && is_upper(next)) {
      w.word(run.substr(start, i + 1 - start));  // "echoPoint": boundary after 'o'
      start = i + 1;
      mode = Mode::kNone;
    } else if (mode == Mode::kUpper && is_upper(c) && is_lower(next)) {
      w.word(run.substr(start, i - start));  // "XMLHttp": boundary before 'H'
      start = i;
      mode = Mode::kNone;
    } else {
      mode = next_mode;
    }
  }
  if (start < run.size()) w.word(run.substr(start));
}

}  // namespace

bool kebab_case(std::string_view name, std::string *out) {
  for (char c : name) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  std::string result;
  KebabWriter w(&result);
  size_t i = 0;
  while (i < name.size()) {
    if (!is_alnum(name[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < name.size() && is_alnum(name[end])) ++end;
    split_run(name.substr(i, end - i), w);
    i = end;
  }
  *out = std::move(result);
  return true;
}

}  // namespace roam::hash
