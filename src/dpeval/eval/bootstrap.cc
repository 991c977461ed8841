// Poisson bootstrap over resamples on a thread pool, then percentile
// intervals, slice-vs-rest p-values and Benjamini-Hochberg flags. See
// bootstrap.h.
#include "dpeval/eval/bootstrap.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/core/thread_pool.h"
#include "dpeval/eval/internal/poisson.h"
#include "dpeval/eval/internal/slice_codes.h"
#include "dpeval/stats/multiple_testing.h"
#include "dpeval/eval/weighted_metrics.h"

namespace dpeval::eval {
namespace {

void check_options(const BootstrapOptions& o) {
  if (o.resamples < 1) throw ConfigError("bootstrap: resamples = 0: expected >= 1");
  if (!(o.level > 0.0 && o.level < 1.0)) {
    throw ConfigError(fmt::format("bootstrap: level = {}: expected 0 < level < 1", o.level));
  }
  if (!(o.fdr > 0.0 && o.fdr < 1.0))
    throw ConfigError(fmt::format("bootstrap: fdr = {}: expected 0 < q < 1", o.fdr));
}

// numpy.percentile(sorted, 100 q), method "linear". Precondition: non-empty.
double percentile_sorted(std::span<const double> sorted, double q) {
  const double h = static_cast<double>(sorted.size() - 1) * q;
  const auto i = static_cast<size_t>(std::floor(h));
  if (i + 1 >= sorted.size()) return sorted.back();
  return sorted[i] + (h - static_cast<double>(i)) * (sorted[i + 1] - sorted[i]);
}

// The interval of values[b * stride] over b < resamples.
MetricInterval interval_of(std::string_view name, std::span<const double> values, size_t stride,
                           size_t resamples, double level) {
  std::vector<double> defined;
  defined.reserve(resamples);
  for (size_t b = 0; b < resamples; ++b) {
    const double v = values[b * stride];
    if (!std::isnan(v)) defined.push_back(v);
  }
  MetricInterval out;
  out.name = name;
  out.resamples_defined = static_cast<int64_t>(defined.size());
  if (defined.empty()) return out;
  std::sort(defined.begin(), defined.end());
  out.lo = percentile_sorted(defined, (1.0 - level) / 2.0);
  out.hi = percentile_sorted(defined, (1.0 + level) / 2.0);
  return out;
}

std::string undefined_warning(std::string_view what, const MetricInterval& interval, size_t resamples) {
  return fmt::format("bootstrap: {}{} is undefined in {} of {} resamples; its interval uses the others", what,
                     interval.name, static_cast<int64_t>(resamples) - interval.resamples_defined, resamples);
}

std::optional<double> find_value(const std::vector<MetricValue>& values, std::string_view name) {
  for (const MetricValue& v : values) {
    if (v.name == name) return v.value;
  }
  return std::nullopt;
}

// One slice column's resample values: [b][group][metric], slice and rest.
struct ColumnDraws {
  SliceColumn* column = nullptr;
  WeightedMetrics::Grouping grouping;
  std::vector<double> group;
  std::vector<double> rest;
};

// A judged (slice, metric) test waiting for Benjamini-Hochberg.
struct PendingTest {
  Slice* slice;
  double p;
  bool worse_interval;  // the interval lies on the worse side of the rest's point value
};

BootstrapResult run(const TaskColumns& columns, std::span<const KeyColumn> keys, SliceReport* slices,
                    const BootstrapOptions& options) {
  check_options(options);
  const std::vector<std::string_view> requested(options.metrics.begin(), options.metrics.end());
  const WeightedMetrics weighted(columns, requested);
  const size_t n = weighted.rows(), metrics = weighted.metric_names().size(), resamples = options.resamples;
  std::vector<ColumnDraws> draws;
  if (slices) {
    for (SliceColumn& column : slices->columns) {
      std::vector<const KeyColumn*> parts;
      for (size_t k : column.key_columns) {
        DPEVAL_CHECK(k < keys.size()) << "slice column " << column.name << " names key " << k;
        parts.push_back(&keys[k]);
      }
      internal::SliceCodes sc = internal::slice_codes(parts, n);
      DPEVAL_CHECK(sc.values.size() == column.slices.size())
          << column.name << ": " << sc.values.size() << " slices in the keys, " << column.slices.size()
          << " in the report: not made from these keys";
      ColumnDraws d;
      d.column = &column;
      d.grouping = weighted.prepare_grouping(sc.codes, sc.values.size());
      d.group.assign(resamples * sc.values.size() * metrics, 0.0);
      d.rest.assign(resamples * sc.values.size() * metrics, 0.0);
      draws.push_back(std::move(d));
    }
  }
  std::vector<double> overall(resamples * metrics);
  ThreadPool pool(options.threads);
  pool.parallel_for(resamples, [&](size_t begin, size_t end) {
    std::vector<uint8_t> counts(n);
    WeightedScratch scratch;
    for (size_t b = begin; b < end; ++b) {
      internal::poisson_counts(options.seed, b, 0, counts);
      weighted.evaluate(counts, std::span<double>(overall).subspan(b * metrics, metrics), scratch);
      for (ColumnDraws& d : draws) {
        const size_t size = d.grouping.count() * metrics;
        weighted.evaluate_groups(counts, d.grouping, std::span<double>(d.group).subspan(b * size, size),
                                 std::span<double>(d.rest).subspan(b * size, size), scratch);
      }
    }
  });

  BootstrapResult result;
  result.resamples = resamples;
  result.seed = options.seed;
  result.level = options.level;
  for (size_t m = 0; m < metrics; ++m) {
    MetricInterval interval =
        interval_of(weighted.metric_names()[m], std::span<const double>(overall).subspan(m), metrics,
                    resamples, options.level);
    if (interval.resamples_defined < static_cast<int64_t>(resamples)) {
      result.warnings.push_back(undefined_warning("", interval, resamples));
    }
    result.intervals.push_back(interval);
  }
  if (!slices) return result;

  std::vector<std::vector<PendingTest>> tests(metrics);  // per metric, in report order
  for (ColumnDraws& d : draws) {
    const size_t groups = d.grouping.count(), stride = groups * metrics;
    SliceColumn& column = *d.column;
    for (size_t g = 0; g < groups; ++g) {
      Slice& slice = column.slices[g];
      slice.intervals.clear();
      slice.p_values.clear();
      slice.significantly_worse.clear();
      for (size_t m = 0; m < metrics; ++m) {
        const std::string_view name = weighted.metric_names()[m];
        const size_t at = g * metrics + m;
        MetricInterval interval =
            interval_of(name, std::span<const double>(d.group).subspan(at), stride, resamples, options.level);
        if (interval.resamples_defined < static_cast<int64_t>(resamples)) {
          slice.warnings.push_back(undefined_warning("", interval, resamples));
        }
        slice.intervals.push_back(interval);
        const std::optional<double> point = find_value(slice.metrics, name);
        const std::optional<double> rest_point = find_value(slice.rest_metrics, name);
        if (slice.too_small || !point || !rest_point || !interval.lo) continue;
        const bool higher_is_better = find_metric_info(name)->higher_is_better;
        int64_t both = 0, not_worse = 0;
        for (size_t b = 0; b < resamples; ++b) {
          const double s = d.group[b * stride + at], r = d.rest[b * stride + at];
          if (std::isnan(s) || std::isnan(r)) continue;
          ++both;
          not_worse += (higher_is_better ? s - r >= 0 : s - r <= 0) ? 1 : 0;
        }
        if (both == 0) continue;
        const double p = static_cast<double>(1 + not_worse) / static_cast<double>(both + 1);
        slice.p_values.push_back({name, p});
        const bool worse_interval =
            higher_is_better ? *interval.hi < *rest_point : *interval.lo > *rest_point;
        tests[m].push_back({&slice, p, worse_interval});
      }
    }
  }
  for (size_t m = 0; m < metrics; ++m) {
    std::vector<double> p;
    for (const PendingTest& t : tests[m]) p.push_back(t.p);
    const std::vector<bool> rejected = stats::benjamini_hochberg(p, options.fdr);
    for (size_t i = 0; i < tests[m].size(); ++i) {
      if (rejected[i] && tests[m][i].worse_interval) {
        tests[m][i].slice->significantly_worse.push_back(weighted.metric_names()[m]);
      }
    }
  }
  return result;
}

}  // namespace

BootstrapResult bootstrap_intervals(const TaskColumns& columns, const BootstrapOptions& options) {
  return run(columns, {}, nullptr, options);
}

BootstrapResult bootstrap_intervals(const TaskColumns& columns, std::span<const KeyColumn> keys,
                                    SliceReport& slices, const BootstrapOptions& options) {
  return run(columns, keys, &slices, options);
}

}  // namespace dpeval::eval
