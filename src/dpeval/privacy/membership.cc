// See membership.h.
#include "dpeval/privacy/membership.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

#include "dpeval/core/error.h"

namespace dpeval::privacy {
namespace {

struct Point {
  double auc, balanced, tpr_0_1, tpr_1;
};

// The attack's figures from members' and non-members' scores, each sorted
// descending.
Point figures(const std::vector<double>& m, const std::vector<double>& n) {
  const double M = static_cast<double>(m.size()), N = static_cast<double>(n.size());
  // Walk thresholds from the top: at each distinct score, how many of each are at or above it.
  double auc = 0, best = 0.5, tp_prev = 0, fp_prev = 0;
  size_t i = 0, j = 0;
  while (i < m.size() || j < n.size()) {
    const double v = std::max(i < m.size() ? m[i] : -INFINITY, j < n.size() ? n[j] : -INFINITY);
    while (i < m.size() && m[i] == v) ++i;
    while (j < n.size() && n[j] == v) ++j;
    const double tp = static_cast<double>(i), fp = static_cast<double>(j);
    auc += (fp - fp_prev) * (tp + tp_prev) / 2;
    best = std::max(best, 0.5 * (tp / M + (N - fp) / N));
    tp_prev = tp;
    fp_prev = fp;
  }
  auc /= M * N;
  const auto tpr_at = [&](double rate) {
    const size_t allowed = static_cast<size_t>(std::floor(rate * N));
    if (allowed >= n.size()) return 1.0;
    const double threshold = n[allowed];  // above it: at most `allowed` non-members
    const auto above = std::lower_bound(m.begin(), m.end(), threshold, std::greater<double>()) - m.begin();
    return static_cast<double>(above) / M;
  };
  return {auc, best, tpr_at(0.001), tpr_at(0.01)};
}

AttackMetric interval(double value, std::vector<double> samples) {
  if (samples.empty()) return {value, value, value};
  std::sort(samples.begin(), samples.end());
  const auto at = [&](double q) {
    const double pos = q * static_cast<double>(samples.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, samples.size() - 1);
    return samples[lo] + (pos - static_cast<double>(lo)) * (samples[hi] - samples[lo]);
  };
  return {value, at(0.025), at(0.975)};
}

}  // namespace

MembershipResult evaluate_membership(std::span<const double> member_scores,
                                     std::span<const double> non_member_scores, int resamples,
                                     uint64_t seed) {
  if (member_scores.empty() || non_member_scores.empty()) {
    throw InputError(
        "membership inference needs members and non-members (a training split and a test split)");
  }
  for (const std::span<const double> s : {member_scores, non_member_scores}) {
    for (size_t i = 0; i < s.size(); ++i) {
      if (!std::isfinite(s[i]))
        throw InputError(fmt::format("membership score {} is {}: not finite", i, s[i]));
    }
  }
  std::vector<double> m(member_scores.begin(), member_scores.end()),
      n(non_member_scores.begin(), non_member_scores.end());
  std::sort(m.begin(), m.end(), std::greater<double>());
  std::sort(n.begin(), n.end(), std::greater<double>());
  const Point p = figures(m, n);
  std::vector<double> auc, bal, t01, t1;
  std::mt19937_64 rng(seed);
  std::vector<double> rm(m.size()), rn(n.size());
  for (int b = 0; b < resamples; ++b) {
    std::uniform_int_distribution<size_t> pick_m(0, m.size() - 1), pick_n(0, n.size() - 1);
    for (double& v : rm) v = m[pick_m(rng)];
    for (double& v : rn) v = n[pick_n(rng)];
    std::sort(rm.begin(), rm.end(), std::greater<double>());
    std::sort(rn.begin(), rn.end(), std::greater<double>());
    const Point q = figures(rm, rn);
    auc.push_back(q.auc);
    bal.push_back(q.balanced);
    t01.push_back(q.tpr_0_1);
    t1.push_back(q.tpr_1);
  }
  MembershipResult r;
  r.members = static_cast<int64_t>(m.size());
  r.non_members = static_cast<int64_t>(n.size());
  r.roc_auc = interval(p.auc, auc);
  r.balanced_accuracy = interval(p.balanced, bal);
  r.tpr_at_0_1_fpr = interval(p.tpr_0_1, t01);
  r.tpr_at_1_fpr = interval(p.tpr_1, t1);
  // The log-spaced ROC: at each target fpr, the tpr the threshold rule gives.
  const double N = static_cast<double>(n.size()), M = static_cast<double>(m.size());
  for (int k = 0; k <= 199; ++k) {
    const double fpr = std::pow(N, -1.0 + static_cast<double>(k) / 199.0);  // 1/N .. 1
    const size_t allowed = std::min(n.size(), static_cast<size_t>(std::floor(fpr * N + 1e-9)));
    double tpr = 1;
    if (allowed < n.size()) {
      const double threshold = n[allowed];
      tpr = static_cast<double>(std::lower_bound(m.begin(), m.end(), threshold, std::greater<double>()) -
                                m.begin()) /
            M;
    }
    const double real_fpr = static_cast<double>(allowed) / N;
    if (r.roc.empty() || r.roc.back().first != real_fpr) r.roc.emplace_back(real_fpr, tpr);
  }
  return r;
}

}  // namespace dpeval::privacy
