// LSD radix sort of (key, row) pairs: see sort_rows.h.
#include "dpeval/eval/internal/sort_rows.h"

#include <algorithm>
#include <memory>
#include <numeric>

#include "dpeval/core/check.h"
#include "dpeval/eval/internal/radix.h"

namespace dpeval::eval::internal {

std::vector<uint32_t> rows_sorted_by_key(std::span<const uint64_t> keys) {
  const size_t n = keys.size();
  DPEVAL_CHECK(n < (size_t{1} << 32)) << n << " rows";
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), uint32_t{0});
  if (n < kRadixMinSize) {
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return keys[a] < keys[b]; });
    return order;
  }
  auto counts = std::make_unique<RadixHistograms>();
  count_radix_digits(keys, *counts);
  std::vector<uint64_t> k(keys.begin(), keys.end()), k_scratch(n);
  std::vector<uint32_t> r_scratch(n);
  for (int pass = 0; pass < kRadixPasses; ++pass) {
    const auto& h = (*counts)[pass];
    if (h[radix_digit(k[0], pass)] == n) continue;  // every key has this digit
    RadixCounts offsets = radix_offsets(h);
    for (size_t i = 0; i < n; ++i) {
      const size_t to = offsets[radix_digit(k[i], pass)]++;
      k_scratch[to] = k[i];
      r_scratch[to] = order[i];
    }
    k.swap(k_scratch);
    order.swap(r_scratch);
  }
  return order;
}

std::vector<uint8_t> run_ends(std::span<const uint64_t> keys, std::span<const uint32_t> order) {
  std::vector<uint8_t> ends(order.size());
  for (size_t i = 0; i + 1 < order.size(); ++i) ends[i] = keys[order[i]] != keys[order[i + 1]] ? 1 : 0;
  if (!order.empty()) ends.back() = 1;
  return ends;
}

void gather_counts(std::span<const uint8_t> counts, std::span<const uint32_t> order, uint8_t* out) {
  const size_t n = order.size();
  const size_t prefetched = n > kGatherPrefetchAhead ? n - kGatherPrefetchAhead : 0;
  size_t i = 0;
  for (; i < prefetched; ++i) {
    __builtin_prefetch(counts.data() + order[i + kGatherPrefetchAhead]);
    out[i] = counts[order[i]];
  }
  for (; i < n; ++i) out[i] = counts[order[i]];
}

}  // namespace dpeval::eval::internal
