// Tails of the distributions dpeval's tests use, in double precision, equal to
// scipy 1.10's to 1e-9 relative (tests/stats, fixtures from
// tests/stats/make_scipy_fixtures.py). One home for them: the audit's shift
// check and, next, `dpeval drift` and the fairness tests call these instead of
// series of their own.
#pragma once

namespace dpeval::stats {

// P(X > x) for X chi-squared with df > 0 degrees of freedom: the regularized
// upper incomplete gamma Q(df/2, x/2) (Boost.Math), scipy.stats.chi2.sf.
// 1 for x <= 0. Throws ConfigError for df <= 0 or a NaN argument.
double chi2_sf(double x, double df);

// P(Z > z) for a standard normal Z: erfc(z / sqrt 2) / 2, scipy.stats.norm.sf.
double normal_sf(double z);

// P(K > x) for Kolmogorov's limiting distribution K (the limit of sqrt(n) D_n),
// scipy.stats.kstwobign.sf. 1 for x <= 0. See Note [Kolmogorov series].
double kolmogorov_sf(double x);

}  // namespace dpeval::stats
