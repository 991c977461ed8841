// Group fairness of a binary classifier across the values of one sensitive
// key column, for `dpeval eval --sensitive COL`: per group the selection rate
// and error rates, and the disparities fairlearn (0.8) reports.
//
// Per group g (the rows with one value; values no row holds are left out),
// predicted positive iff score >= threshold (0.5), as compute_binary:
//   selection_rate = predicted positives / n_g
//   tpr = tp / (tp + fn)    nullopt (warning) when g holds no positive
//   fnr = fn / (tp + fn)    likewise
//   fpr = fp / (fp + tn)    nullopt (warning) when g holds no negative
// Disparities, each over the groups where the rate is defined:
//   demographic_parity_difference = max - min selection_rate
//   demographic_parity_ratio      = min / max selection_rate  (nullopt when max = 0)
//   equal_opportunity_difference  = max - min tpr
//   equalized_odds_difference     = max(max - min tpr, max - min fpr)
// A disparity is nullopt (warning) when fewer than two groups define its
// rates; where some group leaves a rate undefined, the disparity is taken over
// the others and a warning names the groups left out (fairlearn's confusion
// matrix would report 0 for them instead: a made-up number).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dpeval/eval/key_column.h"
#include "dpeval/eval/metric_info.h"
#include "dpeval/eval/task_columns.h"

namespace dpeval::eval {

struct FairnessOptions {
  double threshold = 0.5;  // finite (ConfigError)
};

struct FairnessGroup {
  std::string value;
  int64_t n = 0;
  int64_t positives = 0;  // rows labelled 1
  std::optional<double> selection_rate;
  std::optional<double> tpr;
  std::optional<double> fpr;
  std::optional<double> fnr;
};

struct FairnessReport {
  std::string sensitive;              // the key column's name
  std::vector<FairnessGroup> groups;  // by code (values order)
  std::optional<double> demographic_parity_difference;
  std::optional<double> demographic_parity_ratio;
  std::optional<double> equal_opportunity_difference;
  std::optional<double> equalized_odds_difference;
  Warnings warnings;
};

// columns.task must be binary (ConfigError otherwise); labels and scores as
// compute_binary validates them, sensitive as slices do (InputError naming
// the row). O(n).
FairnessReport compute_fairness(const TaskColumns& columns, const KeyColumn& sensitive,
                                const FairnessOptions& options = {});

}  // namespace dpeval::eval
