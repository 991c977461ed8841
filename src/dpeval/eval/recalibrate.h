// Recalibration: a map from a classifier's scores to better-calibrated
// probabilities, fitted on one labelled set (a validation split, `--fit
// val.csv`) and applied to others (`--apply test.csv`). Three methods:
//
//   temperature  Guo et al. 2017: one scalar T > 0, q = softmax(z / T), T
//                minimising the mean NLL on the fit set. Keeps the argmax, so
//                accuracy is unchanged. See Note [Temperature fit].
//   platt        Platt 2000: q = sigmoid(a x + b) with x = logit(score), fitted
//                by maximum likelihood on Platt's smoothed targets, equal to
//                scikit-learn 1.2's _sigmoid_calibration(x, y) (its a_ = -a,
//                b_ = -b). See Note [Platt fit].
//   isotonic     scikit-learn 1.2's IsotonicRegression(out_of_bounds="clip")
//                fitted on (score, label): the pool-adjacent-violators means,
//                a non-decreasing curve linear between its knots and constant
//                outside them (scores past the fitted range are clipped). See
//                Note [Isotonic fit].
// Multiclass platt and isotonic are one-vs-rest (one curve per class on the
// class's probability p_k against label == k), then each row is divided by its
// sum (uniform 1/K where the sum is 0), as sklearn's CalibratedClassifierCV;
// with K = 2 a single curve on p_1 gives [1 - q, q], as sklearn does for two
// classes.
//
// Inputs (ScoreScale says which):
//   binary      n scores: P(class 1) in [0, 1], or its logit log(p / (1 - p))
//   multiclass  n x K row-major: probabilities in [0, 1], or logits
//               (unnormalised log-probabilities; log-probabilities are logits)
// One value feeds each method in a fixed way, so fitting on probabilities and
// applying to the same model's logits (or the reverse) gives the same result
// up to the clipping below:
//   temperature  logits z; from probabilities z = log(max(p, eps)) (softmax of
//                it is p itself when the row sums to 1, so T = 1 changes
//                nothing); binary: the 2-class logits [0, logit(p)]
//   platt        x = logit(p_k) = log(p / (1 - p)), p clipped to
//                [eps, 1 - eps] (|x| <= 36.04); from binary logits x = the logit
//                itself; from multiclass logits p = softmax(z)
//   isotonic     p_k itself; from logits, sigmoid (binary) or softmax (multiclass)
// with eps = kFloat64Eps (2.2e-16, metrics.h). Outputs are probabilities:
// binary P(class 1) per row, multiclass n x K rows summing to 1.
//
// Errors. InputError: length mismatch, a label out of range, a NaN or infinite
// value, a probability outside [0, 1], a fit set with no rows or with one class
// only ("can't fit a calibrator on one class"), a matrix whose K differs from
// the fitted one. ConfigError: an unknown method name, a bad temperature
// bracket, apply_binary on a multiclass recalibrator or the reverse.
//
// Cost: temperature O(n K) per Newton step (a handful of steps); platt O(n) per
// Newton step per class; isotonic one sort, O(n log n), per class; applying is
// O(n K) (isotonic: a binary search per value). Single-threaded and
// deterministic: the same input gives bitwise the same fit. Every function is
// pure; a fitted Recalibrator is immutable and safe to apply concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string_view>
#include <vector>

#include "dpeval/eval/metric_info.h"

namespace dpeval::eval {

enum class RecalibrationMethod { kTemperature, kPlatt, kIsotonic };

// "temperature", "platt" or "isotonic"; anything else is a ConfigError naming them.
RecalibrationMethod parse_recalibration_method(std::string_view name);
std::string_view recalibration_method_name(RecalibrationMethod method);

enum class RecalibrationTask { kBinary, kMulticlass };

// What a span of scores holds.
enum class ScoreScale {
  kProbability,  // binary: P(class 1); multiclass: rows of class probabilities
  kLogit,        // binary: log(p / (1 - p)); multiclass: logits or log-probabilities
};

struct RecalibrationOptions {
  // Temperature search bracket, 0 < temperature_min < temperature_max (finite;
  // ConfigError otherwise). An optimum on a bound is kept there, with a warning.
  double temperature_min = 0.05;
  double temperature_max = 20.0;
};

// q = 1 / (1 + exp(-(a x + b))), x = logit(score). sklearn's a_ is -a, b_ is -b.
struct PlattSigmoid {
  double a = 0;
  double b = 0;
};

// Knots of a fitted isotonic curve (sklearn's X_thresholds_, y_thresholds_):
// x strictly increasing, y non-decreasing in [0, 1], same length >= 1.
// q(t) = y[0] for t <= x[0], y.back() for t >= x.back(), linear between knots.
struct IsotonicCurve {
  std::vector<double> x;
  std::vector<double> y;
};

// A fitted recalibrator: the method's parameters and a summary of the fit.
struct Recalibrator {
  RecalibrationMethod method = RecalibrationMethod::kTemperature;
  RecalibrationTask task = RecalibrationTask::kBinary;
  size_t num_classes = 2;  // K; 2 for binary

  double temperature = 1.0;  // kTemperature
  // kPlatt, kIsotonic: one entry for binary and for K = 2, else K (class k
  // against the rest); empty for the other methods.
  std::vector<PlattSigmoid> platt;
  std::vector<IsotonicCurve> isotonic;

  // On the fit set: rows, and the mean negative log-likelihood of the true
  // class before (the input as probabilities) and after recalibration. For
  // temperature these are the objective at T = 1 and at the fitted T, computed
  // by log-sum-exp (exact for any logit); for platt and isotonic, the mean of
  // -log(max(q_true, eps)).
  int64_t fit_rows = 0;
  double fit_nll_before = 0;
  double fit_nll_after = 0;
  int fit_iterations = 0;  // Newton steps (temperature; platt: the most of any class); 0 for isotonic
  Warnings warnings;       // e.g. a temperature on its bracket bound, a class absent from the fit set

  // P(class 1) per row. Requires task == kBinary (ConfigError otherwise);
  // inputs validated as in fit_binary.
  std::vector<double> apply_binary(std::span<const double> scores,
                                   ScoreScale scale = ScoreScale::kProbability) const;

  // n x K row-major probabilities. Requires task == kMulticlass and K ==
  // num_classes (ConfigError / InputError otherwise); values.size() a multiple of K.
  std::vector<double> apply_multiclass(std::span<const double> values, size_t num_classes,
                                       ScoreScale scale) const;

  // {"method": "temperature", "task": "multiclass", "num_classes": 4,
  //  "temperature": 1.83,                                    // temperature
  //  "platt": [{"class": 1, "a": .., "b": ..}],              // platt (class: the positive one)
  //  "isotonic": [{"class": 1, "x": [..], "y": [..]}],      // isotonic knots
  //  "fit": {"rows": .., "nll_before": .., "nll_after": .., "iterations": ..},
  //  "warnings": [..]}                                       // absent when none
  nlohmann::json describe() const;
};

// labels 0 or 1; scores as `scale` says. See the file comment for the errors.
Recalibrator fit_binary(RecalibrationMethod method, std::span<const double> labels,
                        std::span<const double> scores, ScoreScale scale = ScoreScale::kProbability,
                        const RecalibrationOptions& options = {});
Recalibrator fit_binary(RecalibrationMethod method, std::span<const int64_t> labels,
                        std::span<const double> scores, ScoreScale scale = ScoreScale::kProbability,
                        const RecalibrationOptions& options = {});

// labels in 0..K-1, at least two classes present; values n x K row-major, K >= 2.
// A class absent from the fit set is allowed (a warning): its one-vs-rest
// curve is fitted on negatives only and gives it a probability near 0.
Recalibrator fit_multiclass(RecalibrationMethod method, std::span<const double> labels,
                            std::span<const double> values, size_t num_classes, ScoreScale scale,
                            const RecalibrationOptions& options = {});
Recalibrator fit_multiclass(RecalibrationMethod method, std::span<const int64_t> labels,
                            std::span<const double> values, size_t num_classes, ScoreScale scale,
                            const RecalibrationOptions& options = {});

// The input itself as probabilities, validated as in fit_*: what "before"
// means when a caller reports a metric before and after recalibration (ECE of
// the held-out file). Binary: P(class 1), the sigmoid of a logit. Multiclass:
// n x K rows, softmax of logits; probabilities are returned as given.
std::vector<double> as_probabilities_binary(std::span<const double> scores, ScoreScale scale);
std::vector<double> as_probabilities_multiclass(std::span<const double> values, size_t num_classes,
                                                ScoreScale scale);

// Note [Temperature fit]
// With beta = 1 / T, the mean NLL g(beta) = mean_i [lse(beta z_i) - beta z_{i,y_i}]
// is convex in beta: g'(beta) = mean_i (E_q[z_i] - z_{i,y_i}) and g''(beta) =
// mean_i Var_q(z_i) >= 0, q = softmax(beta z_i). So the fit is a safeguarded
// Newton search for g'(beta) = 0 on the bracket [1 / T_max, 1 / T_min], each
// step that would leave the current bracket replaced by bisection, stopping
// when a step moves beta by less than 1e-13 relative (far below the 1e-10 asked
// of it), which takes a handful of steps from beta = 1. When g' has one sign on
// the whole bracket the optimum is past a bound (e.g. separable data wants
// T -> 0) and T stays on that bound, with a warning; when every row's logits are
// constant the NLL does not depend on T, and T = 1, with a warning.
//
// Note [Platt fit]
// Targets t = (N+ + 1) / (N+ + 2) for positives and 1 / (N- + 2) for negatives
// (Platt's smoothing, as sklearn). L(a, b) = sum_i [softplus(eta_i) - t_i eta_i],
// eta = a x + b, is strictly convex and, t being inside (0, 1), bounded below
// with a finite minimiser even on separable data. Newton's method with a
// backtracking (Armijo) line search and a 1e-12 ridge on the Hessian (Lin,
// Lin and Weng 2007), from sklearn's start (0, log((N+ + 1) / (N- + 1))),
// stopping when the Newton decrement says the next step gains less than the
// rounding of L. sklearn's BFGS stops at a gradient norm of 1e-5, so its
// (a, b) sit within ~1e-6 of this optimum, and its loss is never lower.
//
// Note [Isotonic fit]
// As sklearn 1.2: sort by (score, label); merge runs of scores within
// np.finfo(float64).resolution = 1e-15 of the run's first score into one point
// at that first score carrying the mean label and the run's count as weight
// (_make_unique); pool adjacent violators in a single pass with backtracking,
// in sklearn's order of operations (_inplace_contiguous_isotonic_regression);
// drop interior knots equal to both neighbours. Prediction is np.interp on the
// knots after clipping to [x.front(), x.back()] (exact knot values at the
// knots). The fitted values equal sklearn's to the last bit on the fixtures
// (tests: 1e-12).

}  // namespace dpeval::eval
