// KS and Wasserstein in process, as scipy's ks_2samp(r, c, method='asymp')
// and wasserstein_distance(r, c) get them: from two unsorted float64 arrays
// in memory. Each timed run starts from fresh unsorted copies (the copy is
// not timed) and
//   ks                stats::ks_statistic_unsorted (no sort: Note [KS without
//                     sorting]) and ks_2samp_pvalue_asymp, on one thread;
//   ks_2t             the same with the two samples read on two threads;
//   ks_sorting        sorts both (eval::sort_ascending), then ks_statistic and
//                     ks_2samp_pvalue_asymp;
//   wasserstein       stats::ks_and_wasserstein_unsorted (no sort: Note
//                     [Wasserstein without sorting]; KS comes with it), one thread;
//   wasserstein_2t    the same on two threads;
//   wasserstein_sorting  sorts both, then wasserstein_distance;
//   both              all three, the unsorted way, on one thread;
//   sort              sorts both, nothing else;
//   drift             what `dpeval drift` does, on two threads: the samples
//                     sorted side by side (it wants them sorted for the deciles
//                     too), then KS and Wasserstein from one walk in two halves
//                     (stats::ks_and_wasserstein) and the asymptotic p-value.
// Medians of R runs each, wall time; one thread but for the `_2t` ones and
// `drift`. The ways must agree (KS bit for bit, Wasserstein to 1e-12), or it
// exits 1. Prints one JSON line with the times and the figures
// (bench/drift/run compares them with scipy's).
//
//   build/release/bench/drift_ks_bench --reference REF.f64 --current CUR.f64 [--repeats R]
//
// The inputs are raw little-endian float64 (numpy's ndarray.tofile), no NaN.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "dpeval/eval/sort_values.h"
#include "dpeval/stats/two_sample.h"

namespace {

using Clock = std::chrono::steady_clock;

std::vector<double> read_f64(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    std::fprintf(stderr, "drift_ks_bench: cannot open %s\n", path.c_str());
    std::exit(2);
  }
  const auto bytes = static_cast<size_t>(in.tellg());
  std::vector<double> out(bytes / sizeof(double));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size() * sizeof(double)));
  if (out.empty() || bytes % sizeof(double) != 0 || !in) {
    std::fprintf(stderr, "drift_ks_bench: %s is not a non-empty array of float64\n", path.c_str());
    std::exit(2);
  }
  return out;
}

// Median seconds of `repeats` runs of fn(a, b) on fresh copies of ref and cur.
template <typename Fn>
double median_seconds(int repeats, const std::vector<double>& ref, const std::vector<double>& cur, Fn&& fn) {
  std::vector<double> times;
  std::vector<double> a, b;
  for (int r = 0; r < repeats; ++r) {
    a = ref;  // not timed
    b = cur;
    const auto start = Clock::now();
    fn(a, b);
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string ref_path, cur_path;
  int repeats = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--reference") {
      ref_path = argv[i + 1];
    } else if (flag == "--current") {
      cur_path = argv[i + 1];
    } else if (flag == "--repeats") {
      repeats = std::max(1, std::atoi(argv[i + 1]));
    } else {
      std::fprintf(stderr, "drift_ks_bench: unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  if (ref_path.empty() || cur_path.empty()) {
    std::fprintf(stderr, "usage: drift_ks_bench --reference REF.f64 --current CUR.f64 [--repeats R]\n");
    return 2;
  }
  const std::vector<double> ref = read_f64(ref_path), cur = read_f64(cur_path);
  const uint64_t m = ref.size(), n = cur.size();

  double d = 0, p = 0, w = 0;
  const double sort_s = median_seconds(repeats, ref, cur, [](std::vector<double>& a, std::vector<double>& b) {
    dpeval::eval::sort_ascending(a);
    dpeval::eval::sort_ascending(b);
  });
  const double ks_s = median_seconds(repeats, ref, cur, [&](std::vector<double>& a, std::vector<double>& b) {
    d = dpeval::stats::ks_statistic_unsorted(a, b, false);
    p = dpeval::stats::ks_2samp_pvalue_asymp(d, m, n);
  });
  double d2 = 0;
  const double ks_2t_s =
      median_seconds(repeats, ref, cur, [&](std::vector<double>& a, std::vector<double>& b) {
        d2 = dpeval::stats::ks_statistic_unsorted(a, b, true);
        p = dpeval::stats::ks_2samp_pvalue_asymp(d2, m, n);
      });
  double d_sorting = 0;
  const double ks_sorting_s =
      median_seconds(repeats, ref, cur, [&](std::vector<double>& a, std::vector<double>& b) {
        dpeval::eval::sort_ascending(a);
        dpeval::eval::sort_ascending(b);
        d_sorting = dpeval::stats::ks_statistic(a, b);
        p = dpeval::stats::ks_2samp_pvalue_asymp(d_sorting, m, n);
      });
  if (d2 != d || std::fabs(d_sorting - d) > 1e-13 * d) {
    std::fprintf(stderr,
                 "drift_ks_bench: KS statistics disagree: %.17g unsorted, %.17g two threads, %.17g sorted\n",
                 d, d2, d_sorting);
    return 1;
  }
  double w_2t = 0, w_sorting = 0;
  const double wasserstein_s =
      median_seconds(repeats, ref, cur, [&](std::vector<double>& a, std::vector<double>& b) {
        w = dpeval::stats::ks_and_wasserstein_unsorted(a, b, false).wasserstein;
      });
  const double wasserstein_2t_s =
      median_seconds(repeats, ref, cur, [&](std::vector<double>& a, std::vector<double>& b) {
        w_2t = dpeval::stats::ks_and_wasserstein_unsorted(a, b, true).wasserstein;
      });
  const double wasserstein_sorting_s =
      median_seconds(repeats, ref, cur, [&](std::vector<double>& a, std::vector<double>& b) {
        dpeval::eval::sort_ascending(a);
        dpeval::eval::sort_ascending(b);
        w_sorting = dpeval::stats::wasserstein_distance(a, b);
      });
  if (w_2t != w || std::fabs(w_sorting - w) > 1e-12 * w) {
    std::fprintf(
        stderr,
        "drift_ks_bench: Wasserstein distances disagree: %.17g unsorted, %.17g two threads, %.17g sorted\n",
        w, w_2t, w_sorting);
    return 1;
  }
  const double both_s =
      median_seconds(repeats, ref, cur, [&](std::vector<double>& a, std::vector<double>& b) {
        const dpeval::stats::KsWasserstein kw = dpeval::stats::ks_and_wasserstein_unsorted(a, b, false);
        d = kw.ks;
        p = dpeval::stats::ks_2samp_pvalue_asymp(d, m, n);
        w = kw.wasserstein;
      });
  double drift_d = 0, drift_p = 0, drift_w = 0;
  const double drift_s =
      median_seconds(repeats, ref, cur, [&](std::vector<double>& a, std::vector<double>& b) {
        std::thread other([&b] { dpeval::eval::sort_ascending(b); });
        dpeval::eval::sort_ascending(a);
        other.join();
        const dpeval::stats::KsWasserstein kw = dpeval::stats::ks_and_wasserstein(a, b, true);
        drift_d = kw.ks;
        drift_w = kw.wasserstein;
        drift_p = dpeval::stats::ks_2samp_pvalue_asymp(drift_d, m, n);
      });
  std::printf(
      "{\"reference\": %llu, \"current\": %llu, \"repeats\": %d, \"sort_s\": %.6f, \"ks_s\": %.6f, "
      "\"ks_2t_s\": %.6f, \"ks_sorting_s\": %.6f, "
      "\"wasserstein_s\": %.6f, \"wasserstein_2t_s\": %.6f, \"wasserstein_sorting_s\": %.6f, \"both_s\": "
      "%.6f, \"drift_s\": %.6f, \"ks_statistic\": %.17g, "
      "\"ks_pvalue\": %.17g, \"wasserstein\": %.17g, \"drift_ks_statistic\": %.17g, \"drift_ks_pvalue\": "
      "%.17g, "
      "\"drift_wasserstein\": %.17g}\n",
      static_cast<unsigned long long>(m), static_cast<unsigned long long>(n), repeats, sort_s, ks_s, ks_2t_s,
      ks_sorting_s, wasserstein_s, wasserstein_2t_s, wasserstein_sorting_s, both_s, drift_s, d, p, w, drift_d,
      drift_p, drift_w);
  return 0;
}
