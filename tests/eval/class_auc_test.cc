// The one-vs-rest ROC AUC fast path (MSD radix on packed keys, class_auc.h)
// equals the general ranking path bit for bit, on continuous scores, on
// scores with ties (6 decimals, a few levels) and on the awkward values of
// [0, 1]; compute_multiclass gives the same metrics for every thread count.
#include "dpeval/eval/internal/class_auc.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "dpeval/core/rng.h"
#include "dpeval/eval/metrics.h"

namespace dpeval::eval::internal {
namespace {

enum class Scores { kContinuous, kSixDecimals, kFewLevels, kAwkward };

const std::vector<double> kAwkwardInUnit = {0.0,
                                            -0.0,
                                            std::numeric_limits<double>::denorm_min(),
                                            std::numeric_limits<double>::min(),
                                            1e-300,
                                            1e-6,
                                            0.1,
                                            std::nextafter(0.1, 1.0),
                                            0.5,
                                            std::nextafter(0.5, 0.0),
                                            1.0 - 1e-16,
                                            1.0};

struct Case {
  std::vector<int32_t> labels;
  std::vector<double> probs;  // n x k, not normalised: class_roc_auc reads columns only
};

Case make_case(size_t n, size_t k, Scores kind, uint64_t seed) {
  Rng rng(seed, 0);
  Case c;
  c.labels.resize(n);
  c.probs.resize(n * k);
  for (size_t i = 0; i < n; ++i) {
    c.labels[i] = static_cast<int32_t>(i < k ? i : static_cast<size_t>(rng.uniform_double() * k));
    for (size_t j = 0; j < k; ++j) {
      // Leaning toward the label so the AUCs are not all near 0.5.
      double p = 0.6 * rng.uniform_double() + (static_cast<size_t>(c.labels[i]) == j ? 0.4 : 0.0);
      switch (kind) {
        case Scores::kContinuous:
          break;
        case Scores::kSixDecimals:
          p = std::round(p * 1e6) / 1e6;
          break;
        case Scores::kFewLevels:
          p = std::round(p * 4) / 4;
          break;
        case Scores::kAwkward:
          p = kAwkwardInUnit[static_cast<size_t>(rng.uniform_double() * kAwkwardInUnit.size())];
          break;
      }
      c.probs[i * k + j] = p;
    }
  }
  return c;
}

// Both top levels (out of place, and in place as above kAucOutOfPlaceRowsMax rows).
void expect_same_as_reference(const Case& c, size_t k, const std::string& what) {
  for (const size_t out_of_place_max : {kAucOutOfPlaceRowsMax, size_t{0}}) {
    ClassAucScratch scratch(c.labels.size(), out_of_place_max);
    for (size_t j = 0; j < k; ++j) {
      const std::optional<double> fast = class_roc_auc(c.labels, c.probs, k, j, scratch);
      const std::optional<double> reference = class_roc_auc_reference(c.labels, c.probs, k, j);
      ASSERT_EQ(fast.has_value(), reference.has_value()) << what << " class " << j;
      if (fast) {
        EXPECT_EQ(*fast, *reference) << what << " class " << j << " top level out of place up to "
                                     << out_of_place_max;  // bitwise
      }
    }
  }
}

TEST(ClassAuc, EqualsTheReferenceBitwise) {
  const Scores kinds[] = {Scores::kContinuous, Scores::kSixDecimals, Scores::kFewLevels, Scores::kAwkward};
  const size_t sizes[] = {3, 4, 31, 32, 33, 100, 1000, 4097, 60000};
  uint64_t seed = 1;
  for (Scores kind : kinds) {
    for (size_t n : sizes) {
      for (size_t k : {size_t{3}, size_t{10}}) {
        if (n < k) continue;
        expect_same_as_reference(make_case(n, k, kind, seed++), k,
                                 "kind " + std::to_string(static_cast<int>(kind)) + " n " +
                                     std::to_string(n) + " k " + std::to_string(k));
      }
    }
  }
}

TEST(ClassAuc, OneScoreEverywhereAndAbsentClasses) {
  Case c;
  c.labels = std::vector<int32_t>(5000, 0);
  for (size_t i = 0; i < 2500; ++i) c.labels[2 * i] = 1;
  c.probs.assign(5000 * 3, 0.25);  // every row ties: AUC 0.5
  ClassAucScratch scratch(5000);
  EXPECT_EQ(*class_roc_auc(c.labels, c.probs, 3, 0, scratch), 0.5);
  EXPECT_EQ(class_roc_auc(c.labels, c.probs, 3, 2, scratch), std::nullopt);  // class 2 absent
  expect_same_as_reference(c, 3, "one score");
}

TEST(ClassAuc, ScratchIsReusedAcrossSizes) {
  const Case big = make_case(20000, 4, Scores::kSixDecimals, 99);
  ClassAucScratch scratch(20000);
  const Case small = make_case(50, 4, Scores::kContinuous, 100);
  for (size_t j = 0; j < 4; ++j) {
    EXPECT_EQ(class_roc_auc(big.labels, big.probs, 4, j, scratch),
              class_roc_auc_reference(big.labels, big.probs, 4, j));
    EXPECT_EQ(class_roc_auc(small.labels, small.probs, 4, j, scratch),
              class_roc_auc_reference(small.labels, small.probs, 4, j));
  }
}

TEST(MulticlassThreads, SameMetricsForEveryThreadCount) {
  const size_t k = 7, n = 30000;
  Rng rng(5, 0);
  std::vector<int64_t> labels(n);
  std::vector<double> probs(n * k);
  for (size_t i = 0; i < n; ++i) {
    labels[i] = static_cast<int64_t>(i < k ? i : static_cast<size_t>(rng.uniform_double() * k));
    double sum = 0;
    for (size_t j = 0; j < k; ++j)
      sum += probs[i * k + j] = rng.uniform_double() + (labels[i] == static_cast<int64_t>(j));
    for (size_t j = 0; j < k; ++j) probs[i * k + j] = std::round(probs[i * k + j] / sum * 1e4) / 1e4;
  }
  const MulticlassMetrics one = compute_multiclass(labels, probs, k, 1);
  for (size_t threads : {size_t{2}, size_t{3}, size_t{8}, size_t{0}}) {
    const MulticlassMetrics m = compute_multiclass(labels, probs, k, threads);
    const auto a = metric_values(one), b = metric_values(m);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i)
      EXPECT_EQ(a[i].value, b[i].value) << a[i].name << " threads " << threads;
    EXPECT_EQ(one.warnings, m.warnings);
    for (size_t t = 0; t < k; ++t) {
      for (size_t p = 0; p < k; ++p) EXPECT_EQ(one.confusion.at(t, p), m.confusion.at(t, p));
    }
  }
}

}  // namespace
}  // namespace dpeval::eval::internal
