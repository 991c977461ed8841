// ROC AUC against a single sort: how long compute_ranking() (the ROC AUC and
// average precision of a binary eval, building and sorting its class-split
// keys included) takes on N rows, next to std::sort of a copy of the same N
// scores. Medians of R runs each, wall time, one thread. Prints one JSON line.
//
//   build/release/bench/eval_ranking_bench [--rows N] [--repeats R]
//
// The data is bootstrap_bench's: 30 % positives, scores leaning toward the
// label, 53-bit continuous (no ties), so the sort has no easy runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "dpeval/core/rng.h"
#include "dpeval/eval/curves.h"

namespace {

using Clock = std::chrono::steady_clock;

template <typename Fn>
double median_seconds(int repeats, Fn&& fn) {
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    fn();
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  size_t rows = 10'000'000;
  int repeats = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--rows") {
      rows = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--repeats") {
      repeats = std::max(1, std::atoi(argv[i + 1]));
    } else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  dpeval::Rng rng(12345, 0);
  std::vector<uint8_t> positive(rows);
  std::vector<double> scores(rows);
  for (size_t i = 0; i < rows; ++i) {
    positive[i] = rng.uniform_double() < 0.3 ? 1 : 0;
    scores[i] = 0.7 * rng.uniform_double() + 0.3 * positive[i];
  }

  std::vector<double> copy;
  double sort_s = 0;
  {
    std::vector<double> times;
    for (int r = 0; r < repeats; ++r) {
      copy = scores;  // not timed
      const auto start = Clock::now();
      std::sort(copy.begin(), copy.end());
      times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());
    sort_s = times[times.size() / 2];
  }
  copy = {};

  double auc = 0;
  auto ranking = [&](size_t curve_points) {
    dpeval::eval::RankingOptions options;
    options.curve_points_max = curve_points;
    dpeval::eval::Warnings warnings;
    const dpeval::eval::RankingMetrics m = dpeval::eval::compute_ranking(positive, scores, options, warnings);
    auc = m.roc_auc.value_or(-1);
  };
  const double ranking_s = median_seconds(repeats, [&] { ranking(0); });
  const double ranking_curves_s = median_seconds(repeats, [&] { ranking(512); });
  std::printf(
      "{\"rows\": %zu, \"repeats\": %d, \"std_sort_s\": %.4f, \"roc_auc_ap_s\": %.4f, \"roc_auc_ap_curves_s\": "
      "%.4f, \"ratio_to_sort\": %.3f, \"roc_auc\": %.9f}\n",
      rows, repeats, sort_s, ranking_s, ranking_curves_s, ranking_s / sort_s, auc);
  return 0;
}
