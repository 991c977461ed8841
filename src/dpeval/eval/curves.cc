// ROC AUC, average precision and their curves from sorted score keys (see
// curves.h and internal/threshold_walk.h).
#include "dpeval/eval/curves.h"

#include <cmath>
#include <limits>

#include "dpeval/core/check.h"
#include "dpeval/eval/internal/curve_sampler.h"
#include "dpeval/eval/internal/inputs.h"
#include "dpeval/eval/internal/ranking.h"
#include "dpeval/eval/internal/sum.h"
#include "dpeval/eval/internal/threshold_walk.h"

namespace dpeval::eval {
namespace internal {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// What the first walk learns: the AUC's and AP's sums, and the curves' sizes.
struct WalkTotals {
  size_t thresholds = 0;
  double auc_twice_area = 0;  // sum dFP (TP_k + TP_{k-1}): exact integers below 2^53
  NeumaierSum ap_sum;         // sum dTP * precision_k
  double pr_length = 0;       // L1 length of the PR curve from (0, 1)
};

WalkTotals walk_totals(const ClassKeys& keys) {
  WalkTotals t;
  const auto positives = static_cast<double>(keys.positive.size());
  int64_t tp_prev = 0, fp_prev = 0;
  double recall_prev = 0, precision_prev = 1;
  walk_thresholds(keys.positive, keys.negative, [&](double, int64_t tp, int64_t fp) {
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
void walk_curves(const ClassKeys& keys, const WalkTotals& totals, size_t max_points, RankingMetrics& out) {
  const auto positives = static_cast<double>(keys.positive.size());
  const auto negatives = static_cast<double>(keys.negative.size());
  const bool roc_defined = negatives > 0;
  CurveSampler<CurvePoint> roc(totals.thresholds + 1, 2.0, max_points);
  CurveSampler<CurvePoint> pr(totals.thresholds + 1, totals.pr_length, max_points);
  if (roc_defined) roc.offer({0.0, 0.0, kInf});
  pr.offer({0.0, 1.0, kInf});
  walk_thresholds(keys.positive, keys.negative, [&](double threshold, int64_t tp, int64_t fp) {
    const auto tpd = static_cast<double>(tp), fpd = static_cast<double>(fp);
    if (roc_defined) roc.offer({fpd / negatives, tpd / positives, threshold});
    pr.offer({tpd / positives, tpd / (tpd + fpd), threshold});
  });
  if (roc_defined) out.roc_curve = roc.take();
  out.pr_curve = pr.take();
}

}  // namespace

std::optional<double> roc_auc_from_keys(const ClassKeys& keys) {
  if (keys.positive.empty() || keys.negative.empty()) return std::nullopt;
  const WalkTotals t = walk_totals(keys);
  return t.auc_twice_area /
         (2.0 * static_cast<double>(keys.positive.size()) * static_cast<double>(keys.negative.size()));
}

RankingMetrics ranking_from_keys(const ClassKeys& keys, const RankingOptions& options, Warnings& warnings) {
  RankingMetrics out;
  const size_t positives = keys.positive.size(), negatives = keys.negative.size();
  if (positives + negatives == 0) return out;
  const WalkTotals t = walk_totals(keys);
  if (positives > 0 && negatives > 0) {
    out.roc_auc = t.auc_twice_area / (2.0 * static_cast<double>(positives) * static_cast<double>(negatives));
  } else {
    warnings.push_back(positives == 0 ? "roc_auc is undefined: the labels hold no positives"
                                      : "roc_auc is undefined: the labels hold no negatives");
  }
  if (positives > 0) {
    out.average_precision = t.ap_sum.value() / static_cast<double>(positives);
    if (options.curve_points_max > 0) walk_curves(keys, t, options.curve_points_max, out);
  } else {
    warnings.emplace_back("average_precision is 0.0: the labels hold no positives (sklearn)");
    out.average_precision = 0.0;
  }
  return out;
}

}  // namespace internal

RankingMetrics compute_ranking(std::span<const uint8_t> is_positive, std::span<const double> scores,
                               const RankingOptions& options, Warnings& warnings) {
  constexpr std::string_view kWhere = "compute_ranking";
  internal::check_same_rows(kWhere, "is_positive", is_positive.size(), "scores", scores.size());
  internal::check_finite(kWhere, "scores", scores);
  DPEVAL_CHECK(options.curve_points_max == 0 || options.curve_points_max >= 2)
      << "curve_points_max = " << options.curve_points_max;
  const auto keys = internal::sorted_class_keys(
      scores.size(),
      [&](size_t i) {
        DPEVAL_CHECK(is_positive[i] <= 1) << "is_positive[" << i << "] = " << int{is_positive[i]};
        return is_positive[i] == 1;
      },
      [&](size_t i) { return scores[i]; });
  return internal::ranking_from_keys(keys, options, warnings);
}

}  // namespace dpeval::eval
