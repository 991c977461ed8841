// shift.columns: train-vs-test distribution shift per column. Numeric columns:
// the two-sample Kolmogorov-Smirnov test on the sampled rows (stats/: the
// statistic, found without sorting, and ks_2samp_pvalue_asymp, scipy 1.10's ks_2samp(method='asymp'),
// the one definition `dpeval drift` uses too; one row on each side has no
// p-value there, NaN, and counts as p = 1 here). Categorical columns:
// Pearson's chi-squared test of homogeneity on the full value counts (missing
// is a value; untracked values one more; values whose expected count is below 5
// in either set are pooled). A column is shifted when p < thresholds.shift_p_value.
// count = shifted columns; value = the smallest p. Not run for images.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "dpeval/govern/checks/check_util.h"
#include "dpeval/govern/checks/checks.h"
#include "dpeval/stats/two_sample.h"

namespace dpeval::govern::internal {
namespace {

std::vector<double> column_sample(const TableScan& t, size_t c) {
  std::vector<double> v;
  const size_t cols = t.columns.size();
  for (size_t i = 0; i < t.sample.rows.size(); ++i) {
    const double x = t.sample.numbers[i * cols + c];
    if (!std::isnan(x)) v.push_back(x);
  }
  return v;
}

struct TestResult {
  double statistic = 0, p = 1;
  std::string test;
};

TestResult ks(const std::vector<double>& a, const std::vector<double>& b) {
  TestResult r{0, 1, "ks"};
  if (a.empty() || b.empty()) return r;
  r.statistic = stats::ks_statistic_unsorted(a, b, false);
  r.p = stats::ks_2samp_pvalue_asymp(r.statistic, a.size(), b.size());
  if (std::isnan(r.p)) r.p = 1;  // one row each: nothing to test
  return r;
}

TestResult chi_squared(const ColumnStats& a, const ColumnStats& b) {
  TestResult r{0, 1, "chi2"};
  std::map<uint64_t, std::pair<double, double>> bins;
  for (size_t i = 0; i < a.values.size(); ++i) bins[a.values.at(i).key].first += a.values.at(i).count;
  for (size_t i = 0; i < b.values.size(); ++i) bins[b.values.at(i).key].second += b.values.at(i).count;
  bins[0].first += a.missing;
  bins[0].second += b.missing;
  bins[1].first += a.untracked;  // keys are odd (| 1) except these two
  bins[1].second += b.untracked;
  double na = 0, nb = 0;
  for (const auto& [key, c] : bins) {
    na += c.first;
    nb += c.second;
  }
  if (na == 0 || nb == 0) return r;
  std::vector<std::pair<double, double>> cells;
  std::pair<double, double> pooled{0, 0};
  for (const auto& [key, c] : bins) {
    const double total = c.first + c.second;
    if (total == 0) continue;
    if (total * na / (na + nb) < 5 || total * nb / (na + nb) < 5) {
      pooled.first += c.first;
      pooled.second += c.second;
    } else {
      cells.push_back(c);
    }
  }
  if (pooled.first + pooled.second > 0) cells.push_back(pooled);
  if (cells.size() < 2) return r;
  std::vector<double> ca, cb;
  for (const auto& [x, y] : cells) {
    ca.push_back(x);
    cb.push_back(y);
  }
  const stats::ChiSquared chi = stats::chi2_homogeneity(ca, cb);
  r.statistic = chi.statistic;
  r.p = chi.p_value;
  return r;
}

class ShiftCheck final : public Check {
 public:
  std::string_view id() const override { return "shift.columns"; }
  CheckResult run(const AuditContext& ctx) const override {
    if (!ctx.test) return skipped_result(id(), "no --test set");
    if (ctx.train.is_image) return skipped_result(id(), "image data (per-pixel tests are not meaningful)");
    CheckResult r = make_result(id());
    nlohmann::json columns = nlohmann::json::array();
    double smallest = 1;
    for (size_t c = 0; c < ctx.train.columns.size(); ++c) {
      const ColumnStats& a = ctx.train.columns[c];
      size_t d = 0;
      while (d < ctx.test->columns.size() && ctx.test->columns[d].name != a.name) ++d;
      if (d == ctx.test->columns.size()) continue;
      const ColumnStats& b = ctx.test->columns[d];
      const std::string type = a.inferred_type();
      TestResult t;
      if (type == "numeric" || type == "integer") {
        t = ks(column_sample(ctx.train, c), column_sample(*ctx.test, d));
      } else if (type == "categorical") {
        t = chi_squared(a, b);
      } else {
        continue;
      }
      smallest = std::min(smallest, t.p);
      const bool shifted = t.p < ctx.thresholds.shift_p_value;
      columns.push_back({{"column", a.name},
                         {"test", t.test},
                         {"statistic", t.statistic},
                         {"p_value", t.p},
                         {"shifted", shifted}});
      if (!shifted) continue;
      ++r.count;
      if (r.examples.size() < kMaxExamples) {
        r.examples.push_back(example_json(
            "test", 0, a.name, fmt::format("{} statistic {:.4g}, p = {:.3g}", t.test, t.statistic, t.p)));
      }
    }
    r.value = smallest;
    r.details = {{"columns", columns}};
    r.severity = r.count > 0 ? Severity::kWarning : Severity::kInfo;
    r.message = fmt::format("{} of {} columns differ between train and test (p < {})", r.count,
                            columns.size(), ctx.thresholds.shift_p_value);
    return r;
  }
};

}  // namespace

std::unique_ptr<Check> make_shift_columns_check() { return std::make_unique<ShiftCheck>(); }

}  // namespace dpeval::govern::internal
