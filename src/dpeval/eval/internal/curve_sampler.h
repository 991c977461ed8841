// Downsamples a polyline (a ROC or PR curve) to at most max_points points for
// plotting, keeping the first and the last point and spacing the others evenly
// along the curve's L1 length |dx| + |dy|, so steep and flat stretches are both
// drawn. A curve of at most max_points points is kept whole.
//
// Use: construct with the curve's point count and total L1 length (known from
// a first walk), offer() every point in order, then take().
#pragma once

#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

#include "dpeval/core/check.h"

namespace dpeval::eval::internal {

template <typename Point>
class CurveSampler {
 public:
  CurveSampler(size_t total_points, double total_length, size_t max_points)
      : total_points_(total_points), max_points_(max_points) {
    DPEVAL_CHECK(max_points >= 2) << "curve_points_max = " << max_points;
    keep_all_ = total_points <= max_points;
    step_ = keep_all_ ? 0 : total_length / static_cast<double>(max_points - 2);
    points_.reserve(keep_all_ ? total_points : max_points);
  }

  void offer(const Point& point) {
    const size_t index = offered_++;
    if (index > 0) travelled_ += std::abs(point.x - previous_.x) + std::abs(point.y - previous_.y);
    previous_ = point;
    const bool first = index == 0, last = index + 1 == total_points_;
    const bool interior_room = points_.size() + 1 < max_points_;  // one slot stays for the last point
    if (keep_all_ || first || last || (travelled_ >= step_ && interior_room)) {
      points_.push_back(point);
      travelled_ = 0;
    }
  }

  std::vector<Point> take() { return std::move(points_); }

 private:
  size_t total_points_;
  size_t max_points_;
  bool keep_all_ = false;
  double step_ = 0;
  size_t offered_ = 0;
  double travelled_ = 0;
  Point previous_{};
  std::vector<Point> points_;
};

}  // namespace dpeval::eval::internal
