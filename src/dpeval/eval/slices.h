// Slices: every metric of the task per value of a key column ("region =
// north"), and per pair of values of two key columns ("region × device"), each
// beside the same metric on the rest of the rows, for `dpeval eval
// --slice-by colA,colB [--slice-cross] [--min-slice-size N]`. Bootstrap
// intervals and the significantly-worse flags are added by
// bootstrap_intervals() (bootstrap.h).
//
// A slice is the set of rows sharing one value (or one pair of values); the
// slices of one column partition the rows. A value no row holds yields no
// slice. A slice with n < min_slice_size is reported with too_small = true:
// its metrics and intervals are given, but it is never judged (no p-value, no
// significance flag).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/eval/key_column.h"
#include "dpeval/eval/metric_info.h"
#include "dpeval/eval/task_columns.h"

namespace dpeval::eval {

// The separator of crossed column names and values: "region×device",
// "north×mobile".
inline constexpr std::string_view kSliceCrossSeparator = "\u00d7";

struct SliceOptions {
  // Key column names (KeyColumn::name), in report order. Each must exist and be
  // listed once (ConfigError otherwise).
  std::vector<std::string> slice_by;
  // Also every pair (a, b) of slice_by, a listed before b, as one more column
  // "a×b" whose slices are the value pairs that occur.
  bool cross = false;
  // Slices with fewer rows are too small to judge. >= 0 (ConfigError).
  int64_t min_slice_size = 30;
};

// A percentile bootstrap interval of one metric (bootstrap.h). lo / hi are
// nullopt when the metric was undefined in every resample.
struct MetricInterval {
  std::string_view name;
  std::optional<double> lo;
  std::optional<double> hi;
  int64_t resamples_defined = 0;  // of BootstrapOptions::resamples
};

// One-sided bootstrap p-value of "this slice is no worse than the rest".
struct MetricPValue {
  std::string_view name;
  double p = 1;
};

struct Slice {
  std::string value;  // "north"; for a cross "north×mobile"
  int64_t n = 0;
  bool too_small = false;
  // The core's compute_* on the slice's rows (task_metric_names order), and
  // its warnings.
  std::vector<MetricValue> metrics;
  Warnings warnings;
  // The same metrics on all the other rows: what the slice is compared with.
  // Null where undefined, and for every metric when the slice holds all rows.
  std::vector<MetricValue> rest_metrics;
  // Filled by bootstrap_intervals(); empty otherwise. intervals: one per
  // bootstrapped metric; p_values: the metrics the slice was judged on
  // (never for too_small); significantly_worse: the flagged ones.
  std::vector<MetricInterval> intervals;
  std::vector<MetricPValue> p_values;
  std::vector<std::string_view> significantly_worse;
};

struct SliceColumn {
  std::string name;                 // "region", or "region×device" for a cross
  std::vector<size_t> key_columns;  // indices into the keys given: one, or two for a cross
  std::vector<Slice> slices;        // by code: values order (a cross: first column's, then second's)
};

struct SliceReport {
  int64_t min_slice_size = 30;
  std::vector<SliceColumn> columns;  // slice_by order, then the crosses
};

// Slices of `columns` by `keys` (each key's codes.size() == columns.rows() and
// codes < values.size(): InputError naming the column and row otherwise; bad
// columns throw as compute_task_metrics). Cost: the core's metrics once per
// slice (O(n log n) per column in all) plus one WeightedMetrics pass per
// column for the rest values (see Note [Groups and their rest]).
SliceReport compute_slices(const TaskColumns& columns, std::span<const KeyColumn> keys,
                           const SliceOptions& options);

}  // namespace dpeval::eval
