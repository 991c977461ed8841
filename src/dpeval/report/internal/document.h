// Checked reads of the eval result document (docs/EVAL.md) for the report
// writers. Each part comes back as a plain struct, or as nothing when the
// document lacks it, so a writer omits what is absent. A part of the wrong JSON
// type or shape throws InputError naming its path in the document, e.g.
// "eval document: calibration.reliability[3].count: expected a number, got string".
// Functions are pure; safe to call concurrently on the same document.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dpeval::report::internal {

using Json = nlohmann::json;

// ---- Generic accessors. `path` names `object` in messages ("slices.columns.region[2]").

// object[key], or nullptr when it is absent (or null). Throws InputError when
// `object` is neither an object nor null.
const Json* member(const Json& object, std::string_view key, std::string_view path);
// Like member(), and throws InputError unless the member is an object / an array.
const Json* object_member(const Json& object, std::string_view key, std::string_view path);
const Json* array_member(const Json& object, std::string_view key, std::string_view path);
// A number member; nullopt when absent or null (undefined, Note [Undefined metrics]
// in eval/metric_info.h) or not finite. InputError for other types.
std::optional<double> number_member(const Json& object, std::string_view key, std::string_view path);
// A string member; "" when absent. InputError for other types.
std::string string_member(const Json& object, std::string_view key, std::string_view path);
// A scalar as text: strings as they are, numbers as JSON writes them,
// true/false, null as "(missing)". Slice and group values are such scalars.
std::string scalar_text(const Json& value);
[[noreturn]] void throw_bad_part(std::string_view path, std::string_view expected, const Json& got);

// The same checked reads for another document (the run summary, the audit
// document), whose name opens every message instead of "eval document":
// DocumentReader{"run summary"}.number_member(config, "lr", "config") throws
// "run summary: config.lr: expected a number or null, got string". The free
// functions above are DocumentReader{"eval document"}.
struct DocumentReader {
  std::string_view document;

  const Json* member(const Json& object, std::string_view key, std::string_view path) const;
  const Json* object_member(const Json& object, std::string_view key, std::string_view path) const;
  const Json* array_member(const Json& object, std::string_view key, std::string_view path) const;
  std::optional<double> number_member(const Json& object, std::string_view key, std::string_view path) const;
  std::string string_member(const Json& object, std::string_view key, std::string_view path) const;
  // A boolean member; nullopt when absent or null. InputError for other types.
  std::optional<bool> bool_member(const Json& object, std::string_view key, std::string_view path) const;
  [[noreturn]] void throw_bad_part(std::string_view path, std::string_view expected, const Json& got) const;
};

// "path.key", or "key" at the top level (path "").
std::string join_path(std::string_view path, std::string_view key);
// "path[i]".
std::string index_path(std::string_view path, size_t i);

// ---- Headline.

struct Interval {
  double lo = 0;
  double hi = 0;
};

// A metric of doc["metrics"] with its bootstrap interval when there is one.
struct Metric {
  std::string name;
  std::optional<double> value;
  std::optional<Interval> interval;
};

// doc["metrics"] in reading order: the usual headline keys first (accuracy,
// precision, recall, f1, roc_auc, ... rmse, mae, r2, ...), then any others by name.
std::vector<Metric> read_metrics(const Json& doc);

// "95% bootstrap intervals (poisson, 1000 resamples, seed 0)"; "" without doc["bootstrap"].
std::string bootstrap_text(const Json& doc);

// ---- Slices (Note [Worst slice]).

// Note [Worst slice]
// Slices are ranked by one primary metric: accuracy for classification, rmse
// (mae when the document has no rmse) for regression. Worst first means lowest
// first when higher is better and highest first otherwise; a slice whose
// primary metric is undefined goes last. Ties keep document order (columns by
// name, then values as listed). Too-small slices are ranked like the others and
// flagged; the Markdown summary leaves them out of its worst five.
struct PrimaryMetric {
  std::string name;
  bool higher_is_better = true;
};
PrimaryMetric primary_metric(const Json& doc);

struct SliceFlag {
  std::string metric;  // a metric the slice is significantly worse on
  std::optional<double> p_value;
};

struct SliceRow {
  std::string column;
  std::string value;
  std::optional<double> n;
  bool too_small = false;
  std::optional<double> metric;  // the primary metric
  std::optional<Interval> interval;
  std::vector<SliceFlag> worse;
};

struct SliceTable {
  PrimaryMetric primary;
  std::optional<double> min_slice_size;
  std::optional<double> overall;  // doc["metrics"][primary], the reference line
  std::vector<SliceRow> rows;     // worst first
};
std::optional<SliceTable> read_slices(const Json& doc);

// ---- Fairness.

struct FairnessGroup {
  std::string value;
  std::optional<double> n, selection_rate, tpr, fpr, fnr;
};

struct Fairness {
  std::string sensitive;
  std::vector<FairnessGroup> groups;
  std::vector<Metric> summary;  // the four differences / ratio, in docs/EVAL.md order
};
std::optional<Fairness> read_fairness(const Json& doc);

// ---- Gates and warnings.

struct Gate {
  std::string expression;
  std::optional<double> value;
  bool passed = false;
};
std::vector<Gate> read_gates(const Json& doc);
std::vector<std::string> read_warnings(const Json& doc);

// ---- Charts' data.

// Note [Class names]
// A class is labelled by its name when the document has one: per_class[i].name
// first, then the top-level class_names[i] (an array of K strings, e.g.
// Fashion-MNIST's "T-shirt/top" ... "Ankle boot"); else by per_class[i].class
// (the label as the predictions wrote it), else by its index "0".."K-1". The
// confusion matrix's axes take the per-class labels when there are K of them.

// doc["class_names"]: K strings; empty when absent. InputError when an entry is not a string.
std::vector<std::string> read_class_names(const Json& doc);

// doc["confusion_matrix"]: K rows of K counts, row = true class, column =
// predicted; labels per Note [Class names].
struct Confusion {
  std::vector<std::string> labels;
  std::vector<std::vector<double>> counts;
};
std::optional<Confusion> read_confusion(const Json& doc);

// doc["per_class"]: one row per class, labelled per Note [Class names]; empty when absent.
struct PerClass {
  std::string label;
  std::optional<double> precision, recall, f1, support;
};
std::vector<PerClass> read_per_class(const Json& doc);

struct ReliabilityBin {
  double lower = 0, upper = 0, count = 0;
  std::optional<double> accuracy, confidence;
};

// doc["calibration"] or its "after_recalibration" member (which adds "method").
struct Reliability {
  std::string method;  // "" before recalibration
  std::optional<double> ece, mce;
  std::vector<ReliabilityBin> bins;
};
std::optional<Reliability> read_reliability(const Json& doc);
std::optional<Reliability> read_reliability_after(const Json& doc);
// calibration.brier_decomposition as three Metrics; empty when absent.
std::vector<Metric> read_brier_decomposition(const Json& doc);

struct CurvePoint {
  double x = 0, y = 0;
};
// doc["curves"][curve] as (x_key, y_key) points, e.g. ("roc", "fpr", "tpr");
// empty when absent.
std::vector<CurvePoint> read_curve(const Json& doc, std::string_view curve, std::string_view x_key,
                                   std::string_view y_key);

}  // namespace dpeval::report::internal
