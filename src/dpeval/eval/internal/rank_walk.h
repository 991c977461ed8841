// Weighted ROC AUC and average precision from rows sorted by score,
// descending (see Note [Weighted metrics] in weighted_metrics.h). The walk is
// sklearn's _binary_clf_curve with counts: at the end of each run of equal
// scores (a threshold) the run's summed positive and negative counts enter
// together, so AUC = sum dFP (TP_prev + TP) / (2 P N) and
// AP = sum_{dTP > 0} dTP * TP / (TP + FP) / P, as in curves.cc: with all counts
// 1 the same sums in the same order.
//
// Inputs per sorted position i: a count, and flags[i] with bit 0 = positive,
// bit 1 = last position of its run of equal scores. Sums are int64: exact
// while 2 P N < 2^63.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "dpeval/eval/internal/sum.h"

namespace dpeval::eval::internal {

inline constexpr uint8_t kRankPositive = 1;
inline constexpr uint8_t kRankRunEnd = 2;

struct RankTotals {
  int64_t positives = 0;
  int64_t negatives = 0;
  int64_t twice_area = 0;  // sum dFP (TP_prev + TP)
  NeumaierSum ap_sum;      // sum dTP * precision
};

// AUC / AP values of totals: NaN where undefined (curves.cc's rules: AUC needs
// both classes; AP is NaN when empty, 0 without positives).
inline double rank_roc_auc(int64_t positives, int64_t negatives, int64_t twice_area) {
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  return static_cast<double>(twice_area) /
         (2.0 * static_cast<double>(positives) * static_cast<double>(negatives));
}
inline double rank_average_precision(int64_t positives, int64_t negatives, double ap_sum) {
  if (positives + negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  return positives > 0 ? ap_sum / static_cast<double>(positives) : 0.0;
}

// One walk over all sorted positions; count_at(i) gives position i's count.
// Without AP the loop is branch-free (labels and run ends are data, not
// branches: a random label mispredicts half the time).
template <typename CountAt>
RankTotals rank_walk(std::span<const uint8_t> flags, CountAt&& count_at, bool want_ap) {
  RankTotals t;
  int64_t tp = 0, fp = 0, dtp = 0, dfp = 0, area = 0;
  if (!want_ap) {
    for (size_t i = 0; i < flags.size(); ++i) {
      const int64_t w = count_at(i);
      const uint8_t f = flags[i];
      const int64_t wp = w * (f & kRankPositive);
      dtp += wp;
      dfp += w - wp;
      const int64_t at_end = -static_cast<int64_t>((f & kRankRunEnd) >> 1);  // all ones at a run's end
      area += (dfp * (tp + tp + dtp)) & at_end;
      tp += dtp & at_end;
      fp += dfp & at_end;
      dtp &= ~at_end;
      dfp &= ~at_end;
    }
  } else {
    for (size_t i = 0; i < flags.size(); ++i) {
      const int64_t w = count_at(i);
      const uint8_t f = flags[i];
      const int64_t wp = w * (f & kRankPositive);
      dtp += wp;
      dfp += w - wp;
      if (f & kRankRunEnd) {
        area += dfp * (tp + tp + dtp);
        tp += dtp;
        fp += dfp;
        if (dtp > 0) {
          t.ap_sum.add(static_cast<double>(dtp) * (static_cast<double>(tp) / static_cast<double>(tp + fp)));
        }
        dtp = dfp = 0;
      }
    }
  }
  t.positives = tp;
  t.negatives = fp;
  t.twice_area = area;
  return t;
}

// One group's totals and those of the rest of the rows, from a grouped walk.
struct RankGroupTotals {
  RankTotals group;
  int64_t rest_twice_area = 0;  // rest positives / negatives: the overall's minus the group's
};

// The grouped walk of Note [Groups and their rest]: every group's AUC sums
// and AP, and the rest's AUC sums, in one pass. code_at(i) < groups.
// Returns the overall totals; groups_out gets `groups` entries.
template <typename CountAt, typename CodeAt>
RankTotals rank_walk_groups(std::span<const uint8_t> flags, CountAt&& count_at, CodeAt&& code_at,
                            size_t groups, bool want_ap, std::vector<RankGroupTotals>& groups_out) {
  struct State {
    int64_t tp = 0, fp = 0, dtp = 0, dfp = 0, area = 0;
    int64_t rest_area = 0, sync_area = 0, sync_fp = 0;
    bool touched = false;
  };
  std::vector<State> s(groups);
  groups_out.assign(groups, RankGroupTotals{});
  std::vector<uint32_t> touched;
  int64_t tp = 0, fp = 0, dtp = 0, dfp = 0, area = 0;
  for (size_t i = 0; i < flags.size(); ++i) {
    const int64_t w = count_at(i);
    const uint8_t f = flags[i];
    const uint32_t g = code_at(i);
    State& st = s[g];
    if (!st.touched) {
      st.touched = true;
      touched.push_back(g);
    }
    const int64_t wp = w * (f & kRankPositive);
    st.dtp += wp;
    st.dfp += w - wp;
    dtp += wp;
    dfp += w - wp;
    if (!(f & kRankRunEnd)) continue;
    const int64_t run_area = dfp * (tp + tp + dtp);
    for (uint32_t h : touched) {
      State& r = s[h];
      // The runs since the last sync held none of h's rows: the rest's area
      // grew as the overall's, less the 2 TP_h dFP that h's positives held.
      r.rest_area += (area - r.sync_area) - 2 * r.tp * (fp - r.sync_fp);
      const int64_t rest_tp = tp - r.tp, rest_dtp = dtp - r.dtp, rest_dfp = dfp - r.dfp;
      r.rest_area += rest_dfp * (rest_tp + rest_tp + rest_dtp);
      r.area += r.dfp * (r.tp + r.tp + r.dtp);
      r.tp += r.dtp;
      r.fp += r.dfp;
      if (want_ap && r.dtp > 0) {
        groups_out[h].group.ap_sum.add(static_cast<double>(r.dtp) *
                                       (static_cast<double>(r.tp) / static_cast<double>(r.tp + r.fp)));
      }
      r.dtp = r.dfp = 0;
      r.touched = false;
      r.sync_area = area + run_area;
      r.sync_fp = fp + dfp;
    }
    touched.clear();
    area += run_area;
    tp += dtp;
    fp += dfp;
    dtp = dfp = 0;
  }
  for (size_t h = 0; h < groups; ++h) {
    State& r = s[h];
    r.rest_area += (area - r.sync_area) - 2 * r.tp * (fp - r.sync_fp);
    groups_out[h].group.positives = r.tp;
    groups_out[h].group.negatives = r.fp;
    groups_out[h].group.twice_area = r.area;
    groups_out[h].rest_twice_area = r.rest_area;
  }
  RankTotals t;
  t.positives = tp;
  t.negatives = fp;
  t.twice_area = area;
  return t;
}

}  // namespace dpeval::eval::internal
