// The walk over distinct score thresholds behind ROC and precision-recall
// curves: sklearn's _binary_clf_curve without materialising its arrays.
//
// Inputs: the keys (see Note [Score keys]) of the positives' scores and of the
// negatives' scores, each sorted ascending, i.e. scores descending. For every
// distinct score v, highest first, visit(v, tps, fps) sees tps = positives with
// score >= v and fps = negatives with score >= v: exactly sklearn's
// (thresholds[i], tps[i], fps[i]). O(P + N), no allocation.
#pragma once

#include <cstdint>
#include <span>

#include "dpeval/eval/internal/score_sort.h"

namespace dpeval::eval::internal {

template <typename Visit>
void walk_thresholds(std::span<const uint64_t> positive_keys, std::span<const uint64_t> negative_keys,
                     Visit&& visit) {
  size_t i = 0, j = 0;
  const size_t p = positive_keys.size(), n = negative_keys.size();
  while (i < p || j < n) {
    const uint64_t key =
        (j == n || (i < p && positive_keys[i] <= negative_keys[j])) ? positive_keys[i] : negative_keys[j];
    while (i < p && positive_keys[i] == key) ++i;
    while (j < n && negative_keys[j] == key) ++j;
    visit(score_from_key_descending(key), static_cast<int64_t>(i), static_cast<int64_t>(j));
  }
}

}  // namespace dpeval::eval::internal
