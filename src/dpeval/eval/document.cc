// The result document; see document.h and docs/EVAL.md.
#include "dpeval/eval/document.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <future>
#include <numeric>
#include <thread>

#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"
#include "dpeval/eval/bootstrap.h"
#include "dpeval/eval/calibration.h"
#include "dpeval/eval/document_limits.h"
#include "dpeval/eval/fairness.h"
#include "dpeval/eval/metrics.h"
#include "dpeval/eval/slices.h"

namespace dpeval::eval {
namespace {

using nlohmann::json;

json number(const std::optional<double>& v) { return v && std::isfinite(*v) ? json(*v) : json(nullptr); }

json metrics_json(const std::vector<MetricValue>& values) {
  json out = json::object();
  for (const MetricValue& m : values) out[std::string(m.name)] = number(m.value);
  return out;
}

json intervals_json(const std::vector<MetricInterval>& intervals) {
  json out = json::object();
  for (const MetricInterval& i : intervals) out[std::string(i.name)] = {{"lo", number(i.lo)}, {"hi", number(i.hi)}};
  return out;
}

json confusion_json(const ConfusionMatrix& m) {
  json rows = json::array();
  for (size_t t = 0; t < m.num_classes(); ++t) {
    json row = json::array();
    for (size_t p = 0; p < m.num_classes(); ++p) row.push_back(m.at(t, p));
    rows.push_back(std::move(row));
  }
  return rows;
}

json per_class_json(const std::vector<ClassScores>& scores) {
  json out = json::array();
  for (size_t k = 0; k < scores.size(); ++k) {
    out.push_back({{"class", k},
                   {"precision", number(scores[k].precision)},
                   {"recall", number(scores[k].recall)},
                   {"f1", number(scores[k].f1)},
                   {"support", scores[k].support}});
  }
  return out;
}

json curve_json(const std::vector<CurvePoint>& points, const char* x, const char* y) {
  json out = json::array();
  for (const CurvePoint& p : points) out.push_back({{x, p.x}, {y, p.y}, {"threshold", number(p.threshold)}});
  return out;
}

void add_warnings(json& doc, const Warnings& warnings, const std::string& where = "") {
  for (const std::string& w : warnings) doc["warnings"].push_back(where.empty() ? w : where + ": " + w);
}

void add_whole_set(json& doc, const Predictions& p, const EvalOptions& options) {
  switch (p.task) {
    case Task::binary: {
      BinaryOptions o;
      o.curve_points_max = options.curve_points;
      const BinaryMetrics m = compute_binary(p.labels, p.scores, o);
      doc["metrics"] = metrics_json(metric_values(m));
      doc["confusion_matrix"] = confusion_json(m.confusion);
      doc["curves"] = {{"roc", curve_json(m.roc_curve, "fpr", "tpr")},
                       {"pr", curve_json(m.pr_curve, "recall", "precision")}};
      add_warnings(doc, m.warnings);
      break;
    }
    case Task::multiclass: {
      const MulticlassMetrics m = compute_multiclass(p.labels, p.probs, p.num_classes, options.threads);
      doc["metrics"] = metrics_json(metric_values(m));
      if (p.num_classes <= kDocumentMaxConfusionClasses) {
        doc["confusion_matrix"] = confusion_json(m.confusion);
      } else {  // See Note [Document limits].
        doc["warnings"].push_back(
            fmt::format("confusion_matrix left out: {} classes (more than {}) would make {} cells; per_class "
                        "has every class",
                        p.num_classes, kDocumentMaxConfusionClasses, p.num_classes * p.num_classes));
      }
      doc["per_class"] = per_class_json(m.per_class);
      add_warnings(doc, m.warnings);
      break;
    }
    case Task::regression: {
      const RegressionMetrics m = compute_regression(p.labels, p.predictions);
      doc["metrics"] = metrics_json(metric_values(m));
      add_warnings(doc, m.warnings);
      break;
    }
  }
}

json slice_json(const Slice& s) {
  json out = {{"value", bounded_text(s.value)},
              {"n", s.n},
              {"too_small", s.too_small},
              {"metrics", metrics_json(s.metrics)},
              {"rest_metrics", metrics_json(s.rest_metrics)}};
  if (!s.intervals.empty()) out["intervals"] = intervals_json(s.intervals);
  if (!s.p_values.empty()) {
    json p = json::object();
    for (const MetricPValue& v : s.p_values) p[std::string(v.name)] = v.p;
    out["p_values"] = std::move(p);
    json worse = json::array();
    for (std::string_view name : s.significantly_worse) worse.push_back(std::string(name));
    out["significantly_worse"] = std::move(worse);
  }
  return out;
}

// The slices of `c` the document lists, in their order: all of them, or the
// kDocumentMaxSlices largest (ties: the earlier). See Note [Document limits].
std::vector<size_t> listed_slices(const SliceColumn& c) {
  std::vector<size_t> order(c.slices.size());
  std::iota(order.begin(), order.end(), size_t{0});
  if (order.size() <= kDocumentMaxSlices) return order;
  std::stable_sort(order.begin(), order.end(),
                   [&c](size_t a, size_t b) { return c.slices[a].n > c.slices[b].n; });
  order.resize(kDocumentMaxSlices);
  std::sort(order.begin(), order.end());
  return order;
}

void add_slices_and_intervals(json& doc, const Predictions& p, const EvalOptions& options) {
  const TaskColumns columns = p.task_columns();
  BootstrapOptions b;
  b.resamples = options.bootstrap;
  b.seed = options.seed;
  b.threads = options.threads;
  std::optional<BootstrapResult> boot;
  if (!options.slice_by.empty()) {
    SliceOptions s;
    s.slice_by = options.slice_by;
    s.cross = options.slice_cross;
    s.min_slice_size = options.min_slice_size;
    SliceReport report = compute_slices(columns, p.keys, s);
    if (options.bootstrap > 0) boot = bootstrap_intervals(columns, p.keys, report, b);
    json cols = json::object();
    for (const SliceColumn& c : report.columns) {
      const std::string name = bounded_text(c.name);
      json slices = json::array();
      for (size_t i : listed_slices(c)) {
        const Slice& slice = c.slices[i];
        slices.push_back(slice_json(slice));
        add_warnings(doc, slice.warnings, "slice " + name + "=" + bounded_text(slice.value));
      }
      if (c.slices.size() > kDocumentMaxSlices) {
        doc["warnings"].push_back(
            fmt::format("slices of {}: {} values; the {} largest slices are listed, {} left out", name,
                        c.slices.size(), kDocumentMaxSlices, c.slices.size() - kDocumentMaxSlices));
      }
      cols[name] = std::move(slices);
    }
    doc["slices"] = {{"min_slice_size", report.min_slice_size}, {"columns", std::move(cols)}};
  } else if (options.bootstrap > 0) {
    boot = bootstrap_intervals(columns, b);
  }
  if (boot) {
    doc["intervals"] = intervals_json(boot->intervals);
    doc["bootstrap"] = {{"resamples", boot->resamples}, {"seed", boot->seed}, {"level", boot->level},
                        {"method", "poisson"}};
    add_warnings(doc, boot->warnings, "bootstrap");
  }
}

void add_fairness(json& doc, const Predictions& p, const EvalOptions& options) {
  if (options.sensitive.empty()) return;
  if (p.task != Task::binary) throw ConfigError("--sensitive: fairness figures are for binary tasks only");
  const KeyColumn* key = p.find_key(options.sensitive);
  if (key == nullptr) throw ConfigError("--sensitive: column '" + options.sensitive + "' was not read");
  const FairnessReport f = compute_fairness(p.task_columns(), *key);
  json groups = json::array();
  for (const FairnessGroup& g : f.groups) {
    groups.push_back({{"value", bounded_text(g.value)},
                      {"n", g.n},
                      {"positives", g.positives},
                      {"selection_rate", number(g.selection_rate)},
                      {"tpr", number(g.tpr)},
                      {"fpr", number(g.fpr)},
                      {"fnr", number(g.fnr)}});
  }
  doc["fairness"] = {{"sensitive", bounded_text(f.sensitive)},
                     {"groups", std::move(groups)},
                     {"demographic_parity_difference", number(f.demographic_parity_difference)},
                     {"demographic_parity_ratio", number(f.demographic_parity_ratio)},
                     {"equal_opportunity_difference", number(f.equal_opportunity_difference)},
                     {"equalized_odds_difference", number(f.equalized_odds_difference)}};
  add_warnings(doc, f.warnings, "fairness");
}

}  // namespace

nlohmann::json calibration_json(Task task, std::span<const double> labels, std::span<const double> values,
                                size_t num_classes, size_t bins) {
  CalibrationOptions o;
  o.bins = bins;
  const Calibration c = task == Task::binary ? compute_calibration_binary(labels, values, o)
                                             : compute_calibration_multiclass(labels, values, num_classes, o);
  json reliability = json::array();
  for (const CalibrationBin& b : c.bins) {
    reliability.push_back({{"lower", b.lower}, {"upper", b.upper}, {"count", b.count},
                           {"accuracy", number(b.accuracy)}, {"confidence", number(b.confidence)}});
  }
  json out = {{"bins", bins}, {"ece", number(c.ece)}, {"mce", number(c.mce)}, {"reliability", std::move(reliability)}};
  if (task == Task::binary) {
    const BrierDecomposition d = compute_brier_decomposition(labels, values, o);
    out["brier_decomposition"] = {{"reliability", number(d.reliability)},
                                  {"resolution", number(d.resolution)},
                                  {"uncertainty", number(d.uncertainty)}};
  }
  return out;
}

std::string bounded_text(std::string_view text) {
  if (text.size() <= kDocumentMaxTextBytes) return std::string(text);
  size_t cut = kDocumentMaxTextBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // a continuation byte
  return fmt::format("{}\u2026[{} bytes, #{:08x}]", text.substr(0, cut), text.size(),
                     static_cast<uint32_t>(hash64(text)));
}

nlohmann::json evaluate_document(const Predictions& p, const EvalOptions& options) {
  if (options.bins < 1) throw ConfigError("--bins: expected an integer >= 1, got 0");
  if (p.task != Task::regression && p.num_classes > kDocumentMaxClasses) {  // See Note [Document limits].
    throw InputError(
        fmt::format("{}: {} classes; the evaluation covers at most {} (its confusion matrix alone "
                    "would have {} cells): is the label or class column the right one?",
                    p.source, p.num_classes, kDocumentMaxClasses, p.num_classes * p.num_classes));
  }
  if (!options.class_names.empty() && (p.task == Task::regression || options.class_names.size() != p.num_classes)) {
    throw ConfigError(fmt::format("{} class names for {} classes: expected one name per class", options.class_names.size(),
                                  p.task == Task::regression ? size_t{0} : p.num_classes));
  }
  json doc = {{"schema", kEvalSchema}, {"task", std::string(task_name(p.task))}, {"source", p.source}, {"n", p.n}};
  if (!options.class_names.empty()) doc["class_names"] = options.class_names;
  doc["warnings"] = json::array();
  if (p.task != Task::regression) doc["num_classes"] = p.num_classes;
  // The whole-set metrics and the calibration read the same columns and
  // share nothing else: given a second thread, the calibration runs beside
  // the metrics (the order of the work never changes a figure).
  std::future<json> calibration;
  if (p.task != Task::regression) {
    const bool beside = options.threads != 1 && std::thread::hardware_concurrency() > 1;
    calibration = std::async(beside ? std::launch::async : std::launch::deferred, [&p, &options] {
      return calibration_json(p.task, p.labels, p.task == Task::binary ? p.scores : p.probs, p.num_classes,
                              options.bins);
    });
  }
  add_whole_set(doc, p, options);
  if (calibration.valid()) doc["calibration"] = calibration.get();
  add_slices_and_intervals(doc, p, options);
  add_fairness(doc, p, options);
  if (!options.class_names.empty() && doc.contains("per_class")) {
    for (json& row : doc["per_class"]) {
      const json& c = row["class"];
      if (c.is_number_unsigned() && c.get<size_t>() < options.class_names.size()) {
        row["name"] = options.class_names[c.get<size_t>()];
      }
    }
  }
  return doc;
}

}  // namespace dpeval::eval
