// Whole-set metrics of a binary classifier, a K-class classifier and a
// regressor, equal to scikit-learn 1.2 (tests: within 1e-9 relative of the
// fixtures tests/eval/make_sklearn_fixtures.py writes, and hand-computed cases).
//
// Inputs are spans, computed in double:
//   labels       int64 or double; binary: 0 or 1; multiclass: 0..K-1
//   scores       binary: the probability of class 1, in [0, 1]
//   probs        multiclass: n x K row-major, probabilities in [0, 1]; rows
//                should sum to 1 (a warning otherwise: log_loss renormalises
//                each row as sklearn does, where sklearn's roc_auc_score would
//                refuse the input, dpeval computes one-vs-rest AUC as given)
//   predictions  regression, with targets; finite
// A length mismatch, a label out of range, a NaN or infinite value or a
// probability outside [0, 1] throws InputError naming the row; a bad option
// (non-finite threshold, curve_points_max = 1) throws ConfigError.
//
// Outputs: every metric is std::optional<double>, nullopt where undefined, with
// a text in `warnings` for each degenerate or stand-in case (see Note
// [Undefined metrics] in metric_info.h). metric_values() lists a result's
// metrics under their key names, in a fixed order.
//
// Cost: O(n) passes (the count metrics all come from one confusion matrix)
// plus, for the ranking metrics, one radix sort of the scores (binary) or one
// per class (multiclass one-vs-rest). The functions are pure (no shared state):
// concurrent calls are safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dpeval/eval/confusion.h"
#include "dpeval/eval/curves.h"
#include "dpeval/eval/metric_info.h"

namespace dpeval::eval {

// np.finfo(np.float64).eps. log_loss clips probabilities to [eps, 1 - eps]
// (sklearn 1.2's default eps="auto" for float64 input); mape divides by
// max(|target|, eps) (sklearn's mean_absolute_percentage_error).
inline constexpr double kFloat64Eps = 2.220446049250313e-16;

struct BinaryOptions {
  double threshold = 0.5;         // predicted class 1 iff score >= threshold
  size_t curve_points_max = 512;  // see RankingOptions
};

struct BinaryMetrics {
  int64_t n = 0;
  ConfusionMatrix confusion{2};  // [[tn, fp], [fn, tp]]
  std::optional<double> accuracy;
  std::optional<double> balanced_accuracy;
  std::optional<double> precision;  // of class 1; 0.0 (warning) without predicted positives
  std::optional<double> recall;     // of class 1; 0.0 (warning) without true positives
  std::optional<double> f1;
  std::optional<double> mcc;
  std::optional<double> cohen_kappa;
  std::optional<double> roc_auc;            // nullopt with one class only
  std::optional<double> average_precision;  // 0.0 (warning) without positives
  // Mean of -log(p_true) with p clipped and each row [1 - p, p] renormalised,
  // as sklearn's log_loss(labels=[0, 1]): defined with one class too.
  std::optional<double> log_loss;
  std::optional<double> brier;        // mean (label - score)^2
  std::vector<CurvePoint> roc_curve;  // see RankingMetrics
  std::vector<CurvePoint> pr_curve;
  Warnings warnings;
};

BinaryMetrics compute_binary(std::span<const double> labels, std::span<const double> scores,
                             const BinaryOptions& options = {});
BinaryMetrics compute_binary(std::span<const int64_t> labels, std::span<const double> scores,
                             const BinaryOptions& options = {});

// accuracy, balanced_accuracy, precision, recall, f1, mcc, cohen_kappa,
// roc_auc, average_precision, log_loss, brier.
std::vector<MetricValue> metric_values(const BinaryMetrics& m);

// Note [Multiclass conventions]
// Predicted class = argmax of the row, the lowest index on ties (np.argmax).
// top2_accuracy follows sklearn's top_k_accuracy_score: ranks by descending
// probability with ties going to the HIGHER index (its reversed stable
// argsort), so a row [0.4, 0.3, 0.3] with label 1 is a miss; K = 2 gives 1.0
// and a warning. Classes are always 0..K-1 (sklearn labels=range(K)): the
// confusion matrix is K x K, per_class has K entries, and the macro averages
// run over all K, so a class absent from labels and predictions counts as
// precision = recall = f1 = 0 (sklearn's zero_division stand-in, warned).
// balanced_accuracy, mcc and cohen_kappa are unaffected by absent classes.
// roc_auc_ovr_macro (mean over classes of class-vs-rest AUC on column k) is
// nullopt when any class is absent from the labels, as sklearn raises then.
struct MulticlassMetrics {
  int64_t n = 0;
  size_t num_classes = 0;
  ConfusionMatrix confusion;  // K x K, row = true class
  std::optional<double> accuracy;
  std::optional<double> balanced_accuracy;
  std::optional<double> f1_macro;
  std::optional<double> f1_weighted;  // weights = support
  std::optional<double> precision_macro;
  std::optional<double> recall_macro;
  std::optional<double> mcc;
  std::optional<double> cohen_kappa;
  std::optional<double> log_loss;  // rows clipped then renormalised (sklearn 1.2)
  std::optional<double> roc_auc_ovr_macro;
  std::optional<double> top2_accuracy;
  std::vector<ClassScores> per_class;  // K entries
  Warnings warnings;
};

// probs.size() must be labels.size() * num_classes (InputError otherwise);
// num_classes >= 2. threads: how many threads the row pass and the per-class
// AUCs may use (0: all cores); the result is the same for every count.
MulticlassMetrics compute_multiclass(std::span<const double> labels, std::span<const double> probs,
                                     size_t num_classes, size_t threads = 1);
MulticlassMetrics compute_multiclass(std::span<const int64_t> labels, std::span<const double> probs,
                                     size_t num_classes, size_t threads = 1);

// accuracy, balanced_accuracy, f1_macro, f1_weighted, precision_macro,
// recall_macro, mcc, cohen_kappa, log_loss, roc_auc_ovr_macro, top2_accuracy.
std::vector<MetricValue> metric_values(const MulticlassMetrics& m);

struct RegressionMetrics {
  int64_t n = 0;
  std::optional<double> mse;
  std::optional<double> rmse;
  std::optional<double> mae;
  std::optional<double> r2;  // 1 - SS_res / SS_tot; nullopt (warning) for a constant target
  std::optional<double> median_absolute_error;  // even n: mean of the two middle values
  std::optional<double> max_error;
  // mean |pred - target| / max(|target|, kFloat64Eps): enormous where a target
  // is 0 (warned), exactly as sklearn.
  std::optional<double> mape;
  Warnings warnings;
};

RegressionMetrics compute_regression(std::span<const double> targets, std::span<const double> predictions);

// mse, rmse, mae, r2, median_absolute_error, max_error, mape.
std::vector<MetricValue> metric_values(const RegressionMetrics& m);

}  // namespace dpeval::eval
