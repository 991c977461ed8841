// Helpers the checks share: results that say why they were skipped, examples
// as JSON, shares.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "dpeval/govern/audit.h"

namespace dpeval::govern::internal {

inline CheckResult make_result(std::string_view id) {
  CheckResult r;
  r.id = std::string(id);
  return r;
}

// Present, count 0, value null, skipped: the message says why. `figures` names
// the figures the check has when it runs, so that gates naming them are judged
// (and fail, as undefined) instead of being unknown names.
inline CheckResult skipped_result(std::string_view id, std::string reason,
                                  std::initializer_list<const char*> figures = {}) {
  CheckResult r = make_result(id);
  r.skipped = true;
  for (const char* f : figures) r.figures[f] = 0;
  r.message = "not run: " + std::move(reason);
  return r;
}

inline nlohmann::json example_json(std::string_view set, uint64_t row, std::string_view column,
                                   std::string_view detail) {
  nlohmann::json e = {{"set", set}, {"row", row}};
  if (!column.empty()) e["column"] = column;
  if (!detail.empty()) e["detail"] = detail;
  return e;
}

inline void add_examples(CheckResult& r, std::string_view set, const ExampleList& list, size_t max = kMaxExamples) {
  for (const Example& e : list.examples) {
    if (r.examples.size() >= max) break;
    r.examples.push_back(example_json(set, e.row, e.column, e.detail));
  }
}

inline double share(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

inline std::string percent(double share) { return fmt::format("{:.2f} %", 100 * share); }

}  // namespace dpeval::govern::internal
