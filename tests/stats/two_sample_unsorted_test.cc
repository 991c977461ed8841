// ks_statistic_unsorted and ks_and_wasserstein_unsorted (Notes [KS without
// sorting] and [Wasserstein without sorting]) against the walk over sorted
// samples: KS the same number bit for bit, Wasserstein to 1e-12 relative,
// over samples shaped to reach every path of the search (buckets pruned,
// settled by sums, looked into at 16, 8 and 0 key bits, sorted exactly), in
// either order, on one thread or two.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "dpeval/core/check.h"
#include "dpeval/stats/two_sample.h"

namespace dpeval::stats {
namespace {

// D as the walk over sorted copies gets it (|i n - j m| / (m n), one
// rounding), and W as scipy's definition sums it over the sorted values.
KsWasserstein both_sorted(std::vector<double> a, std::vector<double> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const bool finite = std::isfinite(a.front()) && std::isfinite(a.back()) && std::isfinite(b.front()) &&
                      std::isfinite(b.back());
  return {finite ? ks_and_wasserstein(a, b, false).ks : ks_statistic(a, b), wasserstein_distance(a, b)};
}

struct Shape {
  std::string name;
  std::function<double(std::mt19937_64&)> a, b;
};

std::vector<Shape> shapes() {
  using N = std::normal_distribution<double>;
  auto normal = [](double mu, double sd) { return [=](std::mt19937_64& r) { return N(mu, sd)(r); }; };
  return {
      {"shifted normals", normal(0, 1), normal(0.05, 1.1)},
      {"one distribution", normal(0, 1), normal(0, 1)},
      {"tiny shift", normal(0, 1), normal(0.002, 1)},
      {"disjoint", normal(-10, 1), normal(10, 1)},
      {"small integers (ties)", [](std::mt19937_64& r) { return static_cast<double>(r() % 7); },
       [](std::mt19937_64& r) { return static_cast<double>(r() % 9); }},
      {"one value each side", [](std::mt19937_64&) { return 3.25; }, [](std::mt19937_64&) { return 3.25; }},
      {"one value, a few others", [](std::mt19937_64& r) { return r() % 100 == 0 ? 1.0 : 0.5; },
       [](std::mt19937_64& r) { return r() % 50 == 0 ? 0.25 : 0.5; }},
      // Doubles that round to one float: only the exact walk tells them apart.
      {"one float, many doubles",
       [](std::mt19937_64& r) { return 1.0 + static_cast<double>(r() % 1000) * 0x1p-40; },
       [](std::mt19937_64& r) { return 1.0 + static_cast<double>(r() % 1000 + 100) * 0x1p-40; }},
      {"signed zeros", [](std::mt19937_64& r) { return r() % 2 ? 0.0 : -0.0; },
       [](std::mt19937_64& r) { return r() % 3 ? -0.0 : (r() % 2 ? 1e-300 : -1e-300); }},
      {"beyond float's range",
       [](std::mt19937_64& r) { return std::ldexp(1.0 + static_cast<double>(r() % 64) / 64, 200 + r() % 3); },
       [](std::mt19937_64& r) {
         return -std::ldexp(1.0 + static_cast<double>(r() % 64) / 64, 130 + r() % 90);
       }},
      {"heavy tails", [](std::mt19937_64& r) { return std::cauchy_distribution<double>(0, 1)(r); },
       [](std::mt19937_64& r) { return std::cauchy_distribution<double>(0.1, 1)(r); }},
      {"far from zero, narrow", normal(1e6, 1), normal(1e6 + 0.01, 1)},
      {"crossing CDFs", normal(0, 1), normal(0, 1.3)},
      {"6 decimals", [](std::mt19937_64& r) { return std::round(N(0, 1)(r) * 1e6) / 1e6; },
       [](std::mt19937_64& r) { return std::round(N(0, 1.02)(r) * 1e6) / 1e6; }},
  };
}

TEST(KsUnsorted, EqualsTheWalkOverSortedSamples) {
  std::mt19937_64 rng(5);
  for (const Shape& shape : shapes()) {
    // 1 to 40 values: sorted and walked; 20000 and more: bucketed.
    for (auto [m, n] :
         {std::pair<size_t, size_t>{1, 1}, {5, 3}, {40, 17}, {20000, 30001}, {200000, 150000}}) {
      std::vector<double> a(m), b(n);
      for (double& x : a) x = shape.a(rng);
      for (double& x : b) x = shape.b(rng);
      const KsWasserstein want = both_sorted(a, b);
      const std::string what = shape.name + " " + std::to_string(m) + " " + std::to_string(n);
      EXPECT_EQ(ks_statistic_unsorted(a, b, false), want.ks) << what;
      EXPECT_EQ(ks_statistic_unsorted(b, a, true), want.ks) << what;
      for (bool concurrent : {false, true}) {
        const KsWasserstein got = ks_and_wasserstein_unsorted(a, b, concurrent);
        EXPECT_EQ(got.ks, want.ks) << what;
        EXPECT_NEAR(got.wasserstein, want.wasserstein, 1e-12 * want.wasserstein) << what;
      }
      const KsWasserstein swapped = ks_and_wasserstein_unsorted(b, a, false);
      EXPECT_EQ(swapped.ks, want.ks) << what;
      EXPECT_NEAR(swapped.wasserstein, want.wasserstein, 1e-12 * want.wasserstein) << what;
      std::sort(a.begin(), a.end());  // sorted input is input too
      EXPECT_EQ(ks_statistic_unsorted(a, b, true), want.ks) << what << " sorted";
      EXPECT_NEAR(ks_and_wasserstein_unsorted(a, b, true).wasserstein, want.wasserstein,
                  1e-12 * want.wasserstein)
          << what << " sorted";
    }
  }
}

// Infinities: ks_and_wasserstein refuses them, the plain walk does not.
TEST(KsUnsorted, CountsInfinitiesAtTheEnds) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::mt19937_64 rng(9);
  std::vector<double> a(30000), b(25000);
  for (double& x : a) x = std::normal_distribution<double>(0, 1)(rng);
  for (double& x : b) x = std::normal_distribution<double>(0.1, 1)(rng);
  b[7] = kInf;
  b[8] = -kInf;
  a[3] = kInf;
  std::vector<double> sa = a, sb = b;
  std::sort(sa.begin(), sa.end());
  std::sort(sb.begin(), sb.end());
  const double want = ks_statistic(sa, sb);
  EXPECT_NEAR(ks_statistic_unsorted(a, b, false), want, 1e-15);
}

// Beyond float's range the buckets cannot hold them apart: sorted instead.
TEST(KsUnsorted, WassersteinBeyondFloatIsSortedInstead) {
  std::mt19937_64 rng(13);
  std::vector<double> a(20000), b(20000);
  for (double& x : a) x = std::normal_distribution<double>(0, 1)(rng) * 1e200;
  for (double& x : b) x = std::normal_distribution<double>(0.1, 1)(rng) * 1e200;
  const KsWasserstein want = both_sorted(a, b);
  const KsWasserstein got = ks_and_wasserstein_unsorted(a, b, true);
  EXPECT_EQ(got.ks, want.ks);
  EXPECT_NEAR(got.wasserstein, want.wasserstein, 1e-12 * want.wasserstein);
  b[5] = std::numeric_limits<double>::infinity();
  EXPECT_THROW(ks_and_wasserstein_unsorted(a, b, false), InternalError);
  EXPECT_THROW(ks_and_wasserstein_unsorted(a, std::vector<double>{}, false), InternalError);
}

TEST(KsUnsorted, EmptyIsZeroAndNaNIsRefused) {
  const std::vector<double> one = {1.0}, none;
  EXPECT_EQ(ks_statistic_unsorted(none, one, false), 0);
  EXPECT_EQ(ks_statistic_unsorted(one, none, true), 0);
  for (size_t size : {size_t{10}, size_t{50000}}) {
    for (double bad : {std::nan(""), -std::nan("")}) {
      std::vector<double> a(size, 0.5), b(size, 0.25);
      a[size / 2] = bad;
      EXPECT_THROW(ks_statistic_unsorted(a, b, false), InternalError) << size;
      EXPECT_THROW(ks_statistic_unsorted(b, a, true), InternalError) << size;
      EXPECT_THROW(ks_and_wasserstein_unsorted(a, b, false), InternalError) << size;
      EXPECT_THROW(ks_and_wasserstein_unsorted(b, a, true), InternalError) << size;
    }
  }
}

}  // namespace
}  // namespace dpeval::stats
