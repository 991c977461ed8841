// Group rates and fairlearn's disparities (see fairness.h).
#include "dpeval/eval/fairness.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dpeval/core/error.h"
#include "dpeval/eval/internal/inputs.h"
#include "dpeval/eval/internal/slice_codes.h"

namespace dpeval::eval {
namespace {

constexpr std::string_view kWhere = "compute_fairness";

// max - min (and min / max) of one rate over the groups defining it, with the
// warnings of fairness.h.
struct Range {
  std::optional<double> min, max;
};

Range range_of(const std::vector<FairnessGroup>& groups, std::optional<double> FairnessGroup::*rate,
               std::string_view rate_name, std::string_view why_undefined, std::string_view disparity,
               Warnings& warnings) {
  Range r;
  std::vector<std::string_view> left_out;
  size_t defined = 0;
  for (const FairnessGroup& g : groups) {
    const std::optional<double>& v = g.*rate;
    if (!v) {
      left_out.push_back(g.value);
      continue;
    }
    ++defined;
    r.min = r.min ? std::min(*r.min, *v) : *v;
    r.max = r.max ? std::max(*r.max, *v) : *v;
  }
  if (defined < 2) {
    warnings.push_back(fmt::format("{} is undefined: fewer than two groups have a {}", disparity, rate_name));
    return {};
  }
  if (!left_out.empty()) {
    warnings.push_back(fmt::format("{} leaves out groups [{}]: {} ({} undefined)", disparity,
                                   fmt::join(left_out, ", "), why_undefined, rate_name));
  }
  return r;
}

}  // namespace

FairnessReport compute_fairness(const TaskColumns& columns, const KeyColumn& sensitive,
                                const FairnessOptions& options) {
  if (columns.task != Task::binary) {
    throw ConfigError(
        fmt::format("{}: the task is {}: fairness needs a binary task", kWhere, task_name(columns.task)));
  }
  if (!std::isfinite(options.threshold)) {
    throw ConfigError(fmt::format("{}: threshold = {}: expected a finite number", kWhere, options.threshold));
  }
  internal::check_same_rows(kWhere, "labels", columns.labels.size(), "scores", columns.scores.size());
  internal::check_probabilities(kWhere, "scores", columns.scores);
  const std::vector<uint8_t> labels = internal::binary_labels(kWhere, columns.labels);
  const KeyColumn* parts[] = {&sensitive};
  const internal::SliceCodes sc = internal::slice_codes(parts, labels.size());

  const size_t groups = sc.values.size();
  std::vector<int64_t> cells(groups * 4, 0);  // label * 2 + predicted
  for (size_t i = 0; i < labels.size(); ++i) {
    cells[sc.codes[i] * 4 + labels[i] * 2 + (columns.scores[i] >= options.threshold ? 1 : 0)] += 1;
  }
  FairnessReport report;
  report.sensitive = sensitive.name;
  std::vector<std::string_view> no_positives, no_negatives;
  for (size_t g = 0; g < groups; ++g) {
    const int64_t tn = cells[g * 4], fp = cells[g * 4 + 1], fn = cells[g * 4 + 2], tp = cells[g * 4 + 3];
    FairnessGroup group;
    group.value = sc.values[g];
    group.n = sc.sizes[g];
    group.positives = tp + fn;
    group.selection_rate = static_cast<double>(tp + fp) / static_cast<double>(group.n);
    if (tp + fn > 0) {
      group.tpr = static_cast<double>(tp) / static_cast<double>(tp + fn);
      group.fnr = static_cast<double>(fn) / static_cast<double>(tp + fn);
    } else {
      no_positives.push_back(sc.values[g]);
    }
    if (fp + tn > 0) {
      group.fpr = static_cast<double>(fp) / static_cast<double>(fp + tn);
    } else {
      no_negatives.push_back(sc.values[g]);
    }
    report.groups.push_back(std::move(group));
  }
  if (!no_positives.empty()) {
    report.warnings.push_back(fmt::format("{}: groups [{}] hold no positive: their tpr and fnr are undefined",
                                          sensitive.name, fmt::join(no_positives, ", ")));
  }
  if (!no_negatives.empty()) {
    report.warnings.push_back(fmt::format("{}: groups [{}] hold no negative: their fpr is undefined",
                                          sensitive.name, fmt::join(no_negatives, ", ")));
  }
  const Range selection = range_of(report.groups, &FairnessGroup::selection_rate, "selection_rate", "",
                                   "demographic_parity", report.warnings);
  if (selection.max) {
    report.demographic_parity_difference = *selection.max - *selection.min;
    if (*selection.max > 0) {
      report.demographic_parity_ratio = *selection.min / *selection.max;
    } else {
      report.warnings.emplace_back(
          "demographic_parity_ratio is undefined: no group has a predicted positive");
    }
  }
  const Range tpr = range_of(report.groups, &FairnessGroup::tpr, "tpr", "no positive",
                             "equal_opportunity_difference", report.warnings);
  if (tpr.max) report.equal_opportunity_difference = *tpr.max - *tpr.min;
  Warnings odds_warnings;
  const Range fpr = range_of(report.groups, &FairnessGroup::fpr, "fpr", "no negative",
                             "equalized_odds_difference", odds_warnings);
  if (tpr.max && fpr.max) {
    report.equalized_odds_difference = std::max(*tpr.max - *tpr.min, *fpr.max - *fpr.min);
  } else if (!tpr.max) {
    report.warnings.emplace_back("equalized_odds_difference is undefined: fewer than two groups have a tpr");
  }
  report.warnings.insert(report.warnings.end(), odds_warnings.begin(), odds_warnings.end());
  return report;
}

}  // namespace dpeval::eval
