// Fairness against hand-computed groups.
#include "dpeval/eval/fairness.h"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "dpeval/core/error.h"
#include "eval/eval_test_util.h"

namespace dpeval::eval {
namespace {

using testing::has_warning;

struct Data {
  std::vector<double> labels, scores;
  KeyColumn group{"sex", {"f", "m", "x", "unused"}, {}};
  TaskColumns view() const {
    TaskColumns c;
    c.labels = labels;
    c.scores = scores;
    return c;
  }
  void add(uint32_t g, double label, double score) {
    group.codes.push_back(g);
    labels.push_back(label);
    scores.push_back(score);
  }
};

Data hand_data() {
  Data d;
  // f: predicted 1 0 1 0 -> tp 1 fn 1 fp 1 tn 1.
  d.add(0, 1, 0.9);
  d.add(0, 1, 0.2);
  d.add(0, 0, 0.6);
  d.add(0, 0, 0.1);
  // m: predicted 1 1 0 0 1 0 -> tp 2 fn 1 fp 1 tn 2.
  d.add(1, 1, 0.8);
  d.add(1, 1, 0.7);
  d.add(1, 1, 0.3);
  d.add(1, 0, 0.4);
  d.add(1, 0, 0.5);  // 0.5 >= 0.5: predicted positive
  d.add(1, 0, 0.05);
  // x: no positive; predicted 1 1 -> fp 2.
  d.add(2, 0, 0.7);
  d.add(2, 0, 0.6);
  return d;
}

TEST(Fairness, HandComputedGroups) {
  const Data d = hand_data();
  const FairnessReport r = compute_fairness(d.view(), d.group);
  EXPECT_EQ(r.sensitive, "sex");
  ASSERT_EQ(r.groups.size(), 3u);  // "unused" holds no row
  const FairnessGroup &f = r.groups[0], &m = r.groups[1], &x = r.groups[2];
  EXPECT_EQ(f.value, "f");
  EXPECT_EQ(f.n, 4);
  EXPECT_DOUBLE_EQ(*f.selection_rate, 0.5);
  EXPECT_DOUBLE_EQ(*f.tpr, 0.5);
  EXPECT_DOUBLE_EQ(*f.fpr, 0.5);
  EXPECT_DOUBLE_EQ(*f.fnr, 0.5);
  EXPECT_EQ(m.n, 6);
  EXPECT_EQ(m.positives, 3);
  EXPECT_DOUBLE_EQ(*m.selection_rate, 0.5);
  EXPECT_DOUBLE_EQ(*m.tpr, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(*m.fpr, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(*m.fnr, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(*x.selection_rate, 1.0);
  EXPECT_FALSE(x.tpr);
  EXPECT_FALSE(x.fnr);
  EXPECT_DOUBLE_EQ(*x.fpr, 1.0);
  // Selection rates 0.5, 0.5, 1.0; tpr 0.5, 2/3 (x left out); fpr 0.5, 1/3, 1.
  EXPECT_DOUBLE_EQ(*r.demographic_parity_difference, 0.5);
  EXPECT_DOUBLE_EQ(*r.demographic_parity_ratio, 0.5);
  EXPECT_DOUBLE_EQ(*r.equal_opportunity_difference, 2.0 / 3.0 - 0.5);
  EXPECT_DOUBLE_EQ(*r.equalized_odds_difference, 1.0 - 1.0 / 3.0);
  EXPECT_TRUE(has_warning(r.warnings, "groups [x] hold no positive"));
  EXPECT_TRUE(has_warning(r.warnings, "equal_opportunity_difference leaves out groups [x]"));
}

TEST(Fairness, OneGroupHasNoDisparity) {
  Data d;
  d.add(1, 1, 0.9);
  d.add(1, 0, 0.2);
  const FairnessReport r = compute_fairness(d.view(), d.group);
  ASSERT_EQ(r.groups.size(), 1u);
  EXPECT_FALSE(r.demographic_parity_difference);
  EXPECT_FALSE(r.equal_opportunity_difference);
  EXPECT_FALSE(r.equalized_odds_difference);
  EXPECT_TRUE(has_warning(r.warnings, "fewer than two groups"));
}

TEST(Fairness, NobodySelectedHasNoRatio) {
  Data d;
  d.add(0, 1, 0.1);
  d.add(1, 0, 0.2);
  const FairnessReport r = compute_fairness(d.view(), d.group);
  EXPECT_DOUBLE_EQ(*r.demographic_parity_difference, 0.0);
  EXPECT_FALSE(r.demographic_parity_ratio);
  EXPECT_FALSE(r.equal_opportunity_difference);  // only f has a positive
  EXPECT_TRUE(has_warning(r.warnings, "demographic_parity_ratio is undefined"));
}

TEST(Fairness, BadInput) {
  Data d = hand_data();
  TaskColumns c = d.view();
  c.task = Task::regression;
  EXPECT_THROW(compute_fairness(c, d.group), ConfigError);
  FairnessOptions o;
  o.threshold = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(compute_fairness(d.view(), d.group, o), ConfigError);
  d.group.codes[3] = 9;
  EXPECT_THROW(compute_fairness(d.view(), d.group), InputError);
  d = hand_data();
  d.labels[0] = 2;
  EXPECT_THROW(compute_fairness(d.view(), d.group), InputError);
}

}  // namespace
}  // namespace dpeval::eval
