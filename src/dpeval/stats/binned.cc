#include "dpeval/stats/binned.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "dpeval/core/check.h"

namespace dpeval::stats {

double quantile_linear(std::span<const double> sorted, double q) {
  DPEVAL_CHECK(!sorted.empty() && q >= 0 && q <= 1)
      << "quantile_linear: " << sorted.size() << " values, q " << q;
  const double virtual_index = q * static_cast<double>(sorted.size() - 1);
  const double floor_index = std::floor(virtual_index);
  const size_t lo = static_cast<size_t>(floor_index);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double t = virtual_index - floor_index;
  const double a = sorted[lo], b = sorted[hi], diff = b - a;
  // numpy's _lerp: from the nearer end, so that t = 1 gives b exactly.
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

std::vector<double> decile_edges(std::span<const double> ref_sorted) {
  std::vector<double> edges;
  for (size_t i = 1; i < kDecileBins; ++i) {
    edges.push_back(quantile_linear(ref_sorted, static_cast<double>(i) / static_cast<double>(kDecileBins)));
  }
  return edges;
}

std::vector<double> bin_counts(std::span<const double> values, std::span<const double> edges) {
  std::vector<double> counts(edges.size() + 1, 0.0);
  for (const double x : values) {
    // Right-closed: x = e_k belongs to bin k, the first edge >= x.
    const size_t k = static_cast<size_t>(std::lower_bound(edges.begin(), edges.end(), x) - edges.begin());
    counts[k] += 1;
  }
  return counts;
}

std::vector<double> sorted_bin_counts(std::span<const double> sorted, std::span<const double> edges) {
  std::vector<double> counts(edges.size() + 1, 0.0);
  size_t below = 0;  // values in the bins before k
  for (size_t k = 0; k < edges.size(); ++k) {
    // Right-closed: bin k ends with the last value <= e_k.
    const size_t upto = static_cast<size_t>(std::upper_bound(sorted.begin(), sorted.end(), edges[k]) - sorted.begin());
    counts[k] = static_cast<double>(upto - std::min(upto, below));
    below = std::max(below, upto);
  }
  counts.back() = static_cast<double>(sorted.size() - below);
  return counts;
}

std::vector<double> floored_shares(std::span<const double> counts) {
  double total = 0;
  for (const double c : counts) total += c;
  std::vector<double> shares(counts.size(), kShareFloor);
  if (total <= 0) return shares;
  for (size_t i = 0; i < counts.size(); ++i) shares[i] = std::max(counts[i] / total, kShareFloor);
  return shares;
}

namespace {

// x ln(x / y), with 0 ln(0 / y) = 0 (scipy.special.rel_entr).
double rel_entr(double x, double y) {
  if (x == 0 && y >= 0) return 0;
  if (x > 0 && y > 0) return x * std::log(x / y);
  return std::numeric_limits<double>::infinity();
}

void check_same_bins(std::span<const double> ref, std::span<const double> cur) {
  DPEVAL_CHECK(ref.size() == cur.size()) << ref.size() << " and " << cur.size() << " bins";
}

}  // namespace

double psi(std::span<const double> ref, std::span<const double> cur) {
  check_same_bins(ref, cur);
  double sum = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    if (ref[i] == cur[i]) continue;
    sum += (cur[i] - ref[i]) * std::log(cur[i] / ref[i]);
  }
  return sum;
}

double js_distance(std::span<const double> ref, std::span<const double> cur) {
  check_same_bins(ref, cur);
  double sr = 0, sc = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    sr += ref[i];
    sc += cur[i];
  }
  if (sr <= 0 || sc <= 0) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double p = ref[i] / sr, q = cur[i] / sc, m = (p + q) / 2;
    sum += rel_entr(p, m) + rel_entr(q, m);
  }
  return std::sqrt(sum / 2 / std::numbers::ln2);
}

double kl_divergence(std::span<const double> ref, std::span<const double> cur) {
  check_same_bins(ref, cur);
  double sum = 0;
  for (size_t i = 0; i < ref.size(); ++i) sum += rel_entr(cur[i], ref[i]);
  return sum;
}

}  // namespace dpeval::stats
