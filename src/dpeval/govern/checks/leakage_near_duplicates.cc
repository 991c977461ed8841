// leakage.near_duplicates: test images that are not byte-identical to any
// train image but whose dHash-364 (Note [Image hash]) is within
// thresholds.near_duplicate_bits of a train image's. count = such test images;
// value = figures.test_share; figures.threshold_bits. Images only.
// Brute force over (test, distinct train hash) pairs on the thread pool:
// 10,000 x 60,000 Fashion-MNIST pairs take a few seconds on two cores.
#include <algorithm>
#include <atomic>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "dpeval/core/thread_pool.h"
#include "dpeval/govern/checks/check_util.h"
#include "dpeval/govern/checks/checks.h"
#include "dpeval/govern/image_hash.h"

namespace dpeval::govern::internal {
namespace {

using TrainHashes = std::vector<std::pair<ImageHash, uint32_t>>;

// Note [Hardware popcount]
// The scan below is 6 popcounts per (test, train) pair: 3.6e9 on Fashion-MNIST.
// The build targets baseline x86-64, where std::popcount is a call into libgcc
// (a table walk): 60 % of the audit's time. The same loop compiled for the
// POPCNT instruction (every x86-64 CPU since 2008) is chosen at run time;
// both give the same distances.
template <typename = void>
[[gnu::always_inline]] inline std::pair<int, uint32_t> nearest_in(const ImageHash& h, const TrainHashes& train,
                                                                  int bits) {
  int best = bits + 1;
  uint32_t best_row = 0;
  for (const auto& [t, row] : train) {
    const int d = hamming(h, t);
    if (d < best || (d == best && row < best_row)) {
      best = d;
      best_row = row;
    }
  }
  return {best, best_row};
}

#if defined(__x86_64__)
[[gnu::target("popcnt")]] std::pair<int, uint32_t> nearest_popcnt(const ImageHash& h, const TrainHashes& train,
                                                                 int bits) {
  return nearest_in(h, train, bits);
}
#endif

// The train hash closest to h (ties: the lowest row), as (distance, row); the
// distance is bits + 1 when none is within `bits`.
std::pair<int, uint32_t> nearest(const ImageHash& h, const TrainHashes& train, int bits) {
#if defined(__x86_64__)
  static const bool popcnt = __builtin_cpu_supports("popcnt");
  if (popcnt) return nearest_popcnt(h, train, bits);
#endif
  return nearest_in(h, train, bits);
}

class NearDuplicatesCheck final : public Check {
 public:
  std::string_view id() const override { return "leakage.near_duplicates"; }
  CheckResult run(const AuditContext& ctx) const override {
    if (!ctx.test) return skipped_result(id(), "no --test set", {"test_share", "threshold_bits"});
    if (!ctx.train.is_image || !ctx.test->is_image) return skipped_result(id(), "not image data", {"test_share", "threshold_bits"});
    const int bits = ctx.thresholds.near_duplicate_bits;
    // Distinct train hashes, each with its first row.
    TrainHashes train;
    train.reserve(ctx.train.image_hashes.size());
    for (size_t i = 0; i < ctx.train.image_hashes.size(); ++i) train.emplace_back(ctx.train.image_hashes[i], i);
    std::sort(train.begin(), train.end());
    train.erase(std::unique(train.begin(), train.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
                train.end());
    std::vector<Hash128> exact(ctx.train.feature_hashes);
    std::sort(exact.begin(), exact.end());
    const size_t n = ctx.test->rows;
    std::vector<int32_t> match(n, -1), distance(n, 0);
    ThreadPool pool(ctx.threads);
    pool.parallel_for(n, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        if (std::binary_search(exact.begin(), exact.end(), ctx.test->feature_hashes[i])) continue;
        const auto [best, best_row] = nearest(ctx.test->image_hashes[i], train, bits);
        if (best <= bits) {
          match[i] = static_cast<int32_t>(best_row);
          distance[i] = best;
        }
      }
    }, 64);
    CheckResult r = make_result(id());
    for (size_t i = 0; i < n; ++i) {
      if (match[i] < 0) continue;
      ++r.count;
      if (r.examples.size() < kMaxExamples) {
        r.examples.push_back(example_json("test", i, "",
                                          fmt::format("{} bits from train row {}", distance[i], match[i])));
      }
    }
    r.value = share(r.count, n);
    r.figures["test_share"] = *r.value;
    r.figures["threshold_bits"] = bits;
    r.severity = r.count > 0 ? Severity::kWarning : Severity::kInfo;
    r.message = fmt::format("{} test images ({} of test) are near-duplicates of a train image "
                            "(dHash-364 Hamming distance <= {}, not byte-identical)",
                            r.count, percent(*r.value), bits);
    return r;
  }
};

}  // namespace

std::unique_ptr<Check> make_leakage_near_duplicates_check() { return std::make_unique<NearDuplicatesCheck>(); }

}  // namespace dpeval::govern::internal
