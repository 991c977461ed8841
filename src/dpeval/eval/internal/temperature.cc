// Temperature scaling's fit: safeguarded Newton on the convex mean NLL in
// beta = 1 / T (see Note [Temperature fit] in dpeval/eval/recalibrate.h).
#include "dpeval/eval/internal/temperature.h"

#include <algorithm>
#include <cmath>

#include "dpeval/core/check.h"
#include "dpeval/eval/internal/sum.h"

namespace dpeval::eval::internal {
namespace {

constexpr int kIterationsMax = 200;
constexpr double kStepTolerance = 1e-13;  // relative change of beta that ends the search

struct Slope {
  double first = 0;   // g'(beta)
  double second = 0;  // g''(beta)
};

// g'(beta) = mean (E_q[z] - z_y) and g''(beta) = mean Var_q(z), q = softmax(beta z).
Slope slope_at(std::span<const double> logits, std::span<const int32_t> labels, size_t k, double beta) {
  NeumaierSum first, second;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double* z = logits.data() + i * k;
    double top = beta * z[0];
    for (size_t j = 1; j < k; ++j) top = std::max(top, beta * z[j]);
    double mass = 0, mean = 0;
    for (size_t j = 0; j < k; ++j) {
      const double w = std::exp(beta * z[j] - top);
      mass += w;
      mean += w * z[j];
    }
    mean /= mass;
    double variance = 0;
    for (size_t j = 0; j < k; ++j) {
      const double d = z[j] - mean;
      variance += std::exp(beta * z[j] - top) * d * d;
    }
    first.add(mean - z[labels[i]]);
    second.add(variance / mass);
  }
  const auto n = static_cast<double>(labels.size());
  return {first.value() / n, second.value() / n};
}

bool rows_constant(std::span<const double> logits, size_t k) {
  for (size_t i = 0; i < logits.size(); i += k) {
    for (size_t j = 1; j < k; ++j) {
      if (logits[i + j] != logits[i]) return false;
    }
  }
  return true;
}

}  // namespace

double temperature_nll(std::span<const double> logits, std::span<const int32_t> labels, size_t num_classes,
                       double beta) {
  const size_t k = num_classes;
  NeumaierSum sum;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double* z = logits.data() + i * k;
    double top = beta * z[0];
    for (size_t j = 1; j < k; ++j) top = std::max(top, beta * z[j]);
    double mass = 0;
    for (size_t j = 0; j < k; ++j) mass += std::exp(beta * z[j] - top);
    sum.add(top + std::log(mass) - beta * z[labels[i]]);
  }
  return sum.value() / static_cast<double>(labels.size());
}

TemperatureFit fit_temperature(std::span<const double> logits, std::span<const int32_t> labels,
                               size_t num_classes, double t_min, double t_max) {
  const size_t k = num_classes;
  DPEVAL_CHECK(k >= 2 && !labels.empty() && logits.size() == labels.size() * k);
  DPEVAL_CHECK(t_min > 0 && t_min < t_max) << t_min << " " << t_max;

  TemperatureFit fit;
  fit.nll_before = temperature_nll(logits, labels, k, 1.0);
  if (rows_constant(logits, k)) {
    fit.flat = true;
    fit.nll_after = fit.nll_before;
    return fit;
  }

  // g' is non-decreasing in beta: its signs at the ends say where the minimum is.
  double lo = 1.0 / t_max, hi = 1.0 / t_min;
  if (slope_at(logits, labels, k, lo).first >= 0) {
    fit.temperature = t_max;
    fit.on_bound = true;
  } else if (slope_at(logits, labels, k, hi).first <= 0) {
    fit.temperature = t_min;
    fit.on_bound = true;
  } else {
    double beta = (lo < 1.0 && 1.0 < hi) ? 1.0 : 0.5 * (lo + hi);
    while (fit.iterations < kIterationsMax) {
      ++fit.iterations;
      const Slope s = slope_at(logits, labels, k, beta);
      if (s.first == 0) break;
      const double newton = s.second > 0 ? s.first / s.second : INFINITY;
      if (std::abs(newton) <= kStepTolerance * beta) {  // converged; the step may be below an ulp
        beta -= newton;
        break;
      }
      (s.first < 0 ? lo : hi) = beta;  // keep the root inside (lo, hi)
      double next = beta - newton;
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);  // Newton would leave the bracket: bisect
      beta = next;
      if (hi - lo <= kStepTolerance * beta) break;
    }
    fit.temperature = 1.0 / beta;
  }
  fit.nll_after = temperature_nll(logits, labels, k, 1.0 / fit.temperature);
  return fit;
}

}  // namespace dpeval::eval::internal
