// The vocabulary every eval/ metric shares: a value by its key name
// (MetricValue), what a key means (MetricInfo: direction, range, behaviour on
// degenerate input) and the warnings a computation collects.
//
// Note [Undefined metrics]
// A metric is std::nullopt (JSON null) where it is undefined: on empty input,
// and wherever scikit-learn 1.2 gives nan or raises (ROC AUC with one class in
// the labels, Cohen's kappa when both raters put everything in one class, R^2 of
// a constant target). Where scikit-learn returns a stand-in number with a
// warning instead, dpeval returns the same number and a warning text too:
// precision, recall and F1 with a zero denominator are 0.0 (sklearn's
// zero_division="warn"), average precision without positives is 0.0, MCC of a
// constant prediction or target is 0.0. The one departure: R^2 of a constant
// target is null (sklearn's default force_finite=True reports 1.0 or 0.0; its
// force_finite=False gives nan or -inf). Never a crash, never a made-up number.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dpeval::eval {

// Human-readable notes on a computation (degenerate input, zero divisions, a
// stand-in value). Empty when nothing was unusual. Order is the order found.
using Warnings = std::vector<std::string>;

// One metric of a result, by key name ("roc_auc"); nullopt: undefined.
struct MetricValue {
  std::string_view name;
  std::optional<double> value;
};

// What a key means. Ranges are closed; +-infinity where unbounded.
struct MetricInfo {
  std::string_view name;
  bool higher_is_better;
  double min;
  double max;
  // What it gives on empty input, a single class / constant target; NaN or
  // infinite inputs are never a value: every compute_* throws InputError.
  std::string_view degenerate;
};

// Every key any eval/ result reports, in a fixed order.
std::span<const MetricInfo> metric_infos();

// The entry of `name`, or nullptr for an unknown key.
const MetricInfo* find_metric_info(std::string_view name);

}  // namespace dpeval::eval
