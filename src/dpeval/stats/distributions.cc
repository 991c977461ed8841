#include "dpeval/stats/distributions.h"

#include <algorithm>
#include <boost/math/distributions/binomial.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <cmath>
#include <numbers>
#include <string>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"

namespace dpeval::stats {

double chi2_sf(double x, double df) {
  if (!(df > 0) || std::isnan(x)) {
    throw ConfigError("chi2_sf: expected df > 0 and a number, got df " + std::to_string(df) + ", x " +
                      std::to_string(x));
  }
  if (x <= 0) return 1;
  if (std::isinf(x)) return 0;
  return boost::math::gamma_q(df / 2, x / 2);
}

double normal_sf(double z) { return 0.5 * std::erfc(z / std::numbers::sqrt2); }

// Note [Kolmogorov series]
// P(K <= x) has two series (Kolmogorov 1933; the second by Jacobi's theta
// transformation):
//   P(K > x)  = 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2)
//   P(K <= x) = sqrt(2 pi) / x sum_{k>=1} exp(-(2k-1)^2 pi^2 / (8 x^2))
// The first converges fast for large x and is the tail itself (no
// cancellation); the second converges fast for small x, where the tail is
// close to 1 and 1 - cdf loses nothing that matters. They meet at x = 1,
// where each needs a handful of terms for full double precision.
double kolmogorov_sf(double x) {
  if (std::isnan(x)) return x;
  if (x <= 0) return 1;
  if (x < 1) {
    const double a = std::numbers::pi * std::numbers::pi / (8 * x * x);
    double cdf = 0;
    for (int k = 1; k <= 40; ++k) {
      const double odd = 2.0 * k - 1;
      const double term = std::exp(-odd * odd * a);
      cdf += term;
      if (term < 1e-17 * cdf) break;
    }
    cdf *= std::sqrt(2 * std::numbers::pi) / x;
    return 1 - cdf;
  }
  double sum = 0, sign = 1;
  for (int k = 1; k <= 100; ++k) {
    const double term = std::exp(-2.0 * k * k * x * x);
    sum += sign * term;
    if (term < 1e-17 * sum) break;
    sign = -sign;
  }
  return 2 * sum;
}

namespace {

void check_binomial(uint64_t k, uint64_t n, double p) {
  DPEVAL_CHECK(k <= n) << "binomial test: k " << k << " > n " << n;
  if (!(p >= 0 && p <= 1)) {
    throw ConfigError("binomial test: expected a success probability in [0, 1], got " + std::to_string(p));
  }
}

}  // namespace

double binomial_cdf_at_most(uint64_t k, uint64_t n, double p) {
  check_binomial(k, n, p);
  if (k == n) return 1;
  if (p == 0) return 1;
  if (p == 1) return 0;  // k < n: X = n surely
  const boost::math::binomial_distribution<double> b(static_cast<double>(n), p);
  return boost::math::cdf(b, static_cast<double>(k));
}

double binomial_sf_at_least(uint64_t k, uint64_t n, double p) {
  check_binomial(k, n, p);
  if (k == 0) return 1;
  if (p == 1) return 1;
  if (p == 0) return 0;  // k > 0: X = 0 surely
  const boost::math::binomial_distribution<double> b(static_cast<double>(n), p);
  return boost::math::cdf(boost::math::complement(b, static_cast<double>(k - 1)));  // P(X > k - 1)
}

double binomial_half_sf_at_least(uint64_t k, uint64_t n) { return binomial_sf_at_least(k, n, 0.5); }

double binomial_half_two_sided(uint64_t k, uint64_t n) {
  DPEVAL_CHECK(k <= n) << "binomial test: k " << k << " > n " << n;
  if (n == 0) return 1;
  const double tail = std::min(binomial_half_sf_at_least(k, n), binomial_half_sf_at_least(n - k, n));
  return std::min(1.0, 2 * tail);
}

}  // namespace dpeval::stats
