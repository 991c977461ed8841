// ROC AUC, average precision and their curves (see curves.h and
// internal/ranking.h).
#include "dpeval/eval/curves.h"

#include <cmath>
#include <limits>

#include "dpeval/core/check.h"
#include "dpeval/eval/internal/inputs.h"
#include "dpeval/eval/internal/ranking.h"

namespace dpeval::eval {

RankingMetrics compute_ranking(std::span<const uint8_t> is_positive, std::span<const double> scores,
                               const RankingOptions& options, Warnings& warnings) {
  constexpr std::string_view kWhere = "compute_ranking";
  internal::check_same_rows(kWhere, "is_positive", is_positive.size(), "scores", scores.size());
  internal::check_finite(kWhere, "scores", scores);
  DPEVAL_CHECK(options.curve_points_max == 0 || options.curve_points_max >= 2)
      << "curve_points_max = " << options.curve_points_max;
  return internal::with_ranking_input(
      scores.size(),
      [&](size_t i) {
        DPEVAL_CHECK(is_positive[i] <= 1) << "is_positive[" << i << "] = " << int{is_positive[i]};
        return is_positive[i] == 1;
      },
      [&](size_t i) { return scores[i]; },
      [&](const auto& rows) { return internal::ranking_of(rows, options, warnings); });
}

}  // namespace dpeval::eval
