// Binned comparisons of a reference and a current sample: the reference's
// decile edges, each sample's share per bin, and the divergences between the
// shares (PSI, Jensen-Shannon distance, KL divergence). The definitions are
// issue 17's contract, equal to numpy 1.24 / scipy 1.10 (tests/stats):
//   edges     numpy.quantile(ref, i / 10), method 'linear', i = 1..9 (inner
//             edges; the outer ones are -inf and +inf);
//   bins      right-closed: bin k holds (e_{k-1}, e_k];
//   shares    count / n, then floored at kShareFloor and not renormalised
//             (floored_shares); categorical columns use raw shares;
//   psi       sum (cur - ref) ln(cur / ref);
//   js        scipy.spatial.distance.jensenshannon(ref, cur, base=2): both
//             normalised to sum 1, then sqrt of the mean KL to their midpoint
//             in bits; 0-shares add nothing;
//   kl        sum cur ln(cur / ref).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace dpeval::stats {

inline constexpr size_t kDecileBins = 10;
inline constexpr double kShareFloor = 1e-4;

// numpy.quantile(sorted, q) with the default 'linear' method, bit for bit
// (numpy's two-sided lerp). Precondition: sorted ascending, non-empty, q in [0, 1].
double quantile_linear(std::span<const double> sorted, double q);

// The 9 inner decile edges of an ascending, non-empty reference sample.
std::vector<double> decile_edges(std::span<const double> ref_sorted);

// Counts of `values` (any order, no NaN) in the right-closed bins of the
// ascending inner `edges`: edges.size() + 1 counts.
std::vector<double> bin_counts(std::span<const double> values, std::span<const double> edges);

// bin_counts of an ascending sample, in O(bins log n). Equal to bin_counts.
std::vector<double> sorted_bin_counts(std::span<const double> sorted, std::span<const double> edges);

// counts / total, each floored at kShareFloor (not renormalised).
std::vector<double> floored_shares(std::span<const double> counts);

// The divergences of `cur` from `ref` over the same bins (shares or counts:
// js normalises; psi and kl take them as given). psi and kl need every ref
// share > 0 where cur > 0 (the floor sees to it), else they are +inf.
double psi(std::span<const double> ref, std::span<const double> cur);
double js_distance(std::span<const double> ref, std::span<const double> cur);
double kl_divergence(std::span<const double> ref, std::span<const double> cur);

}  // namespace dpeval::stats
