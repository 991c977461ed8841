// Recalibration's public face (see recalibrate.h): input validation, the one
// value each method reads from probabilities or logits, fit dispatch, apply,
// and the JSON description. The fits themselves are internal/temperature.cc,
// internal/platt.cc and internal/isotonic.cc.
#include "dpeval/eval/recalibrate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/eval/internal/inputs.h"
#include "dpeval/eval/internal/isotonic.h"
#include "dpeval/eval/internal/platt.h"
#include "dpeval/eval/internal/sum.h"
#include "dpeval/eval/internal/temperature.h"
#include "dpeval/eval/metrics.h"

namespace dpeval::eval {
namespace {

using internal::sigmoid;

// log(p / (1 - p)) with p clipped to [eps, 1 - eps]: |logit| <= 36.04. For
// p >= 0.5, 1 - p is exact, so the ratio carries one rounding; logit(0.5) = 0.
double logit_of(double p) {
  p = std::clamp(p, kFloat64Eps, 1.0 - kFloat64Eps);
  return std::log(p / (1.0 - p));
}

double nll_term(double q_true) { return -std::log(std::max(q_true, kFloat64Eps)); }

void check_options(std::string_view where, const RecalibrationOptions& options) {
  const double lo = options.temperature_min, hi = options.temperature_max;
  if (!(std::isfinite(lo) && std::isfinite(hi) && lo > 0 && lo < hi)) {
    throw ConfigError(fmt::format(
        "{}: temperature bracket [{}, {}]: expected 0 < temperature_min < temperature_max, both finite",
        where, lo, hi));
  }
}

// `name`: of the values when they are probabilities ("scores", "probs").
void check_values(std::string_view where, std::span<const double> values, ScoreScale scale,
                  std::string_view name) {
  if (scale == ScoreScale::kProbability) {
    internal::check_probabilities(where, name, values);
  } else {
    internal::check_finite(where, "logits", values);
  }
}

size_t rows_of(std::string_view where, std::span<const double> values, size_t k) {
  if (k < 2) throw InputError(fmt::format("{}: num_classes = {}: expected at least 2", where, k));
  if (values.size() % k != 0) {
    throw InputError(
        fmt::format("{}: {} values is not a whole number of rows of {} classes", where, values.size(), k));
  }
  return values.size() / k;
}

[[noreturn]] void throw_empty(std::string_view where, RecalibrationMethod method) {
  throw InputError(fmt::format("{}: no rows: can't fit a {} calibrator on an empty set", where,
                               recalibration_method_name(method)));
}

// A Recalibrator built by hand must hold what its method reads (a programmer
// error otherwise): T > 0, or one curve (binary, K = 2) or K curves.
void check_parameters(const Recalibrator& r) {
  const size_t curves = r.task == RecalibrationTask::kBinary || r.num_classes == 2 ? 1 : r.num_classes;
  switch (r.method) {
    case RecalibrationMethod::kTemperature:
      DPEVAL_CHECK(r.temperature > 0 && std::isfinite(r.temperature)) << r.temperature;
      break;
    case RecalibrationMethod::kPlatt:
      DPEVAL_CHECK(r.platt.size() == curves) << r.platt.size() << " sigmoids, expected " << curves;
      break;
    case RecalibrationMethod::kIsotonic:
      DPEVAL_CHECK(r.isotonic.size() == curves) << r.isotonic.size() << " curves, expected " << curves;
      for (const IsotonicCurve& c : r.isotonic) DPEVAL_CHECK(!c.x.empty() && c.x.size() == c.y.size());
      break;
  }
}

// Copies a temperature fit into r, with a warning for each way it is degenerate.
void take_temperature_fit(const internal::TemperatureFit& fit, const RecalibrationOptions& options,
                          std::string_view flat_reason, Recalibrator& r) {
  r.temperature = fit.temperature;
  r.fit_iterations = fit.iterations;
  r.fit_nll_before = fit.nll_before;
  r.fit_nll_after = fit.nll_after;
  if (fit.flat) r.warnings.push_back(fmt::format("temperature: {}, so T has no effect; T = 1", flat_reason));
  if (fit.on_bound) {
    r.warnings.push_back(fmt::format("temperature: the NLL keeps falling past the bracket [{}, {}]; T = {}",
                                     options.temperature_min, options.temperature_max, r.temperature));
  }
}

// ---- binary ---------------------------------------------------------------

// Per row: x = the logit, p = the probability of class 1.
struct BinaryScores {
  std::vector<double> logit;
  std::vector<double> probability;
};

BinaryScores binary_scores(std::string_view where, std::span<const double> scores, ScoreScale scale) {
  check_values(where, scores, scale, "scores");
  BinaryScores s{std::vector<double>(scores.size()), std::vector<double>(scores.size())};
  for (size_t i = 0; i < scores.size(); ++i) {
    s.logit[i] = scale == ScoreScale::kProbability ? logit_of(scores[i]) : scores[i];
    s.probability[i] = scale == ScoreScale::kProbability ? scores[i] : sigmoid(scores[i]);
  }
  return s;
}

std::vector<double> apply_binary_scores(const Recalibrator& r, const BinaryScores& s) {
  std::vector<double> q(s.logit.size());
  for (size_t i = 0; i < q.size(); ++i) {
    switch (r.method) {
      case RecalibrationMethod::kTemperature:
        q[i] = sigmoid(s.logit[i] / r.temperature);
        break;
      case RecalibrationMethod::kPlatt:
        q[i] = sigmoid(r.platt[0].a * s.logit[i] + r.platt[0].b);
        break;
      case RecalibrationMethod::kIsotonic:
        q[i] = internal::isotonic_value(r.isotonic[0], s.probability[i]);
        break;
    }
  }
  return q;
}

double binary_nll(std::span<const uint8_t> labels, std::span<const double> q) {
  internal::NeumaierSum sum;
  for (size_t i = 0; i < q.size(); ++i) sum.add(nll_term(labels[i] ? q[i] : 1.0 - q[i]));
  return sum.value() / static_cast<double>(q.size());
}

Recalibrator fit_binary_labels(RecalibrationMethod method, std::span<const uint8_t> labels,
                               std::span<const double> scores, ScoreScale scale,
                               const RecalibrationOptions& options) {
  constexpr std::string_view kWhere = "fit_binary";
  check_options(kWhere, options);
  internal::check_same_rows(kWhere, "labels", labels.size(), "scores", scores.size());
  const BinaryScores s = binary_scores(kWhere, scores, scale);
  const size_t n = labels.size();
  if (n == 0) throw_empty(kWhere, method);
  const size_t positives = static_cast<size_t>(std::count(labels.begin(), labels.end(), uint8_t{1}));
  if (positives == 0 || positives == n) {
    throw InputError(fmt::format("{}: every label is {}: can't fit a calibrator on one class", kWhere,
                                 positives == 0 ? 0 : 1));
  }

  Recalibrator r;
  r.method = method;
  r.task = RecalibrationTask::kBinary;
  r.num_classes = 2;
  r.fit_rows = static_cast<int64_t>(n);
  switch (method) {
    case RecalibrationMethod::kTemperature: {
      std::vector<double> logits(2 * n, 0.0);  // [0, x]: softmax gives [1 - sigmoid(x), sigmoid(x)]
      std::vector<int32_t> classes(n);
      for (size_t i = 0; i < n; ++i) {
        logits[2 * i + 1] = s.logit[i];
        classes[i] = labels[i];
      }
      const internal::TemperatureFit fit =
          internal::fit_temperature(logits, classes, 2, options.temperature_min, options.temperature_max);
      take_temperature_fit(fit, options, "every score is 0.5", r);
      return r;
    }
    case RecalibrationMethod::kPlatt: {
      const internal::PlattFit fit = internal::fit_platt(s.logit, labels);
      r.platt = {fit.sigmoid};
      r.fit_iterations = fit.iterations;
      break;
    }
    case RecalibrationMethod::kIsotonic: {
      std::vector<double> y(labels.begin(), labels.end());
      r.isotonic = {internal::fit_isotonic(s.probability, y)};
      break;
    }
  }
  r.fit_nll_before = binary_nll(labels, s.probability);
  r.fit_nll_after = binary_nll(labels, apply_binary_scores(r, s));
  return r;
}

// ---- multiclass -----------------------------------------------------------

// Logits for temperature: the logits, or log(max(p, eps)).
std::vector<double> multiclass_logits(std::span<const double> values, ScoreScale scale) {
  std::vector<double> z(values.begin(), values.end());
  if (scale == ScoreScale::kProbability) {
    for (double& v : z) v = std::log(std::max(v, kFloat64Eps));
  }
  return z;
}

void softmax_rows(std::span<double> z, size_t k, double beta) {
  for (size_t i = 0; i < z.size(); i += k) {
    std::span<double> row = z.subspan(i, k);
    const double top = beta * *std::max_element(row.begin(), row.end());
    double mass = 0;
    for (double& v : row) {
      v = std::exp(beta * v - top);
      mass += v;
    }
    for (double& v : row) v /= mass;
  }
}

// Probabilities for platt and isotonic: as given, or softmax of the logits.
std::vector<double> probabilities_of(std::span<const double> values, size_t k, ScoreScale scale) {
  std::vector<double> p(values.begin(), values.end());
  if (scale == ScoreScale::kLogit) softmax_rows(p, k, 1.0);
  return p;
}

// The value curve c of a one-vs-rest recalibrator reads from probability p.
double one_vs_rest_value(const Recalibrator& r, size_t c, double p) {
  if (r.method == RecalibrationMethod::kPlatt) return sigmoid(r.platt[c].a * logit_of(p) + r.platt[c].b);
  return internal::isotonic_value(r.isotonic[c], p);
}

std::vector<double> apply_multiclass_values(const Recalibrator& r, std::span<const double> values,
                                            ScoreScale scale) {
  const size_t k = r.num_classes;
  if (r.method == RecalibrationMethod::kTemperature) {
    std::vector<double> q = multiclass_logits(values, scale);
    softmax_rows(q, k, 1.0 / r.temperature);
    return q;
  }
  std::vector<double> q = probabilities_of(values, k, scale);
  const size_t curves = r.method == RecalibrationMethod::kPlatt ? r.platt.size() : r.isotonic.size();
  for (size_t i = 0; i < q.size(); i += k) {
    std::span<double> row(q.data() + i, k);
    if (curves == 1) {  // K = 2: one curve on p_1, as sklearn for two classes
      row[1] = one_vs_rest_value(r, 0, row[1]);
      row[0] = 1.0 - row[1];
      continue;
    }
    double mass = 0;
    for (size_t c = 0; c < k; ++c) {
      row[c] = one_vs_rest_value(r, c, row[c]);
      mass += row[c];
    }
    for (double& v : row) {
      v = mass != 0 ? v / mass : 1.0 / static_cast<double>(k);
      if (v > 1.0 && v <= 1.0 + 1e-5) v = 1.0;  // sklearn's predict_proba
    }
  }
  return q;
}

double multiclass_nll(std::span<const int32_t> labels, std::span<const double> q, size_t k) {
  internal::NeumaierSum sum;
  for (size_t i = 0; i < labels.size(); ++i) sum.add(nll_term(q[i * k + static_cast<size_t>(labels[i])]));
  return sum.value() / static_cast<double>(labels.size());
}

Recalibrator fit_multiclass_labels(RecalibrationMethod method, std::span<const int32_t> labels,
                                   std::span<const double> values, size_t k, ScoreScale scale,
                                   const RecalibrationOptions& options) {
  constexpr std::string_view kWhere = "fit_multiclass";
  check_options(kWhere, options);
  const size_t n = rows_of(kWhere, values, k);
  internal::check_same_rows(kWhere, "labels", labels.size(), "score rows", n);
  check_values(kWhere, values, scale, "probs");
  if (n == 0) throw_empty(kWhere, method);
  std::vector<int64_t> support(k, 0);
  for (int32_t y : labels) ++support[static_cast<size_t>(y)];
  if (std::count(support.begin(), support.end(), int64_t{0}) == static_cast<std::ptrdiff_t>(k) - 1) {
    throw InputError(
        fmt::format("{}: every label is {}: can't fit a calibrator on one class", kWhere, labels[0]));
  }

  Recalibrator r;
  r.method = method;
  r.task = RecalibrationTask::kMulticlass;
  r.num_classes = k;
  r.fit_rows = static_cast<int64_t>(n);
  if (method == RecalibrationMethod::kTemperature) {
    const std::vector<double> z = multiclass_logits(values, scale);
    const internal::TemperatureFit fit =
        internal::fit_temperature(z, labels, k, options.temperature_min, options.temperature_max);
    take_temperature_fit(fit, options, "every row's scores are constant", r);
    return r;
  }

  const std::vector<double> p = probabilities_of(values, k, scale);
  const size_t first = k == 2 ? 1 : 0;  // K = 2: one curve, class 1 against class 0
  for (size_t c = first; c < k; ++c) {
    if (support[c] == 0) {
      r.warnings.push_back(fmt::format(
          "{}: class {} is absent from the fit set: its one-vs-rest curve is fitted on negatives only",
          recalibration_method_name(method), c));
    }
    std::vector<double> column(n);
    std::vector<uint8_t> positive(n);
    for (size_t i = 0; i < n; ++i) {
      column[i] = p[i * k + c];
      positive[i] = static_cast<size_t>(labels[i]) == c ? 1 : 0;
    }
    if (method == RecalibrationMethod::kPlatt) {
      for (double& v : column) v = logit_of(v);
      const internal::PlattFit fit = internal::fit_platt(column, positive);
      r.platt.push_back(fit.sigmoid);
      r.fit_iterations = std::max(r.fit_iterations, fit.iterations);
    } else {
      std::vector<double> y(positive.begin(), positive.end());
      r.isotonic.push_back(internal::fit_isotonic(column, y));
    }
  }
  r.fit_nll_before = multiclass_nll(labels, p, k);
  r.fit_nll_after = multiclass_nll(labels, apply_multiclass_values(r, values, scale), k);
  return r;
}

}  // namespace

RecalibrationMethod parse_recalibration_method(std::string_view name) {
  if (name == "temperature") return RecalibrationMethod::kTemperature;
  if (name == "platt") return RecalibrationMethod::kPlatt;
  if (name == "isotonic") return RecalibrationMethod::kIsotonic;
  throw ConfigError(fmt::format("recalibration method '{}': expected temperature, platt or isotonic", name));
}

std::string_view recalibration_method_name(RecalibrationMethod method) {
  switch (method) {
    case RecalibrationMethod::kTemperature:
      return "temperature";
    case RecalibrationMethod::kPlatt:
      return "platt";
    case RecalibrationMethod::kIsotonic:
      return "isotonic";
  }
  return "unknown";
}

std::vector<double> Recalibrator::apply_binary(std::span<const double> scores, ScoreScale scale) const {
  constexpr std::string_view kWhere = "Recalibrator::apply_binary";
  if (task != RecalibrationTask::kBinary) {
    throw ConfigError(
        fmt::format("{}: this {} recalibrator was fitted on {}-class scores by fit_multiclass; "
                    "use apply_multiclass",
                    kWhere, recalibration_method_name(method), num_classes));
  }
  check_parameters(*this);
  return apply_binary_scores(*this, binary_scores(kWhere, scores, scale));
}

std::vector<double> Recalibrator::apply_multiclass(std::span<const double> values, size_t k,
                                                   ScoreScale scale) const {
  constexpr std::string_view kWhere = "Recalibrator::apply_multiclass";
  if (task != RecalibrationTask::kMulticlass) {
    throw ConfigError(
        fmt::format("{}: this {} recalibrator was fitted on binary scores by fit_binary; use apply_binary",
                    kWhere, recalibration_method_name(method)));
  }
  if (k != num_classes) {
    throw InputError(
        fmt::format("{}: {} classes given, but the recalibrator was fitted on {}", kWhere, k, num_classes));
  }
  check_parameters(*this);
  rows_of(kWhere, values, k);
  check_values(kWhere, values, scale, "probs");
  return apply_multiclass_values(*this, values, scale);
}

nlohmann::json Recalibrator::describe() const {
  nlohmann::json j;
  j["method"] = recalibration_method_name(method);
  j["task"] = task == RecalibrationTask::kBinary ? "binary" : "multiclass";
  j["num_classes"] = num_classes;
  // The class each curve calibrates: 1 when there is one curve, else its index.
  const auto class_of = [](size_t c, size_t curves) { return curves == 1 ? size_t{1} : c; };
  switch (method) {
    case RecalibrationMethod::kTemperature:
      j["temperature"] = temperature;
      break;
    case RecalibrationMethod::kPlatt:
      j["platt"] = nlohmann::json::array();
      for (size_t c = 0; c < platt.size(); ++c) {
        j["platt"].push_back({{"class", class_of(c, platt.size())}, {"a", platt[c].a}, {"b", platt[c].b}});
      }
      break;
    case RecalibrationMethod::kIsotonic:
      j["isotonic"] = nlohmann::json::array();
      for (size_t c = 0; c < isotonic.size(); ++c) {
        j["isotonic"].push_back(
            {{"class", class_of(c, isotonic.size())}, {"x", isotonic[c].x}, {"y", isotonic[c].y}});
      }
      break;
  }
  j["fit"] = {{"rows", fit_rows},
              {"nll_before", fit_nll_before},
              {"nll_after", fit_nll_after},
              {"iterations", fit_iterations}};
  if (!warnings.empty()) j["warnings"] = warnings;
  return j;
}

std::vector<double> as_probabilities_binary(std::span<const double> scores, ScoreScale scale) {
  return binary_scores("as_probabilities_binary", scores, scale).probability;
}

std::vector<double> as_probabilities_multiclass(std::span<const double> values, size_t num_classes,
                                                ScoreScale scale) {
  constexpr std::string_view kWhere = "as_probabilities_multiclass";
  rows_of(kWhere, values, num_classes);
  check_values(kWhere, values, scale, "probs");
  return probabilities_of(values, num_classes, scale);
}

Recalibrator fit_binary(RecalibrationMethod method, std::span<const double> labels,
                        std::span<const double> scores, ScoreScale scale,
                        const RecalibrationOptions& options) {
  return fit_binary_labels(method, internal::binary_labels("fit_binary", labels), scores, scale, options);
}

Recalibrator fit_binary(RecalibrationMethod method, std::span<const int64_t> labels,
                        std::span<const double> scores, ScoreScale scale,
                        const RecalibrationOptions& options) {
  return fit_binary_labels(method, internal::binary_labels("fit_binary", labels), scores, scale, options);
}

Recalibrator fit_multiclass(RecalibrationMethod method, std::span<const double> labels,
                            std::span<const double> values, size_t num_classes, ScoreScale scale,
                            const RecalibrationOptions& options) {
  return fit_multiclass_labels(method, internal::class_labels("fit_multiclass", labels, num_classes), values,
                               num_classes, scale, options);
}

Recalibrator fit_multiclass(RecalibrationMethod method, std::span<const int64_t> labels,
                            std::span<const double> values, size_t num_classes, ScoreScale scale,
                            const RecalibrationOptions& options) {
  return fit_multiclass_labels(method, internal::class_labels("fit_multiclass", labels, num_classes), values,
                               num_classes, scale, options);
}

}  // namespace dpeval::eval
