// WeightedMetrics: picks the requested metrics out of the per-task engines
// (internal/weighted_*.cc). See weighted_metrics.h.
#include "dpeval/eval/weighted_metrics.h"

#include <fmt/format.h>

#include <cmath>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/eval/internal/inputs.h"
#include "dpeval/eval/internal/weighted_task.h"

namespace dpeval::eval {

namespace {

// The engine's task indices of the requested keys, in the requested order.
std::vector<size_t> select_indices(Task task, std::span<const std::string_view> metrics) {
  const std::span<const std::string_view> names = task_metric_names(task);
  std::vector<size_t> indices;
  if (metrics.empty()) {
    for (size_t t = 0; t < names.size(); ++t) indices.push_back(t);
    return indices;
  }
  for (std::string_view m : metrics) {
    size_t t = 0;
    while (t < names.size() && names[t] != m) ++t;
    if (t == names.size()) {
      throw ConfigError(fmt::format("metric \"{}\" is not a {} metric: expected one of {}", m,
                                    task_name(task), fmt::join(names, ", ")));
    }
    for (size_t seen : indices) {
      if (seen == t) throw ConfigError(fmt::format("metric \"{}\" is listed twice", m));
    }
    indices.push_back(t);
  }
  return indices;
}

}  // namespace

WeightedMetrics::Grouping::Grouping() = default;
WeightedMetrics::Grouping::~Grouping() = default;
WeightedMetrics::Grouping::Grouping(Grouping&&) noexcept = default;
WeightedMetrics::Grouping& WeightedMetrics::Grouping::operator=(Grouping&&) noexcept = default;
size_t WeightedMetrics::Grouping::count() const { return impl_ ? impl_->count : 0; }

WeightedMetrics::WeightedMetrics(const TaskColumns& columns, std::span<const std::string_view> metrics) {
  const std::vector<size_t> indices = select_indices(columns.task, metrics);
  internal::MetricSelection selection;
  selection.wanted.assign(task_metric_names(columns.task).size(), false);
  for (size_t t : indices) selection.wanted[t] = true;
  if (columns.labels.size() >= (size_t{1} << 32)) {
    throw InputError(
        fmt::format("WeightedMetrics: {} rows: expected fewer than 2^32", columns.labels.size()));
  }
  switch (columns.task) {
    case Task::binary:
      impl_ = internal::make_weighted_binary(columns, selection);
      break;
    case Task::multiclass:
      impl_ = internal::make_weighted_multiclass(columns, selection);
      break;
    case Task::regression:
      impl_ = internal::make_weighted_regression(columns, selection);
      break;
  }
  DPEVAL_CHECK(impl_ != nullptr);
  const std::span<const std::string_view> names = task_metric_names(columns.task);
  indices_ = indices;
  for (size_t t : indices) names_.push_back(names[t]);
}

WeightedMetrics::~WeightedMetrics() = default;
WeightedMetrics::WeightedMetrics(WeightedMetrics&&) noexcept = default;
WeightedMetrics& WeightedMetrics::operator=(WeightedMetrics&&) noexcept = default;

Task WeightedMetrics::task() const { return impl_->task(); }
size_t WeightedMetrics::rows() const { return impl_->rows(); }
std::span<const std::string_view> WeightedMetrics::metric_names() const { return names_; }

WeightedMetrics::Grouping WeightedMetrics::prepare_grouping(std::span<const uint32_t> codes,
                                                            size_t count) const {
  DPEVAL_CHECK(codes.size() == rows()) << codes.size() << " codes for " << rows() << " rows";
  for (size_t i = 0; i < codes.size(); ++i) {
    DPEVAL_CHECK(codes[i] < count) << "codes[" << i << "] = " << codes[i] << " of " << count << " groups";
  }
  Grouping g;
  g.impl_ = std::make_unique<internal::TaskGrouping>();
  g.impl_->count = count;
  g.impl_->codes.assign(codes.begin(), codes.end());
  impl_->prepare(*g.impl_);
  return g;
}

void WeightedMetrics::evaluate(std::span<const uint8_t> counts, std::span<double> out,
                               WeightedScratch& scratch) const {
  DPEVAL_CHECK(counts.size() == rows()) << counts.size() << " counts for " << rows() << " rows";
  DPEVAL_CHECK(out.size() == names_.size()) << out.size() << " outputs for " << names_.size() << " metrics";
  const size_t t_count = task_metric_names(task()).size();
  scratch.values.resize(t_count);
  impl_->evaluate(counts, nullptr, scratch.values, {}, scratch);
  for (size_t m = 0; m < indices_.size(); ++m) out[m] = scratch.values[indices_[m]];
}

void WeightedMetrics::evaluate_groups(std::span<const uint8_t> counts, const Grouping& grouping,
                                      std::span<double> group_out, std::span<double> rest_out,
                                      WeightedScratch& scratch) const {
  DPEVAL_CHECK(grouping.impl_ != nullptr);
  const size_t groups = grouping.count(), metrics = names_.size();
  DPEVAL_CHECK(counts.size() == rows()) << counts.size() << " counts for " << rows() << " rows";
  DPEVAL_CHECK(group_out.size() == groups * metrics && rest_out.size() == groups * metrics)
      << group_out.size() << " / " << rest_out.size() << " outputs for " << groups << " x " << metrics;
  const size_t t_count = task_metric_names(task()).size();
  scratch.values.resize(2 * groups * t_count);
  const std::span<double> group_all(scratch.values.data(), groups * t_count);
  const std::span<double> rest_all(scratch.values.data() + groups * t_count, groups * t_count);
  impl_->evaluate(counts, grouping.impl_.get(), group_all, rest_all, scratch);
  for (size_t g = 0; g < groups; ++g) {
    for (size_t m = 0; m < metrics; ++m) {
      group_out[g * metrics + m] = group_all[g * t_count + indices_[m]];
      rest_out[g * metrics + m] = rest_all[g * t_count + indices_[m]];
    }
  }
}

std::vector<MetricValue> compute_weighted(const TaskColumns& columns, std::span<const uint8_t> counts) {
  internal::check_same_rows("compute_weighted", "labels", columns.labels.size(), "counts", counts.size());
  const WeightedMetrics metrics(columns);
  std::vector<double> values(metrics.metric_names().size());
  WeightedScratch scratch;
  metrics.evaluate(counts, values, scratch);
  std::vector<MetricValue> out;
  for (size_t m = 0; m < values.size(); ++m) {
    out.push_back(
        {metrics.metric_names()[m], std::isnan(values[m]) ? std::nullopt : std::optional<double>(values[m])});
  }
  return out;
}

}  // namespace dpeval::eval
