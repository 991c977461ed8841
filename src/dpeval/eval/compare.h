// Champion / challenger on the same rows: `dpeval compare`, the promotion gate
// of a retraining pipeline.
//
// Note [Paired comparison]
// Both prediction files must hold the same rows in the same order (the
// labels are compared row by row). Per row, each model gets a value: for
// accuracy 1 when its predicted class (argmax, lowest index on ties; binary:
// score >= 0.5) is the label, else 0; for log_loss the row's loss as
// eval::log_loss computes it (probabilities clipped to [eps, 1 - eps] and
// the row renormalised). The gain is challenger minus champion for accuracy
// and champion minus challenger for log_loss: positive is better either way.
// - Paired bootstrap: resample b weights row r by its Poisson(1) count
//   (Note [Poisson counts], a pure function of seed, b and r), and the gain on
//   resample b is the weighted mean of the per-row gains (the same rows for
//   both models, which is what makes it paired). Interval: numpy's linear
//   percentiles at (1 -+ level) / 2; lower_bound: the (1 - level) percentile,
//   a one-sided bound at `level`.
// - McNemar's exact test (accuracy only): of the n rows where exactly one
//   model is right, k where it is the challenger; under H0 "equally accurate"
//   k ~ Binomial(n, 1/2). p_challenger_better = P(X >= k); p_two_sided is
//   scipy's binomtest(k, n, 0.5).pvalue.
// - The gate: promote iff lower_bound >= min_gain, i.e. the challenger is at
//   least min_gain better at confidence `level` (min_gain 0: at least as
//   good; a negative min_gain tolerates a bounded loss). Identical predictions
//   give gain 0 in every resample, so they pass at min_gain 0 and fail above.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "dpeval/eval/predictions.h"

namespace dpeval::eval {

struct CompareOptions {
  std::string metric = "accuracy";  // accuracy or log_loss (ConfigError otherwise)
  double min_gain = 0;
  size_t resamples = 1000;  // >= 1
  uint64_t seed = 0;
  double level = 0.95;  // in (0, 1)
  size_t threads = 0;   // 0: hardware_concurrency
};

struct CompareResult {
  std::string metric;
  size_t n = 0;
  double champion = 0, challenger = 0;  // the metric on all rows
  double gain = 0;                      // positive: the challenger is better
  double gain_lo = 0, gain_hi = 0;      // percentile interval at `level`
  double lower_bound = 0;               // one-sided bound at `level`
  double level = 0.95, min_gain = 0;
  size_t resamples = 0;
  uint64_t seed = 0;
  // Accuracy only: rows only one model gets right, and McNemar's exact p-values.
  std::optional<uint64_t> only_champion_right, only_challenger_right;
  std::optional<double> mcnemar_p_two_sided, mcnemar_p_challenger_better;
  bool promote = false;
};

// See Note [Paired comparison]. Throws InputError naming both sources when the
// tasks, row counts, class counts or any row's label differ (the first such
// row, 1-based), ConfigError for bad options.
CompareResult compare_predictions(const Predictions& champion, const Predictions& challenger,
                                  const CompareOptions& options);

}  // namespace dpeval::eval
