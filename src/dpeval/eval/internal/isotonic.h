// Isotonic regression as scikit-learn 1.2 computes it (see Note [Isotonic fit]
// in dpeval/eval/recalibrate.h): the steps are exposed one by one so the tests
// can hold each against hand cases.
#pragma once

#include <span>
#include <vector>

#include "dpeval/eval/recalibrate.h"

namespace dpeval::eval::internal {

// np.finfo(np.float64).resolution: scores closer than this to the first of a
// run are one point (sklearn's _make_unique).
inline constexpr double kIsotonicTieResolution = 1e-15;

struct WeightedPoints {
  std::vector<double> x;
  std::vector<double> y;
  std::vector<double> weight;
};

// sklearn's _make_unique on x sorted ascending (DPEVAL_CHECKed), unit weights:
// a run x[j] - x[first] < kIsotonicTieResolution becomes one point at x[first]
// with the mean y and weight = the run's length.
WeightedPoints merge_tied_points(std::span<const double> x, std::span<const double> y);

// sklearn's _inplace_contiguous_isotonic_regression: y becomes the
// non-decreasing sequence closest to it in weighted least squares (each pooled
// block the weighted mean of its members); weight is scratch. Same lengths.
void pool_adjacent_violators(std::span<double> y, std::span<double> weight);

// The whole fit: sort (x, y) by x then y, merge ties, PAV, clip y to [0, 1],
// drop interior knots equal to both neighbours. Precondition: x.size() ==
// y.size() >= 1, all finite.
IsotonicCurve fit_isotonic(std::span<const double> x, std::span<const double> y);

// np.interp(clip(t, x.front(), x.back()), x, y). Precondition: a non-empty curve.
double isotonic_value(const IsotonicCurve& curve, double t);

}  // namespace dpeval::eval::internal
