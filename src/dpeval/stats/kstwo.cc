// The exact distribution of the one-sample Kolmogorov-Smirnov statistic D_n
// (kstwo_sf in distributions.h), computed as scipy 1.10 computes it: the same
// choice of method per region of (n, x) (Note [kstwo regions]) and the same
// methods, written from the papers. Every method here computes P(D_n <= x)
// or, where the tail is small, the tail itself; kstwo_sf picks one.
#include <algorithm>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <vector>

#include "dpeval/core/check.h"
#include "dpeval/stats/distributions.h"

namespace dpeval::stats {
namespace {

constexpr double kSqrt2Pi = 2.5066282746310002;      // sqrt(2 pi)
constexpr double kLogSqrt2Pi = 0.91893853320467274;  // log sqrt(2 pi)
constexpr int kScaleExponent = 128;                  // rescale by 2^128 to dodge under/overflow
const double kScaleUp = std::ldexp(1.0, kScaleExponent);
const double kScaleDown = std::ldexp(1.0, -kScaleExponent);

double clip01(double p) { return std::clamp(p, 0.0, 1.0); }

// ---------------------------------------------------------------------------
// Durbin's matrix (1968) in the form of Marsaglia, Tsang and Wang (2003).
// Write n x = k - h with k an integer and 0 <= h < 1. Then
//   P(D_n < x) = n!/n^n (H^n)_{k,k}
// for an m x m matrix H, m = 2k - 1: H[i][j] = 1/(i - j + 1)! on and below
// the superdiagonal, 0 above it, except the first column and the last row,
// whose entries carry the partial-interval corrections (1 - h^(i+1))/(i+1)!
// and the corner (1 - 2 h^m + max(0, 2h - 1)^m)/m!. The power is by repeated
// squaring, O(m^3 log n), with the running square rescaled by 2^-128 whenever
// its (k, k) entry passes 2^128 and the exponent kept aside; only column k
// of H^n is formed.

using Matrix = std::vector<double>;  // m x m, row-major

// a b, four rows of the product at a time so that each row of b is read once
// per four (half the time of the plain loop at m = 100); every entry
// is summed over l in the same order as the plain loop.
Matrix matmul(const Matrix& a, const Matrix& b, int m) {
  Matrix c(static_cast<size_t>(m) * m, 0.0);
  int i = 0;
  for (; i + 4 <= m; i += 4) {
    double* __restrict c0 = &c[static_cast<size_t>(i) * m];
    double* __restrict c1 = c0 + m;
    double* __restrict c2 = c1 + m;
    double* __restrict c3 = c2 + m;
    const double* a0 = &a[static_cast<size_t>(i) * m];
    for (int l = 0; l < m; ++l) {
      const double x0 = a0[l], x1 = a0[m + l], x2 = a0[2 * m + l], x3 = a0[3 * m + l];
      const double* __restrict bl = &b[static_cast<size_t>(l) * m];
      for (int j = 0; j < m; ++j) {
        c0[j] += x0 * bl[j];
        c1[j] += x1 * bl[j];
        c2[j] += x2 * bl[j];
        c3[j] += x3 * bl[j];
      }
    }
  }
  for (; i < m; ++i) {
    double* ci = &c[static_cast<size_t>(i) * m];
    for (int l = 0; l < m; ++l) {
      const double ail = a[static_cast<size_t>(i) * m + l];
      const double* bl = &b[static_cast<size_t>(l) * m];
      for (int j = 0; j < m; ++j) ci[j] += ail * bl[j];
    }
  }
  return c;
}

std::vector<double> matvec(const Matrix& a, const std::vector<double>& v, int m) {
  std::vector<double> r(m, 0.0);
  for (int i = 0; i < m; ++i) {
    const double* ai = &a[static_cast<size_t>(i) * m];
    double sum = 0;
    for (int j = 0; j < m; ++j) sum += ai[j] * v[j];
    r[i] = sum;
  }
  return r;
}

// P(D_n < x) for 1/(2n) < x < 1.
double durbin_cdf(uint64_t n, double x) {
  const double nd = static_cast<double>(n) * x;
  const int k = static_cast<int>(std::ceil(nd));
  const double h = k - nd;
  const int m = 2 * k - 1;
  // first_column[i] = (1 - h^(i+1)) / (i+1)!;  inverse_factorial[i] = 1 / i!
  std::vector<double> first_column(m), inverse_factorial(m);
  double factorial_inverse = 1;
  for (int j = 1; j <= m; ++j) {
    inverse_factorial[j - 1] = factorial_inverse;
    factorial_inverse /= j;
    first_column[j - 1] = (1 - std::pow(h, j)) * factorial_inverse;
  }
  const double corner = std::pow(std::max(2 * h - 1, 0.0), m) - 2 * std::pow(h, m);
  first_column[m - 1] = (1 + corner) * factorial_inverse;

  Matrix power(static_cast<size_t>(m) * m, 0.0);
  for (int i = 0; i < m; ++i) {
    for (int j = 1; j <= std::min(i + 1, m - 1); ++j)
      power[static_cast<size_t>(i) * m + j] = inverse_factorial[i - j + 1];
    power[static_cast<size_t>(i) * m] = first_column[i];
  }
  for (int j = 0; j < m; ++j) power[static_cast<size_t>(m - 1) * m + j] = first_column[m - 1 - j];

  // (H^n)_{k,k} = e_k' H^n e_k: square H again and again and apply to e_k
  // the squares that the binary digits of n name (powers of H commute).
  std::vector<double> column(m, 0.0);
  column[k - 1] = 1;
  int64_t column_exponent = 0, power_exponent = 0;
  const size_t kk = static_cast<size_t>(k - 1) * m + (k - 1);
  for (uint64_t e = n; e > 0; e /= 2) {
    if (e % 2) {
      column = matvec(power, column, m);
      column_exponent += power_exponent;
      if (std::fabs(column[k - 1]) > kScaleUp) {
        for (double& v : column) v *= kScaleDown;
        column_exponent += kScaleExponent;
      }
    }
    if (e == 1) break;  // the square would go unused
    power = matmul(power, power, m);
    power_exponent *= 2;
    if (std::fabs(power[kk]) > kScaleUp) {
      for (double& v : power) v *= kScaleDown;
      power_exponent += kScaleExponent;
    }
  }
  // times n!/n^n, one factor i/n at a time
  double p = column[k - 1];
  const double nn = static_cast<double>(n);
  for (uint64_t i = 1; i <= n; ++i) {
    p = static_cast<double>(i) * p / nn;
    if (std::fabs(p) < kScaleDown) {
      p *= kScaleUp;
      column_exponent -= kScaleExponent;
    }
  }
  return std::ldexp(p, static_cast<int>(column_exponent));
}

// ---------------------------------------------------------------------------
// Pomeranz's recursion (1974). With t = n x = l + f (l an integer, 0 <= f < 1),
// the band edges i/n - x and i/n + x cut [0, 1] into 2n + 2 pieces whose
// lengths, in units of 1/n, are g = min(f, 1 - f) at both ends and otherwise
// alternate 2g and 1 - 2g. Row r of the recursion holds, for each count j,
// the sum over the ways of putting j of the sample points into the first r
// pieces, keeping the empirical CDF inside the band at every cut, of the
// product of (length/n)^c / c! over the pieces (c points in a piece): the
// multinomial probability without its n!. Only the counts in a window
// [lo, hi] that the band allows are non-zero. A row is the previous one
// convolved with the weights (length/n)^s / s! of the piece between them, and
// P(D_n <= x) is n! times the entry j = n of the last row. Rows are rescaled
// by 2^128 when they sink below 2^-128.

struct CountWindow {
  int lo, hi;
};

// The counts [lo, hi] a row may hold: the band's edges rounded inwards, as
// l, ceil(f) and round(f) shift them for the three kinds of cut.
CountWindow pomeranz_window(int row, int n, int l, int ceil_f, int round_f) {
  int lo, hi;
  if (row == 0) {
    lo = -l - ceil_f + 1;
    hi = l + ceil_f - 1;
  } else if (row % 2 == 1) {  // the cut (row + 1)/2 - x, or the last one
    const int c = (row + 1) / 2;
    if (c == n + 1) {
      lo = n - l - ceil_f + 1;
      hi = n + l + ceil_f - 1;
    } else {
      lo = c - l - round_f;
      hi = c + l + ceil_f - 2;
    }
  } else {  // the cut row/2 + x
    const int c = row / 2;
    lo = c - l;
    hi = c + l + round_f - 1;
  }
  return {std::max(lo, 0), std::min(hi, n)};
}

// P(D_n <= x) for 1/n < x < 1/2.
double pomeranz_cdf(int n, double x) {
  const double t = n * x;
  const int l = static_cast<int>(std::floor(t));
  const double f = t - l;
  const double g = std::min(f, 1 - f);
  const int ceil_f = f > 0 ? 1 : 0, round_f = f > 0.5 ? 1 : 0;
  const int width = 2 * (l + 1);  // the most counts a window spans
  // weights_*[s] = (length/n)^s / s! for the three piece lengths
  std::vector<double> weights_end(width), weights_two_g(width), weights_rest(width);
  weights_end[0] = weights_two_g[0] = weights_rest[0] = 1;
  for (int s = 1; s < width; ++s) {
    weights_end[s] = weights_end[s - 1] * (g / n) / s;
    weights_two_g[s] = weights_two_g[s - 1] * (2 * g / n) / s;
    weights_rest[s] = weights_rest[s - 1] * ((1 - 2 * g) / n) / s;
  }
  // prev/cur[j - window.lo] for j in the window; 0 elsewhere
  std::vector<double> prev(width, 0.0), cur(width, 0.0);
  cur[0] = 1;
  CountWindow window = pomeranz_window(0, n, l, ceil_f, round_f);
  int64_t exponent = 0;
  for (int row = 1; row <= 2 * n + 1; ++row) {
    std::swap(prev, cur);
    std::fill(cur.begin(), cur.end(), 0.0);
    const CountWindow before = window;
    window = pomeranz_window(row, n, l, ceil_f, round_f);
    const std::vector<double>& w =
        (row == 1 || row == 2 * n + 1) ? weights_end : (row % 2 == 1 ? weights_two_g : weights_rest);
    DPEVAL_CHECK(window.hi >= before.lo && window.hi - before.lo < width) << "pomeranz: row " << row;
    double largest = 0;
    for (int j = window.lo; j <= window.hi; ++j) {
      double sum = 0;
      for (int k = before.lo; k <= std::min(j, before.lo + width - 1); ++k)
        sum += prev[k - before.lo] * w[j - k];
      cur[j - window.lo] = sum;
      largest = std::max(largest, sum);
    }
    if (largest > 0 && largest < kScaleDown) {
      for (double& v : cur) v *= kScaleUp;
      exponent -= kScaleExponent;
    }
  }
  double p = cur[n - window.lo];
  for (int s = 1; s <= n; ++s) {
    if (std::fabs(p) > kScaleUp) {
      p *= kScaleDown;
      exponent += kScaleExponent;
    }
    p *= s;
  }
  return std::ldexp(p, static_cast<int>(exponent));
}

// ---------------------------------------------------------------------------
// Pelz and Good (1976): the expansion of Li-Chien (1956) and Korolyuk (1960),
//   P(D_n <= x) ~ K0(z) + K1(z)/sqrt(n) + K2(z)/n + K3(z)/n^(3/2),  z = x sqrt(n),
// with each K_i turned by Jacobi's theta transformation into series in
// q = exp(-pi^2 / (8 z^2)) that converge fast for small z. The sums over odd
// (2k-1) are run by Horner in q^(8k); two further sums over all k (in
// exp(-pi^2 k^2 / (2 z^2))) complete K2 and K3.

// P(D_n <= x) approximately, for 0 < x < 1.
double pelz_good_cdf(double n, double x) {
  constexpr double pi = std::numbers::pi;
  constexpr double pi2 = pi * pi, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
  const double z = std::sqrt(n) * x;
  const double z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2;
  const double log_q = -pi2 / 8 / z2;
  if (log_q < -708) return 0;  // every term underflows
  const double q = std::exp(log_q);
  // Each series term is c_i(m) q^(m^2), m = 2k - 1, with c_i polynomial in m^2.
  const double k1a = -z2, k1b = pi2 / 4;
  const double k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * pi2 / 4, k2c = pi4 * (1 - 2 * z2) / 16;
  const double k3d = pi6 * (5 - 30 * z2) / 64, k3c = pi4 * (-60 * z2 + 212 * z4) / 16;
  const double k3b = pi2 * (135 * z4 - 96 * z6) / 4, k3a = -30 * z6 - 90 * std::pow(z, 8);
  double k[4] = {0, 0, 0, 0};
  const int terms = static_cast<int>(std::ceil(16 * z / pi));
  for (int j = terms; j >= 1; --j) {
    const double m = 2.0 * j - 1, m2 = m * m, m4 = m2 * m2, m6 = m4 * m2;
    const double step = std::pow(q, 8.0 * j);  // q^(m'^2 - m^2) to the next odd m'
    const double c[4] = {1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
                         k3a + k3b * m2 + k3c * m4 + k3d * m6};
    for (int i = 0; i < 4; ++i) k[i] = k[i] * step + c[i];
  }
  const double divisors[4] = {z, 6 * z4, 72 * std::pow(z, 7), 6480 * std::pow(z, 10)};
  for (int i = 0; i < 4; ++i) k[i] = k[i] * q * kSqrt2Pi / divisors[i];
  const double r = std::exp(-pi2 / 2 / z2);
  double sum2 = 0, sum3 = 0;
  const double sqrt3z = std::sqrt(3.0) * z;
  for (int j = terms; j >= 1; --j) {
    const double j2 = static_cast<double>(j) * j;
    const double rj = std::pow(r, j2);
    sum2 += j2 * rj;
    sum3 += (sqrt3z + pi * j) * (sqrt3z - pi * j) * j2 * rj;
  }
  k[2] += sum2 * pi2 * kSqrt2Pi / (-36 * z3);
  k[3] += sum3 * pi2 * kSqrt2Pi / (216 * z6);
  return k[0] + k[1] / std::sqrt(n) + k[2] / n + k[3] / std::pow(n, 1.5);
}

// ---------------------------------------------------------------------------
// Smirnov's one-sided tail (Smirnov 1944; Birnbaum and Tingey 1951):
//   P(D_n^+ >= x) = x sum_{v=0}^{N} A_v,   A_v = C(n, v) p_v^(v-1) (1 - p_v)^(n-v),
// p_v = x + v/n, N the largest v with p_v < 1. Every term is positive, so the
// sum has no cancellation; each is evaluated in logs (Note [Smirnov terms]).
// See Note [Smirnov sum as an integral] for how large n is summed.

// log k! - ((k + 1/2) log k - k + log sqrt(2 pi)): Stirling's remainder, for real k >= 1.
double stirling_remainder(double k) {
  if (k < 16) return std::lgamma(k + 1) - (k + 0.5) * std::log(k) + k - kLogSqrt2Pi;
  const double r = 1 / k, r2 = r * r;
  return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 / 1188))));
}

// Note [Smirnov terms]
// With a = n - v and n x written as nx, the binomial probability
// C(n, v) p^v (1-p)^a at p = (v + nx)/n is, by Stirling's formula with its
// remainder r(k) kept exactly,
//   log = v log1p(nx/v) + a log1p(-nx/a) + log sqrt(n / (2 pi v a)) + r(n) - r(v) - r(a):
// the n log n pieces cancel algebraically instead of numerically, so the
// log is good to a few units of eps times nx even at n = 10^6 (lgamma(n + 1)
// alone would carry an error of 1e-9). A_v is that probability divided by p.
// v = 0 is (1 - x)^n / x. The formula holds for real v, which the integral uses.
struct SmirnovTerms {
  double n, x, nx;
  double log_term(double v) const {
    if (v == 0) return n * std::log1p(-x) - std::log(x);
    const double a = n - v;
    return v * std::log1p(nx / v) + a * std::log1p(-nx / a) + 0.5 * std::log(n / (v * a)) - kLogSqrt2Pi +
           stirling_remainder(n) - stirling_remainder(v) - stirling_remainder(a) + std::log(n / (v + nx));
  }
};

// Note [Smirnov sum as an integral]
// For large n and small x the terms A_v form one smooth bell in v, close to
// exp(-n x^2 / (2 p (1 - p))) as p = x + v/n runs over (x, 1): wide (its
// width near the peak is about sqrt(n) / (4 x), n/77 or more wherever
// 2.2 <= n x^2 < 370) and negligible long before either end of [0, N] (A_0
// over the sum is about exp(-n x (1 - 1.5 x)), below e^-40 for n >= 1000 and
// x < 0.2). By the Euler-Maclaurin formula (or Poisson's summation formula)
// the sum of such a bell over the integers equals its integral up to terms
// in exp(-2 pi^2 width^2), far below double precision, so for n >=
// kSmirnovIntegralMinN the sum is an adaptive Gauss-Kronrod integral of the
// same A(v) over real v (Boost.Math, relative tolerance 1e-12 on its error
// estimate): some hundred evaluations instead of up to n. Only the window
// where log A is within kSmirnovWindowDepth of its peak is visited, and the
// terms are scaled by the peak so that nothing underflows before the final
// product. Where the bell has not faded by an end of [0, N] (small n, or x
// near 1/2) the terms in the window are summed one by one.
constexpr double kSmirnovIntegralMinN = 1000;
constexpr double kSmirnovWindowDepth = 60;

// P(D_n^+ >= x), scipy.special.smirnov(n, x) of scipy 1.10, for 0 < x < 1.
double smirnov_sf(double n, double x) {
  if (n == 1) return 1 - x;
  // floor(n x) exactly: n x = nx + nx_low with both parts exact.
  const double nx = n * x;
  const double nx_low = std::fma(n, x, -nx);
  double nx_floor = std::floor(nx);
  if (nx_floor == nx && nx_low < 0) nx_floor -= 1;
  const bool nx_integer = nx_floor == nx && nx_low == 0;
  if (nx_floor == 0 || (nx_floor == 1 && nx_integer)) return 1 - x * std::pow(1 + x, n - 1);  // x <= 1/n
  // scipy's cut-off: 2 n x^2 beyond -log of the smallest subnormal double
  if (-2 * n * x * x < -745.1332191019412) return 0;
  if (nx_floor >= n - 1) return std::pow(1 - x, n);  // x >= 1 - 1/n
  if (n > 1e6) {
    // scipy's approximation beyond n = 10^6: exp(-(6 n x + 1)^2 / (18 n))
    const double log_p = -std::pow(6.0 * n * x + 1, 2) / 18.0 / n;
    return log_p < -std::numbers::ln2 ? std::exp(log_p) : 1 - (-std::expm1(log_p));
  }
  const double last = n - 1 - nx_floor;  // N: the largest v with x + v/n < 1
  const SmirnovTerms terms{n, x, nx};
  // The bell's peak is near p = 1/2; walk out from there in steps of about
  // half its width until log A falls kSmirnovWindowDepth below the largest
  // value seen, or an end of [0, N] is reached.
  const double peak_guess = std::clamp(std::round(n * (0.5 - x)), 0.0, last);
  const double step = std::max(1.0, std::floor(std::sqrt(n) / (8 * x)));
  double top = terms.log_term(peak_guess);
  struct Edge {
    double v, log_a;
  };
  auto walk = [&](double direction) {
    for (double v = peak_guess;;) {
      v = std::clamp(v + direction * step, 0.0, last);
      const double log_a = terms.log_term(v);
      top = std::max(top, log_a);
      if (log_a < top - kSmirnovWindowDepth || v == 0 || v == last) return Edge{v, log_a};
    }
  };
  const Edge lo = walk(-1), hi = walk(+1);
  const bool bell_fades = lo.log_a < top - kSmirnovWindowDepth && hi.log_a < top - kSmirnovWindowDepth;
  double sum = 0;
  if (n >= kSmirnovIntegralMinN && bell_fades) {
    auto scaled = [&](double v) { return std::exp(terms.log_term(v) - top); };
    sum = boost::math::quadrature::gauss_kronrod<double, 61>::integrate(scaled, lo.v, hi.v, 10, 1e-12);
  } else {
    for (double v = lo.v; v <= hi.v; ++v) sum += std::exp(terms.log_term(v) - top);
  }
  return clip01(std::exp(top + std::log(x * sum)));
}

}  // namespace

// Note [kstwo regions]
// Simard and L'Ecuyer (2011) chose, for each region of (n, x), a method
// accurate there and fast; scipy 1.10 (stats/_ksstats.py) follows them with
// its own cut-offs, and kstwo_sf follows scipy's cut-offs exactly, so that
// the same inputs meet the same formula. With t = n x:
//   t <= 1          Ruben and Gambino (1982): P(D_n <= x) = n!/n^n (2t - 1)^n
//                   (0 for t <= 1/2); for n > 140 that is below n!/n^n < 1e-59,
//                   so the tail is 1 in double precision.
//   t >= n - 1      Ruben and Gambino: the tail is 2 (1 - x)^n.
//   x >= 1/2        the tail is exactly twice Smirnov's one-sided tail (the
//                   two one-sided events cannot both happen).
//   n <= 140        n x^2 <= 0.754693: Durbin's matrix; <= 4: Pomeranz;
//                   otherwise twice Smirnov's tail (the overlap of the two
//                   one-sided events is negligible there).
//   n > 140         n x^2 >= 370: 0; >= 2.2: twice Smirnov's tail; otherwise
//                   1 - P(D_n <= x) with P from Durbin's matrix when
//                   n <= 100000 and n x^1.5 <= 1.4, else from Pelz-Good.
// "Twice Smirnov" leaves out P(D_n^+ >= x and D_n^- >= x), about
// 2 exp(-8 n x^2) against 2 exp(-2 n x^2): a relative 2e-6 at n x^2 = 2.2,
// 4e-11 at 4.
// It is scipy's value, not the exact tail, and kstwo_sf returns it. Beyond
// n = 10^6 scipy's Smirnov tail is itself an approximation (see smirnov_sf),
// and kstwo_sf returns that too.
double kstwo_sf(double d, uint64_t n) {
  if (n == 0 || std::isnan(d)) return std::numeric_limits<double>::quiet_NaN();
  const double nd = static_cast<double>(n);
  if (d <= 0.5 / nd) return 1;  // at or below the support
  if (d >= 1) return 0;
  const double t = nd * d;
  if (t <= 1) {
    if (t <= 0.5 || n > 140) return 1;
    double cdf = 1;
    for (uint64_t i = 1; i <= n; ++i) cdf *= static_cast<double>(i) * (1.0 / nd) * (2 * t - 1);
    return clip01(1 - cdf);
  }
  if (t >= nd - 1) return clip01(2 * std::pow(1 - d, nd));
  if (d >= 0.5) return clip01(2 * smirnov_sf(nd, d));
  const double nxx = t * d;
  if (n <= 140) {
    if (nxx <= 0.754693) return clip01(1 - durbin_cdf(n, d));
    if (nxx <= 4) return clip01(1 - pomeranz_cdf(static_cast<int>(n), d));
    return clip01(2 * smirnov_sf(nd, d));
  }
  if (nxx >= 370) return 0;
  if (nxx >= 2.2) return clip01(2 * smirnov_sf(nd, d));
  const double cdf = (n <= 100000 && nd * std::pow(d, 1.5) <= 1.4) ? durbin_cdf(n, d) : pelz_good_cdf(nd, d);
  return clip01(1 - cdf);
}

}  // namespace dpeval::stats
