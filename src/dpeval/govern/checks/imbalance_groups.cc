// imbalance.groups (--group-col): each group's rows and share of train, and its
// share within each class. count = groups under thresholds.rare_class_share of
// train; value = largest / smallest group.
#include <algorithm>

#include <fmt/format.h>

#include "dpeval/govern/checks/check_util.h"
#include "dpeval/govern/checks/checks.h"

namespace dpeval::govern::internal {
namespace {

class GroupsCheck final : public Check {
 public:
  std::string_view id() const override { return "imbalance.groups"; }
  CheckResult run(const AuditContext& ctx) const override {
    const TableScan& t = ctx.train;
    if (t.group_column < 0) return skipped_result(id(), "no --group-col");
    CheckResult r = make_result(id());
    const size_t g = t.group_values.size(), k = t.label_values.size();
    std::vector<uint64_t> counts(g, 0), class_counts(k, 0), joint(g * std::max<size_t>(k, 1), 0);
    for (size_t i = 0; i < t.rows; ++i) {
      ++counts[t.groups[i]];
      if (k > 0) {
        ++class_counts[t.labels[i]];
        ++joint[t.groups[i] * k + t.labels[i]];
      }
    }
    nlohmann::json groups = nlohmann::json::array();
    uint64_t largest = 0, smallest = UINT64_MAX;
    for (size_t a = 0; a < g; ++a) {
      largest = std::max(largest, counts[a]);
      smallest = std::min(smallest, counts[a]);
      nlohmann::json per_class = nlohmann::json::object();
      for (size_t c = 0; c < k; ++c) per_class[t.label_values[c]] = share(joint[a * k + c], class_counts[c]);
      const double s = share(counts[a], t.rows);
      groups.push_back({{"group", t.group_values[a]}, {"count", counts[a]}, {"share", s}, {"share_within_class", per_class}});
      if (s < ctx.thresholds.rare_class_share) {
        ++r.count;
        if (r.examples.size() < kMaxExamples) {
          r.examples.push_back(example_json("train", 0, t.columns[t.group_column].name,
                                            fmt::format("group '{}': {} rows ({})", t.group_values[a], counts[a], percent(s))));
        }
      }
    }
    r.value = smallest == 0 || smallest == UINT64_MAX ? 0.0 : static_cast<double>(largest) / static_cast<double>(smallest);
    r.details = {{"column", t.columns[t.group_column].name}, {"groups", groups}};
    r.severity = r.count > 0 ? Severity::kWarning : Severity::kInfo;
    r.message = fmt::format("{} groups in '{}', ratio {:.2f}; {} under {} of train", g, t.columns[t.group_column].name,
                            *r.value, r.count, percent(ctx.thresholds.rare_class_share));
    return r;
  }
};

}  // namespace

std::unique_ptr<Check> make_imbalance_groups_check() { return std::make_unique<GroupsCheck>(); }

}  // namespace dpeval::govern::internal
