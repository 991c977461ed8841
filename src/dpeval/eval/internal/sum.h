// NeumaierSum: compensated summation for the means over millions of rows, so
// a mean of 10M terms carries an error of a few ulps, not n * eps (numpy's
// pairwise sums, the reference, are within ~log2(n) * eps of exact).
#pragma once

#include <cmath>

namespace dpeval::eval::internal {

class NeumaierSum {
 public:
  void add(double x) {
    const double t = sum_ + x;
    if (std::abs(sum_) >= std::abs(x)) {
      compensation_ += (sum_ - t) + x;
    } else {
      compensation_ += (x - t) + sum_;
    }
    sum_ = t;
  }
  double value() const { return sum_ + compensation_; }

 private:
  double sum_ = 0;
  double compensation_ = 0;
};

}  // namespace dpeval::eval::internal
