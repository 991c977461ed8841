// What is evaluated: the task kind and its in-memory columns, as spans over
// the caller's data (nothing is copied or owned). The input of slices
// (slices.h), bootstrap intervals (bootstrap.h) and weighted metrics
// (weighted_metrics.h); the predictions reader (predictions.h) fills one.
//
// Columns per task (n rows; the spans a task does not use stay empty):
//   binary      labels (0 or 1), scores (probability of class 1, in [0, 1])
//   multiclass  labels (0..K-1), probs (n x K row-major), num_classes = K >= 2
//   regression  labels (the targets), predictions; both finite
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "dpeval/eval/metric_info.h"

namespace dpeval::eval {

enum class Task { binary, multiclass, regression };

// "binary", "multiclass", "regression".
std::string_view task_name(Task task);

struct TaskColumns {
  Task task = Task::binary;
  std::span<const double> labels;
  std::span<const double> scores;       // binary
  std::span<const double> probs;        // multiclass: n x num_classes
  size_t num_classes = 0;               // multiclass
  std::span<const double> predictions;  // regression

  // labels.size().
  size_t rows() const { return labels.size(); }
};

// The metric keys a task reports, in the order of metrics.h's metric_values():
//   binary      accuracy, balanced_accuracy, precision, recall, f1, mcc,
//               cohen_kappa, roc_auc, average_precision, log_loss, brier
//   multiclass  accuracy, balanced_accuracy, f1_macro, f1_weighted,
//               precision_macro, recall_macro, mcc, cohen_kappa, log_loss,
//               roc_auc_ovr_macro, top2_accuracy
//   regression  mse, rmse, mae, r2, median_absolute_error, max_error, mape
std::span<const std::string_view> task_metric_names(Task task);

// The core's metrics of the columns: compute_binary (threshold 0.5, no
// curves), compute_multiclass or compute_regression, as metric_values() lists
// them (task_metric_names order), and their warnings. Throws what they throw.
struct TaskMetrics {
  std::vector<MetricValue> values;
  Warnings warnings;
};
TaskMetrics compute_task_metrics(const TaskColumns& columns);

}  // namespace dpeval::eval
