// ROC AUC, average precision and the curves: hand-computed ties, oracles
// (pair counting, mid-ranks), and the downsampling of long curves.
#include "dpeval/eval/curves.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <utility>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/eval/internal/ranking.h"
#include "eval/eval_test_util.h"

namespace dpeval::eval {
namespace {

using testing::has_warning;

constexpr double kInf = std::numeric_limits<double>::infinity();

RankingMetrics rank(const std::vector<uint8_t>& y, const std::vector<double>& s, size_t max_points = 512) {
  Warnings w;
  return compute_ranking(y, s, {max_points}, w);
}

// Mann-Whitney: the share of (positive, negative) pairs ordered right, ties 1/2.
double auc_by_pairs(const std::vector<uint8_t>& y, const std::vector<double>& s) {
  double wins = 0, pairs = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    for (size_t j = 0; j < y.size(); ++j) {
      if (!y[i] || y[j]) continue;
      pairs += 1;
      wins += s[i] > s[j] ? 1.0 : (s[i] == s[j] ? 0.5 : 0.0);
    }
  }
  return wins / pairs;
}

// AP from its definition: at each distinct threshold t (descending), recall
// step times precision, counting rows with score >= t by brute force.
double ap_by_definition(const std::vector<uint8_t>& y, const std::vector<double>& s) {
  std::vector<double> thresholds = s;
  std::sort(thresholds.rbegin(), thresholds.rend());
  thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
  double positives = 0;
  for (uint8_t v : y) positives += v;
  double ap = 0, recall_prev = 0;
  for (double t : thresholds) {
    double tp = 0, predicted = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      if (s[i] >= t) {
        predicted += 1;
        tp += y[i];
      }
    }
    ap += (tp / positives - recall_prev) * (tp / predicted);
    recall_prev = tp / positives;
  }
  return ap;
}

TEST(Ranking, HandComputedWithoutTies) {
  // sklearn's docstring example: roc_auc 0.75, average precision 0.8333...
  const auto r = rank({0, 0, 1, 1}, {0.1, 0.4, 0.35, 0.8});
  EXPECT_DOUBLE_EQ(*r.roc_auc, 0.75);
  EXPECT_DOUBLE_EQ(*r.average_precision, 5.0 / 6.0);
}

TEST(Ranking, TiesCountOneHalfAndEnterTogether) {
  // Thresholds 0.9: tp 1 fp 1; 0.5: tp 2 fp 2; 0.1: tp 3 fp 2 (P = 3, N = 2).
  const std::vector<uint8_t> y = {1, 0, 1, 0, 1};
  const std::vector<double> s = {0.9, 0.9, 0.5, 0.5, 0.1};
  const auto r = rank(y, s);
  EXPECT_DOUBLE_EQ(*r.roc_auc, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(*r.average_precision, 1.0 / 6 + 1.0 / 6 + 1.0 / 5);
  const std::vector<std::pair<double, double>> roc = {{0, 0}, {0.5, 1.0 / 3}, {1, 2.0 / 3}, {1, 1}};
  ASSERT_EQ(r.roc_curve.size(), roc.size());
  for (size_t i = 0; i < roc.size(); ++i) {
    EXPECT_DOUBLE_EQ(r.roc_curve[i].x, roc[i].first) << i;
    EXPECT_DOUBLE_EQ(r.roc_curve[i].y, roc[i].second) << i;
  }
  EXPECT_EQ(r.roc_curve[0].threshold, kInf);
  EXPECT_EQ(r.roc_curve[1].threshold, 0.9);
  EXPECT_EQ(r.roc_curve[3].threshold, 0.1);
  const std::vector<std::pair<double, double>> pr = {{0, 1}, {1.0 / 3, 0.5}, {2.0 / 3, 0.5}, {1, 0.6}};
  ASSERT_EQ(r.pr_curve.size(), pr.size());
  for (size_t i = 0; i < pr.size(); ++i) {
    EXPECT_DOUBLE_EQ(r.pr_curve[i].x, pr[i].first) << i;
    EXPECT_DOUBLE_EQ(r.pr_curve[i].y, pr[i].second) << i;
  }
}

TEST(Ranking, NegativeZeroIsTheSameThresholdAsZero) {
  const auto r = rank({1, 0}, {0.0, -0.0});
  EXPECT_DOUBLE_EQ(*r.roc_auc, 0.5);
  EXPECT_EQ(r.roc_curve.size(), 2u);
}

TEST(Ranking, MatchesOraclesOnRandomTiedScores) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int trial = 0; trial < 5; ++trial) {
    std::vector<uint8_t> y(300);
    std::vector<double> s(300);
    for (size_t i = 0; i < y.size(); ++i) {
      y[i] = u(rng) < 0.3 ? 1 : 0;
      s[i] = std::round((0.3 * y[i] + 0.7 * u(rng)) * 40) / 40;  // ~41 distinct values
    }
    const auto r = rank(y, s);
    EXPECT_NEAR(*r.roc_auc, auc_by_pairs(y, s), 1e-14);
    EXPECT_NEAR(*r.average_precision, ap_by_definition(y, s), 1e-14);
  }
}

// Mid-rank AUC: (sum of positives' average ranks - P (P + 1) / 2) / (P N).
double auc_by_ranks(const std::vector<uint8_t>& y, const std::vector<double>& s) {
  std::vector<std::pair<double, uint8_t>> rows(y.size());
  for (size_t i = 0; i < y.size(); ++i) rows[i] = {s[i], y[i]};
  std::sort(rows.begin(), rows.end());
  double rank_sum = 0, positives = 0;
  for (size_t i = 0; i < rows.size();) {
    size_t j = i;
    while (j < rows.size() && rows[j].first == rows[i].first) ++j;
    const double mid_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (size_t t = i; t < j; ++t) {
      rank_sum += rows[t].second ? mid_rank : 0;
      positives += rows[t].second;
    }
    i = j;
  }
  const double negatives = static_cast<double>(y.size()) - positives;
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

TEST(Ranking, LargeInputTakesTheRadixPathAndDownsamplesCurves) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<uint8_t> y(200000);
  std::vector<double> s(y.size());
  for (size_t i = 0; i < y.size(); ++i) {
    y[i] = u(rng) < 0.1 ? 1 : 0;
    s[i] = 0.2 * y[i] + 0.8 * u(rng);
    if (i % 3 == 0) s[i] = std::round(s[i] * 1000) / 1000;  // ties too
  }
  const auto r = rank(y, s, 512);
  EXPECT_NEAR(*r.roc_auc, auc_by_ranks(y, s), 1e-12);
  for (const auto* curve : {&r.roc_curve, &r.pr_curve}) {
    ASSERT_LE(curve->size(), 512u);
    ASSERT_GE(curve->size(), 400u);  // evenly spread, not collapsed
    EXPECT_EQ(curve->front().threshold, kInf);
    EXPECT_EQ(curve->back().x, 1.0);  // full recall / fpr at the lowest threshold
    for (size_t i = 1; i < curve->size(); ++i) {
      EXPECT_LT((*curve)[i].threshold, (*curve)[i - 1].threshold);
      EXPECT_GE((*curve)[i].x, (*curve)[i - 1].x);
    }
  }
  EXPECT_EQ(r.roc_curve.back().y, 1.0);
  EXPECT_EQ(r.pr_curve.front().y, 1.0);
  // Consecutive ROC points are at most a few spacing steps apart in L1.
  for (size_t i = 1; i < r.roc_curve.size(); ++i) {
    const double gap =
        std::abs(r.roc_curve[i].x - r.roc_curve[i - 1].x) + std::abs(r.roc_curve[i].y - r.roc_curve[i - 1].y);
    EXPECT_LT(gap, 3 * 2.0 / 510);
  }
}

// Note [Distinct scores]: counting per distinct score walks exactly like
// sorting every key, bit for bit: ties, one value holding most rows, one
// class only, signed and widely spread scores, -0.0 next to +0.0.
TEST(Ranking, DistinctScoresWalkLikeTheSort) {
  std::mt19937_64 gen(99);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const auto same_curve = [](const std::vector<CurvePoint>& a, const std::vector<CurvePoint>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i].x != b[i].x || a[i].y != b[i].y || a[i].threshold != b[i].threshold) return false;
    }
    return true;
  };
  for (int variant = 0; variant < 6; ++variant) {
    const size_t n = 30000;
    std::vector<uint8_t> y(n);
    std::vector<double> s(n);
    for (size_t i = 0; i < n; ++i) {
      y[i] = variant == 4 ? 1 : (u(gen) < 0.3 ? 1 : 0);
      const double v = u(gen);
      switch (variant) {
        case 0: s[i] = v; break;                                        // continuous: all distinct
        case 1: s[i] = std::round(v * 50) / 50; break;                  // 51 values
        case 2: s[i] = i % 10 == 0 ? v : 0.5; break;                    // one value holds 90 %
        case 3: s[i] = (v - 0.5) * std::pow(10.0, static_cast<int>(v * 600) - 300); break;  // signed, spread
        case 4: s[i] = std::round(v * 1000) / 1000; break;              // positives only
        case 5: s[i] = i % 3 == 0 ? -0.0 : (i % 3 == 1 ? 0.0 : v - 0.5); break;  // -0.0 and +0.0
      }
    }
    const auto positive = [&](size_t i) { return y[i] == 1; };
    const auto score = [&](size_t i) { return s[i]; };
    const auto distinct = internal::distinct_scores(n, positive, score, n);
    ASSERT_TRUE(distinct.has_value()) << variant;
    const internal::SortedClassKeys keys = internal::sorted_class_keys(n, positive, score);
    Warnings w_sorted, w_distinct;
    const RankingMetrics a = internal::ranking_of(keys, {.curve_points_max = 64}, w_sorted);
    const RankingMetrics b = internal::ranking_of(*distinct, {.curve_points_max = 64}, w_distinct);
    ASSERT_EQ(a.roc_auc.has_value(), b.roc_auc.has_value()) << variant;
    if (a.roc_auc) {
      EXPECT_EQ(*a.roc_auc, *b.roc_auc) << variant;
    }
    EXPECT_EQ(a.average_precision, b.average_precision) << variant;
    EXPECT_TRUE(same_curve(a.roc_curve, b.roc_curve)) << variant;
    EXPECT_TRUE(same_curve(a.pr_curve, b.pr_curve)) << variant;
    EXPECT_EQ(w_sorted, w_distinct) << variant;
    // The public entry point takes one path or the other and agrees too.
    Warnings w;
    const RankingMetrics c = compute_ranking(y, s, {.curve_points_max = 64}, w);
    EXPECT_EQ(c.average_precision, a.average_precision) << variant;
    EXPECT_TRUE(same_curve(c.pr_curve, a.pr_curve)) << variant;
  }
}

TEST(Ranking, DistinctScoresGiveUpPastTheirLimit) {
  std::vector<double> s(1000);
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<double>(i % 100) / 100;  // 100 distinct
  const auto positive = [](size_t i) { return i % 2 == 0; };
  const auto score = [&](size_t i) { return s[i]; };
  EXPECT_TRUE(internal::distinct_scores(s.size(), positive, score, 100).has_value());
  EXPECT_FALSE(internal::distinct_scores(s.size(), positive, score, 99).has_value());
  const auto d = internal::distinct_scores(s.size(), positive, score, 100);
  EXPECT_EQ(d->entries.size(), 100u);
  EXPECT_EQ(d->positives(), 500u);
  EXPECT_EQ(d->negatives(), 500u);
  EXPECT_EQ(internal::score_from_key_descending(d->entries.front().key), 0.99);  // highest score first
}

TEST(Ranking, ZeroCurvePointsSkipsTheCurves) {
  const auto r = rank({0, 1, 1}, {0.2, 0.6, 0.1}, 0);
  EXPECT_DOUBLE_EQ(*r.roc_auc, 0.5);
  EXPECT_TRUE(r.roc_curve.empty());
  EXPECT_TRUE(r.pr_curve.empty());
}

TEST(Ranking, OneClassOnly) {
  Warnings w;
  const auto negatives = compute_ranking(std::vector<uint8_t>{0, 0}, std::vector<double>{0.1, 0.7}, {}, w);
  EXPECT_FALSE(negatives.roc_auc);
  EXPECT_EQ(*negatives.average_precision, 0.0);  // sklearn's stand-in
  EXPECT_TRUE(negatives.roc_curve.empty());
  EXPECT_TRUE(negatives.pr_curve.empty());
  EXPECT_TRUE(has_warning(w, "no positives"));
  Warnings w2;
  const auto positives = compute_ranking(std::vector<uint8_t>{1, 1}, std::vector<double>{0.1, 0.7}, {}, w2);
  EXPECT_FALSE(positives.roc_auc);
  EXPECT_EQ(*positives.average_precision, 1.0);
  EXPECT_TRUE(positives.roc_curve.empty());
  EXPECT_EQ(positives.pr_curve.size(), 3u);
  EXPECT_TRUE(has_warning(w2, "no negatives"));
}

TEST(Ranking, EmptyAndBadInput) {
  Warnings w;
  const auto empty = compute_ranking({}, {}, {}, w);
  EXPECT_FALSE(empty.roc_auc);
  EXPECT_FALSE(empty.average_precision);
  const std::vector<uint8_t> y = {0, 1};
  EXPECT_THROW(compute_ranking(y, std::vector<double>{0.5}, {}, w), InputError);
  EXPECT_THROW(compute_ranking(y, std::vector<double>{0.5, std::nan("")}, {}, w), InputError);
  EXPECT_THROW(compute_ranking(std::vector<uint8_t>{0, 2}, std::vector<double>{0.5, 0.1}, {}, w),
               InternalError);
  // Any finite scale is fine for ranking (decision-function margins).
  EXPECT_DOUBLE_EQ(*compute_ranking(y, std::vector<double>{-3.0, 12.5}, {}, w).roc_auc, 1.0);
}

}  // namespace
}  // namespace dpeval::eval
