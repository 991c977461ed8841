// The weighted engine of regression columns (see Note [Weighted metrics]):
// weighted sums in row order for mse, rmse, mae, mape and r2; the extremes of
// the rows with a nonzero count for max_error and the constant-target test;
// the weighted median of |error| from the rows sorted once by |error|.
//
// Task indices (task_metric_names(Task::regression)): 0 mse, 1 rmse, 2 mae,
// 3 r2, 4 median_absolute_error, 5 max_error, 6 mape.
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "dpeval/core/check.h"
#include "dpeval/eval/internal/inputs.h"
#include "dpeval/eval/internal/sort_rows.h"
#include "dpeval/eval/internal/sum.h"
#include "dpeval/eval/internal/weighted_task.h"
#include "dpeval/eval/metrics.h"

namespace dpeval::eval::internal {
namespace {

constexpr size_t kMetrics = 7;
constexpr size_t kR2 = 3, kMedian = 4, kMaxError = 5;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct RegressionSums {
  int64_t count = 0;
  double squared = 0, absolute = 0, percentage = 0;
  double shifted = 0, shifted_squared = 0;  // sums of w (t - c) and w (t - c)^2
  double target_min = kInf, target_max = -kInf;
  double max_error = -kInf;
  double median = kNaN;
};

void regression_values(const RegressionSums& s, const MetricSelection& sel, std::span<double> out) {
  std::fill(out.begin(), out.end(), kNaN);
  if (s.count == 0) return;
  const auto n = static_cast<double>(s.count);
  const double mse = s.squared / n;
  if (sel.wanted[0]) out[0] = mse;
  if (sel.wanted[1]) out[1] = std::sqrt(mse);
  if (sel.wanted[2]) out[2] = s.absolute / n;
  if (sel.wanted[kR2] && s.target_min != s.target_max) {
    const double total_squares = s.shifted_squared - s.shifted * s.shifted / n;
    out[kR2] = 1.0 - s.squared / total_squares;
  }
  if (sel.wanted[kMedian]) out[kMedian] = s.median;
  if (sel.wanted[kMaxError]) out[kMaxError] = s.max_error;
  if (sel.wanted[6]) out[6] = s.percentage / n;
}

// The sorted position holding the element of 0-based index k (k < total
// count) of the multiset, given prefix(p) = summed count of positions <= p.
template <typename Prefix>
size_t position_of_element(size_t n, int64_t k, Prefix&& prefix) {
  size_t lo = 0, hi = n - 1;  // the answer lies in [lo, hi]
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (prefix(mid) > k) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

class WeightedRegression final : public WeightedTask {
 public:
  WeightedRegression(const TaskColumns& c, const MetricSelection& selection) : sel_(selection) {
    constexpr std::string_view kWhere = "WeightedMetrics (regression)";
    check_same_rows(kWhere, "targets", c.labels.size(), "predictions", c.predictions.size());
    check_finite(kWhere, "targets", c.labels);
    check_finite(kWhere, "predictions", c.predictions);
    n_ = c.labels.size();
    NeumaierSum target_sum;
    for (double t : c.labels) target_sum.add(t);
    const double center = n_ ? target_sum.value() / static_cast<double>(n_) : 0.0;
    abs_error_.resize(n_);
    percentage_.resize(n_);
    target_.assign(c.labels.begin(), c.labels.end());
    shifted_.resize(n_);
    for (size_t i = 0; i < n_; ++i) {
      const double error = std::abs(c.predictions[i] - c.labels[i]);
      abs_error_[i] = error;
      percentage_[i] = error / std::max(std::abs(c.labels[i]), kFloat64Eps);
      shifted_[i] = c.labels[i] - center;
    }
    want_median_ = sel_.wanted[kMedian];
    if (want_median_) {
      std::vector<uint64_t> keys(n_);
      // Non-negative doubles order as their bit patterns.
      for (size_t i = 0; i < n_; ++i) keys[i] = std::bit_cast<uint64_t>(abs_error_[i] + 0.0);
      order_ = rows_sorted_by_key(keys);
      sorted_error_.resize(n_);
      for (size_t i = 0; i < n_; ++i) sorted_error_[i] = abs_error_[order_[i]];
    }
  }

  Task task() const override { return Task::regression; }
  size_t rows() const override { return n_; }

  void prepare(TaskGrouping& g) const override {
    if (!want_median_) return;
    g.sorted_codes.resize(n_);
    g.offsets.assign(g.count + 1, 0);
    for (size_t i = 0; i < n_; ++i) {
      g.sorted_codes[i] = g.codes[order_[i]];
      ++g.offsets[g.sorted_codes[i] + 1];
    }
    for (size_t h = 0; h < g.count; ++h) g.offsets[h + 1] += g.offsets[h];
    g.positions.resize(n_);
    std::vector<uint32_t> next(g.offsets.begin(), g.offsets.end() - 1);
    for (size_t i = 0; i < n_; ++i) g.positions[next[g.sorted_codes[i]]++] = static_cast<uint32_t>(i);
  }

  void evaluate(std::span<const uint8_t> counts, const TaskGrouping* grouping, std::span<double> group_values,
                std::span<double> rest_values, WeightedScratch& scratch) const override {
    const size_t groups = grouping ? grouping->count : 1;
    const uint32_t* codes = grouping ? grouping->codes.data() : nullptr;
    std::vector<RegressionSums> sums(groups);
    struct Acc {
      NeumaierSum squared, absolute, percentage, shifted, shifted_squared;
    };
    std::vector<Acc> acc(groups);
    Acc total_acc;
    for (size_t i = 0; i < n_; ++i) {
      const uint8_t w = counts[i];
      if (w == 0) continue;
      const size_t g = codes ? codes[i] : 0;
      const double wd = w, e = abs_error_[i], d = shifted_[i];
      RegressionSums& s = sums[g];
      s.count += w;
      const double terms[5] = {wd * (e * e), wd * e, wd * percentage_[i], wd * d, wd * (d * d)};
      add_terms(acc[g], terms);
      if (codes) add_terms(total_acc, terms);
      s.target_min = std::min(s.target_min, target_[i]);
      s.target_max = std::max(s.target_max, target_[i]);
      s.max_error = std::max(s.max_error, e);
    }
    for (size_t g = 0; g < groups; ++g) {
      sums[g].squared = acc[g].squared.value();
      sums[g].absolute = acc[g].absolute.value();
      sums[g].percentage = acc[g].percentage.value();
      sums[g].shifted = acc[g].shifted.value();
      sums[g].shifted_squared = acc[g].shifted_squared.value();
    }
    if (want_median_) medians(counts, grouping, sums, scratch);
    if (!grouping) {
      regression_values(sums[0], sel_, group_values);
      return;
    }
    // The rest's extremes: the extremes of every other group (prefix / suffix).
    std::vector<RegressionSums> prefix(groups + 1), suffix(groups + 1);
    for (size_t g = 0; g < groups; ++g) prefix[g + 1] = merge_extremes(prefix[g], sums[g]);
    for (size_t g = groups; g-- > 0;) suffix[g] = merge_extremes(suffix[g + 1], sums[g]);
    int64_t total_count = 0;
    for (const auto& s : sums) total_count += s.count;
    std::vector<double> rest_median = want_median_
                                          ? rest_medians(counts, *grouping, sums, total_count, scratch)
                                          : std::vector<double>(groups, kNaN);
    for (size_t g = 0; g < groups; ++g) {
      const RegressionSums& s = sums[g];
      RegressionSums rest = merge_extremes(prefix[g], suffix[g + 1]);
      rest.count = total_count - s.count;
      rest.squared = total_acc.squared.value() - s.squared;
      rest.absolute = total_acc.absolute.value() - s.absolute;
      rest.percentage = total_acc.percentage.value() - s.percentage;
      rest.shifted = total_acc.shifted.value() - s.shifted;
      rest.shifted_squared = total_acc.shifted_squared.value() - s.shifted_squared;
      rest.median = rest_median[g];
      regression_values(s, sel_, group_values.subspan(g * kMetrics, kMetrics));
      regression_values(rest, sel_, rest_values.subspan(g * kMetrics, kMetrics));
    }
  }

 private:
  static void add_terms(auto& a, const double (&t)[5]) {
    a.squared.add(t[0]);
    a.absolute.add(t[1]);
    a.percentage.add(t[2]);
    a.shifted.add(t[3]);
    a.shifted_squared.add(t[4]);
  }

  static RegressionSums merge_extremes(const RegressionSums& a, const RegressionSums& b) {
    RegressionSums m;
    m.target_min = std::min(a.target_min, b.target_min);
    m.target_max = std::max(a.target_max, b.target_max);
    m.max_error = std::max(a.max_error, b.max_error);
    return m;
  }

  // np.median's element indices of a multiset of `total` elements.
  static int64_t lower_index(int64_t total) { return (total - 1) / 2; }
  static int64_t upper_index(int64_t total) { return total / 2; }

  // Each group's weighted median |error| in one walk of the sorted order.
  void medians(std::span<const uint8_t> counts, const TaskGrouping* grouping,
               std::vector<RegressionSums>& sums, WeightedScratch&) const {
    const size_t groups = sums.size();
    struct Walk {
      int64_t seen = 0;
      double lower = kNaN;
      bool has_lower = false, done = false;
    };
    std::vector<Walk> walk(groups);
    const uint32_t* sorted_codes = grouping ? grouping->sorted_codes.data() : nullptr;
    for (size_t i = 0; i < n_; ++i) {
      const uint8_t w = counts[order_[i]];
      if (w == 0) continue;
      const size_t g = sorted_codes ? sorted_codes[i] : 0;
      Walk& k = walk[g];
      if (k.done) continue;
      k.seen += w;
      const int64_t total = sums[g].count;
      if (!k.has_lower && k.seen > lower_index(total)) {
        k.lower = sorted_error_[i];
        k.has_lower = true;
      }
      if (k.seen > upper_index(total)) {
        sums[g].median = total % 2 == 1 ? sorted_error_[i] : (k.lower + sorted_error_[i]) / 2.0;
        k.done = true;
      }
    }
  }

  // Each group's rest's weighted median |error|: binary searches over the
  // prefix counts of all rows less those of the group (Note [Groups and their
  // rest]).
  std::vector<double> rest_medians(std::span<const uint8_t> counts, const TaskGrouping& grouping,
                                   const std::vector<RegressionSums>& sums, int64_t total_count,
                                   WeightedScratch& scratch) const {
    std::vector<double> out(grouping.count, kNaN);
    if (n_ == 0) return out;
    // prefix[p] = summed count of sorted positions <= p; group_prefix[j] the
    // same over a group's positions (CSR order) j and before, within the group.
    scratch.prefix.resize(n_);
    scratch.group_prefix.resize(n_);
    uint64_t running = 0;
    for (size_t i = 0; i < n_; ++i) {
      running += counts[order_[i]];
      scratch.prefix[i] = running;
    }
    for (size_t g = 0; g < grouping.count; ++g) {
      uint64_t r = 0;
      for (uint32_t j = grouping.offsets[g]; j < grouping.offsets[g + 1]; ++j) {
        r += counts[order_[grouping.positions[j]]];
        scratch.group_prefix[j] = r;
      }
    }
    for (size_t g = 0; g < grouping.count; ++g) {
      const int64_t total = total_count - sums[g].count;
      if (total == 0) continue;
      const uint32_t* pos_begin = grouping.positions.data() + grouping.offsets[g];
      const uint32_t* pos_end = grouping.positions.data() + grouping.offsets[g + 1];
      const uint64_t* gp = scratch.group_prefix.data() + grouping.offsets[g];
      auto rest_prefix = [&](size_t p) {
        const auto j = std::upper_bound(pos_begin, pos_end, static_cast<uint32_t>(p)) - pos_begin;
        const int64_t in_group = j > 0 ? static_cast<int64_t>(gp[j - 1]) : 0;
        return static_cast<int64_t>(scratch.prefix[p]) - in_group;
      };
      const double upper = sorted_error_[position_of_element(n_, upper_index(total), rest_prefix)];
      if (total % 2 == 1) {
        out[g] = upper;
      } else {
        const double lower = sorted_error_[position_of_element(n_, lower_index(total), rest_prefix)];
        out[g] = (lower + upper) / 2.0;
      }
    }
    return out;
  }

  MetricSelection sel_;
  size_t n_ = 0;
  bool want_median_ = false;
  std::vector<double> abs_error_, percentage_, target_, shifted_;  // row order
  std::vector<uint32_t> order_;  // sorted position -> row, |error| ascending
  std::vector<double> sorted_error_;
};

}  // namespace

std::unique_ptr<WeightedTask> make_weighted_regression(const TaskColumns& columns,
                                                       const MetricSelection& selection) {
  DPEVAL_CHECK(selection.wanted.size() == kMetrics);
  return std::make_unique<WeightedRegression>(columns, selection);
}

}  // namespace dpeval::eval::internal
