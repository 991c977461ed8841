// Per-row pieces of the K-class metrics shared by compute_multiclass and the
// weighted engine: row is one sample's K probabilities, label its true class
// in [0, K). See Note [Multiclass conventions] in metrics.h.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>

#include "dpeval/eval/metrics.h"

namespace dpeval::eval::internal {

// sklearn 1.2 log_loss of one row: clip every entry, renormalise by the clipped
// row's sum, take -log of the true column.
inline double log_loss_row(std::span<const double> row, size_t label) {
  double total = 0;
  for (double p : row) total += std::clamp(p, kFloat64Eps, 1.0 - kFloat64Eps);
  return -std::log(std::clamp(row[label], kFloat64Eps, 1.0 - kFloat64Eps) / total);
}

// sklearn's top_k_accuracy_score, k = 2: the label is among the two first of a
// descending order that puts the higher index first among ties.
inline bool in_top2(std::span<const double> row, size_t label) {
  const double p = row[label];
  int ahead = 0;
  for (size_t j = 0; j < row.size(); ++j) {
    if (row[j] > p || (row[j] == p && j > label)) ++ahead;
  }
  return ahead < 2;
}

}  // namespace dpeval::eval::internal
