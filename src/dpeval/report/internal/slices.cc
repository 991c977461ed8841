// The slice table of the eval result document, worst slice first (see Note
// [Worst slice] in document.h).
#include <algorithm>

#include "dpeval/report/internal/document.h"

namespace dpeval::report::internal {
namespace {

std::vector<SliceFlag> read_flags(const Json& slice, const std::string& path) {
  std::vector<SliceFlag> flags;
  const Json* worse = array_member(slice, "significantly_worse", path);
  if (!worse) return flags;
  const Json* p_values = object_member(slice, "p_values", path);
  for (size_t i = 0; i < worse->size(); ++i) {
    const Json& name = (*worse)[i];
    if (!name.is_string())
      throw_bad_part(path + ".significantly_worse[" + std::to_string(i) + "]", "a string", name);
    std::string metric = name.get<std::string>();
    std::optional<double> p;
    if (p_values) p = number_member(*p_values, metric, path + ".p_values");
    flags.push_back({metric, p});
  }
  return flags;
}

std::optional<Interval> read_slice_interval(const Json& slice, const std::string& metric,
                                            const std::string& path) {
  const Json* intervals = object_member(slice, "intervals", path);
  if (!intervals) return std::nullopt;
  const Json* entry = object_member(*intervals, metric, path + ".intervals");
  if (!entry) return std::nullopt;
  std::string entry_path = path + ".intervals." + metric;
  auto lo = number_member(*entry, "lo", entry_path);
  auto hi = number_member(*entry, "hi", entry_path);
  if (!lo || !hi) return std::nullopt;
  return Interval{*lo, *hi};
}

SliceRow read_slice(const Json& slice, const std::string& column, const std::string& metric,
                    const std::string& path) {
  SliceRow row;
  row.column = column;
  if (!slice.is_object()) throw_bad_part(path, "an object", slice);
  const Json* value = member(slice, "value", path);
  row.value = value ? scalar_text(*value) : scalar_text(Json());
  row.n = number_member(slice, "n", path);
  const Json* too_small = member(slice, "too_small", path);
  if (too_small && !too_small->is_boolean()) throw_bad_part(path + ".too_small", "true or false", *too_small);
  row.too_small = too_small && too_small->get<bool>();
  if (const Json* metrics = object_member(slice, "metrics", path))
    row.metric = number_member(*metrics, metric, path + ".metrics");
  row.interval = read_slice_interval(slice, metric, path);
  row.worse = read_flags(slice, path);
  return row;
}

// Worst first, undefined last, stable (see Note [Worst slice]).
void sort_worst_first(std::vector<SliceRow>& rows, bool higher_is_better) {
  std::stable_sort(rows.begin(), rows.end(), [higher_is_better](const SliceRow& a, const SliceRow& b) {
    if (!a.metric || !b.metric) return a.metric.has_value() && !b.metric.has_value();
    return higher_is_better ? *a.metric < *b.metric : *a.metric > *b.metric;
  });
}

}  // namespace

PrimaryMetric primary_metric(const Json& doc) {
  if (string_member(doc, "task", "") != "regression") return {"accuracy", true};
  const Json* metrics = object_member(doc, "metrics", "");
  bool has_rmse = metrics && metrics->contains("rmse");
  bool has_mae = metrics && metrics->contains("mae");
  return {has_rmse || !has_mae ? "rmse" : "mae", false};
}

std::optional<SliceTable> read_slices(const Json& doc) {
  const Json* slices = object_member(doc, "slices", "");
  if (!slices) return std::nullopt;
  const Json* columns = object_member(*slices, "columns", "slices");
  if (!columns) return std::nullopt;
  SliceTable table;
  table.primary = primary_metric(doc);
  table.min_slice_size = number_member(*slices, "min_slice_size", "slices");
  if (const Json* metrics = object_member(doc, "metrics", ""))
    table.overall = number_member(*metrics, table.primary.name, "metrics");
  for (const auto& [column, list] : columns->items()) {
    std::string path = "slices.columns." + column;
    if (!list.is_array()) throw_bad_part(path, "an array", list);
    for (size_t i = 0; i < list.size(); ++i)
      table.rows.push_back(
          read_slice(list[i], column, table.primary.name, path + "[" + std::to_string(i) + "]"));
  }
  if (table.rows.empty()) return std::nullopt;
  sort_worst_first(table.rows, table.primary.higher_is_better);
  return table;
}

std::optional<Fairness> read_fairness(const Json& doc) {
  const Json* fairness = object_member(doc, "fairness", "");
  if (!fairness) return std::nullopt;
  Fairness out;
  out.sensitive = string_member(*fairness, "sensitive", "fairness");
  if (const Json* groups = array_member(*fairness, "groups", "fairness")) {
    for (size_t i = 0; i < groups->size(); ++i) {
      const Json& g = (*groups)[i];
      std::string path = "fairness.groups[" + std::to_string(i) + "]";
      const Json* value = member(g, "value", path);
      out.groups.push_back({value ? scalar_text(*value) : scalar_text(Json()), number_member(g, "n", path),
                            number_member(g, "selection_rate", path), number_member(g, "tpr", path),
                            number_member(g, "fpr", path), number_member(g, "fnr", path)});
    }
  }
  for (const char* name : {"demographic_parity_difference", "demographic_parity_ratio",
                           "equal_opportunity_difference", "equalized_odds_difference"}) {
    if (fairness->contains(name))
      out.summary.push_back({name, number_member(*fairness, name, "fairness"), {}});
  }
  return out;
}

}  // namespace dpeval::report::internal
