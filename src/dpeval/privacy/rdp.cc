// See rdp.h.
#include "dpeval/privacy/rdp.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "dpeval/core/error.h"

namespace dpeval::privacy {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// log(e^x + e^y), -inf standing for 0.
double log_add(double x, double y) {
  const double lo = std::min(x, y), hi = std::max(x, y);
  if (lo == -kInf) return hi;
  return std::log1p(std::exp(lo - hi)) + hi;
}

// log(e^x - e^y) for x >= y (the series' partial sums stay positive; a
// rounding that made them cross would be a bug, so it throws).
double log_sub(double x, double y) {
  if (x < y) throw Error(fmt::format("RDP accountant: log-space subtraction went negative ({} - {})", x, y));
  if (y == -kInf) return x;
  if (x == y) return -kInf;
  const double d = std::expm1(x - y);
  if (std::isinf(d)) return x;  // e^y is nothing next to e^x
  return std::log(d) + y;
}

// log Φ(z), Φ the standard normal CDF, accurate far into both tails.
double log_ndtr(double z) {
  if (z > 6) return std::log1p(-0.5 * std::erfc(z / std::numbers::sqrt2));
  if (z > -20) return std::log(0.5 * std::erfc(-z / std::numbers::sqrt2));
  // Mills' ratio: Φ(z) = φ(z)/|z| (1 − 1/z² + 3/z⁴ − 15/z⁶ + 105/z⁸ − ...);
  // at z <= -20 the terms below 1/z^10 are under 1e-14.
  const double r = 1 / (z * z);
  double series = 1, term = 1;
  for (int k = 1; k <= 6; ++k) {
    term *= -(2 * k - 1) * r;
    series += term;
  }
  return -0.5 * z * z - std::log(-z) - 0.5 * std::log(2 * std::numbers::pi) + std::log(series);
}

// log erfc(x) = log 2 + log Φ(−√2 x).
double log_erfc(double x) { return std::numbers::ln2 + log_ndtr(-x * std::numbers::sqrt2); }

// log |C(a, i)| and its sign, for real a and integer i >= 0.
double log_abs_binomial(double a, double i, int* sign) {
  int s1 = 1, s2 = 1, s3 = 1;
  const double v = lgamma_r(a + 1, &s1) - lgamma_r(i + 1, &s2) - lgamma_r(a - i + 1, &s3);
  *sign = s1 * s2 * s3;
  return v;
}

double log_a_integer(double q, double sigma, int64_t alpha) {
  double log_a = -kInf;
  const double a = static_cast<double>(alpha);
  for (int64_t k = 0; k <= alpha; ++k) {
    const double i = static_cast<double>(k);
    int sign = 1;
    const double log_coef = log_abs_binomial(a, i, &sign) + i * std::log(q) + (a - i) * std::log1p(-q);
    log_a = log_add(log_a, log_coef + (i * i - i) / (2 * sigma * sigma));
  }
  return log_a;
}

double log_a_fractional(double q, double sigma, double alpha) {
  double log_a0 = -kInf, log_a1 = -kInf;
  const double z0 = sigma * sigma * std::log(1 / q - 1) + 0.5;
  const double two_var = 2 * sigma * sigma, scale = std::numbers::sqrt2 * sigma;
  for (int64_t k = 0;; ++k) {
    const double i = static_cast<double>(k), j = alpha - i;
    int sign = 1;
    const double log_coef = log_abs_binomial(alpha, i, &sign);
    const double log_t0 = log_coef + i * std::log(q) + j * std::log1p(-q);
    const double log_t1 = log_coef + j * std::log(q) + i * std::log1p(-q);
    const double log_s0 = log_t0 + (i * i - i) / two_var + std::log(0.5) + log_erfc((i - z0) / scale);
    const double log_s1 = log_t1 + (j * j - j) / two_var + std::log(0.5) + log_erfc((z0 - j) / scale);
    if (sign > 0) {
      log_a0 = log_add(log_a0, log_s0);
      log_a1 = log_add(log_a1, log_s1);
    } else {
      log_a0 = log_sub(log_a0, log_s0);
      log_a1 = log_sub(log_a1, log_s1);
    }
    if (std::max(log_s0, log_s1) < -30) break;
    if (k > 100000)
      throw Error(fmt::format("RDP accountant: the series at order {} did not converge", alpha));
  }
  return log_add(log_a0, log_a1);
}

void check_arguments(double q, double sigma, int64_t steps, double delta) {
  if (!(q >= 0 && q <= 1)) throw ConfigError(fmt::format("sampling rate {}: expected a number in [0, 1]", q));
  if (!(sigma > 0) || !std::isfinite(sigma)) {
    throw ConfigError(fmt::format("noise multiplier {}: expected a finite number > 0", sigma));
  }
  if (steps < 0) throw ConfigError(fmt::format("steps {}: expected >= 0", steps));
  if (!(delta > 0 && delta < 1))
    throw ConfigError(fmt::format("delta {}: expected a number in (0, 1)", delta));
}

}  // namespace

std::vector<double> default_orders() {
  std::vector<double> orders;
  for (int x = 1; x < 100; ++x) orders.push_back(1 + x / 10.0);
  for (int a = 12; a < 64; ++a) orders.push_back(a);
  return orders;
}

double rdp_step(double q, double sigma, double alpha) {
  if (q == 0) return 0;
  if (sigma == 0) return kInf;
  if (q == 1) return alpha / (2 * sigma * sigma);
  if (std::isinf(alpha)) return kInf;
  const double log_a = alpha == std::floor(alpha) ? log_a_integer(q, sigma, static_cast<int64_t>(alpha))
                                                  : log_a_fractional(q, sigma, alpha);
  return log_a / (alpha - 1);
}

Epsilon epsilon_after(double q, double sigma, int64_t steps, double delta,
                      const std::vector<double>& orders) {
  check_arguments(q, sigma, steps, delta);
  Epsilon best{kInf, 0};
  for (const double alpha : orders) {
    if (!(alpha > 1)) throw ConfigError(fmt::format("RDP order {}: expected > 1", alpha));
    const double rdp = rdp_step(q, sigma, alpha) * static_cast<double>(steps);
    const double eps =
        rdp - (std::log(delta) + std::log(alpha)) / (alpha - 1) + std::log((alpha - 1) / alpha);
    if (!std::isnan(eps) && eps < best.epsilon) best = {eps, alpha};
  }
  return best;
}

double noise_for_epsilon(double target_epsilon, double q, int64_t steps, double delta,
                         const std::vector<double>& orders) {
  if (!(target_epsilon > 0) || !std::isfinite(target_epsilon)) {
    throw ConfigError(fmt::format("target epsilon {}: expected a finite number > 0", target_epsilon));
  }
  check_arguments(q, 1, steps, delta);
  constexpr double kMaxSigma = 1e4;
  double lo = 0, hi = 1;
  while (epsilon_after(q, hi, steps, delta, orders).epsilon > target_epsilon) {
    lo = hi;
    hi *= 2;
    if (hi > kMaxSigma) {
      throw ConfigError(
          fmt::format("target epsilon {}: not reached with a noise multiplier up to {} "
                      "(sampling rate {}, {} steps, delta {})",
                      target_epsilon, kMaxSigma, q, steps, delta));
    }
  }
  while (hi - lo > 1e-7 * hi) {
    const double mid = 0.5 * (lo + hi);
    (epsilon_after(q, mid, steps, delta, orders).epsilon > target_epsilon ? lo : hi) = mid;
  }
  return hi;
}

}  // namespace dpeval::privacy
