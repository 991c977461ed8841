// quality.conflicting_labels: train rows whose features (every column but the
// label) equal another train row's while the labels differ. count = rows in
// such groups; figures: groups.
#include <fmt/format.h>

#include "dpeval/govern/checks/check_util.h"
#include "dpeval/govern/checks/checks.h"

namespace dpeval::govern::internal {
namespace {

class ConflictingLabelsCheck final : public Check {
 public:
  std::string_view id() const override { return "quality.conflicting_labels"; }
  CheckResult run(const AuditContext& ctx) const override {
    if (ctx.train.label_column < 0) return skipped_result(id(), "no label column", {"groups"});
    CheckResult r = make_result(id());
    const std::vector<RowKey>& keys = ctx.train_keys;
    uint64_t groups = 0;
    std::vector<std::pair<uint32_t, std::string>> found;
    for (size_t i = 0; i < keys.size();) {
      size_t j = i + 1;
      while (j < keys.size() && keys[j].hash == keys[i].hash) ++j;
      if (keys[j - 1].label != keys[i].label) {
        ++groups;
        r.count += j - i;
        uint32_t first = keys[i].row;
        std::string labels;
        for (size_t k = i; k < j; ++k) {
          first = std::min(first, keys[k].row);
          if (k == i || keys[k].label != keys[k - 1].label) {
            labels += (labels.empty() ? "" : ", ") + ctx.train.label_values[keys[k].label];
          }
        }
        found.emplace_back(first, fmt::format("{} rows with these features have labels {}", j - i, labels));
      }
      i = j;
    }
    std::sort(found.begin(), found.end());
    for (size_t k = 0; k < found.size() && k < kMaxExamples; ++k) {
      r.examples.push_back(example_json("train", found[k].first, "", found[k].second));
    }
    r.value = share(r.count, ctx.train.rows);
    r.figures["groups"] = static_cast<double>(groups);
    r.severity = r.count > 0 ? Severity::kWarning : Severity::kInfo;
    r.message = fmt::format("{} rows in {} groups of identical features with different labels", r.count, groups);
    return r;
  }
};

}  // namespace

std::unique_ptr<Check> make_quality_conflicting_labels_check() { return std::make_unique<ConflictingLabelsCheck>(); }

}  // namespace dpeval::govern::internal
