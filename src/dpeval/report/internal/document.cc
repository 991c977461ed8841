// Generic checked accessors, the headline metrics, gates and warnings of the
// eval result document (see document.h).
#include "dpeval/report/internal/document.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "dpeval/core/error.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report::internal {
namespace {

std::string join(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

// Headline keys in the order a reader looks for them (eval/metric_info.cc's
// keys); whatever else doc["metrics"] holds follows by name.
// clang-format off
constexpr std::array kHeadlineOrder = {
    "accuracy", "balanced_accuracy", "precision", "recall", "f1",                     // classification
    "precision_macro", "recall_macro", "f1_macro", "f1_weighted", "top2_accuracy",    // multiclass
    "roc_auc", "roc_auc_ovr_macro", "average_precision",                              // ranking
    "log_loss", "brier", "mcc", "cohen_kappa",
    "rmse", "mae", "r2", "mse", "median_absolute_error", "max_error", "mape"};        // regression
// clang-format on

size_t headline_rank(const std::string& name) {
  auto it = std::find(kHeadlineOrder.begin(), kHeadlineOrder.end(), name);
  return static_cast<size_t>(it - kHeadlineOrder.begin());
}

std::optional<Interval> read_interval(const Json* intervals, const std::string& name, std::string_view path) {
  if (!intervals) return std::nullopt;
  const Json* entry = object_member(*intervals, name, path);
  if (!entry) return std::nullopt;
  std::string entry_path = join(path, name);
  auto lo = number_member(*entry, "lo", entry_path);
  auto hi = number_member(*entry, "hi", entry_path);
  if (!lo || !hi) return std::nullopt;
  return Interval{*lo, *hi};
}

}  // namespace

std::string join_path(std::string_view path, std::string_view key) { return join(path, key); }

std::string index_path(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

void DocumentReader::throw_bad_part(std::string_view path, std::string_view expected, const Json& got) const {
  throw InputError(std::string(document) + ": " + std::string(path.empty() ? "(top level)" : path) +
                   ": expected " + std::string(expected) + ", got " + got.type_name());
}

const Json* DocumentReader::member(const Json& object, std::string_view key, std::string_view path) const {
  if (object.is_null()) return nullptr;
  if (!object.is_object()) throw_bad_part(path, "an object", object);
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

const Json* DocumentReader::object_member(const Json& object, std::string_view key,
                                          std::string_view path) const {
  const Json* found = member(object, key, path);
  if (found && !found->is_object()) throw_bad_part(join(path, key), "an object", *found);
  return found;
}

const Json* DocumentReader::array_member(const Json& object, std::string_view key,
                                         std::string_view path) const {
  const Json* found = member(object, key, path);
  if (found && !found->is_array()) throw_bad_part(join(path, key), "an array", *found);
  return found;
}

std::optional<double> DocumentReader::number_member(const Json& object, std::string_view key,
                                                    std::string_view path) const {
  const Json* found = member(object, key, path);
  if (!found) return std::nullopt;
  if (!found->is_number()) throw_bad_part(join(path, key), "a number or null", *found);
  double value = found->get<double>();
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

std::string DocumentReader::string_member(const Json& object, std::string_view key,
                                          std::string_view path) const {
  const Json* found = member(object, key, path);
  if (!found) return "";
  if (!found->is_string()) throw_bad_part(join(path, key), "a string", *found);
  return found->get<std::string>();
}

std::optional<bool> DocumentReader::bool_member(const Json& object, std::string_view key,
                                                std::string_view path) const {
  const Json* found = member(object, key, path);
  if (!found) return std::nullopt;
  if (!found->is_boolean()) throw_bad_part(join(path, key), "true or false", *found);
  return found->get<bool>();
}

namespace {
constexpr DocumentReader kEvalDocument{"eval document"};
}  // namespace

void throw_bad_part(std::string_view path, std::string_view expected, const Json& got) {
  kEvalDocument.throw_bad_part(path, expected, got);
}

const Json* member(const Json& object, std::string_view key, std::string_view path) {
  return kEvalDocument.member(object, key, path);
}

const Json* object_member(const Json& object, std::string_view key, std::string_view path) {
  return kEvalDocument.object_member(object, key, path);
}

const Json* array_member(const Json& object, std::string_view key, std::string_view path) {
  return kEvalDocument.array_member(object, key, path);
}

std::optional<double> number_member(const Json& object, std::string_view key, std::string_view path) {
  return kEvalDocument.number_member(object, key, path);
}

std::string string_member(const Json& object, std::string_view key, std::string_view path) {
  return kEvalDocument.string_member(object, key, path);
}

std::string scalar_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "(missing)";
  return value.dump();
}

std::vector<Metric> read_metrics(const Json& doc) {
  std::vector<Metric> metrics;
  const Json* values = object_member(doc, "metrics", "");
  if (!values) return metrics;
  const Json* intervals = object_member(doc, "intervals", "");
  for (const auto& [name, value] : values->items()) {
    metrics.push_back(
        {name, number_member(*values, name, "metrics"), read_interval(intervals, name, "intervals")});
  }
  std::stable_sort(metrics.begin(), metrics.end(), [](const Metric& a, const Metric& b) {
    return headline_rank(a.name) < headline_rank(b.name);
  });
  return metrics;
}

std::string bootstrap_text(const Json& doc) {
  const Json* bootstrap = object_member(doc, "bootstrap", "");
  if (!bootstrap) return "";
  auto level = number_member(*bootstrap, "level", "bootstrap");
  auto resamples = number_member(*bootstrap, "resamples", "bootstrap");
  auto seed = number_member(*bootstrap, "seed", "bootstrap");
  std::string method = string_member(*bootstrap, "method", "bootstrap");
  std::string text = level ? format_coord(*level * 100) + "% bootstrap intervals" : "Bootstrap intervals";
  std::vector<std::string> details;
  if (!method.empty()) details.push_back(method);
  if (resamples) details.push_back(format_count(static_cast<int64_t>(*resamples)) + " resamples");
  if (seed) details.push_back("seed " + format_count(static_cast<int64_t>(*seed)));
  for (size_t i = 0; i < details.size(); ++i) text += (i == 0 ? " (" : ", ") + details[i];
  return details.empty() ? text : text + ")";
}

std::vector<Gate> read_gates(const Json& doc) {
  std::vector<Gate> gates;
  const Json* list = array_member(doc, "gates", "");
  if (!list) return gates;
  for (size_t i = 0; i < list->size(); ++i) {
    std::string path = "gates[" + std::to_string(i) + "]";
    const Json& entry = (*list)[i];
    const Json* passed = member(entry, "passed", path);
    if (!passed || !passed->is_boolean())
      throw_bad_part(join(path, "passed"), "true or false", passed ? *passed : Json());
    gates.push_back(
        {string_member(entry, "expression", path), number_member(entry, "value", path), passed->get<bool>()});
  }
  return gates;
}

std::vector<std::string> read_warnings(const Json& doc) {
  std::vector<std::string> warnings;
  const Json* list = array_member(doc, "warnings", "");
  if (!list) return warnings;
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& entry = (*list)[i];
    if (!entry.is_string()) throw_bad_part("warnings[" + std::to_string(i) + "]", "a string", entry);
    warnings.push_back(entry.get<std::string>());
  }
  return warnings;
}

}  // namespace dpeval::report::internal
