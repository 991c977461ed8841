// Count metrics from the confusion matrix, following sklearn 1.2's formulas and
// their order of floating-point operations where it matters (MCC, kappa, F1).
#include "dpeval/eval/confusion.h"

#include <fmt/format.h>

#include <cmath>

#include "dpeval/core/check.h"
#include "dpeval/eval/internal/class_list.h"

namespace dpeval::eval {

void ConfusionMatrix::merge(const ConfusionMatrix& other) {
  DPEVAL_CHECK(other.k_ == k_) << "merging " << other.k_ << " classes into " << k_;
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
}

int64_t ConfusionMatrix::total() const {
  int64_t sum = 0;
  for (int64_t c : counts_) sum += c;
  return sum;
}

int64_t ConfusionMatrix::trace() const {
  int64_t sum = 0;
  for (size_t i = 0; i < k_; ++i) sum += at(i, i);
  return sum;
}

int64_t ConfusionMatrix::row_sum(size_t true_class) const {
  int64_t sum = 0;
  for (size_t j = 0; j < k_; ++j) sum += at(true_class, j);
  return sum;
}

int64_t ConfusionMatrix::col_sum(size_t predicted_class) const {
  int64_t sum = 0;
  for (size_t i = 0; i < k_; ++i) sum += at(i, predicted_class);
  return sum;
}

namespace {

// sklearn's _prf_divide with zero_division="warn": 0.0 where the denominator is 0.
double divide_or_zero(int64_t numerator, int64_t denominator) {
  return denominator == 0 ? 0.0 : static_cast<double>(numerator) / static_cast<double>(denominator);
}

// The scores of one class from its counts; `empty`: the whole matrix is.
ClassScores scores_from_counts(int64_t tp, int64_t predicted, int64_t support, bool empty) {
  ClassScores s;
  s.support = support;
  if (empty) return s;
  const double p = divide_or_zero(tp, predicted);
  const double r = divide_or_zero(tp, support);
  s.precision = p;
  s.recall = r;
  // sklearn: denom = p + r, set to 1 where 0; f = 2 p r / denom.
  const double denom = p + r;
  s.f1 = 2.0 * p * r / (denom == 0.0 ? 1.0 : denom);
  return s;
}

}  // namespace

ClassScores class_scores(const ConfusionMatrix& m, size_t k) {
  DPEVAL_CHECK(k < m.num_classes()) << "class " << k << " of " << m.num_classes();
  return scores_from_counts(m.at(k, k), m.col_sum(k), m.row_sum(k), m.total() == 0);
}

std::vector<ClassScores> class_scores_all(const ConfusionMatrix& m, Warnings& warnings) {
  std::vector<ClassScores> scores;
  std::vector<size_t> no_predicted, no_true;
  const bool empty = m.total() == 0;
  for (size_t k = 0; k < m.num_classes(); ++k) {
    const int64_t predicted = m.col_sum(k), support = m.row_sum(k);
    scores.push_back(scores_from_counts(m.at(k, k), predicted, support, empty));
    if (predicted == 0) no_predicted.push_back(k);
    if (support == 0) no_true.push_back(k);
  }
  if (empty) return scores;
  if (!no_predicted.empty()) {
    warnings.push_back(
        fmt::format("precision is 0.0 for classes {} with no predicted rows (sklearn zero_division=\"warn\")",
                    internal::format_class_list(no_predicted)));
  }
  if (!no_true.empty()) {
    warnings.push_back(
        fmt::format("recall is 0.0 for classes {} with no true rows (sklearn zero_division=\"warn\")",
                    internal::format_class_list(no_true)));
  }
  return scores;
}

std::optional<double> confusion_accuracy(const ConfusionMatrix& m) {
  const int64_t n = m.total();
  if (n == 0) return std::nullopt;
  return static_cast<double>(m.trace()) / static_cast<double>(n);
}

std::optional<double> confusion_balanced_accuracy(const ConfusionMatrix& m, Warnings& warnings) {
  double sum = 0;
  size_t present = 0;
  std::vector<size_t> predicted_not_true;
  for (size_t k = 0; k < m.num_classes(); ++k) {
    const int64_t support = m.row_sum(k);
    if (support == 0) {
      if (m.col_sum(k) > 0) predicted_not_true.push_back(k);
      continue;
    }
    sum += static_cast<double>(m.at(k, k)) / static_cast<double>(support);
    ++present;
  }
  if (present == 0) return std::nullopt;
  if (!predicted_not_true.empty()) {
    warnings.push_back(fmt::format("balanced_accuracy skips classes {}: predicted but not in the labels",
                                   internal::format_class_list(predicted_not_true)));
  }
  return sum / static_cast<double>(present);
}

std::optional<double> confusion_mcc(const ConfusionMatrix& m, Warnings& warnings) {
  const size_t k = m.num_classes();
  if (m.total() == 0) return std::nullopt;
  const auto n = static_cast<double>(m.total());
  const auto correct = static_cast<double>(m.trace());
  double t_dot_p = 0, p_dot_p = 0, t_dot_t = 0;
  for (size_t c = 0; c < k; ++c) {
    const auto t = static_cast<double>(m.row_sum(c));
    const auto p = static_cast<double>(m.col_sum(c));
    t_dot_p += t * p;
    p_dot_p += p * p;
    t_dot_t += t * t;
  }
  const double cov_ytyp = correct * n - t_dot_p;
  const double cov_ypyp = n * n - p_dot_p;
  const double cov_ytyt = n * n - t_dot_t;
  if (cov_ypyp * cov_ytyt == 0) {
    warnings.emplace_back("mcc is 0.0: the labels or the predictions hold one class only (sklearn)");
    return 0.0;
  }
  return cov_ytyp / std::sqrt(cov_ytyt * cov_ypyp);
}

std::optional<double> confusion_cohen_kappa(const ConfusionMatrix& m, Warnings& warnings) {
  const size_t k = m.num_classes();
  if (m.total() == 0) return std::nullopt;
  const auto n = static_cast<double>(m.total());
  std::vector<double> rows(k), cols(k);
  for (size_t c = 0; c < k; ++c) {
    rows[c] = static_cast<double>(m.row_sum(c));
    cols[c] = static_cast<double>(m.col_sum(c));
  }
  double observed = 0, expected = 0;
  for (size_t i = 0; i < k; ++i) {
    for (size_t j = 0; j < k; ++j) {
      if (i == j) continue;
      observed += static_cast<double>(m.at(i, j));
      expected += cols[i] * rows[j] / n;
    }
  }
  if (expected == 0) {
    warnings.emplace_back("cohen_kappa is undefined: labels and predictions are all one same class");
    return std::nullopt;
  }
  return 1.0 - observed / expected;
}

}  // namespace dpeval::eval
