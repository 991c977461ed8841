// Task names and their metric keys (see task_columns.h).
#include "dpeval/eval/task_columns.h"

#include <array>

#include "dpeval/eval/metrics.h"

namespace dpeval::eval {
namespace {

constexpr std::array<std::string_view, 11> kBinary = {
    "accuracy",    "balanced_accuracy", "precision",         "recall",   "f1",   "mcc",
    "cohen_kappa", "roc_auc",           "average_precision", "log_loss", "brier"};
constexpr std::array<std::string_view, 11> kMulticlass = {
    "accuracy", "balanced_accuracy", "f1_macro", "f1_weighted",       "precision_macro", "recall_macro",
    "mcc",      "cohen_kappa",       "log_loss", "roc_auc_ovr_macro", "top2_accuracy"};
constexpr std::array<std::string_view, 7> kRegression = {
    "mse", "rmse", "mae", "r2", "median_absolute_error", "max_error", "mape"};

}  // namespace

std::string_view task_name(Task task) {
  switch (task) {
    case Task::binary:
      return "binary";
    case Task::multiclass:
      return "multiclass";
    case Task::regression:
      return "regression";
  }
  return "unknown";
}

std::span<const std::string_view> task_metric_names(Task task) {
  switch (task) {
    case Task::binary:
      return kBinary;
    case Task::multiclass:
      return kMulticlass;
    case Task::regression:
      return kRegression;
  }
  return {};
}

TaskMetrics compute_task_metrics(const TaskColumns& columns) {
  TaskMetrics out;
  switch (columns.task) {
    case Task::binary: {
      BinaryOptions options;
      options.curve_points_max = 0;
      BinaryMetrics m = compute_binary(columns.labels, columns.scores, options);
      out.values = metric_values(m);
      out.warnings = std::move(m.warnings);
      break;
    }
    case Task::multiclass: {
      MulticlassMetrics m = compute_multiclass(columns.labels, columns.probs, columns.num_classes);
      out.values = metric_values(m);
      out.warnings = std::move(m.warnings);
      break;
    }
    case Task::regression: {
      RegressionMetrics m = compute_regression(columns.labels, columns.predictions);
      out.values = metric_values(m);
      out.warnings = std::move(m.warnings);
      break;
    }
  }
  return out;
}

}  // namespace dpeval::eval
