// Weighted metrics: with all counts 1 they equal the core (compute_binary /
// compute_multiclass / compute_regression) to 1e-12 relative, with integer
// counts they equal the core on the multiset the counts stand for, and per
// group they equal the same computation with the other rows' counts zeroed.
#include "dpeval/eval/weighted_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/eval/internal/poisson.h"
#include "dpeval/eval/internal/sort_rows.h"
#include "eval/random_columns.h"

namespace dpeval::eval {
namespace {

using testing::OwnedColumns;

constexpr double kTolerance = 1e-12;

::testing::AssertionResult same_metric(std::string_view name, double actual, std::optional<double> expected,
                                       bool bitwise = false) {
  if (!expected) {
    if (std::isnan(actual)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << name << ": expected null, got " << actual;
  }
  if (std::isnan(actual))
    return ::testing::AssertionFailure() << name << ": expected " << *expected << ", got null";
  const double error = std::abs(actual - *expected);
  if (bitwise ? actual == *expected : error <= kTolerance * std::abs(*expected) + 1e-300) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << name << ": " << actual << " vs " << *expected << " (error " << error
                                       << (bitwise ? ", expected bitwise equality)" : ")");
}

// Count metrics, AUC and AP come from the same integer sums in the same order:
// equal to the bit.
bool exact_metric(std::string_view name) { return name != "log_loss" && name != "brier"; }

std::vector<double> evaluate(const WeightedMetrics& w, const std::vector<uint8_t>& counts) {
  std::vector<double> out(w.metric_names().size());
  WeightedScratch scratch;
  w.evaluate(counts, out, scratch);
  return out;
}

// Every weighted value against the core's on `expected_columns`.
void expect_equal_to_core(const OwnedColumns& columns, const std::vector<uint8_t>& counts,
                          const OwnedColumns& expected_columns, bool bitwise_where_exact) {
  const WeightedMetrics w(columns.view());
  const std::vector<double> values = evaluate(w, counts);
  const TaskMetrics core = compute_task_metrics(expected_columns.view());
  ASSERT_EQ(values.size(), core.values.size());
  for (size_t m = 0; m < values.size(); ++m) {
    ASSERT_EQ(w.metric_names()[m], core.values[m].name);
    const bool bitwise =
        bitwise_where_exact && columns.task != Task::regression && exact_metric(core.values[m].name);
    EXPECT_TRUE(same_metric(core.values[m].name, values[m], core.values[m].value, bitwise));
  }
}

class WeightedAllOnes : public ::testing::TestWithParam<int> {};

TEST_P(WeightedAllOnes, BinaryEqualsCore) {
  const OwnedColumns c = testing::random_binary(5000, 11, GetParam());
  expect_equal_to_core(c, std::vector<uint8_t>(c.rows(), 1), c, true);
}

TEST_P(WeightedAllOnes, MulticlassEqualsCore) {
  const OwnedColumns c = testing::random_multiclass(3000, 4, 12, GetParam());
  expect_equal_to_core(c, std::vector<uint8_t>(c.rows(), 1), c, true);
}

TEST_P(WeightedAllOnes, RegressionEqualsCore) {
  for (size_t n : {4999, 5000}) {  // odd and even: the median's two cases
    const OwnedColumns c = testing::random_regression(n, 13, GetParam());
    expect_equal_to_core(c, std::vector<uint8_t>(c.rows(), 1), c, false);
  }
}

// 0: continuous scores; 5 and 20 levels: many ties.
INSTANTIATE_TEST_SUITE_P(Ties, WeightedAllOnes, ::testing::Values(0, 5, 20));

TEST(WeightedMetrics, CountsEqualTheRepeatedRows) {
  for (int levels : {0, 7}) {
    const OwnedColumns b = testing::random_binary(3000, 21, levels);
    const auto counts = testing::random_counts(b.rows(), 22);
    expect_equal_to_core(b, counts, b.repeated(counts), false);
    const OwnedColumns m = testing::random_multiclass(2000, 3, 23, levels);
    expect_equal_to_core(m, testing::random_counts(m.rows(), 24),
                         m.repeated(testing::random_counts(m.rows(), 24)), false);
    const OwnedColumns r = testing::random_regression(2001, 25, levels);
    expect_equal_to_core(r, testing::random_counts(r.rows(), 26),
                         r.repeated(testing::random_counts(r.rows(), 26)), false);
  }
}

TEST(WeightedMetrics, SmallHandCase) {
  // Binary [[tn, fp], [fn, tp]] = [[2, 0], [1, 1]] of metrics_hand_test, row 3 counted twice and row 0
  // dropped.
  OwnedColumns c;
  c.labels = {0, 0, 1, 1};
  c.scores = {0.1, 0.4, 0.35, 0.8};
  const std::vector<uint8_t> counts = {0, 1, 1, 2};
  const std::vector<MetricValue> v = compute_weighted(c.view(), counts);
  // Rows: (0, 0.4), (1, 0.35), (1, 0.8) x2 -> tn 1, fn 1, tp 2; accuracy 3/4.
  EXPECT_DOUBLE_EQ(*v[0].value, 0.75);
  // Pairs (positive, negative): 0.35 < 0.4 loses, 0.8 > 0.4 wins twice: AUC 2/3.
  EXPECT_DOUBLE_EQ(*v[7].value, 2.0 / 3.0);
}

TEST(WeightedMetrics, ZeroCountsAreEmpty) {
  const OwnedColumns c = testing::random_binary(100, 31);
  const std::vector<MetricValue> v = compute_weighted(c.view(), std::vector<uint8_t>(100, 0));
  for (const MetricValue& m : v) EXPECT_FALSE(m.value) << m.name;
}

TEST(WeightedMetrics, SelectsMetricsInTheOrderAsked) {
  // Without average_precision the AUC walk is the branch-free one: same bits.
  for (int levels : {0, 3, 10}) {
    const OwnedColumns c = testing::random_binary(5000, 32, levels);
    const std::vector<std::string_view> wanted = {"roc_auc", "accuracy"};
    const WeightedMetrics w(c.view(), wanted);
    ASSERT_EQ(w.metric_names().size(), 2u);
    EXPECT_EQ(w.metric_names()[0], "roc_auc");
    const std::vector<double> v = evaluate(w, std::vector<uint8_t>(c.rows(), 1));
    const TaskMetrics core = compute_task_metrics(c.view());
    EXPECT_EQ(v[0], *core.values[7].value) << levels;
    EXPECT_EQ(v[1], *core.values[0].value) << levels;
  }
  const OwnedColumns c = testing::random_binary(500, 32, 10);
  const std::vector<std::string_view> unknown = {"rmse"};
  EXPECT_THROW(WeightedMetrics(c.view(), unknown), ConfigError);
  const std::vector<std::string_view> twice = {"f1", "f1"};
  EXPECT_THROW(WeightedMetrics(c.view(), twice), ConfigError);
}

TEST(WeightedMetrics, BadColumnsThrowInputError) {
  OwnedColumns c = testing::random_binary(10, 33);
  c.scores[3] = 1.5;
  EXPECT_THROW(WeightedMetrics{c.view()}, InputError);
  c = testing::random_binary(10, 33);
  c.labels[2] = 2;
  EXPECT_THROW(WeightedMetrics{c.view()}, InputError);
  EXPECT_THROW(compute_weighted(testing::random_binary(10, 33).view(), std::vector<uint8_t>(9, 1)),
               InputError);
}

// Group g's values equal the ungrouped ones with the other rows' counts set to
// 0; the rest's equal those with g's counts set to 0.
void expect_groups_match(const OwnedColumns& c, size_t groups, uint64_t seed) {
  Rng rng(seed, 9);
  std::vector<uint32_t> codes(c.rows());
  for (auto& code : codes) code = static_cast<uint32_t>(rng.uniform_below(groups));
  codes[0] = 0;
  const auto counts = testing::random_counts(c.rows(), seed + 1);
  const WeightedMetrics w(c.view());
  const size_t metrics = w.metric_names().size();
  const WeightedMetrics::Grouping grouping = w.prepare_grouping(codes, groups);
  std::vector<double> group(groups * metrics), rest(groups * metrics);
  WeightedScratch scratch;
  w.evaluate_groups(counts, grouping, group, rest, scratch);
  for (size_t g = 0; g < groups; ++g) {
    std::vector<uint8_t> only(counts), without(counts);
    for (size_t i = 0; i < c.rows(); ++i) (codes[i] == g ? without : only)[i] = 0;
    const std::vector<double> expect_group = evaluate(w, only), expect_rest = evaluate(w, without);
    for (size_t m = 0; m < metrics; ++m) {
      const std::string name = std::string(w.metric_names()[m]) + " of group " + std::to_string(g);
      const auto opt = [](double v) { return std::isnan(v) ? std::nullopt : std::optional<double>(v); };
      // Rest sums are total - group: a few ulps of the total apart.
      EXPECT_TRUE(same_metric(name, group[g * metrics + m], opt(expect_group[m])));
      EXPECT_TRUE(same_metric(name + " (rest)", rest[g * metrics + m], opt(expect_rest[m])));
    }
  }
}

TEST(WeightedGroups, BinaryGroupsAndRestMatchMaskedCounts) {
  expect_groups_match(testing::random_binary(3000, 41, 0), 5, 42);
  expect_groups_match(testing::random_binary(3000, 43, 6), 4, 44);
  expect_groups_match(testing::random_binary(50, 45, 3), 7, 46);  // groups with one class, or none
}

TEST(WeightedGroups, MulticlassGroupsAndRestMatchMaskedCounts) {
  expect_groups_match(testing::random_multiclass(2000, 3, 51, 0), 4, 52);
  expect_groups_match(testing::random_multiclass(60, 4, 53, 4), 6, 54);
}

TEST(WeightedGroups, RegressionGroupsAndRestMatchMaskedCounts) {
  expect_groups_match(testing::random_regression(2000, 61, 0), 4, 62);
  expect_groups_match(testing::random_regression(41, 63, 2), 5, 64);
}

TEST(WeightedGroups, OneGroupHasAnEmptyRest) {
  const OwnedColumns c = testing::random_binary(100, 71);
  const WeightedMetrics w(c.view());
  const size_t metrics = w.metric_names().size();
  const std::vector<uint32_t> codes(c.rows(), 0);
  std::vector<double> group(metrics), rest(metrics);
  WeightedScratch scratch;
  const std::vector<uint8_t> ones(c.rows(), 1);
  w.evaluate_groups(ones, w.prepare_grouping(codes, 1), group, rest, scratch);
  EXPECT_EQ(group, evaluate(w, ones));
  for (double v : rest) EXPECT_TRUE(std::isnan(v));
}

TEST(SortRows, RadixEqualsStableSort) {
  Rng rng(5, 5);
  for (size_t n : {0, 1, 100, 5000, 70000}) {
    std::vector<uint64_t> keys(n);
    for (auto& k : keys) k = rng.uniform_below(3) == 0 ? rng.next_u64() : rng.uniform_below(50) << 40;
    std::vector<uint32_t> expected(n);
    for (size_t i = 0; i < n; ++i) expected[i] = static_cast<uint32_t>(i);
    std::stable_sort(expected.begin(), expected.end(),
                     [&](uint32_t a, uint32_t b) { return keys[a] < keys[b]; });
    EXPECT_EQ(internal::rows_sorted_by_key(keys), expected) << n;
  }
}

TEST(PoissonCounts, MeanAndVarianceAreOne) {
  std::vector<uint8_t> counts(1'000'000);
  internal::poisson_counts(7, 3, 0, counts);
  double sum = 0, sum_squares = 0;
  int zeros = 0;
  for (uint8_t c : counts) {
    sum += c;
    sum_squares += c * c;
    zeros += c == 0;
  }
  const double mean = sum / counts.size(), variance = sum_squares / counts.size() - mean * mean;
  EXPECT_NEAR(mean, 1.0, 0.005);
  EXPECT_NEAR(variance, 1.0, 0.01);
  EXPECT_NEAR(zeros / 1e6, std::exp(-1.0), 0.002);
  EXPECT_EQ(internal::poisson_thresholds().size(), 12u);  // counts 0..12
}

// The bulk Philox of poisson.cc is core's Rng: count = #{k : u >= T_k} with u
// the row-th value of Rng::for_stream(seed, purpose, resample, 0).
TEST(PoissonCounts, DrawnFromCoreRngStream) {
  const std::span<const uint32_t> t = internal::poisson_thresholds();
  for (uint64_t resample : {0, 1, 977}) {
    std::vector<uint8_t> counts(1000);
    internal::poisson_counts(42, resample, 0, counts);
    Rng rng = Rng::for_stream(42, internal::kBootstrapPurpose, resample, 0);
    for (size_t r = 0; r < counts.size(); ++r) {
      const uint32_t u = rng.next_u32();
      int expected = 0;
      for (uint32_t threshold : t) expected += u >= threshold ? 1 : 0;
      ASSERT_EQ(counts[r], expected) << "row " << r << " of resample " << resample;
    }
  }
}

TEST(PoissonCounts, ACountDependsOnSeedResampleAndRowOnly) {
  std::vector<uint8_t> whole(1000);
  internal::poisson_counts(9, 4, 0, whole);
  for (size_t first : {0, 1, 255, 256, 517}) {
    for (size_t size : {0, 1, 3, 300}) {
      std::vector<uint8_t> part(size);
      internal::poisson_counts(9, 4, first, part);
      EXPECT_TRUE(std::equal(part.begin(), part.end(), whole.begin() + first)) << first << " + " << size;
    }
  }
  std::vector<uint8_t> other(1000);
  internal::poisson_counts(9, 5, 0, other);
  EXPECT_NE(other, whole);
  internal::poisson_counts(10, 4, 0, other);
  EXPECT_NE(other, whole);
}

}  // namespace
}  // namespace dpeval::eval
