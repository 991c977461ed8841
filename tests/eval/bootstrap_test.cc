// Bootstrap intervals: determinism (seed, thread count), coverage and width,
// the planted bad slice, too-small and undefined slices, bad options.
#include "dpeval/eval/bootstrap.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "dpeval/core/error.h"
#include "eval/random_columns.h"

namespace dpeval::eval {
namespace {

using testing::OwnedColumns;

BootstrapOptions options_with(size_t resamples, uint64_t seed, size_t threads,
                              std::vector<std::string> metrics = {}) {
  BootstrapOptions o;
  o.resamples = resamples;
  o.seed = seed;
  o.threads = threads;
  o.metrics = std::move(metrics);
  return o;
}

// Bitwise: NaN-free optionals compared with ==.
void expect_same_intervals(const std::vector<MetricInterval>& a, const std::vector<MetricInterval>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t m = 0; m < a.size(); ++m) {
    EXPECT_EQ(a[m].name, b[m].name);
    EXPECT_EQ(a[m].lo, b[m].lo) << a[m].name;
    EXPECT_EQ(a[m].hi, b[m].hi) << a[m].name;
    EXPECT_EQ(a[m].resamples_defined, b[m].resamples_defined) << a[m].name;
  }
}

// Four regions; `bad` (north) gets scores unrelated to its labels.
struct PlantedData {
  OwnedColumns columns;
  std::vector<KeyColumn> keys;
};

PlantedData planted(size_t n, uint64_t seed) {
  PlantedData d;
  d.columns = testing::random_binary(n, seed, 0, 0.6);
  KeyColumn region{"region", {"north", "south", "east", "west", "tiny"}, {}};
  Rng rng(seed, 8);
  for (size_t i = 0; i < n; ++i) {
    const auto code = static_cast<uint32_t>(i < 12 ? 4 : rng.uniform_below(4));
    region.codes.push_back(code);
    if (code == 0 || code == 4) d.columns.scores[i] = rng.uniform_double();  // north and tiny: noise
  }
  d.keys.push_back(region);
  d.keys.push_back(KeyColumn{"parity", {"even", "odd"}, {}});
  for (size_t i = 0; i < n; ++i) d.keys[1].codes.push_back(static_cast<uint32_t>(i % 2));
  return d;
}

const Slice& slice_named(const SliceReport& r, size_t column, std::string_view value) {
  for (const Slice& s : r.columns[column].slices) {
    if (s.value == value) return s;
  }
  ADD_FAILURE() << "no slice " << value;
  return r.columns[column].slices[0];
}

bool flagged(const Slice& s, std::string_view metric) {
  for (std::string_view m : s.significantly_worse) {
    if (m == metric) return true;
  }
  return false;
}

TEST(Bootstrap, SameSeedSameBitsAnyThreadCount) {
  const OwnedColumns c = testing::random_binary(3000, 1, 20);
  const BootstrapResult a = bootstrap_intervals(c.view(), options_with(64, 5, 1));
  const BootstrapResult b = bootstrap_intervals(c.view(), options_with(64, 5, 4));
  const BootstrapResult again = bootstrap_intervals(c.view(), options_with(64, 5, 3));
  expect_same_intervals(a.intervals, b.intervals);
  expect_same_intervals(a.intervals, again.intervals);
  const BootstrapResult other = bootstrap_intervals(c.view(), options_with(64, 6, 4));
  EXPECT_NE(a.intervals[0].lo, other.intervals[0].lo);
  EXPECT_EQ(a.intervals.size(), 11u);
  EXPECT_EQ(a.resamples, 64u);
  EXPECT_EQ(a.seed, 5u);
}

TEST(Bootstrap, SlicesSameBitsAnyThreadCount) {
  const PlantedData d = planted(2000, 2);
  SliceOptions so;
  so.slice_by = {"region", "parity"};
  so.cross = true;
  SliceReport one = compute_slices(d.columns.view(), d.keys, so);
  SliceReport four = one;
  bootstrap_intervals(d.columns.view(), d.keys, one, options_with(50, 9, 1));
  bootstrap_intervals(d.columns.view(), d.keys, four, options_with(50, 9, 4));
  for (size_t c = 0; c < one.columns.size(); ++c) {
    for (size_t s = 0; s < one.columns[c].slices.size(); ++s) {
      const Slice &x = one.columns[c].slices[s], &y = four.columns[c].slices[s];
      expect_same_intervals(x.intervals, y.intervals);
      ASSERT_EQ(x.p_values.size(), y.p_values.size());
      for (size_t m = 0; m < x.p_values.size(); ++m) EXPECT_EQ(x.p_values[m].p, y.p_values[m].p);
      EXPECT_EQ(x.significantly_worse, y.significantly_worse);
    }
  }
}

TEST(Bootstrap, IntervalsContainThePointAndShrinkAsOneOverRootN) {
  const std::vector<std::string> metrics = {"accuracy", "roc_auc", "log_loss"};
  double width[2][3];
  const size_t sizes[2] = {2000, 8000};
  for (int k = 0; k < 2; ++k) {
    const OwnedColumns c = testing::random_binary(sizes[k], 3, 0, 0.4);
    const BootstrapResult r = bootstrap_intervals(c.view(), options_with(400, 1, 2, metrics));
    const TaskMetrics point = compute_task_metrics(c.view());
    const size_t at[3] = {0, 7, 9};
    for (int m = 0; m < 3; ++m) {
      const MetricInterval& iv = r.intervals[m];
      EXPECT_EQ(iv.name, metrics[m]);
      EXPECT_EQ(iv.resamples_defined, 400);
      EXPECT_LT(*iv.lo, *point.values[at[m]].value) << iv.name;
      EXPECT_GT(*iv.hi, *point.values[at[m]].value) << iv.name;
      width[k][m] = *iv.hi - *iv.lo;
    }
  }
  for (int m = 0; m < 3; ++m) {
    const double ratio = width[0][m] / width[1][m];  // sqrt(8000 / 2000) = 2
    EXPECT_GT(ratio, 1.6) << metrics[m];
    EXPECT_LT(ratio, 2.5) << metrics[m];
  }
}

TEST(Bootstrap, PlantedBadSliceIsFlaggedAndTheGoodOnesAreNot) {
  const PlantedData d = planted(4000, 4);
  SliceOptions so;
  so.slice_by = {"region", "parity"};
  SliceReport r = compute_slices(d.columns.view(), d.keys, so);
  const BootstrapResult b = bootstrap_intervals(d.columns.view(), d.keys, r, options_with(300, 7, 2));
  EXPECT_EQ(b.intervals.size(), 11u);
  const Slice& north = slice_named(r, 0, "north");
  EXPECT_TRUE(flagged(north, "roc_auc"));
  EXPECT_TRUE(flagged(north, "average_precision"));
  EXPECT_TRUE(flagged(north, "log_loss"));
  for (const MetricPValue& p : north.p_values) {
    if (p.name == "roc_auc") {
      EXPECT_DOUBLE_EQ(p.p, 1.0 / 301.0);  // worse in every resample
    }
  }
  for (std::string_view good : {"south", "east", "west"}) {
    EXPECT_TRUE(slice_named(r, 0, good).significantly_worse.empty()) << good;
    EXPECT_FALSE(slice_named(r, 0, good).p_values.empty()) << good;
  }
  for (const Slice& s : r.columns[1].slices) EXPECT_TRUE(s.significantly_worse.empty()) << s.value;
  const Slice& tiny = slice_named(r, 0, "tiny");  // 12 rows of noise: reported, not judged
  EXPECT_TRUE(tiny.too_small);
  EXPECT_EQ(tiny.intervals.size(), 11u);
  EXPECT_TRUE(tiny.p_values.empty());
  EXPECT_TRUE(tiny.significantly_worse.empty());
}

TEST(Bootstrap, UndefinedInSomeResamples) {
  OwnedColumns c = testing::random_binary(400, 5);
  KeyColumn k{"g", {"a", "b"}, std::vector<uint32_t>(400, 0)};
  // Slice b: 40 rows with a single positive; its AUC is undefined whenever the
  // positive's count is 0 (about e^-1 of resamples).
  for (size_t i = 0; i < 40; ++i) {
    k.codes[i] = 1;
    c.labels[i] = i == 0 ? 1 : 0;
  }
  SliceOptions so;
  so.slice_by = {"g"};
  SliceReport r = compute_slices(c.view(), std::vector<KeyColumn>{k}, so);
  bootstrap_intervals(c.view(), std::vector<KeyColumn>{k}, r, options_with(200, 3, 2, {"roc_auc"}));
  const Slice& b = r.columns[0].slices[1];
  ASSERT_EQ(b.intervals.size(), 1u);
  EXPECT_GT(b.intervals[0].resamples_defined, 80);
  EXPECT_LT(b.intervals[0].resamples_defined, 170);
  bool warned = false;
  for (const std::string& w : b.warnings)
    warned = warned || w.find("roc_auc is undefined in") != std::string::npos;
  EXPECT_TRUE(warned);
  // No positives at all: no interval, no test.
  for (size_t i = 0; i < 40; ++i) c.labels[i] = 0;
  r = compute_slices(c.view(), std::vector<KeyColumn>{k}, so);
  bootstrap_intervals(c.view(), std::vector<KeyColumn>{k}, r, options_with(50, 3, 2, {"roc_auc"}));
  EXPECT_FALSE(r.columns[0].slices[1].intervals[0].lo);
  EXPECT_EQ(r.columns[0].slices[1].intervals[0].resamples_defined, 0);
  EXPECT_TRUE(r.columns[0].slices[1].p_values.empty());
}

TEST(Bootstrap, MulticlassAndRegressionRun) {
  const OwnedColumns m = testing::random_multiclass(1000, 3, 6);
  const BootstrapResult rm = bootstrap_intervals(m.view(), options_with(20, 1, 2));
  EXPECT_EQ(rm.intervals.size(), 11u);
  for (const MetricInterval& iv : rm.intervals) EXPECT_TRUE(iv.lo) << iv.name;
  const OwnedColumns g = testing::random_regression(1000, 7);
  const BootstrapResult rg = bootstrap_intervals(g.view(), options_with(20, 1, 2));
  EXPECT_EQ(rg.intervals.size(), 7u);
  for (const MetricInterval& iv : rg.intervals) EXPECT_LE(*iv.lo, *iv.hi) << iv.name;
}

TEST(Bootstrap, BadOptions) {
  const OwnedColumns c = testing::random_binary(100, 8);
  EXPECT_THROW(bootstrap_intervals(c.view(), options_with(0, 1, 1)), ConfigError);
  BootstrapOptions o = options_with(10, 1, 1);
  o.level = 1.0;
  EXPECT_THROW(bootstrap_intervals(c.view(), o), ConfigError);
  o = options_with(10, 1, 1, {"r2"});
  EXPECT_THROW(bootstrap_intervals(c.view(), o), ConfigError);
}

}  // namespace
}  // namespace dpeval::eval
