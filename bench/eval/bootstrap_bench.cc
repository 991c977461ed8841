// The bootstrap benchmark target: a binary eval of N rows (default 10M), B
// Poisson resamples (default 200) of the chosen metrics (default accuracy and
// roc_auc) on T threads (default 2), timed end to end (sort included), plus a
// one-thread breakdown of one resample: counts, then each metric pass.
//
//   build/release/bench/eval_bootstrap_bench [--rows N] [--resamples B]
//       [--threads T] [--metrics accuracy,roc_auc] [--slices G] [--seed S]
//
// --slices G adds a key column of G values and times the slice bootstrap too.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/core/rng.h"
#include "dpeval/eval/bootstrap.h"
#include "dpeval/eval/internal/poisson.h"
#include "dpeval/eval/slices.h"
#include "dpeval/eval/weighted_metrics.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU time of the calling thread: steadier than wall time on a shared machine.
double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin <= s.size()) {
    const size_t end = std::min(s.find(',', begin), s.size());
    if (end > begin) out.emplace_back(s.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  size_t rows = 10'000'000, resamples = 200, threads = 2, slices = 0;
  uint64_t seed = 0;
  std::vector<std::string> metrics = {"accuracy", "roc_auc"};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i], value = argv[i + 1];
    if (flag == "--rows")
      rows = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--resamples")
      resamples = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--threads")
      threads = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--slices")
      slices = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--seed")
      seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--metrics")
      metrics = value == "all" ? std::vector<std::string>{} : split(value);
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  // Data: 30 % positives, scores leaning toward the label, 53-bit continuous.
  dpeval::Rng rng(12345, 0);
  std::vector<double> labels(rows), scores(rows);
  for (size_t i = 0; i < rows; ++i) {
    labels[i] = rng.uniform_double() < 0.3 ? 1.0 : 0.0;
    scores[i] = 0.7 * rng.uniform_double() + 0.3 * labels[i];
  }
  dpeval::eval::TaskColumns columns;
  columns.task = dpeval::eval::Task::binary;
  columns.labels = labels;
  columns.scores = scores;
  dpeval::eval::BootstrapOptions options;
  options.resamples = resamples;
  options.seed = seed;
  options.threads = threads;
  options.metrics = metrics;

  // One-thread breakdown, in thread CPU time: the sort, then per resample
  // (mean of 5) the counts and the metrics.
  {
    const std::vector<std::string_view> names(metrics.begin(), metrics.end());
    double t = thread_cpu_seconds();
    const dpeval::eval::WeightedMetrics weighted(columns, names);
    const double prepare = thread_cpu_seconds() - t;
    std::vector<uint8_t> counts(rows);
    std::vector<double> out(weighted.metric_names().size());
    dpeval::eval::WeightedScratch scratch;
    double draw = 0, evaluate = 0;
    constexpr int kRepeats = 5;
    for (int b = 0; b < kRepeats; ++b) {
      t = thread_cpu_seconds();
      dpeval::eval::internal::poisson_counts(seed, static_cast<uint64_t>(b), 0, counts);
      draw += thread_cpu_seconds() - t;
      t = thread_cpu_seconds();
      weighted.evaluate(counts, out, scratch);
      evaluate += thread_cpu_seconds() - t;
    }
    std::printf(
        "breakdown (1 thread, CPU time): prepare+sort %.3f s; per resample: counts %.1f ms, metrics %.1f "
        "ms\n",
        prepare, 1e3 * draw / kRepeats, 1e3 * evaluate / kRepeats);
  }

  auto start = Clock::now();
  const dpeval::eval::BootstrapResult r = dpeval::eval::bootstrap_intervals(columns, options);
  const double total = seconds_since(start);
  std::string names = metrics.empty() ? "all" : "";
  for (const std::string& m : metrics) names += (names.empty() ? "" : ",") + m;
  std::printf(
      "bootstrap: %zu rows, %zu resamples, %zu threads, metrics %s: %.3f s (%.1f ns per "
      "row-resample-thread)\n",
      rows, resamples, threads, names.c_str(), total,
      total * 1e9 * static_cast<double>(threads) /
          (static_cast<double>(rows) * static_cast<double>(resamples)));
  for (const auto& iv : r.intervals) {
    std::printf("  %s: [%.6f, %.6f]\n", std::string(iv.name).c_str(), iv.lo.value_or(-1), iv.hi.value_or(-1));
  }
  if (slices > 0) {
    dpeval::eval::KeyColumn key{"group", {}, std::vector<uint32_t>(rows)};
    for (size_t g = 0; g < slices; ++g) {
      std::string value = "g";
      value += std::to_string(g);  // not "g" + ...: GCC 12's -Wrestrict false positive
      key.values.push_back(value);
    }
    for (size_t i = 0; i < rows; ++i) key.codes[i] = static_cast<uint32_t>(rng.uniform_below(slices));
    const std::vector<dpeval::eval::KeyColumn> keys = {key};
    dpeval::eval::SliceOptions so;
    so.slice_by = {"group"};
    start = Clock::now();
    dpeval::eval::SliceReport report = dpeval::eval::compute_slices(columns, keys, so);
    const double slice_points = seconds_since(start);
    start = Clock::now();
    dpeval::eval::bootstrap_intervals(columns, keys, report, options);
    std::printf("slices: %zu groups: point values %.3f s, bootstrap overall + slices %.3f s\n", slices,
                slice_points, seconds_since(start));
  }
  return 0;
}
