// The evaluation of one prediction set as the result document of
// docs/EVAL.md: whole-set metrics, confusion matrix, per-class scores,
// calibration, curves, slices with bootstrap intervals, fairness. What
// `dpeval eval` prints and `dpeval train` stores for every run. Gates are
// judged on the finished document (gates.h) and added by the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dpeval/eval/predictions.h"

namespace dpeval::eval {

struct EvalOptions {
  size_t bins = 15;  // calibration bins, >= 1
  std::vector<std::string> slice_by;
  bool slice_cross = false;
  int64_t min_slice_size = 30;
  size_t bootstrap = 0;  // resamples; 0: no intervals
  uint64_t seed = 0;
  std::string sensitive;  // binary only: the fairness column; empty: none
  size_t threads = 0;     // 0: hardware
  size_t curve_points = 256;
  // The classes' names, in class order (empty: none): the document's
  // "class_names" and each per_class entry's "name". ConfigError unless there
  // are num_classes of them (binary and multiclass only).
  std::vector<std::string> class_names;
};

// The version of the document evaluate_document writes ("schema"); readers
// refuse another.
inline constexpr const char* kEvalSchema = "dpeval.eval/1";

// Every key column named in `options` must be in p.keys (the reader was asked
// to keep them). Throws ConfigError for bad options, InputError for bad data.
nlohmann::json evaluate_document(const Predictions& p, const EvalOptions& options);

// The calibration part alone ({"bins", "ece", "mce", "reliability": [...]},
// and the Brier decomposition for binary input): for before/after
// recalibration figures. `probs` is n x K (multiclass) or n scores (binary).
nlohmann::json calibration_json(Task task, std::span<const double> labels, std::span<const double> values,
                                size_t num_classes, size_t bins);

}  // namespace dpeval::eval
