// Two-sample statistics: how far apart two samples of one column are.
// Definitions equal scipy 1.10's (tests/stats); docs/DRIFT.md will state each
// with its edge cases as `dpeval drift` grows on them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace dpeval::stats {

// The two-sample Kolmogorov-Smirnov statistic D = sup_x |F_a(x) - F_b(x)| of
// two ascending samples (the empirical CDFs step past every copy of a tied
// value at once), scipy.stats.ks_2samp(a, b).statistic. 0 when either sample
// is empty. Precondition: both sorted ascending, no NaN (DPEVAL_CHECK).
double ks_statistic(std::span<const double> a_sorted, std::span<const double> b_sorted);

// The same statistic of two samples in any order, without sorting them (Note
// [KS without sorting] in two_sample_unsorted.cc): as ks_and_wasserstein
// computes it, |i n - j m| / (m n) with one rounding, so equal to
// ks_statistic of the sorted samples to a few ulps. Reads each sample twice
// and copies out only the values near where the CDFs could be furthest apart;
// with `concurrent`, a and b are read on two threads (the result is the same).
// 0 when either sample is empty. Preconditions: no NaN, fewer than 2^31
// values each (DPEVAL_CHECK). Thread-safe; the samples are not changed; the
// calling thread keeps 512 KB of counts for its next call.
double ks_statistic_unsorted(std::span<const double> a, std::span<const double> b, bool concurrent);

// The two-sided p-value of the two-sample KS test of samples of sizes m and
// n with statistic d (ks_statistic), by the one-sample exact distribution at
// the effective size: kstwo_sf(d, round(m n / (m + n))), rounding half to
// even. It equals scipy 1.10's ks_2samp(a, b, method='asymp').pvalue, the
// method scipy's default 'auto' takes when max(m, n) > 10000. Symmetric in
// m and n. Edge case, as scipy: NaN for m = n = 1 (the effective size
// rounds to 0). Precondition: m, n >= 1 and 0 <= d <= 1 (DPEVAL_CHECK).
// Microseconds (see kstwo_sf for the slow corner). Thread-safe.
double ks_2samp_pvalue_asymp(double d, uint64_t m, uint64_t n);

// The same p-value computed exactly, P(D >= d) under the null hypothesis
// with no ties, by counting lattice paths (Note [KS lattice paths] in
// ks_2samp.cc): scipy 1.10's ks_2samp(a, b, method='exact').pvalue, which
// its default 'auto' takes when max(m, n) <= 10000. d is first rounded to
// the lattice, h / lcm(m, n) with h = round(d lcm); h = 0 (d = 0) gives 1.
// Where scipy gives up on exact (and warns) this returns what scipy then
// returns, ks_2samp_pvalue_asymp at the rounded d: when lcm(m, n) reaches
// 2^31 - 1, and when rounding pushes the computed probability past 1, which
// happens for m = n at d = 1/n (P is exactly 1; n = 5, 7, 13, 14, 15, ...,
// about a third of all n: scipy's p-value there is the asymptotic one,
// e.g. 0.99996 at n = 7). Symmetric in m and n. Precondition: m, n >= 1 and
// 0 <= d <= 1 (DPEVAL_CHECK). Cost: O(n) for m = n (under a millisecond at
// n = 10000); otherwise O(m h / (m/g)), at most O(m n), as scipy's: at
// m = 10000, n = 9999 about 10 ms for d = 0.01 and 0.6 s for d = 1.
// Thread-safe.
double ks_2samp_pvalue_exact(double d, uint64_t m, uint64_t n);

// The first Wasserstein distance between the empirical distributions of two
// ascending samples, integral |F_a - F_b| dx: scipy.stats.wasserstein_distance
// (unweighted). Precondition: both sorted ascending and non-empty, no NaN.
double wasserstein_distance(std::span<const double> a_sorted, std::span<const double> b_sorted);

// Both of the above in one walk over the merged samples, as `dpeval drift`
// wants them: the KS statistic from integer counts (|i n_b - j n_a| / (n_a n_b),
// one rounding instead of three) and the Wasserstein distance as the sum of
// |i n_b - j n_a| (y - x) / (n_a n_b). Equal to ks_statistic and
// wasserstein_distance to a few ulps (tests/stats). With `halves`, the merged
// range is cut at the median of `a` and the two halves walked on two threads,
// their sums added in order: the result depends on the data and `halves`
// alone, never on timing.
// Preconditions: both sorted, non-empty and finite (DPEVAL_CHECK).
struct KsWasserstein {
  double ks = 0;
  double wasserstein = 0;
};
KsWasserstein ks_and_wasserstein(std::span<const double> a_sorted, std::span<const double> b_sorted,
                                 bool halves);

// Both of them of two samples in any order, without sorting them (Notes [KS
// without sorting] and [Wasserstein without sorting] in
// two_sample_unsorted.cc): KS exactly as ks_statistic_unsorted, Wasserstein
// equal to wasserstein_distance of the sorted samples to 1e-12 relative (the
// same areas summed in another order). With `concurrent`, a and b are read
// on two threads (the result is the same). Samples holding values beyond
// float's range (|x| > 3.4e38) are sorted and walked instead. Preconditions:
// both non-empty, finite, fewer than 2^31 values each (DPEVAL_CHECK).
// Thread-safe; the samples are not changed; the calling thread keeps 1.5 MB
// of counts and sums for its next call.
KsWasserstein ks_and_wasserstein_unsorted(std::span<const double> a, std::span<const double> b,
                                          bool concurrent);

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
