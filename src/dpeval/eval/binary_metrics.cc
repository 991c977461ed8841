// compute_binary: one pass for the confusion matrix, log loss and Brier score,
// then the count metrics from the matrix and the ranking metrics from one sort.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dpeval/core/error.h"
#include "dpeval/eval/internal/inputs.h"
#include "dpeval/eval/internal/ranking.h"
#include "dpeval/eval/internal/sum.h"
#include "dpeval/eval/metrics.h"

namespace dpeval::eval {
namespace {

constexpr std::string_view kWhere = "compute_binary";

// sklearn 1.2 log_loss of one row: clip p, form [1 - p, p], divide by its sum
// (not always exactly 1 in floating point), take -log of the true column.
double log_loss_row(uint8_t label, double score) {
  const double p = std::clamp(score, kFloat64Eps, 1.0 - kFloat64Eps);
  const double q = 1.0 - p;
  const double total = q + p;
  return -std::log((label ? p : q) / total);
}

struct RowPass {
  ConfusionMatrix confusion{2};
  internal::NeumaierSum log_loss;
  internal::NeumaierSum brier;
};

RowPass pass_rows(std::span<const uint8_t> labels, std::span<const double> scores, double threshold) {
  RowPass r;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double s = scores[i];
    r.confusion.add(labels[i], s >= threshold ? 1 : 0);
    r.log_loss.add(log_loss_row(labels[i], s));
    const double d = labels[i] - s;
    r.brier.add(d * d);
  }
  return r;
}

void set_count_metrics(BinaryMetrics& m) {
  m.accuracy = confusion_accuracy(m.confusion);
  m.balanced_accuracy = confusion_balanced_accuracy(m.confusion, m.warnings);
  const ClassScores positive = class_scores(m.confusion, 1);
  m.precision = positive.precision;
  m.recall = positive.recall;
  m.f1 = positive.f1;
  if (m.confusion.col_sum(1) == 0) {
    m.warnings.emplace_back(
        "precision is 0.0: no row is predicted positive (sklearn zero_division=\"warn\")");
  }
  if (m.confusion.row_sum(1) == 0) {
    m.warnings.emplace_back("recall is 0.0: the labels hold no positives (sklearn zero_division=\"warn\")");
  }
  m.mcc = confusion_mcc(m.confusion, m.warnings);
  m.cohen_kappa = confusion_cohen_kappa(m.confusion, m.warnings);
}

void set_ranking_metrics(BinaryMetrics& m, std::span<const uint8_t> labels, std::span<const double> scores,
                         const BinaryOptions& options) {
  RankingMetrics r = internal::with_ranking_input(
      labels.size(), [&](size_t i) { return labels[i] == 1; }, [&](size_t i) { return scores[i]; },
      [&](const auto& rows) { return internal::ranking_of(rows, {options.curve_points_max}, m.warnings); });
  m.roc_auc = r.roc_auc;
  m.average_precision = r.average_precision;
  m.roc_curve = std::move(r.roc_curve);
  m.pr_curve = std::move(r.pr_curve);
}

BinaryMetrics compute(std::span<const uint8_t> labels, std::span<const double> scores,
                      const BinaryOptions& options) {
  internal::check_probabilities(kWhere, "scores", scores);
  if (!std::isfinite(options.threshold)) {
    throw ConfigError(fmt::format("{}: threshold = {}: expected a finite number", kWhere, options.threshold));
  }
  if (options.curve_points_max == 1) {
    throw ConfigError(fmt::format("{}: curve_points_max = 1: expected 0 (no curves) or >= 2", kWhere));
  }
  BinaryMetrics m;
  m.n = static_cast<int64_t>(labels.size());
  if (labels.empty()) {
    m.warnings.emplace_back("no rows: every metric is undefined");
    return m;
  }
  RowPass rows = pass_rows(labels, scores, options.threshold);
  m.confusion = rows.confusion;
  const auto n = static_cast<double>(m.n);
  m.log_loss = rows.log_loss.value() / n;
  m.brier = rows.brier.value() / n;
  set_count_metrics(m);
  set_ranking_metrics(m, labels, scores, options);
  return m;
}

}  // namespace

BinaryMetrics compute_binary(std::span<const double> labels, std::span<const double> scores,
                             const BinaryOptions& options) {
  internal::check_same_rows(kWhere, "labels", labels.size(), "scores", scores.size());
  return compute(internal::binary_labels(kWhere, labels), scores, options);
}

BinaryMetrics compute_binary(std::span<const int64_t> labels, std::span<const double> scores,
                             const BinaryOptions& options) {
  internal::check_same_rows(kWhere, "labels", labels.size(), "scores", scores.size());
  return compute(internal::binary_labels(kWhere, labels), scores, options);
}

std::vector<MetricValue> metric_values(const BinaryMetrics& m) {
  return {{"accuracy", m.accuracy},
          {"balanced_accuracy", m.balanced_accuracy},
          {"precision", m.precision},
          {"recall", m.recall},
          {"f1", m.f1},
          {"mcc", m.mcc},
          {"cohen_kappa", m.cohen_kappa},
          {"roc_auc", m.roc_auc},
          {"average_precision", m.average_precision},
          {"log_loss", m.log_loss},
          {"brier", m.brier}};
}

}  // namespace dpeval::eval
