// The chart parts of the eval result document: confusion matrix and per-class
// rows, reliability bins before and after recalibration, ROC and PR curves
// (see document.h).
#include "dpeval/report/internal/document.h"

namespace dpeval::report::internal {
namespace {

std::vector<double> read_count_row(const Json& row, const std::string& path, size_t k) {
  if (!row.is_array() || row.size() != k)
    throw_bad_part(path, "an array of " + std::to_string(k) + " counts", row);
  std::vector<double> counts;
  for (size_t j = 0; j < k; ++j) {
    if (!row[j].is_number()) throw_bad_part(index_path(path, j), "a count", row[j]);
    counts.push_back(row[j].get<double>());
  }
  return counts;
}

Reliability read_reliability_object(const Json& calibration, const std::string& path) {
  Reliability out;
  out.method = string_member(calibration, "method", path);
  out.ece = number_member(calibration, "ece", path);
  out.mce = number_member(calibration, "mce", path);
  const Json* bins = array_member(calibration, "reliability", path);
  if (!bins) return out;
  for (size_t i = 0; i < bins->size(); ++i) {
    const Json& bin = (*bins)[i];
    std::string bin_path = index_path(path + ".reliability", i);
    if (!bin.is_object()) throw_bad_part(bin_path, "an object", bin);
    out.bins.push_back(
        {number_member(bin, "lower", bin_path).value_or(0), number_member(bin, "upper", bin_path).value_or(0),
         number_member(bin, "count", bin_path).value_or(0), number_member(bin, "accuracy", bin_path),
         number_member(bin, "confidence", bin_path)});
  }
  return out;
}

}  // namespace

std::optional<Confusion> read_confusion(const Json& doc) {
  const Json* matrix = array_member(doc, "confusion_matrix", "");
  if (!matrix || matrix->empty()) return std::nullopt;
  Confusion out;
  size_t k = matrix->size();
  for (size_t i = 0; i < k; ++i)
    out.counts.push_back(read_count_row((*matrix)[i], index_path("confusion_matrix", i), k));
  std::vector<PerClass> per_class = read_per_class(doc);
  std::vector<std::string> names = read_class_names(doc);
  for (size_t i = 0; i < k; ++i) {
    if (per_class.size() == k)
      out.labels.push_back(per_class[i].label);
    else
      out.labels.push_back(names.size() == k ? names[i] : std::to_string(i));
  }
  return out;
}

std::vector<std::string> read_class_names(const Json& doc) {
  std::vector<std::string> names;
  const Json* list = array_member(doc, "class_names", "");
  if (!list) return names;
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& name = (*list)[i];
    if (!name.is_string()) throw_bad_part(index_path("class_names", i), "a string", name);
    names.push_back(name.get<std::string>());
  }
  return names;
}

std::vector<PerClass> read_per_class(const Json& doc) {
  std::vector<PerClass> rows;
  const Json* list = array_member(doc, "per_class", "");
  if (!list) return rows;
  std::vector<std::string> names = read_class_names(doc);
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& row = (*list)[i];
    std::string path = index_path("per_class", i);
    if (!row.is_object()) throw_bad_part(path, "an object", row);
    // See Note [Class names] in document.h.
    std::string name = string_member(row, "name", path);
    const Json* label = member(row, "class", path);
    if (name.empty() && names.size() == list->size()) name = names[i];
    rows.push_back({name.empty() ? (label ? scalar_text(*label) : std::to_string(i)) : name,
                    number_member(row, "precision", path), number_member(row, "recall", path),
                    number_member(row, "f1", path), number_member(row, "support", path)});
  }
  return rows;
}

std::optional<Reliability> read_reliability(const Json& doc) {
  const Json* calibration = object_member(doc, "calibration", "");
  if (!calibration) return std::nullopt;
  return read_reliability_object(*calibration, "calibration");
}

std::optional<Reliability> read_reliability_after(const Json& doc) {
  const Json* calibration = object_member(doc, "calibration", "");
  if (!calibration) return std::nullopt;
  const Json* after = object_member(*calibration, "after_recalibration", "calibration");
  if (!after) return std::nullopt;
  return read_reliability_object(*after, "calibration.after_recalibration");
}

std::vector<Metric> read_brier_decomposition(const Json& doc) {
  std::vector<Metric> parts;
  const Json* calibration = object_member(doc, "calibration", "");
  const Json* brier =
      calibration ? object_member(*calibration, "brier_decomposition", "calibration") : nullptr;
  if (!brier) return parts;
  for (const char* name : {"reliability", "resolution", "uncertainty"})
    parts.push_back({name, number_member(*brier, name, "calibration.brier_decomposition"), {}});
  return parts;
}

std::vector<CurvePoint> read_curve(const Json& doc, std::string_view curve, std::string_view x_key,
                                   std::string_view y_key) {
  std::vector<CurvePoint> points;
  const Json* curves = object_member(doc, "curves", "");
  const Json* list = curves ? array_member(*curves, curve, "curves") : nullptr;
  if (!list) return points;
  std::string path = "curves." + std::string(curve);
  for (size_t i = 0; i < list->size(); ++i) {
    std::string point_path = index_path(path, i);
    auto x = number_member((*list)[i], x_key, point_path);
    auto y = number_member((*list)[i], y_key, point_path);
    if (x && y) points.push_back({*x, *y});
  }
  return points;
}

}  // namespace dpeval::report::internal
