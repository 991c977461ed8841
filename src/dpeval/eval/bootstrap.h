// Poisson bootstrap confidence intervals for every metric, overall and per
// slice, and the significantly-worse flags of slices, for `dpeval eval
// --bootstrap N --seed S`.
//
// Resample b counts row r Poisson(1) times (see Note [Poisson counts] in
// internal/poisson.h: a pure function of (seed, b, r)), and every metric is
// recomputed with those counts (see Note [Weighted metrics]): one sort of the
// scores serves every resample. Resamples run in parallel on a thread pool,
// each written to its own slot, so results are bitwise identical for any
// thread count. Interval: the percentile interval, numpy's linear
// interpolation at (1 - level) / 2 and (1 + level) / 2 of the values over the
// resamples where the metric is defined (a resample of a small slice may hold
// no positive: its AUC is undefined and left out, counted in
// resamples_defined, with a warning).
//
// Note [Slice significance]
// For each bootstrapped metric and each judged slice S (n >= min_slice_size),
// with R the rest of the rows:
//   1. every resample b gives m_b(S) and m_b(R) from the same counts, and
//      d_b = m_b(S) - m_b(R), over the B' resamples where both are defined;
//   2. the one-sided p-value of H0 "S is no worse than R" is
//        p = (1 + #{b : d_b >= 0}) / (B' + 1)  where higher is better
//        p = (1 + #{b : d_b <= 0}) / (B' + 1)  where lower is better
//      (metric_info's higher_is_better);
//   3. Benjamini-Hochberg at q = fdr (default 0.05) runs over the p-values of
//      all judged slices of all slice columns, crosses included, for that
//      metric (stats/multiple_testing.h);
//   4. S is flagged significantly_worse for the metric iff its test is
//      rejected AND its percentile interval lies entirely on the worse side of
//      R's point value: hi < m(R) where higher is better, lo > m(R) otherwise.
// Not judged (no p-value): too_small slices, metrics undefined at the point on
// S or on R, and metrics with B' = 0. The smallest possible p is 1 / (B' + 1),
// so BH over m tests can reject only when 1 / (B' + 1) <= q / m: B = 1000
// allows flags among up to ~50 slices at q = 0.05.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dpeval/eval/key_column.h"
#include "dpeval/eval/metric_info.h"
#include "dpeval/eval/slices.h"
#include "dpeval/eval/task_columns.h"

namespace dpeval::eval {

struct BootstrapOptions {
  size_t resamples = 1000;  // B >= 1 (ConfigError)
  uint64_t seed = 0;
  double level = 0.95;  // 0 < level < 1 (ConfigError)
  double fdr = 0.05;    // BH q, 0 < q < 1 (ConfigError)
  size_t threads = 0;   // 0: std::thread::hardware_concurrency()
  // The metric keys to bootstrap, a subset of task_metric_names(task)
  // (ConfigError otherwise); empty: all of them.
  std::vector<std::string> metrics;
};

struct BootstrapResult {
  size_t resamples = 0;
  uint64_t seed = 0;
  double level = 0.95;
  std::vector<MetricInterval> intervals;  // over all rows, one per bootstrapped metric
  Warnings warnings;
};

// Intervals over all rows. Columns are validated as the core does
// (InputError). Cost: O(n) per resample plus one sort (see weighted_metrics.h),
// memory O(n) per thread.
BootstrapResult bootstrap_intervals(const TaskColumns& columns, const BootstrapOptions& options);

// The same, and for every slice of `slices` (made by compute_slices from the
// same columns and keys) its intervals, p-values and significantly_worse flags
// (Note [Slice significance]); rows over slices share each resample's counts.
BootstrapResult bootstrap_intervals(const TaskColumns& columns, std::span<const KeyColumn> keys,
                                    SliceReport& slices, const BootstrapOptions& options);

}  // namespace dpeval::eval
