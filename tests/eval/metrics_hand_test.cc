// compute_binary / compute_multiclass / compute_regression on cases small
// enough to check by hand, their degenerate inputs and their input errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/eval/metrics.h"
#include "eval/eval_test_util.h"

namespace dpeval::eval {
namespace {

using testing::has_warning;

TEST(BinaryMetrics, HandComputed) {
  // Predicted (score >= 0.5): 0 0 0 1 -> tn 2, fp 0, fn 1, tp 1.
  const std::vector<double> labels = {0, 0, 1, 1};
  const std::vector<double> scores = {0.1, 0.4, 0.35, 0.8};
  const BinaryMetrics m = compute_binary(labels, scores);
  EXPECT_EQ(m.n, 4);
  EXPECT_EQ(m.confusion.at(0, 0), 2);
  EXPECT_EQ(m.confusion.at(0, 1), 0);
  EXPECT_EQ(m.confusion.at(1, 0), 1);
  EXPECT_EQ(m.confusion.at(1, 1), 1);
  EXPECT_DOUBLE_EQ(*m.accuracy, 0.75);
  EXPECT_DOUBLE_EQ(*m.balanced_accuracy, 0.75);
  EXPECT_DOUBLE_EQ(*m.precision, 1.0);
  EXPECT_DOUBLE_EQ(*m.recall, 0.5);
  EXPECT_DOUBLE_EQ(*m.f1, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(*m.mcc, 2.0 / std::sqrt(12.0));
  EXPECT_DOUBLE_EQ(*m.cohen_kappa, 0.5);
  EXPECT_DOUBLE_EQ(*m.roc_auc, 0.75);
  EXPECT_DOUBLE_EQ(*m.average_precision, 5.0 / 6.0);
  EXPECT_DOUBLE_EQ(*m.brier, (0.01 + 0.16 + 0.4225 + 0.04) / 4);
  EXPECT_NEAR(*m.log_loss, -(std::log(0.9) + std::log(0.6) + std::log(0.35) + std::log(0.8)) / 4, 1e-15);
  EXPECT_EQ(m.roc_curve.size(), 5u);
  EXPECT_TRUE(m.warnings.empty());
}

TEST(BinaryMetrics, ThresholdIsInclusiveAndLabelTypesAgree) {
  const std::vector<int64_t> ints = {1, 0, 1};
  const std::vector<double> doubles = {1, 0, 1};
  const std::vector<double> scores = {0.5, 0.5, 0.49999999999999994};
  const BinaryMetrics a = compute_binary(ints, scores);
  const BinaryMetrics b = compute_binary(doubles, scores);
  EXPECT_EQ(a.confusion.at(1, 1), 1);  // 0.5 >= 0.5
  EXPECT_EQ(a.confusion.at(0, 1), 1);
  EXPECT_EQ(a.confusion.at(1, 0), 1);
  for (size_t i = 0; i < metric_values(a).size(); ++i) {
    EXPECT_EQ(metric_values(a)[i].value, metric_values(b)[i].value) << metric_values(a)[i].name;
  }
}

TEST(BinaryMetrics, LogLossClipsCertainMistakes) {
  const BinaryMetrics m = compute_binary(std::vector<double>{1}, std::vector<double>{0.0});
  EXPECT_NEAR(*m.log_loss, -std::log(kFloat64Eps), 1e-12);  // 36.04, not infinity
  EXPECT_FALSE(m.roc_auc);
}

TEST(BinaryMetrics, EmptyInputIsAllNull) {
  const BinaryMetrics m = compute_binary(std::vector<double>{}, std::vector<double>{});
  EXPECT_EQ(m.n, 0);
  for (const MetricValue& v : metric_values(m)) EXPECT_FALSE(v.value) << v.name;
  EXPECT_EQ(m.confusion.total(), 0);
  EXPECT_TRUE(m.roc_curve.empty());
  EXPECT_TRUE(has_warning(m.warnings, "no rows"));
}

TEST(BinaryMetrics, OneClassOnly) {
  const BinaryMetrics m = compute_binary(std::vector<int64_t>{0, 0, 0}, std::vector<double>{0.2, 0.7, 0.1});
  EXPECT_FALSE(m.roc_auc);
  EXPECT_EQ(*m.average_precision, 0.0);
  EXPECT_DOUBLE_EQ(*m.accuracy, 2.0 / 3.0);
  EXPECT_EQ(*m.recall, 0.0);
  EXPECT_EQ(*m.mcc, 0.0);
  EXPECT_TRUE(m.log_loss.has_value());  // defined: the classes are {0, 1} by contract
  EXPECT_TRUE(has_warning(m.warnings, "roc_auc is undefined"));
  EXPECT_TRUE(has_warning(m.warnings, "recall is 0.0"));
  EXPECT_TRUE(has_warning(m.warnings, "mcc is 0.0"));
}

TEST(BinaryMetrics, BadInputThrowsNamingTheRow) {
  const std::vector<double> scores = {0.1, 0.9};
  EXPECT_THROW(compute_binary(std::vector<double>{0}, scores), InputError);
  try {
    compute_binary(std::vector<double>{0, 2}, scores);
    FAIL() << "no throw";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "compute_binary: labels[1] = 2: expected 0 or 1");
  }
  EXPECT_THROW(compute_binary(std::vector<int64_t>{0, -1}, scores), InputError);
  EXPECT_THROW(compute_binary(std::vector<double>{0, 1}, std::vector<double>{0.1, std::nan("")}), InputError);
  EXPECT_THROW(compute_binary(std::vector<double>{0, 1}, std::vector<double>{0.1, 1.5}), InputError);
  BinaryOptions bad;
  bad.curve_points_max = 1;
  EXPECT_THROW(compute_binary(std::vector<double>{0, 1}, scores, bad), ConfigError);
  bad = {};
  bad.threshold = std::numeric_limits<double>::infinity();
  EXPECT_THROW(compute_binary(std::vector<double>{0, 1}, scores, bad), ConfigError);
}

// Labels 0 1 2 2; argmax 0 2 2 0 (row 1 ties 0.3 / 0.3 below 0.4).
const std::vector<int64_t> kLabels3 = {0, 1, 2, 2};
const std::vector<double> kProbs3 = {0.7, 0.2, 0.1, 0.3, 0.3, 0.4, 0.2, 0.2, 0.6, 0.5, 0.4, 0.1};

TEST(MulticlassMetrics, HandComputed) {
  const MulticlassMetrics m = compute_multiclass(kLabels3, kProbs3, 3);
  EXPECT_DOUBLE_EQ(*m.accuracy, 0.5);
  EXPECT_DOUBLE_EQ(*m.balanced_accuracy, 0.5);
  EXPECT_DOUBLE_EQ(*m.precision_macro, 1.0 / 3.0);  // (1/2 + 0 + 1/2) / 3
  EXPECT_DOUBLE_EQ(*m.recall_macro, 0.5);           // (1 + 0 + 1/2) / 3
  EXPECT_DOUBLE_EQ(*m.f1_macro, 7.0 / 18.0);        // (2/3 + 0 + 1/2) / 3
  EXPECT_DOUBLE_EQ(*m.f1_weighted, 5.0 / 12.0);     // (2/3 * 1 + 0 * 1 + 1/2 * 2) / 4
  EXPECT_DOUBLE_EQ(*m.mcc, 2.0 / std::sqrt(80.0));
  EXPECT_DOUBLE_EQ(*m.cohen_kappa, 0.2);
  EXPECT_DOUBLE_EQ(*m.top2_accuracy, 0.75);  // row 3: 0.1 is third
  // Class vs rest: 1, 2/3 (0.3 beats two of 0.2 0.2 0.4), 2.5/4.
  EXPECT_DOUBLE_EQ(*m.roc_auc_ovr_macro, (1.0 + 2.0 / 3.0 + 0.625) / 3.0);
  EXPECT_NEAR(*m.log_loss, -(std::log(0.7) + std::log(0.3) + std::log(0.6) + std::log(0.1)) / 4, 1e-15);
  ASSERT_EQ(m.per_class.size(), 3u);
  EXPECT_EQ(*m.per_class[1].precision, 0.0);
  EXPECT_EQ(m.per_class[2].support, 2);
  EXPECT_EQ(m.confusion.at(2, 0), 1);
  EXPECT_TRUE(has_warning(m.warnings, "precision is 0.0 for classes [1]"));
}

TEST(MulticlassMetrics, Top2TiesGoToTheHigherIndexAsSklearn) {
  // [0.4, 0.3, 0.3]: the order is 0, 2, 1, so label 1 misses and label 2 hits.
  const std::vector<double> probs = {0.4, 0.3, 0.3, 0.4, 0.3, 0.3};
  EXPECT_EQ(*compute_multiclass(std::vector<int64_t>{1, 2}, probs, 3).top2_accuracy, 0.5);
  EXPECT_EQ(*compute_multiclass(std::vector<int64_t>{2, 2}, probs, 3).top2_accuracy, 1.0);
}

TEST(MulticlassMetrics, AbsentClassesAndDegenerateInput) {
  // Class 2 never true: its recall is 0 (warned) and OvR AUC is undefined.
  const std::vector<double> probs = {0.8, 0.1, 0.1, 0.2, 0.7, 0.1};
  const MulticlassMetrics m = compute_multiclass(std::vector<double>{0, 1}, probs, 3);
  EXPECT_EQ(*m.accuracy, 1.0);
  EXPECT_EQ(*m.balanced_accuracy, 1.0);
  EXPECT_DOUBLE_EQ(*m.f1_macro, 2.0 / 3.0);
  EXPECT_FALSE(m.roc_auc_ovr_macro);
  EXPECT_TRUE(has_warning(m.warnings, "roc_auc_ovr_macro is undefined: classes [2]"));

  const MulticlassMetrics empty = compute_multiclass(std::vector<int64_t>{}, std::vector<double>{}, 4);
  for (const MetricValue& v : metric_values(empty)) EXPECT_FALSE(v.value) << v.name;
  EXPECT_EQ(empty.per_class.size(), 4u);
  EXPECT_FALSE(empty.per_class[0].f1);
  EXPECT_EQ(empty.confusion.num_classes(), 4u);

  const MulticlassMetrics two =
      compute_multiclass(std::vector<int64_t>{0, 1}, std::vector<double>{1, 0, 0, 1}, 2);
  EXPECT_EQ(*two.top2_accuracy, 1.0);
  EXPECT_TRUE(has_warning(two.warnings, "top2_accuracy is 1.0"));
}

TEST(MulticlassMetrics, RowsNotSummingToOneAreWarnedAndRenormalised) {
  const MulticlassMetrics m =
      compute_multiclass(std::vector<int64_t>{0, 1}, std::vector<double>{0.2, 0.2, 0.1, 0.3}, 2);
  EXPECT_TRUE(has_warning(m.warnings, "2 rows of probs do not sum to 1 (first: row 0)"));
  EXPECT_NEAR(*m.log_loss, -(std::log(0.5) + std::log(0.75)) / 2, 1e-15);
}

TEST(MulticlassMetrics, BadInputThrows) {
  const std::vector<double> probs = {0.5, 0.5, 0.5, 0.5};
  EXPECT_THROW(compute_multiclass(std::vector<int64_t>{0, 2}, probs, 2), InputError);
  EXPECT_THROW(compute_multiclass(std::vector<double>{0, 0.5}, probs, 2), InputError);
  EXPECT_THROW(compute_multiclass(std::vector<int64_t>{0}, probs, 2), InputError);  // 4 values, 1 row
  EXPECT_THROW(compute_multiclass(std::vector<int64_t>{0, 0, 0, 0}, probs, 1), InputError);
  EXPECT_THROW(compute_multiclass(std::vector<int64_t>{0, 1}, std::vector<double>{0.5, 0.5, -0.1, 1.1}, 2),
               InputError);
}

TEST(RegressionMetrics, HandComputed) {
  // sklearn's docstring example.
  const std::vector<double> y = {3, -0.5, 2, 7};
  const std::vector<double> p = {2.5, 0.0, 2, 8};
  const RegressionMetrics m = compute_regression(y, p);
  EXPECT_DOUBLE_EQ(*m.mse, 0.375);
  EXPECT_DOUBLE_EQ(*m.rmse, std::sqrt(0.375));
  EXPECT_DOUBLE_EQ(*m.mae, 0.5);
  EXPECT_DOUBLE_EQ(*m.r2, 1.0 - 1.5 / 29.1875);     // SS_tot around the mean 2.875
  EXPECT_DOUBLE_EQ(*m.median_absolute_error, 0.5);  // (0.5 + 0.5) / 2
  EXPECT_DOUBLE_EQ(*m.max_error, 1.0);
  EXPECT_DOUBLE_EQ(*m.mape, (0.5 / 3 + 1.0 + 0.0 + 1.0 / 7) / 4);
  EXPECT_TRUE(m.warnings.empty());
}

TEST(RegressionMetrics, OddMedianZeroTargetsConstantTarget) {
  const RegressionMetrics odd =
      compute_regression(std::vector<double>{1, 2, 3}, std::vector<double>{1, 4, 2});
  EXPECT_EQ(*odd.median_absolute_error, 1.0);
  const RegressionMetrics zeros = compute_regression(std::vector<double>{0, 1}, std::vector<double>{0.5, 1});
  EXPECT_DOUBLE_EQ(*zeros.mape, 0.5 / kFloat64Eps / 2);
  EXPECT_TRUE(has_warning(zeros.warnings, "mape divides by float64 eps for 1 targets"));
  const RegressionMetrics constant =
      compute_regression(std::vector<double>{0.1, 0.1, 0.1}, std::vector<double>{0.1, 0.2, 0.0});
  EXPECT_FALSE(constant.r2);  // mean(0.1, 0.1, 0.1) != 0.1 in floating point; still constant
  EXPECT_TRUE(constant.mse.has_value());
  EXPECT_TRUE(has_warning(constant.warnings, "target is constant"));
  const RegressionMetrics empty = compute_regression({}, {});
  for (const MetricValue& v : metric_values(empty)) EXPECT_FALSE(v.value) << v.name;
  EXPECT_THROW(compute_regression(std::vector<double>{1}, std::vector<double>{INFINITY}), InputError);
  EXPECT_THROW(compute_regression(std::vector<double>{1}, std::vector<double>{}), InputError);
}

TEST(MetricInfo, EveryReportedKeyIsDescribed) {
  std::vector<MetricValue> all = metric_values(BinaryMetrics{});
  for (const auto& v : metric_values(MulticlassMetrics{})) all.push_back(v);
  for (const auto& v : metric_values(RegressionMetrics{})) all.push_back(v);
  for (const MetricValue& v : all) {
    const MetricInfo* info = find_metric_info(v.name);
    ASSERT_NE(info, nullptr) << v.name;
    EXPECT_LT(info->min, info->max);
    EXPECT_FALSE(info->degenerate.empty());
  }
  EXPECT_EQ(find_metric_info("nope"), nullptr);
  EXPECT_FALSE(find_metric_info("log_loss")->higher_is_better);
}

}  // namespace
}  // namespace dpeval::eval
