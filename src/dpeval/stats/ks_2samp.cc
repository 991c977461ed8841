// The two-sided p-values of the two-sample Kolmogorov-Smirnov test, as
// scipy 1.10's ks_2samp computes them: method 'asymp' (the one-sample exact
// distribution at an effective sample size) and method 'exact' (counting
// lattice paths, Note [KS lattice paths]).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "dpeval/core/check.h"
#include "dpeval/stats/distributions.h"
#include "dpeval/stats/two_sample.h"

namespace dpeval::stats {
namespace {

// Note [KS lattice paths]
// Under the null hypothesis (and without ties) the order in which the m + n
// pooled values come from the two samples is uniform over the C(m+n, n)
// monotone lattice paths from (0, 0) to (m, n): a step right for a value of
// the larger sample, up for one of the smaller. At (x, y) the empirical CDFs
// differ by |x/m - y/n| = |x ng - y mg| / lcm with mg = m/g, ng = n/g,
// g = gcd(m, n), lcm = mg n. So for the integer h = round(d lcm),
//   P(D >= d) = the share of paths that reach |x ng - y mg| >= h somewhere.
// Equal sizes have a closed form by reflection (Gnedenko and Korolyuk):
//   P = 2 sum_{k>=1} (-1)^(k-1) C(2n, n - k h) / C(2n, n),
// summed as 2 A_1 (1 - A_2 (1 - A_3 (...))) with A_k = C(2n, n-kh) / C(2n,
// n-(k-1)h) a product of h ratios, so no binomial is ever formed and no
// terms cancel. Unequal sizes walk the lattice column by column (Hodges
// 1958), keeping for each y inside the band the share of paths to (x, y)
// that have already left it; the share is a weighted mean of its two
// predecessors (Viehmann 2021), so every value stays in [0, 1] and the
// walk costs O(m * band width), at most m n, with no overflow at any size.

// P(D_{n,n} >= h/n), 1 <= h <= n.
double outside_square(uint64_t n, uint64_t h) {
  double p = 0;
  for (int64_t k = static_cast<int64_t>(n / h); k >= 0; --k) {
    double a = 1;  // A_{k+1} = C(2n, n - (k+1)h) / C(2n, n - kh)
    const int64_t kh = k * static_cast<int64_t>(h), nn = static_cast<int64_t>(n);
    for (int64_t j = 0; j < static_cast<int64_t>(h); ++j)
      a = static_cast<double>(nn - kh - j) * a / static_cast<double>(nn + kh + j + 1);
    p = a * (1.0 - p);
  }
  return 2 * p;
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }

// The share of lattice paths from (0, 0) to (m, n) that reach
// |x n/g - y m/g| >= h, for m != n (either order), 1 <= h <= lcm.
double outside_band(uint64_t m_in, uint64_t n_in, uint64_t g, uint64_t h_in) {
  const int64_t m = static_cast<int64_t>(std::max(m_in, n_in)),
                n = static_cast<int64_t>(std::min(m_in, n_in));
  const int64_t mg = m / static_cast<int64_t>(g), ng = n / static_cast<int64_t>(g);
  const int64_t h = static_cast<int64_t>(h_in);
  // share[y - lo] for y in the column's window [lo, hi) of points inside the
  // band; entries past the window hold 1 (every path there has left it).
  int64_t lo = 0, hi = std::min(ceil_div(h, mg), n + 1);
  int64_t len = hi - lo;
  std::vector<double> share(static_cast<size_t>(std::min(2 * hi + 2, n + 1)), 1.0);
  std::fill(share.begin(), share.begin() + hi, 0.0);
  const int64_t size = static_cast<int64_t>(share.size());
  for (int64_t x = 1; x <= m; ++x) {
    const int64_t last_lo = lo, last_len = len;
    lo = std::min(std::max(floor_div(ng * x - h, mg) + 1, int64_t{0}), n);
    hi = std::min(ceil_div(ng * x + h, mg), n + 1);
    if (hi <= lo) return 1;  // the band is closed: every path leaves it
    DPEVAL_CHECK(hi - 1 - last_lo < size) << "ks_2samp exact: window past its buffer at x " << x;
    // The share at (x, y) averages (x-1, y) and (x, y-1) by their path counts
    // x : y; below the window (y < lo) the share is 1, at y = -1 it is 0.
    double below = lo == 0 ? 0.0 : 1.0;
    for (int64_t y = lo; y < hi; ++y) {
      below = (share[y - last_lo] * static_cast<double>(x) + below * static_cast<double>(y)) /
              static_cast<double>(x + y);
      share[y - lo] = below;
    }
    len = hi - lo;
    if (last_len > len) std::fill(share.begin() + len, share.begin() + std::min(last_len, size), 1.0);
  }
  return share[hi - lo - 1];
}

}  // namespace

double ks_2samp_pvalue_asymp(double d, uint64_t m, uint64_t n) {
  DPEVAL_CHECK(m >= 1 && n >= 1 && d >= 0 && d <= 1)
      << "ks_2samp_pvalue_asymp: d " << d << ", m " << m << ", n " << n;
  const double big = static_cast<double>(std::max(m, n)), small = static_cast<double>(std::min(m, n));
  const double effective_n = std::nearbyint(big * small / (big + small));  // half to even, as numpy
  // m = n = 1 rounds to 0, which kstwo_sf answers with NaN, as scipy does.
  return std::clamp(kstwo_sf(d, static_cast<uint64_t>(effective_n)), 0.0, 1.0);
}

double ks_2samp_pvalue_exact(double d, uint64_t m, uint64_t n) {
  DPEVAL_CHECK(m >= 1 && n >= 1 && d >= 0 && d <= 1)
      << "ks_2samp_pvalue_exact: d " << d << ", m " << m << ", n " << n;
  const uint64_t g = std::gcd(m, n), mg = m / g, ng = n / g;
  // scipy gives up on exact when the lcm passes int32 (and warns).
  if (static_cast<double>(mg) >= 2147483647.0 / static_cast<double>(ng))
    return ks_2samp_pvalue_asymp(d, m, n);
  const uint64_t lcm = mg * n;
  const double h = std::nearbyint(d * static_cast<double>(lcm));
  if (h == 0) return 1;
  const double p =
      m == n ? outside_square(m, static_cast<uint64_t>(h)) : outside_band(m, n, g, static_cast<uint64_t>(h));
  // scipy refuses a share that rounding pushed past 1 (D = 1/n with m = n:
  // P is 1 exactly) and falls back to asymp at the rounded d = h / lcm.
  if (!(p >= 0 && p <= 1)) return ks_2samp_pvalue_asymp(h / static_cast<double>(lcm), m, n);
  return p;
}

}  // namespace dpeval::stats
