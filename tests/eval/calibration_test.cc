// Calibration: bin edges against searchsorted semantics, ECE / MCE and the
// Brier decomposition on hand-computed cases, degenerate input.
#include "dpeval/eval/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/eval/internal/uniform_bins.h"
#include "eval/eval_test_util.h"

namespace dpeval::eval {
namespace {

using testing::has_warning;

// np.searchsorted(linspace(0, 1, B + 1)[1:-1], v): inner edges strictly below v.
size_t searchsorted_bin(double v, size_t bins) {
  const double width = 1.0 / static_cast<double>(bins);
  size_t below = 0;
  for (size_t i = 1; i < bins; ++i) below += static_cast<double>(i) * width < v ? 1 : 0;
  return below;
}

TEST(UniformBins, MatchSklearnEdgesAtAndAroundEveryEdge) {
  for (size_t bins : {1, 2, 3, 7, 10, 15, 100}) {
    const internal::UniformBins b(bins);
    for (size_t i = 0; i <= bins; ++i) {
      const double e = b.edge(i);
      for (double v : {e, std::nextafter(e, 0.0), std::nextafter(e, 1.0)}) {
        if (v < 0 || v > 1) continue;
        EXPECT_EQ(b.index_of(v), searchsorted_bin(v, bins)) << "bins " << bins << " v " << v;
      }
    }
  }
  const internal::UniformBins ten(10);
  EXPECT_EQ(ten.edge(3), 0.30000000000000004);  // 3 * 0.1, as np.linspace
  EXPECT_EQ(ten.index_of(0.3), 2u);             // (0.2, 0.30000000000000004]
  EXPECT_EQ(ten.index_of(0.0), 0u);
  EXPECT_EQ(ten.index_of(1.0), 9u);
}

TEST(Calibration, BinaryHandComputed) {
  // Confidences 0.9 ok, 0.8 wrong, 0.7 ok, 0.6 ok, 0.5 wrong, 1.0 ok; B = 5.
  const std::vector<double> labels = {1, 0, 0, 1, 0, 0};
  const std::vector<double> scores = {0.9, 0.8, 0.3, 0.6, 0.5, 0.0};
  const Calibration c = compute_calibration_binary(labels, scores, {5});
  ASSERT_EQ(c.bins.size(), 5u);
  EXPECT_EQ(c.bins[0].count + c.bins[1].count, 0);
  EXPECT_FALSE(c.bins[0].accuracy);
  EXPECT_EQ(c.bins[2].count, 2);  // 0.6 and 0.5: 0.6 <= 3 * 0.2
  EXPECT_DOUBLE_EQ(*c.bins[2].accuracy, 0.5);
  EXPECT_DOUBLE_EQ(*c.bins[2].confidence, 0.55);
  EXPECT_EQ(c.bins[3].count, 2);  // 0.8 and 0.7
  EXPECT_DOUBLE_EQ(*c.bins[3].confidence, 0.75);
  EXPECT_EQ(c.bins[4].count, 2);  // 0.9 and 1.0
  EXPECT_DOUBLE_EQ(*c.bins[4].accuracy, 1.0);
  EXPECT_NEAR(*c.ece, 2.0 / 6 * (0.05 + 0.25 + 0.05), 1e-15);
  EXPECT_NEAR(*c.mce, 0.25, 1e-15);
  EXPECT_EQ(c.bins[4].upper, 1.0);
}

TEST(Calibration, MulticlassUsesTheArgmaxProbability) {
  // Row 1 ties at 0.4: argmax is class 0 (lowest index), wrong for label 1.
  const std::vector<int64_t> labels = {0, 1, 2};
  const std::vector<double> probs = {0.7, 0.2, 0.1, 0.4, 0.4, 0.2, 0.1, 0.1, 0.8};
  const Calibration c = compute_calibration_multiclass(labels, probs, 3, {10});
  EXPECT_EQ(c.bins[3].count, 1);  // 0.4
  EXPECT_DOUBLE_EQ(*c.bins[3].accuracy, 0.0);
  EXPECT_EQ(c.bins[6].count, 1);  // 0.7
  EXPECT_EQ(c.bins[7].count, 1);  // 0.8
  EXPECT_NEAR(*c.ece, (0.4 + 0.3 + 0.2) / 3, 1e-15);
  EXPECT_NEAR(*c.mce, 0.4, 1e-15);
}

// The one-argmax-a-row loop against a plain one: argmax (lowest index on
// ties), searchsorted bins, long double sums; counts exact, the rest 1e-13.
TEST(Calibration, MulticlassMatchesAPlainLoop) {
  const size_t n = 20000, k = 4, bins = 15;
  std::vector<int64_t> labels(n);
  std::vector<double> probs(n * k);
  uint64_t state = 7;
  auto uniform = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state >> 11) * 0x1.0p-53;
  };
  for (size_t i = 0; i < n; ++i) {
    labels[i] = static_cast<int64_t>(uniform() * k);
    double sum = 0;
    for (size_t j = 0; j < k; ++j)
      sum += probs[i * k + j] = std::round(uniform() * 8) + 1;  // ties on purpose
    for (size_t j = 0; j < k; ++j) probs[i * k + j] /= sum;
  }
  std::vector<int64_t> count(bins, 0);
  std::vector<long double> correct(bins, 0), confidence(bins, 0);
  for (size_t i = 0; i < n; ++i) {
    size_t best = 0;
    for (size_t j = 1; j < k; ++j) best = probs[i * k + j] > probs[i * k + best] ? j : best;
    const double v = probs[i * k + best];
    const size_t b = searchsorted_bin(v, bins);
    ++count[b];
    correct[b] += static_cast<int64_t>(best) == labels[i] ? 1 : 0;
    confidence[b] += v;
  }
  const Calibration c = compute_calibration_multiclass(labels, probs, k, {bins});
  long double ece = 0;
  for (size_t b = 0; b < bins; ++b) {
    EXPECT_EQ(c.bins[b].count, count[b]) << "bin " << b;
    if (count[b] == 0) continue;
    const double accuracy = static_cast<double>(correct[b] / count[b]);
    const double mean_confidence = static_cast<double>(confidence[b] / count[b]);
    EXPECT_NEAR(*c.bins[b].accuracy, accuracy, 1e-13) << "bin " << b;
    EXPECT_NEAR(*c.bins[b].confidence, mean_confidence, 1e-13) << "bin " << b;
    ece += static_cast<long double>(count[b]) / n * std::abs(accuracy - mean_confidence);
  }
  EXPECT_NEAR(*c.ece, static_cast<double>(ece), 1e-13);
}

TEST(Calibration, PerfectlyCalibratedBinsGiveZero) {
  const std::vector<uint8_t> correct = {1, 1, 1, 0, 1, 0};
  const std::vector<double> confidence = {1.0, 1.0, 0.5, 0.5, 0.5, 0.5};
  const Calibration c = compute_calibration(correct, confidence, {4});
  EXPECT_EQ(*c.ece, 0.0);
  EXPECT_EQ(*c.mce, 0.0);
}

TEST(BrierDecomposition, ExactWhenScoresAreConstantPerBin) {
  const std::vector<int64_t> labels = {0, 1, 1, 1, 0};
  const std::vector<double> scores = {0.1, 0.1, 0.9, 0.9, 0.9};
  const BrierDecomposition d = compute_brier_decomposition(labels, scores, {10});
  EXPECT_EQ(d.bins[0].count, 2);  // 0.1 <= 1 * 0.1
  EXPECT_EQ(d.bins[8].count, 3);  // 0.9 <= 9 * 0.1
  EXPECT_NEAR(*d.reliability, (2 * 0.16 + 3 * (0.9 - 2.0 / 3) * (0.9 - 2.0 / 3)) / 5, 1e-15);
  EXPECT_NEAR(*d.resolution, (2 * 0.01 + 3 * (2.0 / 3 - 0.6) * (2.0 / 3 - 0.6)) / 5, 1e-15);
  EXPECT_NEAR(*d.uncertainty, 0.24, 1e-15);
  EXPECT_NEAR(*d.brier, 0.33, 1e-15);
  EXPECT_NEAR(*d.reliability - *d.resolution + *d.uncertainty, *d.brier, 1e-15);
}

TEST(Calibration, DegenerateAndBadInput) {
  const Calibration empty = compute_calibration_binary(std::vector<double>{}, std::vector<double>{});
  EXPECT_FALSE(empty.ece);
  EXPECT_FALSE(empty.mce);
  EXPECT_EQ(empty.bins.size(), 10u);
  EXPECT_TRUE(has_warning(empty.warnings, "no rows"));
  const BrierDecomposition none = compute_brier_decomposition(std::vector<int64_t>{}, std::vector<double>{});
  EXPECT_FALSE(none.reliability);
  EXPECT_FALSE(none.brier);
  const BrierDecomposition one_class =
      compute_brier_decomposition(std::vector<int64_t>{0, 0}, std::vector<double>{0.2, 0.4});
  EXPECT_EQ(*one_class.uncertainty, 0.0);
  EXPECT_EQ(*one_class.resolution, 0.0);

  const std::vector<double> y = {0, 1};
  EXPECT_THROW(compute_calibration_binary(y, std::vector<double>{0.2, 1.5}), InputError);
  EXPECT_THROW(compute_calibration_binary(y, std::vector<double>{0.2}), InputError);
  EXPECT_THROW(compute_calibration_binary(y, std::vector<double>{0.2, 0.3}, {0}), ConfigError);
  EXPECT_THROW(compute_calibration_multiclass(y, std::vector<double>{0.5, 0.5, 1.0}, 2), InputError);
  EXPECT_THROW(compute_brier_decomposition(std::vector<double>{2}, std::vector<double>{0.5}), InputError);
}

}  // namespace
}  // namespace dpeval::eval
