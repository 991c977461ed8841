// Multiple-testing control for many slice comparisons at once: the
// Benjamini-Hochberg step-up procedure, controlling the false discovery rate
// (the expected share of false flags among the flagged slices) at level q for
// independent or positively dependent tests.
#pragma once

#include <span>
#include <vector>

namespace dpeval::stats {

// Benjamini & Hochberg (1995). With the m p-values sorted ascending,
// p_(1) <= ... <= p_(m), let k = max{i : p_(i) <= i q / m}; the tests with
// p <= p_(k) are rejected (none when no such i). Returns rejected[i] for
// p_values[i], in the input order. Ties are rejected together.
// Preconditions: every p in [0, 1], 0 < q < 1 (ConfigError otherwise). m = 0
// gives an empty vector. O(m log m).
std::vector<bool> benjamini_hochberg(std::span<const double> p_values, double q);

// BH-adjusted p-values (as R's p.adjust(method = "BH")):
// adjusted_(i) = min_{j >= i} min(1, m p_(j) / j), in the input order. A test is
// rejected at level q iff its adjusted p-value <= q.
std::vector<double> benjamini_hochberg_adjusted(std::span<const double> p_values);

}  // namespace dpeval::stats
