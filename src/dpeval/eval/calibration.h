// Calibration of probabilistic classifiers: expected and maximum calibration
// error (ECE, MCE) of the top-label confidence, per-bin reliability data, and
// for binary classifiers the Murphy decomposition of the Brier score.
//
// Bins: B equal-width bins over [0, 1], bin b = (b / B, (b + 1) / B], a
// confidence of exactly 0 in bin 0. The edges are sklearn's
// calibration_curve(strategy="uniform") ones, np.linspace(0, 1, B + 1), i.e.
// b * (1.0 / B) in floating point (3 * 0.1 = 0.30000000000000004), so a value
// lands in the bin sklearn puts it in.
//
// Top-label confidence: binary, predicted class = score >= 0.5 and confidence
// = max(score, 1 - score); multiclass, predicted class = argmax (lowest index on
// ties) and confidence = its probability. correct = predicted == label.
//   ECE = sum_b (n_b / n) |acc_b - conf_b|,   MCE = max over non-empty bins.
//
// Inputs as in metrics.h (InputError on bad ones); CalibrationOptions.bins < 1
// is a ConfigError. n = 0 gives nullopt values and a warning. O(n), no sort.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dpeval/eval/metric_info.h"

namespace dpeval::eval {

struct CalibrationOptions {
  size_t bins = 10;  // B >= 1
};

struct CalibrationBin {
  double lower = 0;  // exclusive (inclusive for bin 0)
  double upper = 0;  // inclusive
  int64_t count = 0;
  std::optional<double> accuracy;    // mean correct; nullopt when empty
  std::optional<double> confidence;  // mean confidence; nullopt when empty
};

struct Calibration {
  int64_t n = 0;
  std::optional<double> ece;
  std::optional<double> mce;
  std::vector<CalibrationBin> bins;  // B entries, empty ones included
  Warnings warnings;
};

// The core: correct[i] in {0, 1} (DPEVAL_CHECKed), confidence[i] in [0, 1].
Calibration compute_calibration(std::span<const uint8_t> correct, std::span<const double> confidence,
                                const CalibrationOptions& options = {});

Calibration compute_calibration_binary(std::span<const double> labels, std::span<const double> scores,
                                       const CalibrationOptions& options = {});
Calibration compute_calibration_binary(std::span<const int64_t> labels, std::span<const double> scores,
                                       const CalibrationOptions& options = {});

// probs: n x K row-major.
Calibration compute_calibration_multiclass(std::span<const double> labels, std::span<const double> probs,
                                           size_t num_classes, const CalibrationOptions& options = {});
Calibration compute_calibration_multiclass(std::span<const int64_t> labels, std::span<const double> probs,
                                           size_t num_classes, const CalibrationOptions& options = {});

// ece, mce.
std::vector<MetricValue> metric_values(const Calibration& c);

// Note [Brier decomposition]
// Murphy (1973) over the same B bins, binning the class-1 score s (not the
// top-label confidence). With n_b rows in bin b, f_b their mean score, o_b
// their rate of label 1 and o = the overall rate:
//   reliability = (1/n) sum_b n_b (f_b - o_b)^2    (lower is better)
//   resolution  = (1/n) sum_b n_b (o_b - o)^2      (higher is better)
//   uncertainty = o (1 - o)
// brier = mean (label - s)^2 equals reliability - resolution + uncertainty
// only when every bin's scores are equal; with binning the identity is
// approximate, off by the within-bin variance terms (Stephenson et al. 2008),
// so `brier` is reported beside the three, computed directly.
struct BrierBin {
  double lower = 0;
  double upper = 0;
  int64_t count = 0;
  std::optional<double> mean_score;     // f_b; nullopt when empty
  std::optional<double> observed_rate;  // o_b; nullopt when empty
};

struct BrierDecomposition {
  int64_t n = 0;
  std::optional<double> reliability;
  std::optional<double> resolution;
  std::optional<double> uncertainty;
  std::optional<double> brier;
  std::vector<BrierBin> bins;
  Warnings warnings;
};

BrierDecomposition compute_brier_decomposition(std::span<const double> labels, std::span<const double> scores,
                                               const CalibrationOptions& options = {});
BrierDecomposition compute_brier_decomposition(std::span<const int64_t> labels,
                                               std::span<const double> scores,
                                               const CalibrationOptions& options = {});

// reliability, resolution, uncertainty, brier.
std::vector<MetricValue> metric_values(const BrierDecomposition& d);

}  // namespace dpeval::eval
