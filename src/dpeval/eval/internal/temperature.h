// Temperature scaling's one-dimensional fit (see Note [Temperature fit] in
// dpeval/eval/recalibrate.h). Logits are n x K row-major, labels in 0..K-1,
// both already validated by the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace dpeval::eval::internal {

struct TemperatureFit {
  double temperature = 1.0;
  double nll_before = 0;  // mean NLL at T = 1
  double nll_after = 0;   // mean NLL at the fitted T
  int iterations = 0;     // Newton or bisection steps
  bool on_bound = false;  // the optimum lies past a bracket bound; T is that bound
  bool flat = false;      // every row's logits are constant: T has no effect, T = 1
};

// Mean over rows of lse(beta z_i) - beta z_{i, y_i} (compensated sum).
double temperature_nll(std::span<const double> logits, std::span<const int32_t> labels, size_t num_classes,
                       double beta);

// Preconditions (DPEVAL_CHECKed): logits.size() == labels.size() * K, n >= 1,
// 0 < t_min < t_max.
TemperatureFit fit_temperature(std::span<const double> logits, std::span<const int32_t> labels,
                               size_t num_classes, double t_min, double t_max);

}  // namespace dpeval::eval::internal
