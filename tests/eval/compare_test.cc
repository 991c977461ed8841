// eval/compare.h (Note [Paired comparison]): McNemar's exact p-values equal
// scipy 1.10's binomtest, the gain and its interval behave as a paired
// comparison should, the gate decides by the lower bound, and files of
// different rows are refused naming the row.
#include "dpeval/eval/compare.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>

#include "dpeval/core/error.h"
#include "dpeval/stats/distributions.h"

namespace dpeval::eval {
namespace {

// scipy.stats.binomtest(k, n, 0.5).pvalue and alternative='greater' (scipy 1.10).
TEST(Compare, McNemarExactEqualsScipyBinomtest) {
  struct Case {
    uint64_t k, n;
    double two_sided, greater;
  };
  const Case cases[] = {{625, 995, 5.659070253961613e-16, 2.8295351269808066e-16},
                        {1, 10, 0.021484375, 0.9990234375},
                        {3, 3, 0.25, 0.125},
                        {50, 100, 1.0, 0.5397946186935892},
                        {7, 20, 0.26317596435546875, 0.9423408508300781}};
  for (const Case& c : cases) {
    EXPECT_NEAR(stats::binomial_half_two_sided(c.k, c.n), c.two_sided, 1e-9 * c.two_sided)
        << c.k << "/" << c.n;
    EXPECT_NEAR(stats::binomial_half_sf_at_least(c.k, c.n), c.greater, 1e-9 * c.greater) << c.k << "/" << c.n;
  }
  EXPECT_EQ(stats::binomial_half_two_sided(0, 0), 1.0);
  EXPECT_EQ(stats::binomial_half_sf_at_least(0, 0), 1.0);
}

// Multiclass predictions of `n` rows, read as a prediction file is: the true
// class gets 0.9 where right(r), else the next class does.
Predictions make(size_t n, size_t k, const std::function<bool(size_t)>& right, const std::string& source) {
  std::string text = "label";
  for (size_t c = 0; c < k; ++c) text += ",prob_" + std::to_string(c);
  text += "\n";
  const std::string low = std::to_string(0.1 / static_cast<double>(k - 1));
  for (size_t r = 0; r < n; ++r) {
    const size_t winner = right(r) ? r % k : (r + 1) % k;
    text += std::to_string(r % k);
    for (size_t c = 0; c < k; ++c) text += "," + (c == winner ? std::string("0.9") : low);
    text += "\n";
  }
  ReadOptions o;
  o.task = Task::multiclass;
  o.threads = 1;
  return parse_predictions_csv(text, source, o);
}

TEST(Compare, ABetterChallengerIsPromotedAndTheReverseIsNot) {
  const Predictions a = make(
      2000, 4, [](size_t r) { return r % 10 < 8; }, "a.csv");  // 80 %
  const Predictions b = make(
      2000, 4, [](size_t r) { return r % 10 < 9; }, "b.csv");  // 90 %, a superset
  CompareOptions o;
  const CompareResult up = compare_predictions(a, b, o);
  EXPECT_DOUBLE_EQ(up.champion, 0.8);
  EXPECT_DOUBLE_EQ(up.challenger, 0.9);
  EXPECT_NEAR(up.gain, 0.1, 1e-12);
  EXPECT_EQ(*up.only_challenger_right, 200u);
  EXPECT_EQ(*up.only_champion_right, 0u);
  EXPECT_LT(*up.mcnemar_p_two_sided, 1e-50);
  EXPECT_LT(up.gain_lo, up.gain);
  EXPECT_GT(up.gain_hi, up.gain);
  EXPECT_LE(up.gain_lo, up.lower_bound);
  EXPECT_TRUE(up.promote);
  o.min_gain = 0.2;  // more than it gains
  EXPECT_FALSE(compare_predictions(a, b, o).promote);
  o.min_gain = 0;
  const CompareResult down = compare_predictions(b, a, o);
  EXPECT_NEAR(down.gain, -0.1, 1e-12);
  EXPECT_FALSE(down.promote);
  o.min_gain = -0.15;  // a bounded loss tolerated
  EXPECT_TRUE(compare_predictions(b, a, o).promote);
}

// Identical predictions: gain 0 in every resample; at least as good, never better.
TEST(Compare, IdenticalPredictionsPassAtZeroAndFailAboveIt) {
  const Predictions a = make(
      500, 3, [](size_t r) { return r % 3 != 0; }, "a.csv");
  CompareOptions o;
  const CompareResult same = compare_predictions(a, a, o);
  EXPECT_EQ(same.gain, 0);
  EXPECT_EQ(same.gain_lo, 0);
  EXPECT_EQ(same.gain_hi, 0);
  EXPECT_EQ(*same.mcnemar_p_two_sided, 1.0);
  EXPECT_TRUE(same.promote);
  o.min_gain = 1e-9;
  EXPECT_FALSE(compare_predictions(a, a, o).promote);
  o.metric = "log_loss";
  o.min_gain = 0;
  EXPECT_TRUE(compare_predictions(a, a, o).promote);
}

// The bootstrap is a pure function of the seed: any thread count, the same bits.
TEST(Compare, TheIntervalDependsOnTheSeedAlone) {
  const Predictions a = make(
      3000, 5, [](size_t r) { return (r * 7919) % 13 < 10; }, "a.csv");
  const Predictions b = make(
      3000, 5, [](size_t r) { return (r * 104729) % 13 < 11; }, "b.csv");
  CompareOptions o;
  o.metric = "log_loss";
  o.seed = 42;
  o.threads = 1;
  const CompareResult one = compare_predictions(a, b, o);
  o.threads = 4;
  const CompareResult four = compare_predictions(a, b, o);
  EXPECT_EQ(one.gain_lo, four.gain_lo);
  EXPECT_EQ(one.gain_hi, four.gain_hi);
  EXPECT_EQ(one.lower_bound, four.lower_bound);
  o.seed = 43;
  EXPECT_NE(compare_predictions(a, b, o).gain_lo, one.gain_lo);
}

TEST(Compare, FilesOfDifferentRowsAreRefusedNamingTheRow) {
  const Predictions a = make(
      100, 3, [](size_t) { return true; }, "a.csv");
  Predictions b = make(
      100, 3, [](size_t) { return true; }, "b.csv");
  b.labels[41] = 0;  // row 42's label was 2
  try {
    compare_predictions(a, b, {});
    ADD_FAILURE() << "compared different rows";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("a.csv and b.csv: row 42"), std::string::npos) << e.what();
  }
  EXPECT_THROW(compare_predictions(a,
                                   make(
                                       99, 3, [](size_t) { return true; }, "c.csv"),
                                   {}),
               InputError);
  EXPECT_THROW(compare_predictions(a,
                                   make(
                                       100, 4, [](size_t) { return true; }, "d.csv"),
                                   {}),
               InputError);
  CompareOptions bad;
  bad.metric = "f1";
  EXPECT_THROW(compare_predictions(a, a, bad), ConfigError);
}

}  // namespace
}  // namespace dpeval::eval
