// compute_regression: one pass for the error sums and the target mean, a
// second for R^2's total sum of squares, a selection for the median.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dpeval/eval/internal/inputs.h"
#include "dpeval/eval/internal/sum.h"
#include "dpeval/eval/metrics.h"

namespace dpeval::eval {
namespace {

constexpr std::string_view kWhere = "compute_regression";

struct ErrorSums {
  internal::NeumaierSum squared;
  internal::NeumaierSum absolute;
  internal::NeumaierSum percentage;
  internal::NeumaierSum target;
  double max_absolute = 0;
  double target_min = 0;
  double target_max = 0;
  int64_t near_zero_targets = 0;  // |target| < eps: mape divides by eps
};

ErrorSums sum_errors(std::span<const double> targets, std::span<const double> predictions) {
  ErrorSums s;
  s.target_min = s.target_max = targets.empty() ? 0 : targets[0];
  for (size_t i = 0; i < targets.size(); ++i) {
    const double error = std::abs(predictions[i] - targets[i]);
    s.squared.add(error * error);
    s.absolute.add(error);
    const double scale = std::max(std::abs(targets[i]), kFloat64Eps);
    s.percentage.add(error / scale);
    s.near_zero_targets += std::abs(targets[i]) < kFloat64Eps ? 1 : 0;
    s.target.add(targets[i]);
    s.max_absolute = std::max(s.max_absolute, error);
    s.target_min = std::min(s.target_min, targets[i]);
    s.target_max = std::max(s.target_max, targets[i]);
  }
  return s;
}

double total_sum_of_squares(std::span<const double> targets, double mean) {
  internal::NeumaierSum s;
  for (double t : targets) s.add((t - mean) * (t - mean));
  return s.value();
}

// np.median(|pred - target|): for even n, the mean of the two middle values.
double median_absolute_error(std::span<const double> targets, std::span<const double> predictions) {
  std::vector<double> errors(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) errors[i] = std::abs(predictions[i] - targets[i]);
  const size_t mid = errors.size() / 2;
  std::nth_element(errors.begin(), errors.begin() + static_cast<std::ptrdiff_t>(mid), errors.end());
  const double upper = errors[mid];
  if (errors.size() % 2 == 1) return upper;
  const double lower = *std::max_element(errors.begin(), errors.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2.0;
}

// A constant target is detected as min == max, not as SS_tot == 0: the mean of
// n copies of 0.1 need not be 0.1, and sklearn then divides by a rounding error.
void set_r2(RegressionMetrics& m, std::span<const double> targets, const ErrorSums& s) {
  if (s.target_min == s.target_max) {
    m.warnings.emplace_back(
        "r2 is undefined: the target is constant (sklearn's force_finite=True would report 1.0 or 0.0)");
    return;
  }
  const double mean = s.target.value() / static_cast<double>(targets.size());
  m.r2 = 1.0 - s.squared.value() / total_sum_of_squares(targets, mean);
}

}  // namespace

RegressionMetrics compute_regression(std::span<const double> targets, std::span<const double> predictions) {
  internal::check_same_rows(kWhere, "targets", targets.size(), "predictions", predictions.size());
  internal::check_finite(kWhere, "targets", targets);
  internal::check_finite(kWhere, "predictions", predictions);
  RegressionMetrics m;
  m.n = static_cast<int64_t>(targets.size());
  if (targets.empty()) {
    m.warnings.emplace_back("no rows: every metric is undefined");
    return m;
  }
  const ErrorSums s = sum_errors(targets, predictions);
  const auto n = static_cast<double>(m.n);
  m.mse = s.squared.value() / n;
  m.rmse = std::sqrt(*m.mse);
  m.mae = s.absolute.value() / n;
  m.mape = s.percentage.value() / n;
  m.max_error = s.max_absolute;
  m.median_absolute_error = median_absolute_error(targets, predictions);
  if (s.near_zero_targets > 0) {
    m.warnings.push_back(fmt::format(
        "mape divides by float64 eps for {} targets with |target| < eps (sklearn)", s.near_zero_targets));
  }
  set_r2(m, targets, s);
  return m;
}

std::vector<MetricValue> metric_values(const RegressionMetrics& m) {
  return {{"mse", m.mse},
          {"rmse", m.rmse},
          {"mae", m.mae},
          {"r2", m.r2},
          {"median_absolute_error", m.median_absolute_error},
          {"max_error", m.max_error},
          {"mape", m.mape}};
}

}  // namespace dpeval::eval
