// imbalance.classes: train class counts and shares; value = imbalance ratio
// (largest / smallest class count); count = classes under
// thresholds.rare_class_share of the train rows.
#include <algorithm>

#include <fmt/format.h>

#include "dpeval/govern/checks/check_util.h"
#include "dpeval/govern/checks/checks.h"

namespace dpeval::govern::internal {
namespace {

class ClassesCheck final : public Check {
 public:
  std::string_view id() const override { return "imbalance.classes"; }
  CheckResult run(const AuditContext& ctx) const override {
    const TableScan& t = ctx.train;
    if (t.label_column < 0) return skipped_result(id(), "no label column", {"ratio", "classes"});
    CheckResult r = make_result(id());
    std::vector<uint64_t> counts(t.label_values.size(), 0), test_counts(t.label_values.size(), 0);
    for (uint32_t l : t.labels) ++counts[l];
    nlohmann::json classes = nlohmann::json::array();
    uint64_t largest = 0, smallest = UINT64_MAX;
    for (size_t k = 0; k < counts.size(); ++k) {
      if (counts[k] == 0) continue;  // (array datasets name classes that may be absent)
      largest = std::max(largest, counts[k]);
      smallest = std::min(smallest, counts[k]);
      const double s = share(counts[k], t.rows);
      const bool rare = s < ctx.thresholds.rare_class_share;
      classes.push_back({{"class", t.label_values[k]}, {"count", counts[k]}, {"share", s}, {"rare", rare}});
      if (!rare) continue;
      ++r.count;
      if (r.examples.size() < kMaxExamples) {
        const auto first = std::find(t.labels.begin(), t.labels.end(), static_cast<uint32_t>(k)) - t.labels.begin();
        r.examples.push_back(example_json("train", first, t.columns[t.label_column].name,
                                          fmt::format("class '{}': {} rows ({})", t.label_values[k], counts[k], percent(s))));
      }
    }
    r.value = smallest == UINT64_MAX ? 0.0 : static_cast<double>(largest) / static_cast<double>(smallest);
    r.figures["ratio"] = *r.value;
    r.figures["classes"] = static_cast<double>(classes.size());
    r.details = {{"classes", classes}};
    r.severity = r.count > 0 ? Severity::kWarning : Severity::kInfo;
    r.message = fmt::format("{} classes, imbalance ratio {:.2f}; {} under {} of train", classes.size(), *r.value,
                            r.count, percent(ctx.thresholds.rare_class_share));
    return r;
  }
};

}  // namespace

std::unique_ptr<Check> make_imbalance_classes_check() { return std::make_unique<ClassesCheck>(); }

}  // namespace dpeval::govern::internal
