// B equal-width bins over [0, 1] with sklearn's calibration_curve edges:
// edge_i = i * (1 / B) for i < B and edge_B = 1 (np.linspace(0, 1, B + 1)), bin
// b = (edge_b, edge_{b+1}], and 0 in bin 0 (np.searchsorted(edges[1:-1], v)).
// index_of() is O(1): a guess from v * B, corrected against the edges.
#pragma once

#include <cstddef>

#include "dpeval/core/check.h"

namespace dpeval::eval::internal {

class UniformBins {
 public:
  explicit UniformBins(size_t count) : count_(count), width_(1.0 / static_cast<double>(count)) {
    DPEVAL_CHECK(count >= 1);
  }

  size_t count() const { return count_; }
  double edge(size_t i) const { return i == count_ ? 1.0 : static_cast<double>(i) * width_; }

  // Precondition: 0 <= v <= 1.
  size_t index_of(double v) const {
    size_t b = static_cast<size_t>(v * static_cast<double>(count_));
    if (b >= count_) b = count_ - 1;
    while (b > 0 && v <= edge(b)) --b;
    while (b + 1 < count_ && v > edge(b + 1)) ++b;
    return b;
  }

 private:
  size_t count_;
  double width_;
};

}  // namespace dpeval::eval::internal
