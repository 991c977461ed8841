// quality.duplicates: train rows equal to an earlier train row, features and
// label (Note [Row hash]). count = rows that repeat an earlier row (pandas'
// duplicated().sum()); figures: groups (distinct rows seen more than once);
// examples: the first repeat of each group with the row it repeats.
#include <algorithm>

#include <fmt/format.h>

#include "dpeval/govern/checks/check_util.h"
#include "dpeval/govern/checks/checks.h"

namespace dpeval::govern::internal {
namespace {

class DuplicatesCheck final : public Check {
 public:
  std::string_view id() const override { return "quality.duplicates"; }
  CheckResult run(const AuditContext& ctx) const override {
    CheckResult r = make_result(id());
    const std::vector<RowKey>& keys = ctx.train_keys;
    uint64_t groups = 0;
    std::vector<std::pair<uint32_t, uint32_t>> firsts;  // (first repeat, original), smallest repeats kept
    for (size_t i = 0; i < keys.size();) {
      size_t j = i + 1;
      while (j < keys.size() && keys[j].hash == keys[i].hash && keys[j].label == keys[i].label) ++j;
      if (j - i > 1) {
        ++groups;
        r.count += j - i - 1;
        firsts.emplace_back(keys[i + 1].row, keys[i].row);  // rows ascend within equal keys
      }
      i = j;
    }
    std::sort(firsts.begin(), firsts.end());
    for (size_t k = 0; k < firsts.size() && k < kMaxExamples; ++k) {
      r.examples.push_back(example_json("train", firsts[k].first, "", fmt::format("same as row {}", firsts[k].second)));
    }
    r.value = share(r.count, ctx.train.rows);
    r.figures["groups"] = static_cast<double>(groups);
    r.severity = r.count > 0 ? Severity::kWarning : Severity::kInfo;
    r.message = fmt::format("{} duplicate rows ({} of train) in {} groups", r.count, percent(*r.value), groups);
    return r;
  }
};

}  // namespace

std::unique_ptr<Check> make_quality_duplicates_check() { return std::make_unique<DuplicatesCheck>(); }

}  // namespace dpeval::govern::internal
