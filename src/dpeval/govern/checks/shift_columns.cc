// shift.columns: train-vs-test distribution shift per column. Numeric columns:
// the two-sample Kolmogorov-Smirnov test on the sampled rows (asymptotic
// p-value, Numerical Recipes' effective-n correction). Categorical columns:
// Pearson's chi-squared test of homogeneity on the full value counts (missing
// is a value; untracked values one more; values whose expected count is below 5
// in either set are pooled). A column is shifted when p < thresholds.shift_p_value.
// count = shifted columns; value = the smallest p. Not run for images.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "dpeval/govern/checks/check_util.h"
#include "dpeval/govern/checks/checks.h"

namespace dpeval::govern::internal {
namespace {

double ks_p_value(double lambda) {
  if (lambda < 1e-3) return 1;
  double sum = 0, sign = 1;
  for (int k = 1; k <= 200; ++k) {
    const double term = sign * std::exp(-2.0 * k * k * lambda * lambda);
    sum += term;
    if (std::fabs(term) < 1e-12) break;
    sign = -sign;
  }
  return std::clamp(2 * sum, 0.0, 1.0);
}

// Regularized upper incomplete gamma Q(a, x) (Numerical Recipes gammq).
double gamma_q(double a, double x) {
  if (x <= 0) return 1;
  const double gln = std::lgamma(a);
  if (x < a + 1) {
    double ap = a, sum = 1 / a, del = sum;
    for (int n = 0; n < 1000; ++n) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (std::fabs(del) < std::fabs(sum) * 1e-15) break;
    }
    return std::clamp(1 - sum * std::exp(-x + a * std::log(x) - gln), 0.0, 1.0);
  }
  double b = x + 1 - a, c = 1 / 1e-300, d = 1 / b, h = d;
  for (int i = 1; i < 1000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (std::fabs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < 1e-15) break;
  }
  return std::clamp(std::exp(-x + a * std::log(x) - gln) * h, 0.0, 1.0);
}

std::vector<double> column_sample(const TableScan& t, size_t c) {
  std::vector<double> v;
  const size_t cols = t.columns.size();
  for (size_t i = 0; i < t.sample.rows.size(); ++i) {
    const double x = t.sample.numbers[i * cols + c];
    if (!std::isnan(x)) v.push_back(x);
  }
  std::sort(v.begin(), v.end());
  return v;
}

struct TestResult {
  double statistic = 0, p = 1;
  std::string test;
};

TestResult ks(std::vector<double> a, std::vector<double> b) {
  TestResult r{0, 1, "ks"};
  if (a.empty() || b.empty()) return r;
  size_t i = 0, j = 0;
  double d = 0;
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
    d = std::max(d, std::fabs(static_cast<double>(i) / a.size() - static_cast<double>(j) / b.size()));
  }
  const double ne = static_cast<double>(a.size()) * b.size() / (a.size() + b.size());
  const double sq = std::sqrt(ne);
  r.statistic = d;
  r.p = ks_p_value((sq + 0.12 + 0.11 / sq) * d);
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
  double chi = 0;
  for (const auto& [x, y] : cells) {
    const double ea = (x + y) * na / (na + nb), eb = (x + y) * nb / (na + nb);
    chi += (x - ea) * (x - ea) / ea + (y - eb) * (y - eb) / eb;
  }
  r.statistic = chi;
  r.p = gamma_q((cells.size() - 1) / 2.0, chi / 2);
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
      columns.push_back({{"column", a.name}, {"test", t.test}, {"statistic", t.statistic}, {"p_value", t.p},
                         {"shifted", shifted}});
      if (!shifted) continue;
      ++r.count;
      if (r.examples.size() < kMaxExamples) {
        r.examples.push_back(example_json("test", 0, a.name,
                                          fmt::format("{} statistic {:.4g}, p = {:.3g}", t.test, t.statistic, t.p)));
      }
    }
    r.value = smallest;
    r.details = {{"columns", columns}};
    r.severity = r.count > 0 ? Severity::kWarning : Severity::kInfo;
    r.message = fmt::format("{} of {} columns differ between train and test (p < {})", r.count, columns.size(),
                            ctx.thresholds.shift_p_value);
    return r;
  }
};

}  // namespace

std::unique_ptr<Check> make_shift_columns_check() { return std::make_unique<ShiftCheck>(); }

}  // namespace dpeval::govern::internal
