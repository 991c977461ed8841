// Ranking metrics (ROC AUC, average precision, their curves) from rows: what
// compute_ranking(), the binary metrics and the multiclass one-vs-rest AUC
// share. See curves.h for the definitions.
//
// Note [Distinct scores]
// The threshold walk needs, for every distinct score from the highest down,
// how many positives and negatives have it. The general way sorts the
// positives' and the negatives' score keys (Note [Score keys]): 8 bytes per
// row plus the radix sort's scratch, 8 bytes per row of the larger class; on
// 10M rows that is 120 MB next to the 160 MB of labels and scores. Exported
// predictions usually hold far fewer distinct scores than rows (a CSV with 6
// decimals holds at most 1 000 001 in [0, 1]), so ranking_input() first
// counts positives and negatives per distinct score in an open-addressing
// hash table sized for n / 8 distinct scores (16 bytes a slot, at most 2/3
// full: about 3 bytes per row), then sorts only the distinct scores. When a
// (n / 8 + 1)-th distinct score turns up it gives up on the table and sorts
// every key. Both give the same walk, bit for bit
// (tests/eval/curves_test.cc, Ranking.DistinctScoresWalkLikeTheSort).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "dpeval/core/huge_pages.h"
#include "dpeval/eval/curves.h"
#include "dpeval/eval/internal/curve_sampler.h"
#include "dpeval/eval/internal/score_sort.h"
#include "dpeval/eval/internal/sum.h"
#include "dpeval/eval/internal/threshold_walk.h"

namespace dpeval::eval::internal {

// The positives' and the negatives' score keys, each sorted.
class SortedClassKeys {
 public:
  BigVector<uint64_t> positive;
  BigVector<uint64_t> negative;

  size_t positives() const { return positive.size(); }
  size_t negatives() const { return negative.size(); }
  // visit(threshold, tps, fps) for every distinct score, highest first.
  template <typename Visit>
  void walk(Visit&& visit) const {
    walk_thresholds(positive, negative, visit);
  }
};

// Per distinct score: how many positives and negatives have it; sorted by key.
class DistinctScores {
 public:
  struct Entry {
    uint64_t key = 0;  // 0: an empty slot (no finite score has key 0)
    uint32_t positives = 0;
    uint32_t negatives = 0;
  };
  BigVector<Entry> entries;
  size_t total_positives = 0;
  size_t total_negatives = 0;

  size_t positives() const { return total_positives; }
  size_t negatives() const { return total_negatives; }
  template <typename Visit>
  void walk(Visit&& visit) const {
    int64_t tp = 0, fp = 0;
    for (const Entry& e : entries) {
      tp += e.positives;
      fp += e.negatives;
      visit(score_from_key_descending(e.key), tp, fp);
    }
  }
};

// Builds and sorts the class-split keys of rows 0..n-1.
template <typename IsPositive, typename Score>
SortedClassKeys sorted_class_keys(size_t n, IsPositive&& is_positive, Score&& score) {
  SortedClassKeys keys;
  size_t positives = 0;
  for (size_t i = 0; i < n; ++i) positives += is_positive(i) ? 1 : 0;
  keys.positive.reserve(positives);
  keys.negative.reserve(n - positives);
  for (size_t i = 0; i < n; ++i)
    (is_positive(i) ? keys.positive : keys.negative).push_back(key_descending(score(i)));
  sort_keys(keys.positive);
  sort_keys(keys.negative);
  return keys;
}

// The counts per distinct score of rows 0..n-1, or nullopt as soon as more
// than max_distinct distinct scores turn up. See Note [Distinct scores].
template <typename IsPositive, typename Score>
std::optional<DistinctScores> distinct_scores(size_t n, IsPositive&& is_positive, Score&& score,
                                              size_t max_distinct) {
  using Entry = DistinctScores::Entry;
  if (n > std::numeric_limits<uint32_t>::max()) return std::nullopt;
  const size_t capacity = std::bit_ceil(std::max<size_t>(16, max_distinct + max_distinct / 2 + 1));
  const int shift = 64 - std::countr_zero(capacity);
  const size_t mask = capacity - 1;
  BigVector<Entry> table(capacity);
  size_t used = 0;
  DistinctScores out;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t key = key_descending(score(i));
    size_t slot = static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift);
    while (table[slot].key != key && table[slot].key != 0) slot = (slot + 1) & mask;
    Entry& e = table[slot];
    if (e.key == 0) {
      if (++used > max_distinct) return std::nullopt;
      e.key = key;
    }
    if (is_positive(i)) {
      ++e.positives;
    } else {
      ++e.negatives;
    }
  }
  size_t kept = 0;
  for (const Entry& e : table) {
    if (e.key != 0) {
      table[kept++] = e;
      out.total_positives += e.positives;
    }
  }
  table.resize(kept);
  std::sort(table.begin(), table.end(), [](const Entry& a, const Entry& b) { return a.key < b.key; });
  out.entries = std::move(table);
  out.total_negatives = n - out.total_positives;
  return out;
}

// fn(rows) with the ranking input of rows 0..n-1, as distinct-score counts
// when there are at most n / 8 distinct scores, else as sorted class keys.
template <typename IsPositive, typename Score, typename Fn>
auto with_ranking_input(size_t n, IsPositive&& is_positive, Score&& score, Fn&& fn) {
  if (auto distinct = distinct_scores(n, is_positive, score, n / 8)) return fn(*distinct);
  const SortedClassKeys keys = sorted_class_keys(n, is_positive, score);
  return fn(keys);
}

// What the first walk learns: the AUC's and AP's sums, and the curves' sizes.
struct WalkTotals {
  size_t thresholds = 0;
  double auc_twice_area = 0;  // sum dFP (TP_k + TP_{k-1}): exact integers below 2^53
  NeumaierSum ap_sum;         // sum dTP * precision_k
  double pr_length = 0;       // L1 length of the PR curve from (0, 1)
};

template <typename Rows>
WalkTotals walk_totals(const Rows& rows) {
  WalkTotals t;
  const auto positives = static_cast<double>(rows.positives());
  int64_t tp_prev = 0, fp_prev = 0;
  double recall_prev = 0, precision_prev = 1;
  rows.walk([&](double, int64_t tp, int64_t fp) {
    ++t.thresholds;
    t.auc_twice_area += static_cast<double>(fp - fp_prev) * static_cast<double>(tp + tp_prev);
    const double precision = static_cast<double>(tp) / static_cast<double>(tp + fp);
    if (tp > tp_prev) t.ap_sum.add(static_cast<double>(tp - tp_prev) * precision);
    if (positives > 0) {
      const double recall = static_cast<double>(tp) / positives;
      t.pr_length += std::abs(recall - recall_prev) + std::abs(precision - precision_prev);
      recall_prev = recall;
    }
    precision_prev = precision;
    tp_prev = tp;
    fp_prev = fp;
  });
  return t;
}

// The second walk: both curves, downsampled. Precondition: positives > 0.
template <typename Rows>
void walk_curves(const Rows& rows, const WalkTotals& totals, size_t max_points, RankingMetrics& out) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const auto positives = static_cast<double>(rows.positives());
  const auto negatives = static_cast<double>(rows.negatives());
  const bool roc_defined = negatives > 0;
  CurveSampler<CurvePoint> roc(totals.thresholds + 1, 2.0, max_points);
  CurveSampler<CurvePoint> pr(totals.thresholds + 1, totals.pr_length, max_points);
  if (roc_defined) roc.offer({0.0, 0.0, kInf});
  pr.offer({0.0, 1.0, kInf});
  rows.walk([&](double threshold, int64_t tp, int64_t fp) {
    const auto tpd = static_cast<double>(tp), fpd = static_cast<double>(fp);
    if (roc_defined) roc.offer({fpd / negatives, tpd / positives, threshold});
    pr.offer({tpd / positives, tpd / (tpd + fpd), threshold});
  });
  if (roc_defined) out.roc_curve = roc.take();
  out.pr_curve = pr.take();
}

// Trapezoid ROC AUC; nullopt unless both classes occur.
template <typename Rows>
std::optional<double> roc_auc_of(const Rows& rows) {
  if (rows.positives() == 0 || rows.negatives() == 0) return std::nullopt;
  const WalkTotals t = walk_totals(rows);
  return t.auc_twice_area / (2.0 * static_cast<double>(rows.positives()) * static_cast<double>(rows.negatives()));
}

// Everything compute_ranking() reports.
template <typename Rows>
RankingMetrics ranking_of(const Rows& rows, const RankingOptions& options, Warnings& warnings) {
  RankingMetrics out;
  const size_t positives = rows.positives(), negatives = rows.negatives();
  if (positives + negatives == 0) return out;
  const WalkTotals t = walk_totals(rows);
  if (positives > 0 && negatives > 0) {
    out.roc_auc = t.auc_twice_area / (2.0 * static_cast<double>(positives) * static_cast<double>(negatives));
  } else {
    warnings.push_back(positives == 0 ? "roc_auc is undefined: the labels hold no positives"
                                      : "roc_auc is undefined: the labels hold no negatives");
  }
  if (positives > 0) {
    out.average_precision = t.ap_sum.value() / static_cast<double>(positives);
    if (options.curve_points_max > 0) walk_curves(rows, t, options.curve_points_max, out);
  } else {
    warnings.emplace_back("average_precision is 0.0: the labels hold no positives (sklearn)");
    out.average_precision = 0.0;
  }
  return out;
}

}  // namespace dpeval::eval::internal
