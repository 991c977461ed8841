// Membership inference: does a model give away which records it was trained
// on? `dpeval privacy --checkpoint CKPT --attack loss` attacks the model with
// its own training rows as members and its held-out rows as non-members.
//
// Note [Loss-threshold attack]
// Yeom et al. 2018: a record whose loss under the model is low is guessed to
// be a member; the score of a record is minus its cross-entropy. The attack
// is judged as a binary classifier of members against non-members, equal
// numbers of each drawn without replacement (seeded): ROC AUC (0.5 is
// chance), the best balanced accuracy over thresholds, and the true-positive
// rate at a false-positive rate of 0.1 % and 1 % (Carlini et al. 2022: what
// matters is whether any records are exposed with confidence, which an
// average such as AUC hides). TPR at FPR f is the share of members scored
// above the threshold that lets at most floor(f N) of the N non-members
// through (ties at the threshold count against the attack). Intervals: the
// 2.5 and 97.5 percentiles over bootstrap resamples of both groups.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace dpeval::privacy {

struct AttackMetric {
  double value = 0;
  double lo = 0, hi = 0;  // bootstrap interval (value itself when resamples == 0)
};

struct MembershipResult {
  int64_t members = 0, non_members = 0;
  AttackMetric roc_auc, balanced_accuracy, tpr_at_0_1_fpr, tpr_at_1_fpr;
  // The ROC curve (fpr, tpr) at up to 200 points spaced in log fpr (for the
  // report's log-log plot), from fpr 1/N to 1.
  std::vector<std::pair<double, double>> roc;
};

// member_scores and non_member_scores: higher = more likely a member
// (finite). InputError when a group is empty or a score is not finite.
MembershipResult evaluate_membership(std::span<const double> member_scores,
                                     std::span<const double> non_member_scores, int resamples, uint64_t seed);

}  // namespace dpeval::privacy
