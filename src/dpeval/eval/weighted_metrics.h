// Every metric of metrics.h with an integer count per row: the metric of the
// multiset where row i occurs counts[i] times. What bootstrap resamples
// (bootstrap.h) and slice comparisons (slices.h) are computed with.
//
// Note [Weighted metrics]
// A count is an integer 0..255 (a Poisson bootstrap draws Poisson(1) counts).
// The weighted value is the core's value on the multiset, computed from
// weighted sums without materialising it:
//   count metrics     a confusion matrix of summed counts, then the core's
//                     confusion_* functions (exact integers)
//   roc_auc, AP       one walk over the rows sorted once by score (the same
//                     order for every resample), summing counts per distinct
//                     score; AUC from int64 sums, exact; multiclass one sort
//                     per class for roc_auc_ovr_macro
//   log_loss, brier,  compensated sums of count * per-row term (terms computed
//   mse, mae, mape    once)
//   r2                SS_tot = S2 - S1^2 / W with S1, S2 the sums of
//                     count * (t - c) and count * (t - c)^2 around c = the
//                     unweighted target mean: with all counts 1 it is the
//                     core's two-pass sum up to rounding
//   median_abs_error  a walk over the rows sorted once by |error|; even total
//                     count: the mean of the two middle values, as np.median
//   max_error         the largest |error| among rows with a nonzero count
// With every count 1 each value equals compute_binary / compute_multiclass /
// compute_regression to 1e-12 relative (bitwise for the count metrics and
// roc_auc; tests/eval/weighted_metrics_test.cc). Undefined values (NaN here,
// nullopt in compute_weighted) follow Note [Undefined metrics]: a zero total
// count is "empty", a class with zero summed count is absent.
//
// Note [Groups and their rest]
// evaluate_groups() takes a partition of the rows into groups (one slice
// column: a group per value) and gives every metric on each group's rows and
// on the rest of the rows, in O(n) per call for everything but two metrics:
// the rest's sums and confusion matrix are the total minus the group's;
// the rest's AUC comes from the same walk (its area over stretches of scores
// where the group has no rows is the total's area minus 2 TP_group dFP);
// the rest's median |error| is found by binary search over prefix counts.
// average_precision of the rest is not decomposable: it costs one more walk
// per group (O(n * groups) per call); multiclass walks K sorted orders.
//
// Thread safety: a WeightedMetrics is immutable after construction; evaluate*
// may run concurrently from many threads, each with its own WeightedScratch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/eval/metric_info.h"
#include "dpeval/eval/task_columns.h"

namespace dpeval::eval {

namespace internal {
class WeightedTask;
struct TaskGrouping;
}  // namespace internal

// Per-thread buffers of evaluate*(); reused across calls, grown on demand.
struct WeightedScratch {
  std::vector<uint8_t> sorted_counts;
  std::vector<uint64_t> prefix;
  std::vector<uint64_t> group_prefix;
  std::vector<double> values;
};

class WeightedMetrics {
 public:
  // A partition of the rows, prepared for one WeightedMetrics (made by
  // prepare_grouping(), used by evaluate_groups()).
  class Grouping {
   public:
    Grouping();
    ~Grouping();
    Grouping(Grouping&&) noexcept;
    Grouping& operator=(Grouping&&) noexcept;
    size_t count() const;

   private:
    friend class WeightedMetrics;
    std::unique_ptr<internal::TaskGrouping> impl_;
  };

  // Validates `columns` as compute_binary / compute_multiclass /
  // compute_regression do (InputError naming the row) and prepares them:
  // per-row terms, the sorted orders. Copies what it needs: `columns` may go
  // away afterwards. `metrics`: the keys to compute, a subset of
  // task_metric_names(task) in any order (ConfigError naming an unknown or
  // repeated key); empty: all of them. Rows < 2^32 (InputError otherwise).
  // Cost: O(n) plus one radix sort (binary, regression) or K (multiclass).
  explicit WeightedMetrics(const TaskColumns& columns, std::span<const std::string_view> metrics = {});
  ~WeightedMetrics();
  WeightedMetrics(WeightedMetrics&&) noexcept;
  WeightedMetrics& operator=(WeightedMetrics&&) noexcept;

  Task task() const;
  size_t rows() const;
  // The keys evaluate*() write, in their order.
  std::span<const std::string_view> metric_names() const;

  // codes[i] < count, codes.size() == rows() (DPEVAL_CHECKed). O(n).
  Grouping prepare_grouping(std::span<const uint32_t> codes, size_t count) const;

  // out[m] = metric m over all rows, row i counted counts[i] times; NaN where
  // undefined. Preconditions (DPEVAL_CHECKed): counts.size() == rows(),
  // out.size() == metric_names().size().
  void evaluate(std::span<const uint8_t> counts, std::span<double> out, WeightedScratch& scratch) const;

  // For every group g: group_out[g * M + m] over the group's rows and
  // rest_out[g * M + m] over all other rows (M = metric_names().size()), NaN
  // where undefined. See Note [Groups and their rest].
  void evaluate_groups(std::span<const uint8_t> counts, const Grouping& grouping, std::span<double> group_out,
                       std::span<double> rest_out, WeightedScratch& scratch) const;

 private:
  std::unique_ptr<internal::WeightedTask> impl_;
  std::vector<size_t> indices_;  // task index of each output
  std::vector<std::string_view> names_;
};

// The metrics of `columns` (every key of task_metric_names) with row i counted
// counts[i] times; nullopt where undefined. InputError on bad columns or when
// counts.size() != rows.
std::vector<MetricValue> compute_weighted(const TaskColumns& columns, std::span<const uint8_t> counts);

}  // namespace dpeval::eval
