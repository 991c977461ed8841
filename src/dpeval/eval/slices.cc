// compute_slices: the core's metrics on each slice's rows, and the weighted
// engine's (all counts 1) on the rest of the rows. See slices.h.
#include "dpeval/eval/slices.h"

#include <fmt/format.h>

#include <cmath>

#include "dpeval/core/error.h"
#include "dpeval/eval/internal/slice_codes.h"
#include "dpeval/eval/weighted_metrics.h"

namespace dpeval::eval {
namespace {

// The rows of each slice, as CSR: rows[offsets[s] .. offsets[s + 1]).
struct SliceRows {
  std::vector<size_t> offsets;
  std::vector<uint32_t> rows;
};

SliceRows rows_by_slice(const internal::SliceCodes& sc) {
  SliceRows out;
  out.offsets.assign(sc.values.size() + 1, 0);
  for (size_t s = 0; s < sc.sizes.size(); ++s)
    out.offsets[s + 1] = out.offsets[s] + static_cast<size_t>(sc.sizes[s]);
  out.rows.resize(sc.codes.size());
  std::vector<size_t> next(out.offsets.begin(), out.offsets.end() - 1);
  for (size_t i = 0; i < sc.codes.size(); ++i) out.rows[next[sc.codes[i]]++] = static_cast<uint32_t>(i);
  return out;
}

// The core's metrics on a subset of the rows.
TaskMetrics subset_metrics(const TaskColumns& columns, std::span<const uint32_t> rows) {
  std::vector<double> labels(rows.size()), values;
  for (size_t j = 0; j < rows.size(); ++j) labels[j] = columns.labels[rows[j]];
  TaskColumns sub;
  sub.task = columns.task;
  sub.labels = labels;
  sub.num_classes = columns.num_classes;
  switch (columns.task) {
    case Task::binary:
      values.resize(rows.size());
      for (size_t j = 0; j < rows.size(); ++j) values[j] = columns.scores[rows[j]];
      sub.scores = values;
      break;
    case Task::multiclass: {
      const size_t k = columns.num_classes;
      values.resize(rows.size() * k);
      for (size_t j = 0; j < rows.size(); ++j) {
        for (size_t c = 0; c < k; ++c) values[j * k + c] = columns.probs[size_t{rows[j]} * k + c];
      }
      sub.probs = values;
      break;
    }
    case Task::regression:
      values.resize(rows.size());
      for (size_t j = 0; j < rows.size(); ++j) values[j] = columns.predictions[rows[j]];
      sub.predictions = values;
      break;
  }
  return compute_task_metrics(sub);
}

std::optional<double> value_or_null(double v) {
  return std::isnan(v) ? std::nullopt : std::optional<double>(v);
}

}  // namespace

SliceReport compute_slices(const TaskColumns& columns, std::span<const KeyColumn> keys,
                           const SliceOptions& options) {
  if (options.min_slice_size < 0) {
    throw ConfigError(fmt::format("min_slice_size = {}: expected >= 0", options.min_slice_size));
  }
  SliceReport report;
  report.min_slice_size = options.min_slice_size;
  const std::vector<internal::SliceColumnSpec> specs =
      internal::slice_column_specs(keys, options.slice_by, options.cross);
  if (specs.empty()) return report;
  const WeightedMetrics weighted(columns);  // validates the columns, naming the row
  const size_t n = weighted.rows(), metrics = weighted.metric_names().size();
  const std::vector<uint8_t> ones(n, 1);
  WeightedScratch scratch;
  for (const internal::SliceColumnSpec& spec : specs) {
    std::vector<const KeyColumn*> parts;
    for (size_t k : spec.key_columns) parts.push_back(&keys[k]);
    const internal::SliceCodes sc = internal::slice_codes(parts, n);
    const size_t groups = sc.values.size();
    const WeightedMetrics::Grouping grouping = weighted.prepare_grouping(sc.codes, groups);
    std::vector<double> group_values(groups * metrics), rest_values(groups * metrics);
    weighted.evaluate_groups(ones, grouping, group_values, rest_values, scratch);
    const SliceRows rows = rows_by_slice(sc);
    SliceColumn column;
    column.name = spec.name;
    column.key_columns = spec.key_columns;
    for (size_t s = 0; s < groups; ++s) {
      Slice slice;
      slice.value = sc.values[s];
      slice.n = sc.sizes[s];
      slice.too_small = slice.n < options.min_slice_size;
      TaskMetrics m = subset_metrics(columns, std::span<const uint32_t>(rows.rows).subspan(
                                                  rows.offsets[s], rows.offsets[s + 1] - rows.offsets[s]));
      slice.metrics = std::move(m.values);
      slice.warnings = std::move(m.warnings);
      for (size_t j = 0; j < metrics; ++j) {
        slice.rest_metrics.push_back(
            {weighted.metric_names()[j], value_or_null(rest_values[s * metrics + j])});
      }
      column.slices.push_back(std::move(slice));
    }
    report.columns.push_back(std::move(column));
  }
  return report;
}

}  // namespace dpeval::eval
