// The Benjamini-Hochberg step-up procedure (see multiple_testing.h).
#include "dpeval/stats/multiple_testing.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "dpeval/core/error.h"

namespace dpeval::stats {
namespace {

void check_p_values(std::span<const double> p_values) {
  for (size_t i = 0; i < p_values.size(); ++i) {
    if (!(p_values[i] >= 0.0 && p_values[i] <= 1.0)) {
      throw ConfigError(
          fmt::format("benjamini_hochberg: p_values[{}] = {}: expected a number in [0, 1]", i, p_values[i]));
    }
  }
}

// Indices of p_values, ascending by p (stable).
std::vector<size_t> ascending(std::span<const double> p_values) {
  std::vector<size_t> order(p_values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p_values[a] < p_values[b]; });
  return order;
}

}  // namespace

std::vector<bool> benjamini_hochberg(std::span<const double> p_values, double q) {
  if (!(q > 0.0 && q < 1.0))
    throw ConfigError(fmt::format("benjamini_hochberg: q = {}: expected 0 < q < 1", q));
  check_p_values(p_values);
  const size_t m = p_values.size();
  std::vector<bool> rejected(m, false);
  const std::vector<size_t> order = ascending(p_values);
  size_t k = 0;  // the largest rank i (1-based) with p_(i) <= i q / m
  for (size_t i = 1; i <= m; ++i) {
    if (p_values[order[i - 1]] <= static_cast<double>(i) * q / static_cast<double>(m)) k = i;
  }
  if (k == 0) return rejected;
  const double cutoff = p_values[order[k - 1]];
  for (size_t i = 0; i < m; ++i) rejected[i] = p_values[i] <= cutoff;
  return rejected;
}

std::vector<double> benjamini_hochberg_adjusted(std::span<const double> p_values) {
  check_p_values(p_values);
  const size_t m = p_values.size();
  std::vector<double> adjusted(m);
  const std::vector<size_t> order = ascending(p_values);
  double running = 1.0;
  for (size_t i = m; i >= 1; --i) {
    const double v = std::min(1.0, static_cast<double>(m) * p_values[order[i - 1]] / static_cast<double>(i));
    running = std::min(running, v);
    adjusted[order[i - 1]] = running;
  }
  return adjusted;
}

}  // namespace dpeval::stats
