#include "dpeval/stats/two_sample.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <future>
#include <limits>
#include <optional>
#include <vector>

#include "dpeval/core/check.h"
#include "dpeval/stats/distributions.h"

namespace dpeval::stats {

double ks_statistic(std::span<const double> a, std::span<const double> b) {
  DPEVAL_CHECK(std::is_sorted(a.begin(), a.end()) && std::is_sorted(b.begin(), b.end()))
      << "ks_statistic: samples must be sorted ascending";
  if (a.empty() || b.empty()) return 0;
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  size_t i = 0, j = 0;
  double d = 0;
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    DPEVAL_CHECK(!std::isnan(x)) << "ks_statistic: NaN in a sample";
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
    d = std::max(d, std::fabs(static_cast<double>(i) / na - static_cast<double>(j) / nb));
  }
  // Past the end of one sample its CDF is 1; the other's only rises toward 1.
  return std::max(d, std::fabs(static_cast<double>(i) / na - static_cast<double>(j) / nb));
}

double wasserstein_distance(std::span<const double> a, std::span<const double> b) {
  DPEVAL_CHECK(!a.empty() && !b.empty()) << "wasserstein_distance: an empty sample";
  DPEVAL_CHECK(std::is_sorted(a.begin(), a.end()) && std::is_sorted(b.begin(), b.end()))
      << "wasserstein_distance: samples must be sorted ascending";
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  // Walk the merged values; between consecutive ones x < y both CDFs are
  // flat, at (values <= x) / n.
  size_t i = 0, j = 0;
  double sum = 0;
  double x = std::min(a[0], b[0]);
  while (i < a.size() || j < b.size()) {
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
    if (i == a.size() && j == b.size()) break;
    const double y = std::min(i < a.size() ? a[i] : b[j], j < b.size() ? b[j] : a[i]);
    sum += std::fabs(static_cast<double>(i) / na - static_cast<double>(j) / nb) * (y - x);
    x = y;
  }
  return sum;
}

namespace {

struct Walk {
  int64_t max_diff = 0;
  double weighted = 0;
  bool in_order = true;  // see Note [Sortedness on the way]
};

// One walk over the merged distinct values of a[i..] and b[j..] below `stop`:
// the largest |i n_b - j n_a| once every copy of a value is counted, and the
// sum of it times the gap to the next merged value of the whole samples. One
// step per copy, with no branch on which sample holds the smaller value (the
// choice is arithmetic): a merge's mispredicted branches cost more than its
// work.
class Walker {
 public:
  Walker(std::span<const double> a, std::span<const double> b, size_t i, size_t j, double stop)
      : a_(a),
        b_(b),
        na_(static_cast<int64_t>(a.size())),
        nb_(static_cast<int64_t>(b.size())),
        i_(i),
        j_(j),
        stop_(stop) {
    va_ = at(a_, i_);
    vb_ = at(b_, j_);
    x_ = std::min(va_, vb_);
    first_ = x_;
  }
  bool active() const { return x_ < stop_; }
  void step() {
    i_ += va_ == x_;
    j_ += vb_ == x_;
    va_ = at(a_, i_);
    vb_ = at(b_, j_);
    const double next = std::min(va_, vb_);
    descended_ |= next < x_;
    if (next != x_) {  // every copy of x is counted
      const int64_t diff = std::abs(static_cast<int64_t>(i_) * nb_ - static_cast<int64_t>(j_) * na_);
      walk_.max_diff = std::max(walk_.max_diff, diff);
      if (next != kPast) walk_.weighted += static_cast<double>(diff) * (next - x_);
    }
    x_ = next;
  }
  const Walk& result() const { return walk_; }
  // Note [Sortedness on the way]: no step went down, the walk began at or
  // above `low` and ended where the next piece begins.
  bool in_order(double low, size_t next_i, size_t next_j) const {
    return !descended_ && !(first_ < low) && i_ == next_i && j_ == next_j;
  }

 private:
  static constexpr double kPast = std::numeric_limits<double>::infinity();  // past the end of a sample
  static double at(std::span<const double> s, size_t k) { return k < s.size() ? s[k] : kPast; }

  std::span<const double> a_, b_;
  int64_t na_, nb_;
  size_t i_, j_;
  double stop_, va_ = 0, vb_ = 0, x_ = 0, first_ = 0;
  bool descended_ = false;
  Walk walk_;
};

// Note [Interleaved walks]
// A walk is one chain of dependent steps (the next index needs the compare of
// the last load), so a core runs it at the chain's latency, a few ns a step,
// with most of its units idle. The merged range is therefore cut at values of
// `a` into kChains pieces (every copy of a value falls in one piece) and the
// pieces' walks are stepped in turn in one loop: independent chains the core
// overlaps. Their maxima are combined and their sums added in piece order, so
// the result depends on the data and the number of pieces alone.
constexpr int kChains = 4;

// Note [Sortedness on the way]
// The samples' order is checked by the walks, not by a read of its own
// before them (which cost as much as a sixth of the whole). Each step
// consumes every head equal to x, so a value below the one just consumed
// would be the next x: a step that goes down means a sample is out of order.
// A piece's walk must also begin at or above its cut and end exactly where
// the next piece begins (for the last, past both samples); then every value
// of both samples was visited once, in ascending order across all pieces.

// Walks the merged values from cuts[0] up to cuts[kChains] in kChains pieces.
Walk walk_pieces(std::span<const double> a, std::span<const double> b, std::span<const double> cuts) {
  // cuts: kChains + 1 values, ascending; piece k is [cuts[k], cuts[k + 1]).
  auto start = [&](double v, std::span<const double> s) {
    return static_cast<size_t>(std::lower_bound(s.begin(), s.end(), v) - s.begin());
  };
  std::array<size_t, kChains + 1> ia, jb;
  for (int k = 0; k <= kChains; ++k) {
    ia[k] = start(cuts[k], a);
    jb[k] = start(cuts[k], b);
  }
  std::array<std::optional<Walker>, kChains> w;
  for (int k = 0; k < kChains; ++k) w[k].emplace(a, b, ia[k], jb[k], cuts[k + 1]);
  while (w[0]->active() && w[1]->active() && w[2]->active() && w[3]->active()) {
    w[0]->step();
    w[1]->step();
    w[2]->step();
    w[3]->step();
  }
  Walk total;
  for (int k = 0; k < kChains; ++k) {
    Walker& walker = *w[k];
    while (walker.active()) walker.step();
    total.max_diff = std::max(total.max_diff, walker.result().max_diff);
    total.weighted += walker.result().weighted;
    total.in_order = total.in_order && walker.in_order(cuts[k], ia[k + 1], jb[k + 1]);
  }
  return total;
}

}  // namespace

KsWasserstein ks_and_wasserstein(std::span<const double> a, std::span<const double> b, bool halves) {
  DPEVAL_CHECK(!a.empty() && !b.empty()) << "ks_and_wasserstein: an empty sample";
  DPEVAL_CHECK(std::isfinite(a.front()) && std::isfinite(a.back()) && std::isfinite(b.front()) &&
               std::isfinite(b.back()))
      << "ks_and_wasserstein: a value that is not finite";
  // Cut points: quantiles of `a`, kChains pieces per thread (see Note [Interleaved walks]).
  const int threads = halves ? 2 : 1;
  const int pieces = threads * kChains;
  std::vector<double> cuts(static_cast<size_t>(pieces) + 1);
  cuts[0] = -std::numeric_limits<double>::infinity();
  for (int k = 1; k < pieces; ++k)
    cuts[k] = a[a.size() * static_cast<size_t>(k) / static_cast<size_t>(pieces)];
  cuts[pieces] = std::numeric_limits<double>::infinity();
  const std::span<const double> all(cuts);
  Walk low, high;
  if (halves) {
    std::future<Walk> upper =
        std::async(std::launch::async, [&] { return walk_pieces(a, b, all.subspan(kChains)); });
    low = walk_pieces(a, b, all.first(kChains + 1));
    high = upper.get();
  } else {
    low = walk_pieces(a, b, all);
  }
  DPEVAL_CHECK(low.in_order && high.in_order) << "ks_and_wasserstein: samples must be sorted ascending";
  const double nn = static_cast<double>(a.size()) * static_cast<double>(b.size());
  return {static_cast<double>(std::max(low.max_diff, high.max_diff)) / nn,
          (low.weighted + high.weighted) / nn};
}

ZTest two_proportion_z(double k_a, double n_a, double k_b, double n_b) {
  DPEVAL_CHECK(n_a >= 1 && n_b >= 1 && k_a >= 0 && k_b >= 0 && k_a <= n_a && k_b <= n_b)
      << "two_proportion_z: " << k_a << "/" << n_a << ", " << k_b << "/" << n_b;
  ZTest r;
  const double pooled = (k_a + k_b) / (n_a + n_b);
  if (pooled <= 0 || pooled >= 1) return r;
  const double se = std::sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b));
  r.z = (k_a / n_a - k_b / n_b) / se;
  r.p_value = std::min(1.0, 2 * normal_sf(std::fabs(r.z)));
  return r;
}

ChiSquared chi2_homogeneity(std::span<const double> a, std::span<const double> b) {
  DPEVAL_CHECK(a.size() == b.size()) << "chi2_homogeneity: " << a.size() << " and " << b.size()
                                     << " categories";
  double na = 0, nb = 0;
  size_t kept = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    DPEVAL_CHECK(std::isfinite(a[i]) && std::isfinite(b[i]) && a[i] >= 0 && b[i] >= 0)
        << "chi2_homogeneity: counts must be finite and >= 0";
    na += a[i];
    nb += b[i];
    kept += a[i] + b[i] > 0;
  }
  ChiSquared r;
  if (kept < 2 || na == 0 || nb == 0) return r;
  const double n = na + nb;
  for (size_t i = 0; i < a.size(); ++i) {
    const double total = a[i] + b[i];
    if (total == 0) continue;
    const double ea = total * na / n, eb = total * nb / n;
    r.statistic += (a[i] - ea) * (a[i] - ea) / ea + (b[i] - eb) * (b[i] - eb) / eb;
  }
  r.dof = static_cast<double>(kept - 1);
  r.p_value = chi2_sf(r.statistic, r.dof);
  return r;
}

}  // namespace dpeval::stats
