// split_holdout: sizes, determinism, a partition of the rows in original order.
#include "dpeval/data/split.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "dpeval/core/error.h"

namespace dpeval::data {
namespace {

// Row i has feature value i, so a subset shows which rows it holds.
Dataset numbered(size_t n) {
  std::vector<float> x(n);
  std::iota(x.begin(), x.end(), 0.0f);
  std::vector<int32_t> y(n);
  for (size_t i = 0; i < n; ++i) y[i] = static_cast<int32_t>(i % 3);
  Dataset d = Dataset::from_f32("numbered", Shape{1}, std::move(x), std::move(y), 3);
  d.set_class_names({"a", "b", "c"});
  return d;
}

std::vector<float> rows_of(const Dataset& d) { return {d.f32_features().begin(), d.f32_features().end()}; }

TEST(Split, SizesPartitionAndOrder) {
  const Dataset all = numbered(101);
  const TrainTest s = split_holdout(all, 0.2, 42);
  EXPECT_EQ(s.test.size(), 20u);  // round(20.2)
  EXPECT_EQ(s.train.size(), 81u);
  std::vector<float> both = rows_of(s.train);
  const std::vector<float> test = rows_of(s.test);
  EXPECT_TRUE(std::is_sorted(both.begin(), both.end()));
  EXPECT_TRUE(std::is_sorted(test.begin(), test.end()));
  both.insert(both.end(), test.begin(), test.end());
  std::sort(both.begin(), both.end());
  EXPECT_EQ(both, rows_of(all));
  EXPECT_EQ(s.train.class_names(), all.class_names());
  EXPECT_EQ(s.test.num_classes(), 3);
}

TEST(Split, DeterministicPerSeed) {
  const Dataset all = numbered(500);
  EXPECT_EQ(rows_of(split_holdout(all, 0.3, 1).test), rows_of(split_holdout(all, 0.3, 1).test));
  EXPECT_NE(rows_of(split_holdout(all, 0.3, 1).test), rows_of(split_holdout(all, 0.3, 2).test));
}

TEST(Split, EdgeFractionsAndSizes) {
  EXPECT_EQ(split_holdout(numbered(10), 0.0, 1).test.size(), 0u);
  EXPECT_EQ(split_holdout(numbered(10), 0.99, 1).test.size(), 10u);
  EXPECT_EQ(split_holdout(numbered(0), 0.5, 1).train.size(), 0u);
  EXPECT_THROW(split_holdout(numbered(10), 1.0, 1), ConfigError);
  EXPECT_THROW(split_holdout(numbered(10), -0.1, 1), ConfigError);
  EXPECT_THROW(split_holdout(numbered(10), std::nan(""), 1), ConfigError);
}

}  // namespace
}  // namespace dpeval::data
