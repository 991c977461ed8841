// The confusion matrix and its count metrics on small hand-computed cases.
#include "dpeval/eval/confusion.h"

#include <gtest/gtest.h>

#include <cmath>

#include "dpeval/core/error.h"
#include "eval/eval_test_util.h"

namespace dpeval::eval {
namespace {

using testing::has_warning;

// True 0: [1, 0, 0]; true 1: [0, 0, 1]; true 2: [1, 0, 1] (rows = true class).
ConfusionMatrix three_class_example() {
  ConfusionMatrix m(3);
  m.add(0, 0);
  m.add(1, 2);
  m.add(2, 2);
  m.add(2, 0);
  return m;
}

TEST(ConfusionMatrix, CountsSumsAndMerge) {
  ConfusionMatrix m = three_class_example();
  EXPECT_EQ(m.total(), 4);
  EXPECT_EQ(m.trace(), 2);
  EXPECT_EQ(m.row_sum(2), 2);
  EXPECT_EQ(m.col_sum(0), 2);
  EXPECT_EQ(m.col_sum(1), 0);
  m.merge(three_class_example());
  EXPECT_EQ(m.at(2, 0), 2);
  EXPECT_EQ(m.total(), 8);
  EXPECT_THROW(m.merge(ConfusionMatrix(2)), InternalError);
}

TEST(ConfusionMatrix, ClassScoresWithZeroDivision) {
  Warnings w;
  const auto s = class_scores_all(three_class_example(), w);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_DOUBLE_EQ(*s[0].precision, 0.5);
  EXPECT_DOUBLE_EQ(*s[0].recall, 1.0);
  EXPECT_DOUBLE_EQ(*s[0].f1, 2.0 / 3.0);
  EXPECT_EQ(*s[1].precision, 0.0);  // never predicted: sklearn's zero_division stand-in
  EXPECT_EQ(*s[1].recall, 0.0);
  EXPECT_EQ(*s[1].f1, 0.0);
  EXPECT_DOUBLE_EQ(*s[2].f1, 0.5);
  EXPECT_EQ(s[2].support, 2);
  EXPECT_TRUE(has_warning(w, "precision is 0.0 for classes [1]"));
  EXPECT_FALSE(has_warning(w, "recall is 0.0"));
}

TEST(ConfusionMatrix, AccuracyMccKappaBalancedAccuracy) {
  const ConfusionMatrix m = three_class_example();
  Warnings w;
  EXPECT_DOUBLE_EQ(*confusion_accuracy(m), 0.5);
  EXPECT_DOUBLE_EQ(*confusion_balanced_accuracy(m, w), 0.5);  // (1 + 0 + 1/2) / 3
  // t = [1, 1, 2], p = [2, 0, 2]: (2*4 - 6) / sqrt((16 - 6)(16 - 8)) = 2 / sqrt(80).
  EXPECT_DOUBLE_EQ(*confusion_mcc(m, w), 2.0 / std::sqrt(80.0));
  // Off-diagonal observed 2, expected (16 - 6) / 4 = 2.5.
  EXPECT_DOUBLE_EQ(*confusion_cohen_kappa(m, w), 0.2);
  EXPECT_TRUE(w.empty());
}

TEST(ConfusionMatrix, BinaryTextbookValues) {
  ConfusionMatrix m(2);  // tn 2, fp 0, fn 1, tp 1
  m.add(0, 0);
  m.add(0, 0);
  m.add(1, 0);
  m.add(1, 1);
  Warnings w;
  EXPECT_DOUBLE_EQ(*confusion_mcc(m, w), 2.0 / std::sqrt(12.0));  // (tp tn - fp fn) / sqrt(...)
  EXPECT_DOUBLE_EQ(*confusion_cohen_kappa(m, w), 0.5);            // po 3/4, pe 1/2
  EXPECT_DOUBLE_EQ(*confusion_balanced_accuracy(m, w), 0.75);
}

TEST(ConfusionMatrix, DegenerateMatrices) {
  Warnings w;
  const ConfusionMatrix empty(3);
  EXPECT_FALSE(confusion_accuracy(empty));
  EXPECT_FALSE(confusion_balanced_accuracy(empty, w));
  EXPECT_FALSE(confusion_mcc(empty, w));
  EXPECT_FALSE(confusion_cohen_kappa(empty, w));
  EXPECT_FALSE(class_scores(empty, 0).precision);

  ConfusionMatrix one_class(2);  // everything true 0, predicted 0
  one_class.add(0, 0);
  one_class.add(0, 0);
  EXPECT_EQ(*confusion_mcc(one_class, w), 0.0);  // sklearn's stand-in, warned
  EXPECT_TRUE(has_warning(w, "mcc is 0.0"));
  EXPECT_FALSE(confusion_cohen_kappa(one_class, w));  // sklearn: nan
  EXPECT_TRUE(has_warning(w, "cohen_kappa is undefined"));

  ConfusionMatrix predicted_only(3);  // class 2 predicted, never true
  predicted_only.add(0, 2);
  predicted_only.add(1, 1);
  Warnings w2;
  EXPECT_DOUBLE_EQ(*confusion_balanced_accuracy(predicted_only, w2), 0.5);  // classes 0, 1 only
  EXPECT_TRUE(has_warning(w2, "skips classes [2]"));
}

}  // namespace
}  // namespace dpeval::eval
