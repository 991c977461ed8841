// Slices: each slice's metrics equal the core's on its rows, the rest's equal
// the core's on the other rows; crosses; too_small; bad keys and options.
#include "dpeval/eval/slices.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dpeval/core/error.h"
#include "eval/eval_test_util.h"
#include "eval/random_columns.h"

namespace dpeval::eval {
namespace {

using testing::OwnedColumns;

KeyColumn random_key(std::string name, std::vector<std::string> values, size_t rows, uint64_t seed) {
  KeyColumn k;
  k.name = std::move(name);
  k.values = std::move(values);
  Rng rng(seed, 7);
  for (size_t i = 0; i < rows; ++i)
    k.codes.push_back(static_cast<uint32_t>(rng.uniform_below(k.values.size())));
  return k;
}

// The rows where keep(i) holds.
template <typename Keep>
OwnedColumns subset(const OwnedColumns& c, Keep&& keep) {
  std::vector<uint8_t> counts(c.rows());
  for (size_t i = 0; i < c.rows(); ++i) counts[i] = keep(i) ? 1 : 0;
  return c.repeated(counts);
}

void expect_values_near(const std::vector<MetricValue>& actual, const std::vector<MetricValue>& expected,
                        const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t m = 0; m < actual.size(); ++m) {
    EXPECT_EQ(actual[m].name, expected[m].name);
    // The slice's metrics are the core's own (1e-15); the rest's come from
    // the weighted engine (Note [Weighted metrics]).
    EXPECT_TRUE(testing::close_to(actual[m].value, expected[m].value)) << what << " " << actual[m].name;
  }
}

void expect_slices_match(const OwnedColumns& c) {
  const std::vector<KeyColumn> keys = {
      random_key("region", {"north", "south", "east", "unused"}, c.rows(), 1),
      random_key("device", {"mobile", "desktop"}, c.rows(), 2)};
  // "unused" holds no row: drop it from the codes.
  std::vector<KeyColumn> k = keys;
  for (auto& code : k[0].codes) code %= 3;
  SliceOptions options;
  options.slice_by = {"region", "device"};
  options.cross = true;
  options.min_slice_size = 0;
  const SliceReport report = compute_slices(c.view(), k, options);
  ASSERT_EQ(report.columns.size(), 3u);
  EXPECT_EQ(report.columns[0].name, "region");
  EXPECT_EQ(report.columns[2].name, "region\u00d7device");
  ASSERT_EQ(report.columns[0].slices.size(), 3u);  // "unused" has no rows
  ASSERT_EQ(report.columns[2].slices.size(), 6u);
  EXPECT_EQ(report.columns[2].slices[1].value, "north\u00d7desktop");
  for (const SliceColumn& column : report.columns) {
    int64_t total = 0;
    for (size_t s = 0; s < column.slices.size(); ++s) {
      const Slice& slice = column.slices[s];
      total += slice.n;
      auto in_slice = [&](size_t i) {
        if (column.key_columns.size() == 1)
          return k[column.key_columns[0]].values[k[column.key_columns[0]].codes[i]] == slice.value;
        return k[0].values[k[0].codes[i]] + "\u00d7" + k[1].values[k[1].codes[i]] == slice.value;
      };
      const OwnedColumns rows = subset(c, in_slice);
      EXPECT_EQ(static_cast<size_t>(slice.n), rows.rows());
      expect_values_near(slice.metrics, compute_task_metrics(rows.view()).values, slice.value);
      const OwnedColumns rest = subset(c, [&](size_t i) { return !in_slice(i); });
      expect_values_near(slice.rest_metrics, compute_task_metrics(rest.view()).values,
                         slice.value + " (rest)");
      EXPECT_TRUE(slice.intervals.empty());
    }
    EXPECT_EQ(static_cast<size_t>(total), c.rows()) << column.name;
  }
}

TEST(Slices, BinaryMetricsEqualTheCoreOnTheSubset) {
  expect_slices_match(testing::random_binary(2000, 1, 10));
}
TEST(Slices, MulticlassMetricsEqualTheCoreOnTheSubset) {
  expect_slices_match(testing::random_multiclass(1500, 3, 2, 0));
}
TEST(Slices, RegressionMetricsEqualTheCoreOnTheSubset) {
  expect_slices_match(testing::random_regression(1501, 3, 0));
}

TEST(Slices, TooSmallBelowMinSliceSize) {
  OwnedColumns c = testing::random_binary(100, 4);
  KeyColumn k{"site", {"a", "b"}, std::vector<uint32_t>(100, 0)};
  for (size_t i = 0; i < 29; ++i) k.codes[i] = 1;  // b: 29 rows, a: 71
  SliceOptions options;
  options.slice_by = {"site"};
  SliceReport r = compute_slices(c.view(), std::vector<KeyColumn>{k}, options);
  ASSERT_EQ(r.columns[0].slices.size(), 2u);
  EXPECT_EQ(r.min_slice_size, 30);
  EXPECT_FALSE(r.columns[0].slices[0].too_small);
  EXPECT_TRUE(r.columns[0].slices[1].too_small);
  EXPECT_EQ(r.columns[0].slices[1].n, 29);
  k.codes[29] = 1;  // 30 rows: judged
  r = compute_slices(c.view(), std::vector<KeyColumn>{k}, options);
  EXPECT_FALSE(r.columns[0].slices[1].too_small);
}

TEST(Slices, OneValueHasNoRest) {
  const OwnedColumns c = testing::random_binary(50, 5);
  const KeyColumn k{"all", {"x"}, std::vector<uint32_t>(50, 0)};
  SliceOptions options;
  options.slice_by = {"all"};
  const SliceReport r = compute_slices(c.view(), std::vector<KeyColumn>{k}, options);
  ASSERT_EQ(r.columns[0].slices.size(), 1u);
  for (const MetricValue& v : r.columns[0].slices[0].rest_metrics) EXPECT_FALSE(v.value) << v.name;
}

TEST(Slices, BadKeysAndOptions) {
  const OwnedColumns c = testing::random_binary(20, 6);
  KeyColumn k{"site", {"a", "b"}, std::vector<uint32_t>(20, 0)};
  SliceOptions options;
  options.slice_by = {"nope"};
  EXPECT_THROW(compute_slices(c.view(), std::vector<KeyColumn>{k}, options), ConfigError);
  options.slice_by = {"site", "site"};
  EXPECT_THROW(compute_slices(c.view(), std::vector<KeyColumn>{k}, options), ConfigError);
  options.slice_by = {"site"};
  options.min_slice_size = -1;
  EXPECT_THROW(compute_slices(c.view(), std::vector<KeyColumn>{k}, options), ConfigError);
  options.min_slice_size = 30;
  k.codes[7] = 2;
  EXPECT_THROW(compute_slices(c.view(), std::vector<KeyColumn>{k}, options), InputError);
  k.codes.pop_back();
  EXPECT_THROW(compute_slices(c.view(), std::vector<KeyColumn>{k}, options), InputError);
  options.slice_by = {};
  EXPECT_TRUE(compute_slices(c.view(), std::vector<KeyColumn>{k}, options).columns.empty());
}

}  // namespace
}  // namespace dpeval::eval
