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
