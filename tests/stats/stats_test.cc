// stats/ against scipy 1.10 (fixtures/scipy_stats.json, written by
// make_scipy_fixtures.py): every value to 1e-9 relative, or 1e-12 absolute
// near zero, as issue 17 asks of every statistic.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/stats/binned.h"
#include "dpeval/stats/distributions.h"
#include "dpeval/stats/two_sample.h"

namespace dpeval::stats {
namespace {

using nlohmann::json;

const json& fixtures() {
  static const json j =
      json::parse(read_file(std::string(DPEVAL_SOURCE_DIR) + "/tests/stats/fixtures/scipy_stats.json"));
  return j;
}

::testing::AssertionResult close(double got, double want) {
  const double diff = std::fabs(got - want);
  if (diff <= 1e-12 || diff <= 1e-9 * std::fabs(want)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got " << got << ", scipy " << want << " (difference " << diff << ")";
}

std::vector<double> sorted(const json& values) {
  std::vector<double> v = values.get<std::vector<double>>();
  std::sort(v.begin(), v.end());
  return v;
}

TEST(Stats, ChiSquaredTailEqualsScipy) {
  for (const json& c : fixtures()["chi2_sf"]) {
    EXPECT_TRUE(close(chi2_sf(c["x"], c["df"]), c["sf"])) << "x " << c["x"] << " df " << c["df"];
  }
  EXPECT_THROW(chi2_sf(1, 0), ConfigError);
  EXPECT_THROW(chi2_sf(NAN, 3), ConfigError);
  EXPECT_EQ(chi2_sf(INFINITY, 3), 0);
}

TEST(Stats, NormalTailEqualsScipy) {
  for (const json& c : fixtures()["normal_sf"])
    EXPECT_TRUE(close(normal_sf(c["z"]), c["sf"])) << "z " << c["z"];
}

TEST(Stats, KolmogorovTailEqualsScipy) {
  for (const json& c : fixtures()["kolmogorov_sf"]) {
    EXPECT_TRUE(close(kolmogorov_sf(c["x"]), c["sf"])) << "x " << c["x"];
  }
  EXPECT_EQ(kolmogorov_sf(-1), 1);
}

TEST(Stats, KstwoTailEqualsScipy) {
  // A grid over every region of scipy's method choice and both sides of each
  // boundary (Note [kstwo regions]), n from 1 to past 10^6.
  size_t cases = 0;
  for (const json& c : fixtures()["kstwo_sf"]) {
    EXPECT_TRUE(close(kstwo_sf(c["d"], c["n"]), c["sf"])) << "n " << c["n"] << " d " << c["d"];
    ++cases;
  }
  EXPECT_GT(cases, 1000u);
  EXPECT_TRUE(std::isnan(kstwo_sf(0.3, 0)));
  EXPECT_TRUE(std::isnan(kstwo_sf(NAN, 7)));
  EXPECT_EQ(kstwo_sf(-1, 7), 1);
  EXPECT_EQ(kstwo_sf(INFINITY, 7), 0);
}

// p_asymp is null where scipy's is nan (m = n = 1).
::testing::AssertionResult close_or_nan(double got, const json& want) {
  if (want.is_null()) {
    if (std::isnan(got)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "got " << got << ", scipy nan";
  }
  return close(got, want);
}

TEST(Stats, KsTwoSamplePValuesEqualScipy) {
  for (const json& c : fixtures()["ks_2samp"]) {
    const uint64_t m = c["m"], n = c["n"];
    double d = c["d"];
    if (c.contains("a")) {  // from the samples, through our statistic
      const std::vector<double> a = sorted(c["a"]), b = sorted(c["b"]);
      ASSERT_EQ(a.size(), m);
      ASSERT_EQ(b.size(), n);
      EXPECT_TRUE(close(ks_statistic(a, b), d)) << c["name"];
      d = ks_statistic(a, b);
    }
    EXPECT_TRUE(close_or_nan(ks_2samp_pvalue_asymp(d, m, n), c["p_asymp"])) << c["name"];
    EXPECT_TRUE(close(ks_2samp_pvalue_exact(d, m, n), c["p_exact"])) << c["name"];
    EXPECT_TRUE(close_or_nan(ks_2samp_pvalue_asymp(d, n, m), c["p_asymp"])) << c["name"] << " (n, m)";
    EXPECT_TRUE(close(ks_2samp_pvalue_exact(d, n, m), c["p_exact"])) << c["name"] << " (n, m)";
  }
  for (const json& c : fixtures()["ks_2samp_grid"]) {
    EXPECT_TRUE(close_or_nan(ks_2samp_pvalue_asymp(c["d"], c["m"], c["n"]), c["p_asymp"])) << c.dump();
    EXPECT_TRUE(close(ks_2samp_pvalue_exact(c["d"], c["m"], c["n"]), c["p_exact"])) << c.dump();
  }
  EXPECT_THROW(ks_2samp_pvalue_asymp(-0.1, 3, 4), InternalError);
  EXPECT_THROW(ks_2samp_pvalue_exact(0.5, 0, 4), InternalError);
  EXPECT_THROW(ks_2samp_pvalue_exact(NAN, 3, 4), InternalError);
}

TEST(Stats, KsStatisticEqualsScipy) {
  for (const json& c : fixtures()["ks_statistic"]) {
    EXPECT_TRUE(close(ks_statistic(sorted(c["a"]), sorted(c["b"])), c["statistic"])) << c["name"];
  }
  EXPECT_EQ(ks_statistic({}, std::vector<double>{1.0}), 0);
  for (const json& c : fixtures()["ks_statistic"]) {
    const std::vector<double> a = c["a"].get<std::vector<double>>(), b = c["b"].get<std::vector<double>>();
    EXPECT_TRUE(close(ks_statistic_unsorted(a, b, false), c["statistic"])) << c["name"];
  }
  for (const json& c : fixtures()["ks_statistic"]) {
    EXPECT_TRUE(close(wasserstein_distance(sorted(c["a"]), sorted(c["b"])), c["wasserstein"])) << c["name"];
  }
  const std::vector<double> unsorted = {2, 1};
  EXPECT_THROW(ks_statistic(unsorted, unsorted), InternalError);
}

TEST(Stats, ChiSquaredHomogeneityEqualsScipy) {
  for (const json& c : fixtures()["chi2_homogeneity"]) {
    const std::vector<double> a = c["a"], b = c["b"];
    const ChiSquared r = chi2_homogeneity(a, b);
    EXPECT_TRUE(close(r.statistic, c["statistic"])) << c["name"];
    EXPECT_EQ(r.dof, c["dof"].get<double>()) << c["name"];
    EXPECT_TRUE(close(r.p_value, c["p_value"])) << c["name"];
  }
  // Nothing to compare: one category, or an empty row.
  const std::vector<double> one = {5}, other = {7}, empty = {0, 0}, some = {3, 4};
  EXPECT_EQ(chi2_homogeneity(one, other).p_value, 1);
  EXPECT_EQ(chi2_homogeneity(empty, some).p_value, 1);
}

TEST(Stats, TwoProportionZEqualsTheFormula) {
  for (const json& c : fixtures()["two_proportion_z"]) {
    const ZTest r = two_proportion_z(c["k_a"], c["n_a"], c["k_b"], c["n_b"]);
    EXPECT_TRUE(close(r.z, c["z"])) << c.dump();
    EXPECT_TRUE(close(r.p_value, c["p_value"])) << c.dump();
  }
  EXPECT_THROW(two_proportion_z(3, 2, 1, 2), InternalError);
}

TEST(Stats, BinnedDivergencesEqualNumpyAndScipy) {
  for (const json& c : fixtures()["binned_numeric"]) {
    const std::vector<double> ref = sorted(c["ref"]), cur = c["cur"];
    const std::vector<double> edges = decile_edges(ref);
    const std::vector<double> want_edges = c["edges"];
    ASSERT_EQ(edges.size(), want_edges.size());
    for (size_t i = 0; i < edges.size(); ++i)
      EXPECT_EQ(edges[i], want_edges[i]) << c["name"] << " edge " << i;
    const std::vector<double> rc = bin_counts(ref, edges), cc = bin_counts(cur, edges);
    EXPECT_EQ(rc, c["ref_counts"].get<std::vector<double>>()) << c["name"];
    EXPECT_EQ(cc, c["cur_counts"].get<std::vector<double>>()) << c["name"];
    const std::vector<double> rs = floored_shares(rc), cs = floored_shares(cc);
    EXPECT_TRUE(close(psi(rs, cs), c["psi"])) << c["name"];
    EXPECT_TRUE(close(js_distance(rs, cs), c["js"])) << c["name"];
    EXPECT_TRUE(close(kl_divergence(rs, cs), c["kl"])) << c["name"];
  }
  for (const json& c : fixtures()["binned_categorical"]) {
    const std::vector<double> a = c["ref_counts"], b = c["cur_counts"];
    EXPECT_TRUE(close(js_distance(a, b), c["js"])) << c["name"];  // raw shares: js normalises counts itself
    EXPECT_TRUE(close(psi(floored_shares(a), floored_shares(b)), c["psi"])) << c["name"];
    EXPECT_TRUE(close(kl_divergence(floored_shares(a), floored_shares(b)), c["kl"])) << c["name"];
  }
}

// The one-walk KS and Wasserstein of dpeval drift equal the separate ones (and so scipy's).
TEST(KsAndWasserstein, EqualTheSeparateStatisticsWholeAndInHalves) {
  std::mt19937_64 rng(11);
  for (size_t m : {1, 2, 5, 97, 5000}) {
    for (size_t n : {1, 3, 50, 4001}) {
      for (int ties = 0; ties < 2; ++ties) {
        std::vector<double> a(m), b(n);
        for (double& x : a)
          x = ties ? static_cast<double>(rng() % 7) : std::normal_distribution<double>(0, 1)(rng);
        for (double& x : b)
          x = ties ? static_cast<double>(rng() % 9) : std::normal_distribution<double>(0.3, 2)(rng);
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        const double ks = ks_statistic(a, b), w = wasserstein_distance(a, b);
        for (bool halves : {false, true}) {
          const KsWasserstein kw = ks_and_wasserstein(a, b, halves);
          EXPECT_NEAR(kw.ks, ks, 1e-15 + 1e-13 * ks) << m << " " << n << " " << ties << " " << halves;
          EXPECT_NEAR(kw.wasserstein, w, 1e-15 + 1e-12 * w) << m << " " << n << " " << ties << " " << halves;
        }
      }
    }
  }
}

// Note [Sortedness on the way]: a sample out of order anywhere (inside a
// piece, at a cut, at either end, in either sample) is refused, never walked
// into a number.
TEST(KsAndWasserstein, RefusesASampleOutOfOrderWherever) {
  std::mt19937_64 rng(23);
  std::vector<double> a(5000), b(4001);
  for (double& x : a) x = std::normal_distribution<double>(0, 1)(rng);
  for (double& x : b) x = std::normal_distribution<double>(0.2, 1.5)(rng);
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  for (bool halves : {false, true}) EXPECT_NO_THROW(ks_and_wasserstein(a, b, halves));
  std::vector<size_t> places = {0, 1, 624, 625, 626, 1249, 1250, 2499, 2500, 2501, 3750, 4998};
  for (int t = 0; t < 40; ++t) places.push_back(rng() % 4999);
  for (int which = 0; which < 2; ++which) {
    for (size_t at : places) {
      std::vector<double> x = which == 0 ? a : b;
      if (at + 1 >= x.size()) continue;
      for (int how = 0; how < 2; ++how) {
        std::vector<double> y = x;
        if (how == 0) {
          std::swap(y[at], y[at + 1]);  // two neighbours swapped
        } else {
          y[at] = y[at + 1] + 0.5;  // one value too big for its place
        }
        const std::span<const double> ra =
            which == 0 ? std::span<const double>(y) : std::span<const double>(a);
        const std::span<const double> rb =
            which == 0 ? std::span<const double>(b) : std::span<const double>(y);
        for (bool halves : {false, true}) {
          EXPECT_THROW(ks_and_wasserstein(ra, rb, halves), InternalError)
              << "sample " << which << " at " << at << " how " << how << " halves " << halves;
        }
      }
    }
  }
}

}  // namespace
}  // namespace dpeval::stats

// scipy 1.10: binom.cdf(k, n, p) and binom.sf(k - 1, n, p), printed with repr.
TEST(Stats, BinomialTailsEqualScipy) {
  struct Case {
    uint64_t k, n;
    double p, cdf, sf;
  };
  const Case cases[] = {{0, 10, 0.3, 0.028247524900000005, 1.0},
                        {3, 10, 0.3, 0.6496107184000002, 0.6172172136000003},
                        {850, 1000, 0.83, 0.9595462320925856, 0.04861674021722511},
                        {990, 1000, 0.9, 1.0, 1.450898832178329e-32},
                        {700, 1000, 0.83, 3.1862257891541744e-24, 1.0},
                        {10, 10, 0.5, 1.0, 0.0009765625}};
  for (const Case& c : cases) {
    EXPECT_NEAR(dpeval::stats::binomial_cdf_at_most(c.k, c.n, c.p), c.cdf, 1e-9 * c.cdf) << c.k << "/" << c.n;
    EXPECT_NEAR(dpeval::stats::binomial_sf_at_least(c.k, c.n, c.p), c.sf, 1e-9 * c.sf) << c.k << "/" << c.n;
  }
  // Degenerate probabilities and no trials.
  EXPECT_EQ(dpeval::stats::binomial_cdf_at_most(3, 10, 1.0), 0.0);
  EXPECT_EQ(dpeval::stats::binomial_sf_at_least(3, 10, 0.0), 0.0);
  EXPECT_EQ(dpeval::stats::binomial_cdf_at_most(0, 0, 0.4), 1.0);
  EXPECT_THROW(dpeval::stats::binomial_cdf_at_most(1, 2, 1.5), dpeval::ConfigError);
  EXPECT_THROW(dpeval::stats::binomial_sf_at_least(1, 2, std::nan("")), dpeval::ConfigError);
}
