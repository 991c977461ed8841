// The multiclass metrics of `dpeval eval --task multiclass` without the CSV:
// how long compute_multiclass() (confusion, log loss, top-2, one-vs-rest ROC
// AUC) and compute_calibration_multiclass() take on N rows x K classes, with
// T threads (0: all cores). Medians of R runs each, wall time and the
// process's CPU time (steadier on a loaded machine). Prints one JSON line.
//
//   build/release/bench/eval_multiclass_bench [--rows N] [--classes K] [--threads T] [--repeats R]
//
// The data is bench/eval_vs_sklearn's multiclass file's: softmax of N(0, 1)
// logits with +1.8 on the label's, rounded to 6 decimals (so scores tie).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string_view>
#include <vector>

#include "dpeval/core/rng.h"
#include "dpeval/eval/calibration.h"
#include "dpeval/eval/metrics.h"

namespace {

using Clock = std::chrono::steady_clock;

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Timing {
  double wall_s = 0;
  double cpu_s = 0;  // all threads: on a loaded machine the steadier figure
};

template <typename Fn>
Timing median_seconds(int repeats, Fn&& fn) {
  std::vector<double> walls, cpus;
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    const double cpu_start = cpu_seconds();
    fn();
    cpus.push_back(cpu_seconds() - cpu_start);
    walls.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(walls.begin(), walls.end());
  std::sort(cpus.begin(), cpus.end());
  return {walls[walls.size() / 2], cpus[cpus.size() / 2]};
}

}  // namespace

int main(int argc, char** argv) {
  size_t rows = 1'000'000, classes = 10, threads = 0;
  int repeats = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--rows") {
      rows = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--classes") {
      classes = std::max<size_t>(3, std::strtoull(argv[i + 1], nullptr, 10));
    } else if (flag == "--threads") {
      threads = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--repeats") {
      repeats = std::max(1, std::atoi(argv[i + 1]));
    } else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  dpeval::Rng rng(11, 0);
  std::vector<int64_t> labels(rows);
  std::vector<double> probs(rows * classes);
  std::vector<double> z(classes);
  for (size_t i = 0; i < rows; ++i) {
    labels[i] = static_cast<int64_t>(rng.uniform_double() * static_cast<double>(classes));
    for (size_t c = 0; c < classes; ++c)
      z[c] = rng.normal() + (static_cast<int64_t>(c) == labels[i] ? 1.8 : 0.0);
    const double top = *std::max_element(z.begin(), z.end());
    double sum = 0;
    for (double& v : z) sum += (v = std::exp(v - top));
    double rest = 1.0;
    for (size_t c = 0; c + 1 < classes; ++c) {
      probs[i * classes + c] = std::round(z[c] / sum * 1e6) / 1e6;
      rest -= probs[i * classes + c];
    }
    probs[i * classes + classes - 1] = std::clamp(std::round(rest * 1e6) / 1e6, 0.0, 1.0);
  }

  double auc = 0, ece = 0;
  const Timing metrics = median_seconds(repeats, [&] {
    auc = dpeval::eval::compute_multiclass(labels, probs, classes, threads).roc_auc_ovr_macro.value_or(-1);
  });
  const Timing calibration = median_seconds(repeats, [&] {
    ece = dpeval::eval::compute_calibration_multiclass(labels, probs, classes, {}).ece.value_or(-1);
  });
  std::printf(
      "{\"rows\": %zu, \"classes\": %zu, \"threads\": %zu, \"repeats\": %d, \"metrics_s\": %.4f, "
      "\"metrics_cpu_s\": %.4f, \"calibration_s\": %.4f, \"calibration_cpu_s\": %.4f, \"roc_auc_ovr_macro\": "
      "%.12f, \"ece\": %.12f}\n",
      rows, classes, threads, repeats, metrics.wall_s, metrics.cpu_s, calibration.wall_s, calibration.cpu_s,
      auc, ece);
  return 0;
}
