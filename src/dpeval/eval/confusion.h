// The confusion matrix and the count metrics derived from it alone: accuracy,
// balanced accuracy, per-class precision / recall / F1, MCC and Cohen's kappa,
// each as scikit-learn 1.2 computes it (see Note [Undefined metrics]).
//
// Layout: K classes 0..K-1; counts are K*K int64, row-major, row = true class,
// column = predicted class. For K = 2 that is [[tn, fp], [fn, tp]].
//
// A class that never occurs (no true rows, no predicted rows) is still a row
// and a column: sklearn's labels=range(K). It changes nothing in accuracy, MCC
// or kappa (zero rows and columns drop out of their sums), and balanced
// accuracy skips it as sklearn does; its precision, recall and F1 are sklearn's
// zero_division stand-in 0.0, and so it lowers macro averages (see
// ClassScores).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dpeval/eval/metric_info.h"

namespace dpeval::eval {

// Counts of (true class, predicted class) pairs. Not thread-safe to add to
// concurrently; merge per-thread matrices with merge().
class ConfusionMatrix {
 public:
  ConfusionMatrix() = default;
  explicit ConfusionMatrix(size_t num_classes) : k_(num_classes), counts_(num_classes * num_classes, 0) {}

  // Precondition (unchecked, hot loop): both < num_classes().
  void add(size_t true_class, size_t predicted_class) { ++counts_[true_class * k_ + predicted_class]; }
  // Adds `count` rows of one pair at once: a weighted matrix (weighted_metrics.h).
  void add(size_t true_class, size_t predicted_class, int64_t count) {
    counts_[true_class * k_ + predicted_class] += count;
  }
  // Adds `other` (same num_classes, DPEVAL_CHECKed) cell by cell.
  void merge(const ConfusionMatrix& other);

  size_t num_classes() const { return k_; }
  int64_t at(size_t true_class, size_t predicted_class) const {
    return counts_[true_class * k_ + predicted_class];
  }
  std::span<const int64_t> counts() const { return counts_; }

  int64_t total() const;
  int64_t trace() const;
  int64_t row_sum(size_t true_class) const;       // support: rows of that class
  int64_t col_sum(size_t predicted_class) const;  // rows predicted as that class

 private:
  size_t k_ = 0;
  std::vector<int64_t> counts_;
};

// One class, one-vs-rest: precision = tp / (tp + fp), recall = tp / (tp + fn),
// f1 = 2 p r / (p + r); each 0.0 where its denominator is 0 (sklearn
// zero_division="warn"), all nullopt when the matrix is empty. support = true
// rows of the class.
struct ClassScores {
  std::optional<double> precision;
  std::optional<double> recall;
  std::optional<double> f1;
  int64_t support = 0;
};

// The scores of class `k` (< num_classes, DPEVAL_CHECKed). Warns nothing: the
// callers summarise zero divisions over all classes (see class_scores_all()).
ClassScores class_scores(const ConfusionMatrix& m, size_t k);

// class_scores() of every class, with one warning per kind of zero division
// naming the classes ("precision is 0.0 for classes [3] with no predicted rows").
std::vector<ClassScores> class_scores_all(const ConfusionMatrix& m, Warnings& warnings);

// trace / total; nullopt when empty.
std::optional<double> confusion_accuracy(const ConfusionMatrix& m);

// Mean recall over the classes that occur in the labels. A class predicted but
// never true is skipped with a warning (sklearn: "y_pred contains classes not in
// y_true"). nullopt when empty.
std::optional<double> confusion_balanced_accuracy(const ConfusionMatrix& m, Warnings& warnings);

// Matthews correlation, sklearn's K-class form:
//   (c n - t.p) / sqrt((n^2 - p.p)(n^2 - t.t)), t = row sums, p = column sums,
// computed in double as sklearn does (exact while n^2 < 2^53, n < 9.4e7).
// 0.0 with a warning when a factor of the denominator is 0; nullopt when empty.
std::optional<double> confusion_mcc(const ConfusionMatrix& m, Warnings& warnings);

// Cohen's kappa, unweighted: 1 - sum_{i!=j} C_ij / sum_{i!=j} E_ij with
// E_ij = colsum_i rowsum_j / n (sklearn's outer(sum0, sum1) / n). nullopt (with a
// warning) when the expected disagreement is 0, i.e. labels and predictions are
// all one same class (sklearn: nan), and when empty.
std::optional<double> confusion_cohen_kappa(const ConfusionMatrix& m, Warnings& warnings);

}  // namespace dpeval::eval
