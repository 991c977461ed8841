// Isotonic regression in scikit-learn 1.2's order of operations (see
// isotonic.h), so that the fitted knots agree with it to the last bit.
#include "dpeval/eval/internal/isotonic.h"

#include <algorithm>
#include <cstddef>
#include <numeric>

#include "dpeval/core/check.h"

namespace dpeval::eval::internal {

WeightedPoints merge_tied_points(std::span<const double> x, std::span<const double> y) {
  DPEVAL_CHECK(x.size() == y.size());
  DPEVAL_CHECK(std::is_sorted(x.begin(), x.end()));
  WeightedPoints out;
  if (x.empty()) return out;
  double current_x = x[0], current_y = 0, current_weight = 0;
  for (size_t j = 0; j < x.size(); ++j) {
    if (x[j] - current_x >= kIsotonicTieResolution) {
      out.x.push_back(current_x);
      out.weight.push_back(current_weight);
      out.y.push_back(current_y / current_weight);
      current_x = x[j];
      current_weight = 1.0;
      current_y = y[j];
    } else {
      current_weight += 1.0;
      current_y += y[j];
    }
  }
  out.x.push_back(current_x);
  out.weight.push_back(current_weight);
  out.y.push_back(current_y / current_weight);
  return out;
}

// target[] describes the blocks: when [i..j] is a block, target[i] = j and
// target[j] = i; y[i] and w[i] hold the block's mean and weight.
void pool_adjacent_violators(std::span<double> y, std::span<double> w) {
  DPEVAL_CHECK(y.size() == w.size());
  const size_t n = y.size();
  std::vector<size_t> target(n);
  std::iota(target.begin(), target.end(), size_t{0});
  size_t i = 0;
  while (i < n) {
    size_t k = target[i] + 1;
    if (k == n) break;
    if (y[i] < y[k]) {
      i = k;
      continue;
    }
    double sum_wy = w[i] * y[i];
    double sum_w = w[i];
    while (true) {  // within a decreasing run
      const double prev_y = y[k];
      sum_wy += w[k] * y[k];
      sum_w += w[k];
      k = target[k] + 1;
      if (k == n || prev_y < y[k]) {
        y[i] = sum_wy / sum_w;
        w[i] = sum_w;
        target[i] = k - 1;
        target[k - 1] = i;
        if (i > 0) i = target[i - 1];  // backtrack: the merged block may now violate its left neighbour
        break;
      }
    }
  }
  for (i = 0; i < n;) {  // spread each block's mean over its members
    const size_t k = target[i] + 1;
    std::fill(y.begin() + static_cast<std::ptrdiff_t>(i) + 1, y.begin() + static_cast<std::ptrdiff_t>(k),
              y[i]);
    i = k;
  }
}

IsotonicCurve fit_isotonic(std::span<const double> x, std::span<const double> y) {
  DPEVAL_CHECK(!x.empty() && x.size() == y.size());
  std::vector<size_t> order(x.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {  // np.lexsort((y, x))
    return x[a] != x[b] ? x[a] < x[b] : (y[a] != y[b] ? y[a] < y[b] : a < b);
  });
  std::vector<double> sorted_x(x.size()), sorted_y(x.size());
  for (size_t i = 0; i < order.size(); ++i) {
    sorted_x[i] = x[order[i]];
    sorted_y[i] = y[order[i]];
  }
  WeightedPoints points = merge_tied_points(sorted_x, sorted_y);
  pool_adjacent_violators(points.y, points.weight);
  for (double& v : points.y) v = std::clamp(v, 0.0, 1.0);

  IsotonicCurve curve;
  const size_t m = points.x.size();
  for (size_t j = 0; j < m; ++j) {
    const bool interior = j > 0 && j + 1 < m;
    if (interior && points.y[j] == points.y[j - 1] && points.y[j] == points.y[j + 1]) continue;
    curve.x.push_back(points.x[j]);
    curve.y.push_back(points.y[j]);
  }
  return curve;
}

// numpy's arr_interp: j with x[j] <= t < x[j + 1]; the knot's own value at a
// knot and at the last knot; slope (y[j+1] - y[j]) / (x[j+1] - x[j]) otherwise.
double isotonic_value(const IsotonicCurve& curve, double t) {
  const std::vector<double>& x = curve.x;
  const std::vector<double>& y = curve.y;
  DPEVAL_CHECK(!x.empty() && x.size() == y.size());
  t = std::clamp(t, x.front(), x.back());
  const size_t j = static_cast<size_t>(std::upper_bound(x.begin(), x.end(), t) - x.begin()) - 1;
  if (j + 1 == x.size() || x[j] == t) return y[j];
  const double slope = (y[j + 1] - y[j]) / (x[j + 1] - x[j]);
  return slope * (t - x[j]) + y[j];
}

}  // namespace dpeval::eval::internal
