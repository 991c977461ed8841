// Murphy's decomposition of the Brier score over uniform bins of the class-1
// score. See Note [Brier decomposition] in calibration.h.
#include <fmt/format.h>

#include "dpeval/core/error.h"
#include "dpeval/eval/calibration.h"
#include "dpeval/eval/internal/inputs.h"
#include "dpeval/eval/internal/sum.h"
#include "dpeval/eval/internal/uniform_bins.h"

namespace dpeval::eval {
namespace {

constexpr std::string_view kWhere = "compute_brier_decomposition";

struct ScoreBins {
  explicit ScoreBins(size_t bins) : count(bins, 0), positives(bins, 0), score(bins) {}
  std::vector<int64_t> count;
  std::vector<int64_t> positives;
  std::vector<internal::NeumaierSum> score;
  internal::NeumaierSum brier;
  int64_t positives_total = 0;
};

ScoreBins sum_bins(std::span<const uint8_t> labels, std::span<const double> scores,
                   const internal::UniformBins& bins) {
  ScoreBins s(bins.count());
  for (size_t i = 0; i < labels.size(); ++i) {
    const size_t b = bins.index_of(scores[i]);
    ++s.count[b];
    s.positives[b] += labels[i];
    s.positives_total += labels[i];
    s.score[b].add(scores[i]);
    const double d = labels[i] - scores[i];
    s.brier.add(d * d);
  }
  return s;
}

BrierDecomposition decompose(std::span<const uint8_t> labels, std::span<const double> scores,
                             const CalibrationOptions& options) {
  const internal::UniformBins bins(options.bins);
  const ScoreBins s = sum_bins(labels, scores, bins);
  BrierDecomposition d;
  d.n = static_cast<int64_t>(labels.size());
  const auto n = static_cast<double>(d.n);
  const double base_rate = d.n > 0 ? static_cast<double>(s.positives_total) / n : 0.0;
  double reliability = 0, resolution = 0;
  for (size_t b = 0; b < bins.count(); ++b) {
    BrierBin bin{bins.edge(b), bins.edge(b + 1), s.count[b], std::nullopt, std::nullopt};
    if (bin.count > 0) {
      const auto count = static_cast<double>(bin.count);
      bin.mean_score = s.score[b].value() / count;
      bin.observed_rate = static_cast<double>(s.positives[b]) / count;
      reliability += count * (*bin.mean_score - *bin.observed_rate) * (*bin.mean_score - *bin.observed_rate);
      resolution += count * (*bin.observed_rate - base_rate) * (*bin.observed_rate - base_rate);
    }
    d.bins.push_back(bin);
  }
  if (d.n == 0) {
    d.warnings.emplace_back("no rows: the Brier decomposition is undefined");
    return d;
  }
  d.reliability = reliability / n;
  d.resolution = resolution / n;
  d.uncertainty = base_rate * (1.0 - base_rate);
  d.brier = s.brier.value() / n;
  return d;
}

void check_inputs(size_t labels, std::span<const double> scores, const CalibrationOptions& options) {
  if (options.bins < 1) throw ConfigError(fmt::format("{}: bins = 0: expected at least 1", kWhere));
  internal::check_same_rows(kWhere, "labels", labels, "scores", scores.size());
  internal::check_probabilities(kWhere, "scores", scores);
}

}  // namespace

BrierDecomposition compute_brier_decomposition(std::span<const double> labels, std::span<const double> scores,
                                               const CalibrationOptions& options) {
  check_inputs(labels.size(), scores, options);
  return decompose(internal::binary_labels(kWhere, labels), scores, options);
}

BrierDecomposition compute_brier_decomposition(std::span<const int64_t> labels,
                                               std::span<const double> scores,
                                               const CalibrationOptions& options) {
  check_inputs(labels.size(), scores, options);
  return decompose(internal::binary_labels(kWhere, labels), scores, options);
}

std::vector<MetricValue> metric_values(const BrierDecomposition& d) {
  return {{"reliability", d.reliability},
          {"resolution", d.resolution},
          {"uncertainty", d.uncertainty},
          {"brier", d.brier}};
}

}  // namespace dpeval::eval
