// Ranking metrics of a binary scorer: ROC AUC, average precision and the ROC
// and precision-recall curves, as scikit-learn 1.2's roc_auc_score,
// average_precision_score, roc_curve(drop_intermediate=False) and
// precision_recall_curve compute them, ties included.
//
// Ties (sklearn's _binary_clf_curve): one curve point per distinct score v,
// counting every row with score >= v; rows tied at v enter together. AUC is the
// trapezoid rule over (fpr, tpr), so a tie between a positive and a negative
// counts one half. AP is the step sum sum_k (R_k - R_{k-1}) P_k, no
// interpolation. Both are computed exactly from integer counts: AUC =
// sum dFP (TP_k + TP_{k-1}) / (2 P N), the sums exact in double below ~1.3e8
// rows.
//
// Cost: one O(n) pass counting positives and negatives per distinct score in
// a hash table, then a sort of the distinct scores, when they number at most
// n / 8 (Note [Distinct scores] in internal/ranking.h: about 3 bytes per
// row); otherwise one radix sort of the positives' and one of the negatives'
// score keys (Note [Score keys]; 16 bytes per row while it runs). Then one
// walk over the thresholds, two with the curves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dpeval/eval/metric_info.h"

namespace dpeval::eval {

// One point of a curve at a threshold: ROC x = fpr, y = tpr; PR x = recall,
// y = precision. threshold = the lowest score counted as positive; +infinity at
// the curve's first point, where nothing is (sklearn 1.2 writes max score + 1).
struct CurvePoint {
  double x = 0;
  double y = 0;
  double threshold = 0;
};

struct RankingOptions {
  // Curves hold at most this many points (first and last kept, the rest evenly
  // spaced along the curve); a curve with fewer points is exact. 0: no curves.
  // Otherwise >= 2.
  size_t curve_points_max = 512;
};

struct RankingMetrics {
  std::optional<double> roc_auc;            // nullopt unless both classes occur
  std::optional<double> average_precision;  // nullopt when empty; 0.0 (warning) without positives
  // Thresholds decreasing: ROC from (0, 0) to (1, 1); PR from (recall 0,
  // precision 1) to (1, P / n). Empty when the curve is undefined: ROC unless
  // both classes occur, PR without positives.
  std::vector<CurvePoint> roc_curve;
  std::vector<CurvePoint> pr_curve;
};

// is_positive[i] in {0, 1} (anything else is a precondition failure,
// DPEVAL_CHECKed); scores[i] finite, any scale (throws InputError naming the
// row otherwise); equal lengths (InputError). Warnings for one-class input.
RankingMetrics compute_ranking(std::span<const uint8_t> is_positive, std::span<const double> scores,
                               const RankingOptions& options, Warnings& warnings);

}  // namespace dpeval::eval
