// Ranking metrics from class-split, sorted score keys: what compute_ranking()
// and the multiclass one-vs-rest AUC share. See curves.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "dpeval/eval/curves.h"
#include "dpeval/eval/internal/score_sort.h"

namespace dpeval::eval::internal {

// The keys of the positives' and of the negatives' scores, each sorted (see
// Note [Score keys]).
struct ClassKeys {
  std::vector<uint64_t> positive;
  std::vector<uint64_t> negative;
};

// Builds and sorts the keys of rows 0..n-1: is_positive(i) -> bool, score(i) -> double.
template <typename IsPositive, typename Score>
ClassKeys sorted_class_keys(size_t n, IsPositive&& is_positive, Score&& score) {
  ClassKeys keys;
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

// Trapezoid ROC AUC; nullopt unless both classes occur.
std::optional<double> roc_auc_from_keys(const ClassKeys& keys);

// Everything compute_ranking() reports.
RankingMetrics ranking_from_keys(const ClassKeys& keys, const RankingOptions& options, Warnings& warnings);

}  // namespace dpeval::eval::internal
