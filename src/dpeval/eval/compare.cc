// Champion / challenger; see compare.h, Note [Paired comparison].
#include "dpeval/eval/compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/core/thread_pool.h"
#include "dpeval/eval/internal/poisson.h"
#include "dpeval/eval/metrics.h"
#include "dpeval/stats/binned.h"
#include "dpeval/stats/distributions.h"

namespace dpeval::eval {
namespace {

// The row's predicted class: argmax, lowest index on ties; binary: score >= 0.5.
size_t predicted_class(const Predictions& p, size_t row) {
  if (p.task == Task::binary) return p.scores[row] >= 0.5 ? 1 : 0;
  const double* q = p.probs.data() + row * p.num_classes;
  return static_cast<size_t>(std::max_element(q, q + p.num_classes) - q);
}

// The row's log loss: probabilities clipped to [eps, 1 - eps], the row
// renormalised, minus the log of the true class's.
double row_log_loss(const Predictions& p, size_t row) {
  const size_t label = static_cast<size_t>(p.labels[row]);
  auto clip = [](double v) { return std::clamp(v, kFloat64Eps, 1 - kFloat64Eps); };
  if (p.task == Task::binary) {
    const double p1 = clip(p.scores[row]), p0 = clip(1 - p.scores[row]);
    return -std::log((label == 1 ? p1 : p0) / (p0 + p1));
  }
  const double* q = p.probs.data() + row * p.num_classes;
  double sum = 0;
  for (size_t k = 0; k < p.num_classes; ++k) sum += clip(q[k]);
  return -std::log(clip(q[label]) / sum);
}

void check_same_rows(const Predictions& a, const Predictions& b) {
  const std::string both = fmt::format("{} and {}", a.source, b.source);
  if (a.task != b.task || a.task == Task::regression) {
    throw InputError(fmt::format("{}: both files must hold binary or both multiclass predictions", both));
  }
  if (a.n != b.n) {
    throw InputError(fmt::format(
        "{}: {} rows and {} rows; a comparison needs the same rows in the same order", both, a.n, b.n));
  }
  if (a.num_classes != b.num_classes) {
    throw InputError(fmt::format("{}: {} and {} classes", both, a.num_classes, b.num_classes));
  }
  for (size_t r = 0; r < a.n; ++r) {
    if (a.labels[r] != b.labels[r]) {
      throw InputError(
          fmt::format("{}: row {} has label {} in the first and {} in the second; a comparison needs the "
                      "same rows in the same order",
                      both, r + 1, a.labels[r], b.labels[r]));
    }
  }
}

}  // namespace

CompareResult compare_predictions(const Predictions& champion, const Predictions& challenger,
                                  const CompareOptions& options) {
  const bool accuracy = options.metric == "accuracy";
  if (!accuracy && options.metric != "log_loss") {
    throw ConfigError(fmt::format("metric '{}': expected accuracy or log_loss", options.metric));
  }
  if (options.resamples < 1) throw ConfigError("resamples must be at least 1");
  if (!(options.level > 0 && options.level < 1))
    throw ConfigError(fmt::format("level {} is not in (0, 1)", options.level));
  if (!std::isfinite(options.min_gain)) throw ConfigError("min_gain must be finite");
  check_same_rows(champion, challenger);
  const size_t n = champion.n;
  CompareResult out;
  out.metric = options.metric;
  out.n = n;
  out.level = options.level;
  out.min_gain = options.min_gain;
  out.resamples = options.resamples;
  out.seed = options.seed;

  // Per row: each model's value and the gain (positive: the challenger is better).
  std::vector<double> gain(n);
  double sum_a = 0, sum_b = 0;
  uint64_t only_a = 0, only_b = 0;
  for (size_t r = 0; r < n; ++r) {
    double va, vb;
    if (accuracy) {
      const auto label = static_cast<size_t>(champion.labels[r]);
      va = predicted_class(champion, r) == label ? 1 : 0;
      vb = predicted_class(challenger, r) == label ? 1 : 0;
      only_a += va > vb;
      only_b += vb > va;
      gain[r] = vb - va;
    } else {
      va = row_log_loss(champion, r);
      vb = row_log_loss(challenger, r);
      gain[r] = va - vb;
    }
    sum_a += va;
    sum_b += vb;
  }
  out.champion = sum_a / static_cast<double>(n);
  out.challenger = sum_b / static_cast<double>(n);
  out.gain = accuracy ? out.challenger - out.champion : out.champion - out.challenger;
  if (accuracy) {
    out.only_champion_right = only_a;
    out.only_challenger_right = only_b;
    out.mcnemar_p_challenger_better = stats::binomial_half_sf_at_least(only_b, only_a + only_b);
    out.mcnemar_p_two_sided = stats::binomial_half_two_sided(only_b, only_a + only_b);
  }

  // Paired Poisson bootstrap: each resample into its own slot, so any thread count gives the same bits.
  std::vector<double> gains(options.resamples);
  std::vector<char> defined(options.resamples, 1);
  ThreadPool pool(options.threads);
  pool.parallel_for(options.resamples, [&](size_t begin, size_t end) {
    std::vector<uint8_t> counts(n);
    for (size_t b = begin; b < end; ++b) {
      internal::poisson_counts(options.seed, b, 0, counts);
      double weight = 0, total = 0;
      for (size_t r = 0; r < n; ++r) {
        weight += counts[r];
        total += counts[r] * gain[r];
      }
      if (weight == 0) {
        defined[b] = 0;  // every row drawn zero times: no resample
      } else {
        gains[b] = total / weight;
      }
    }
  });
  std::vector<double> kept;
  for (size_t b = 0; b < gains.size(); ++b) {
    if (defined[b]) kept.push_back(gains[b]);
  }
  if (kept.empty()) throw InputError(fmt::format("{}: no bootstrap resample drew a row", champion.source));
  std::sort(kept.begin(), kept.end());
  out.gain_lo = stats::quantile_linear(kept, (1 - options.level) / 2);
  out.gain_hi = stats::quantile_linear(kept, (1 + options.level) / 2);
  out.lower_bound = stats::quantile_linear(kept, 1 - options.level);
  out.promote = out.lower_bound >= options.min_gain;
  return out;
}

}  // namespace dpeval::eval
