// quality.constant: train columns with at most one distinct non-missing value
// (all-missing columns included). quality.near_constant: train columns whose
// most frequent value holds at least thresholds.near_constant_share of the
// non-missing cells without being the only value (See Note [Audit memory]:
// distinct values are tracked up to kTrackedValues; a value first seen after
// that cannot be the top one).
#include <algorithm>

#include <fmt/format.h>

#include "dpeval/govern/checks/check_util.h"
#include "dpeval/govern/checks/checks.h"

namespace dpeval::govern::internal {
namespace {

struct Top {
  uint64_t count = 0;
  std::string text;
  size_t distinct = 0;  // -1 when unknown
  bool known = false;
};

Top top_value(const ColumnStats& c) {
  Top t;
  if (c.track_values) {
    t.known = true;
    t.distinct = c.values.size() + (c.untracked > 0 ? 1 : 0);
    for (size_t i = 0; i < c.values.size(); ++i) {
      const ValueCounts::Item v = c.values.at(i);
      if (v.count > t.count || (v.count == t.count && v.text < t.text)) {
        t.count = v.count;
        t.text = v.text;
      }
    }
  } else if (c.min == c.max) {  // arrays: constant when min == max
    t.known = true;
    t.distinct = 1;
    t.count = c.numeric;
    t.text = fmt::format("{}", c.min);
  } else {
    t.distinct = 2;
  }
  return t;
}

class ConstantCheck final : public Check {
 public:
  explicit ConstantCheck(bool near) : near_(near) {}
  std::string_view id() const override { return near_ ? "quality.near_constant" : "quality.constant"; }
  CheckResult run(const AuditContext& ctx) const override {
    CheckResult r = make_result(id());
    nlohmann::json columns = nlohmann::json::array();
    for (size_t i = 0; i < ctx.train.columns.size(); ++i) {
      const ColumnStats& c = ctx.train.columns[i];
      if (static_cast<int>(i) == ctx.train.label_column) continue;
      const Top t = top_value(c);
      const uint64_t non_missing = c.non_missing();
      bool hit;
      double top_share = non_missing == 0 ? 1.0 : share(t.count, non_missing);
      if (near_) {
        hit = t.known && t.distinct > 1 && top_share >= ctx.thresholds.near_constant_share;
      } else {
        hit = non_missing == 0 || (t.known && t.distinct == 1);
      }
      if (!hit) continue;
      ++r.count;
      columns.push_back({{"column", c.name}, {"top_value", t.text}, {"top_share", top_share}});
      if (r.examples.size() < kMaxExamples) {
        r.examples.push_back(example_json("train", 0, c.name,
                                          non_missing == 0 ? std::string("every cell is missing")
                                                           : fmt::format("'{}' in {} of the non-missing cells",
                                                                         t.text.substr(0, 40), percent(top_share))));
      }
    }
    r.value = share(r.count, ctx.train.columns.size());
    r.details = {{"columns", columns}};
    r.severity = r.count > 0 ? Severity::kWarning : Severity::kInfo;
    r.message = fmt::format("{} {} column{}", r.count, near_ ? "near-constant" : "constant", r.count == 1 ? "" : "s");
    if (near_) r.message += fmt::format(" (top value >= {} of the cells)", percent(ctx.thresholds.near_constant_share));
    return r;
  }

 private:
  bool near_;
};

}  // namespace

std::unique_ptr<Check> make_quality_constant_check() { return std::make_unique<ConstantCheck>(false); }
std::unique_ptr<Check> make_quality_near_constant_check() { return std::make_unique<ConstantCheck>(true); }

}  // namespace dpeval::govern::internal
