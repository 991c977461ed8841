// ECE / MCE over uniform bins and the Brier decomposition (see calibration.h).
#include "dpeval/eval/calibration.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/eval/internal/argmax.h"
#include "dpeval/eval/internal/inputs.h"
#include "dpeval/eval/internal/sum.h"
#include "dpeval/eval/internal/uniform_bins.h"

namespace dpeval::eval {
namespace {

void check_options(std::string_view where, const CalibrationOptions& options) {
  if (options.bins < 1) throw ConfigError(fmt::format("{}: bins = 0: expected at least 1", where));
}

// Per-bin sums of a 0/1 outcome and of a value in [0, 1].
struct BinSums {
  explicit BinSums(size_t bins) : count(bins, 0), outcome(bins), value(bins) {}
  std::vector<int64_t> count;
  std::vector<internal::NeumaierSum> outcome;
  std::vector<internal::NeumaierSum> value;
};

// Bins rows 0..n-1 by value(i), summing outcome(i) (bool) and value(i).
template <typename Outcome, typename Value>
BinSums sum_bins(size_t n, const internal::UniformBins& bins, Outcome&& outcome, Value&& value) {
  BinSums s(bins.count());
  for (size_t i = 0; i < n; ++i) {
    const double v = value(i);
    const size_t b = bins.index_of(v);
    ++s.count[b];
    s.outcome[b].add(outcome(i) ? 1.0 : 0.0);
    s.value[b].add(v);
  }
  return s;
}

Calibration calibration_from_sums(const BinSums& s, const internal::UniformBins& bins, size_t n) {
  Calibration c;
  c.n = static_cast<int64_t>(n);
  if (n == 0) {
    c.warnings.emplace_back("no rows: ece and mce are undefined");
  } else {
    c.ece = 0.0;
  }
  for (size_t b = 0; b < bins.count(); ++b) {
    CalibrationBin bin{bins.edge(b), bins.edge(b + 1), s.count[b], std::nullopt, std::nullopt};
    if (bin.count > 0) {
      const auto count = static_cast<double>(bin.count);
      bin.accuracy = s.outcome[b].value() / count;
      bin.confidence = s.value[b].value() / count;
      const double gap = std::abs(*bin.accuracy - *bin.confidence);
      *c.ece += count / static_cast<double>(n) * gap;
      c.mce = std::max(c.mce.value_or(0.0), gap);
    }
    c.bins.push_back(bin);
  }
  return c;
}

template <typename Correct, typename Confidence>
Calibration calibrate(size_t n, Correct&& correct, Confidence&& confidence,
                      const CalibrationOptions& options) {
  const internal::UniformBins bins(options.bins);
  return calibration_from_sums(sum_bins(n, bins, correct, confidence), bins, n);
}

Calibration calibrate_binary(std::span<const uint8_t> labels, std::span<const double> scores,
                             const CalibrationOptions& options) {
  return calibrate(
      labels.size(), [&](size_t i) { return (scores[i] >= 0.5 ? 1 : 0) == labels[i]; },
      [&](size_t i) { return std::max(scores[i], 1.0 - scores[i]); }, options);
}

// sum_bins' loop with one argmax a row (correct and confidence share it):
// the same sums in the same order as calibrate() with the two lambdas.
Calibration calibrate_multiclass(std::span<const int32_t> labels, std::span<const double> probs, size_t k,
                                 const CalibrationOptions& options) {
  const internal::UniformBins bins(options.bins);
  BinSums s(bins.count());
  for (size_t i = 0; i < labels.size(); ++i) {
    const size_t predicted = internal::argmax(probs.subspan(i * k, k));
    const double confidence = probs[i * k + predicted];
    const size_t b = bins.index_of(confidence);
    ++s.count[b];
    s.outcome[b].add(predicted == static_cast<size_t>(labels[i]) ? 1.0 : 0.0);
    s.value[b].add(confidence);
  }
  return calibration_from_sums(s, bins, labels.size());
}

void check_multiclass_probs(std::string_view where, size_t rows, std::span<const double> probs, size_t k) {
  if (probs.size() / k != rows || probs.size() % k != 0) {
    throw InputError(fmt::format("{}: probs has {} values: expected labels' {} rows x {} classes", where,
                                 probs.size(), rows, k));
  }
  internal::check_probabilities(where, "probs", probs);
}

// The double and int64 label overloads share one body each; Label is double
// or int64_t, and the internal:: label checks are overloaded on it.
template <typename Label>
Calibration compute_calibration_binary_any(std::span<const Label> labels, std::span<const double> scores,
                                           const CalibrationOptions& options) {
  constexpr std::string_view kWhere = "compute_calibration_binary";
  check_options(kWhere, options);
  internal::check_same_rows(kWhere, "labels", labels.size(), "scores", scores.size());
  internal::check_probabilities(kWhere, "scores", scores);
  return calibrate_binary(internal::binary_labels(kWhere, labels), scores, options);
}

template <typename Label>
Calibration compute_calibration_multiclass_any(std::span<const Label> labels, std::span<const double> probs,
                                               size_t num_classes, const CalibrationOptions& options) {
  constexpr std::string_view kWhere = "compute_calibration_multiclass";
  check_options(kWhere, options);
  const auto classes = internal::class_labels(kWhere, labels, num_classes);
  check_multiclass_probs(kWhere, classes.size(), probs, num_classes);
  return calibrate_multiclass(classes, probs, num_classes, options);
}

}  // namespace

Calibration compute_calibration(std::span<const uint8_t> correct, std::span<const double> confidence,
                                const CalibrationOptions& options) {
  constexpr std::string_view kWhere = "compute_calibration";
  check_options(kWhere, options);
  internal::check_same_rows(kWhere, "correct", correct.size(), "confidence", confidence.size());
  internal::check_probabilities(kWhere, "confidence", confidence);
  return calibrate(
      correct.size(),
      [&](size_t i) {
        DPEVAL_CHECK(correct[i] <= 1) << "correct[" << i << "] = " << int{correct[i]};
        return correct[i] == 1;
      },
      [&](size_t i) { return confidence[i]; }, options);
}

Calibration compute_calibration_binary(std::span<const double> labels, std::span<const double> scores,
                                       const CalibrationOptions& options) {
  return compute_calibration_binary_any(labels, scores, options);
}

Calibration compute_calibration_binary(std::span<const int64_t> labels, std::span<const double> scores,
                                       const CalibrationOptions& options) {
  return compute_calibration_binary_any(labels, scores, options);
}

Calibration compute_calibration_multiclass(std::span<const double> labels, std::span<const double> probs,
                                           size_t num_classes, const CalibrationOptions& options) {
  return compute_calibration_multiclass_any(labels, probs, num_classes, options);
}

Calibration compute_calibration_multiclass(std::span<const int64_t> labels, std::span<const double> probs,
                                           size_t num_classes, const CalibrationOptions& options) {
  return compute_calibration_multiclass_any(labels, probs, num_classes, options);
}

std::vector<MetricValue> metric_values(const Calibration& c) { return {{"ece", c.ece}, {"mce", c.mce}}; }

}  // namespace dpeval::eval
