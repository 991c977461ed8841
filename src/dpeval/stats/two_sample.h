// Two-sample statistics: how far apart two samples of one column are.
// Definitions equal scipy 1.10's (tests/stats); docs/DRIFT.md will state each
// with its edge cases as `dpeval drift` grows on them.
#pragma once

#include <cstddef>
#include <span>

namespace dpeval::stats {

// The two-sample Kolmogorov-Smirnov statistic D = sup_x |F_a(x) - F_b(x)| of
// two ascending samples (the empirical CDFs step past every copy of a tied
// value at once), scipy.stats.ks_2samp(a, b).statistic. 0 when either sample
// is empty. Precondition: both sorted ascending, no NaN (DPEVAL_CHECK).
double ks_statistic(std::span<const double> a_sorted, std::span<const double> b_sorted);

// The first Wasserstein distance between the empirical distributions of two
// ascending samples, integral |F_a - F_b| dx: scipy.stats.wasserstein_distance
// (unweighted). Precondition: both sorted ascending and non-empty, no NaN.
double wasserstein_distance(std::span<const double> a_sorted, std::span<const double> b_sorted);

struct ZTest {
  double z = 0;        // (k_a/n_a - k_b/n_b) / pooled standard error
  double p_value = 1;  // two-sided: 2 normal_sf(|z|)
};

// The pooled two-proportion z-test of k_a successes in n_a against k_b in n_b,
// two-sided. When the pooled share is 0 or 1 (both samples all one value)
// the proportions are equal: z 0, p 1. Precondition: 0 <= k <= n, n >= 1.
ZTest two_proportion_z(double k_a, double n_a, double k_b, double n_b);

struct ChiSquared {
  double statistic = 0;  // Pearson's X^2
  double dof = 0;        // categories kept - 1
  double p_value = 1;    // chi2_sf(statistic, dof); 1 when dof is 0
};

// Pearson's chi-squared test of homogeneity of two rows of counts over the
// same categories: scipy.stats.chi2_contingency([a, b], correction=False).
// A category counted in only one row is fine; one counted in neither is left
// out (scipy refuses it: its expected count is 0). statistic 0, dof 0 and
// p 1 when fewer than two categories remain or a row is all zero (there is
// nothing to compare). Precondition: equal lengths, counts finite and >= 0.
ChiSquared chi2_homogeneity(std::span<const double> a, std::span<const double> b);

}  // namespace dpeval::stats
