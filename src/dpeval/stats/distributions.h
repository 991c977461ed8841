// Tails of the distributions dpeval's tests use, in double precision, equal to
// scipy 1.10's to 1e-9 relative (tests/stats, fixtures from
// tests/stats/make_scipy_fixtures.py). One home for them: the audit's shift
// check and, next, `dpeval drift` and the fairness tests call these instead of
// series of their own.
#pragma once

#include <cstdint>

namespace dpeval::stats {

// P(X > x) for X chi-squared with df > 0 degrees of freedom: the regularized
// upper incomplete gamma Q(df/2, x/2) (Boost.Math), scipy.stats.chi2.sf.
// 1 for x <= 0. Throws ConfigError for df <= 0 or a NaN argument.
double chi2_sf(double x, double df);

// P(Z > z) for a standard normal Z: erfc(z / sqrt 2) / 2, scipy.stats.norm.sf.
double normal_sf(double z);

// The exact binomial test of k successes in n trials at p = 1/2 (McNemar's
// exact test on k of n discordant pairs): P(X >= k), and scipy 1.10's
// binomtest(k, n, 0.5).pvalue (two-sided: 2 min(P(X <= k), P(X >= k)),
// at most 1; the distribution is symmetric). 1 when n = 0. Requires k <= n.
double binomial_half_sf_at_least(uint64_t k, uint64_t n);
double binomial_half_two_sided(uint64_t k, uint64_t n);

// One-sided exact binomial tails for k successes in n trials at success
// probability p in [0, 1]: P(X <= k) and P(X >= k), scipy 1.10's
// binom.cdf(k, n, p) and binom.sf(k - 1, n, p) (binomtest's 'less' and
// 'greater' p-values). 1 when n = 0. Requires k <= n; ConfigError for p
// outside [0, 1] or NaN.
double binomial_cdf_at_most(uint64_t k, uint64_t n, double p);
double binomial_sf_at_least(uint64_t k, uint64_t n, double p);

// P(K > x) for Kolmogorov's limiting distribution K (the limit of sqrt(n) D_n),
// scipy.stats.kstwobign.sf. 1 for x <= 0. See Note [Kolmogorov series].
double kolmogorov_sf(double x);

// P(D_n > d) for D_n = sup_x |F_n(x) - F(x)|, the one-sample two-sided
// Kolmogorov-Smirnov statistic of n draws from a continuous F, at finite n:
// scipy.stats.kstwo.sf(d, n) of scipy 1.10, region by region by the same
// method (Note [kstwo regions] in kstwo.cc), to 1e-9 relative (1e-12
// absolute below 1e-12; tested for n from 1 to past 10^6). Like scipy's,
// the value for n d^2 >= 2.2 (n > 140; > 4 for n <= 140) is twice the
// one-sided tail, which overstates the exact tail by a relative 2e-6 or
// less, and 0 for n d^2 >= 370 (n > 140). Edge cases, as scipy: 1 for
// d <= 1/(2n) (D_n is never smaller), 0 for d >= 1, NaN for a NaN d or
// n = 0. Cost: microseconds (under 20 near n = 500000), except for
// 140 < n <= 100000 with n d^1.5 <= 1.4, where Durbin's matrix of side
// 2 ceil(n d) - 1 <= 117 is raised to the n-th power: up to a few
// milliseconds near n = 100000 (where the tail is 1 to double precision).
// Thread-safe.
double kstwo_sf(double d, uint64_t n);

}  // namespace dpeval::stats
