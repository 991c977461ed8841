// privacy/membership.h: the loss-threshold attack's figures on scores whose
// answers are known (Note [Loss-threshold attack]).
#include "dpeval/privacy/membership.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "dpeval/core/error.h"

namespace dpeval::privacy {
namespace {

TEST(Membership, SeparatedGroupsAreFoundAndIdenticalOnesAreChance) {
  std::vector<double> members(2000), non_members(2000);
  for (size_t i = 0; i < 2000; ++i) {
    members[i] = 10 + static_cast<double>(i) * 1e-3;
    non_members[i] = static_cast<double>(i) * 1e-3;
  }
  MembershipResult r = evaluate_membership(members, non_members, 50, 1);
  EXPECT_DOUBLE_EQ(r.roc_auc.value, 1.0);
  EXPECT_DOUBLE_EQ(r.balanced_accuracy.value, 1.0);
  EXPECT_DOUBLE_EQ(r.tpr_at_0_1_fpr.value, 1.0);
  EXPECT_DOUBLE_EQ(r.tpr_at_1_fpr.value, 1.0);
  // The same scores on both sides: nothing to find, ties counted against the attack.
  r = evaluate_membership(non_members, non_members, 50, 1);
  EXPECT_NEAR(r.roc_auc.value, 0.5, 1e-12);
  EXPECT_NEAR(r.balanced_accuracy.value, 0.5, 1e-3);
  EXPECT_NEAR(r.tpr_at_0_1_fpr.value, 0.001, 1e-12);  // 2 of 2000 above the third-highest non-member
  EXPECT_NEAR(r.tpr_at_1_fpr.value, 0.01, 1e-12);
  std::vector<double> tied(2000, 1.0);
  r = evaluate_membership(tied, tied, 0, 1);
  EXPECT_DOUBLE_EQ(r.roc_auc.value, 0.5);
  EXPECT_DOUBLE_EQ(r.tpr_at_1_fpr.value, 0.0);
}

// Gaussian scores: AUC = Φ(d / √2) for a mean shift d; the interval holds it.
TEST(Membership, AucOfShiftedNormalsAndItsInterval) {
  std::mt19937_64 gen(7);
  std::normal_distribution<double> z(0, 1);
  std::vector<double> members(20000), non_members(20000);
  for (double& v : members) v = z(gen) + 0.5;
  for (double& v : non_members) v = z(gen);
  const MembershipResult r = evaluate_membership(members, non_members, 200, 3);
  const double want = 0.5 * std::erfc(-0.5 / 2);  // Φ(0.5 / √2)
  EXPECT_NEAR(r.roc_auc.value, want, 0.01);
  EXPECT_LT(r.roc_auc.lo, r.roc_auc.value);
  EXPECT_GT(r.roc_auc.hi, r.roc_auc.value);
  EXPECT_LT(r.roc_auc.hi - r.roc_auc.lo, 0.03);
  // The log-spaced ROC runs from 1/N to 1 with rates that never fall.
  ASSERT_GE(r.roc.size(), 100u);
  EXPECT_DOUBLE_EQ(r.roc.front().first, 1.0 / 20000);
  EXPECT_DOUBLE_EQ(r.roc.back().first, 1.0);
  for (size_t i = 1; i < r.roc.size(); ++i) {
    EXPECT_GT(r.roc[i].first, r.roc[i - 1].first);
    EXPECT_GE(r.roc[i].second, r.roc[i - 1].second);
  }
}

TEST(Membership, EmptyGroupsAndNonFiniteScoresAreRefused) {
  const std::vector<double> some = {1, 2, 3}, none;
  EXPECT_THROW(evaluate_membership(none, some, 0, 1), InputError);
  EXPECT_THROW(evaluate_membership(some, none, 0, 1), InputError);
  const std::vector<double> bad = {1, NAN};
  EXPECT_THROW(evaluate_membership(bad, some, 0, 1), InputError);
}

}  // namespace
}  // namespace dpeval::privacy
