// The per-task engines behind WeightedMetrics (weighted_metrics.h): one for
// binary, multiclass and regression columns each. An engine computes every
// metric of its task (task_metric_names order, T values) and skips the costly
// parts of the metrics nobody asked for; WeightedMetrics picks the requested
// ones out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "dpeval/eval/task_columns.h"
#include "dpeval/eval/weighted_metrics.h"

namespace dpeval::eval::internal {

// Which of the task's T metrics are wanted: wanted[t] for task index t.
struct MetricSelection {
  std::vector<bool> wanted;
  bool any(std::initializer_list<size_t> task_indices) const {
    for (size_t t : task_indices) {
      if (wanted[t]) return true;
    }
    return false;
  }
};

// A partition of the rows prepared for one engine.
struct TaskGrouping {
  size_t count = 0;
  std::vector<uint32_t> codes;         // row order
  std::vector<uint32_t> sorted_codes;  // in the engine's sorted order (binary, regression)
  // Regression: the sorted positions of each group's rows, ascending, as CSR.
  std::vector<uint32_t> offsets;  // count + 1
  std::vector<uint32_t> positions;
};

class WeightedTask {
 public:
  virtual ~WeightedTask() = default;
  virtual Task task() const = 0;
  virtual size_t rows() const = 0;
  // Fills what the engine needs beyond grouping.codes / count.
  virtual void prepare(TaskGrouping& grouping) const = 0;
  // grouping == nullptr: all rows, group_values holds T values, rest_values is
  // unused. Otherwise group_values and rest_values hold count x T values.
  // NaN: undefined or not wanted.
  virtual void evaluate(std::span<const uint8_t> counts, const TaskGrouping* grouping,
                        std::span<double> group_values, std::span<double> rest_values,
                        WeightedScratch& scratch) const = 0;
};

std::unique_ptr<WeightedTask> make_weighted_binary(const TaskColumns& columns,
                                                   const MetricSelection& selection);
std::unique_ptr<WeightedTask> make_weighted_multiclass(const TaskColumns& columns,
                                                       const MetricSelection& selection);
std::unique_ptr<WeightedTask> make_weighted_regression(const TaskColumns& columns,
                                                       const MetricSelection& selection);

}  // namespace dpeval::eval::internal
