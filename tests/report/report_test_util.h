// Shared by the report tests: the sample document and a tag-balance check.
#pragma once

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/core/atomic_file.h"

namespace dpeval::report::testing {

// tests/report/sample_eval.json (written by make_sample_eval.py).
inline nlohmann::json sample_doc() {
  return nlohmann::json::parse(read_file(std::string(DPEVAL_SOURCE_DIR) + "/tests/report/sample_eval.json"));
}

inline size_t count_of(std::string_view text, std::string_view needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + needle.size()))
    ++count;
  return count;
}

// "" when every element of `markup` is closed in order (void elements and
// "<x/>" need no close; <!...> is skipped), else what went wrong first. A "<"
// in text would also show up here: escaped text has none.
inline std::string tag_balance_error(std::string_view markup) {
  static const std::vector<std::string_view> kVoid = {"meta", "br", "hr", "img", "input", "link"};
  std::vector<std::string> open;
  for (size_t at = markup.find('<'); at != std::string_view::npos; at = markup.find('<', at + 1)) {
    size_t end = markup.find('>', at);
    if (end == std::string_view::npos) return "unterminated tag at byte " + std::to_string(at);
    std::string_view tag = markup.substr(at + 1, end - at - 1);
    if (tag.starts_with('!')) continue;
    bool closing = tag.starts_with('/');
    if (closing) tag.remove_prefix(1);
    std::string name(tag.substr(0, tag.find_first_of(" \t\n/")));
    if (name.empty()) return "empty tag name at byte " + std::to_string(at);
    if (closing) {
      if (open.empty() || open.back() != name)
        return "</" + name + "> at byte " + std::to_string(at) + " closes " +
               (open.empty() ? "nothing" : "<" + open.back() + ">");
      open.pop_back();
    } else if (!tag.ends_with('/') && std::find(kVoid.begin(), kVoid.end(), name) == kVoid.end()) {
      open.push_back(name);
    }
  }
  return open.empty() ? "" : "<" + open.back() + "> never closed";
}

}  // namespace dpeval::report::testing
