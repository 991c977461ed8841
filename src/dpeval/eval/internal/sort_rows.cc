// LSD radix sort of (key, row) pairs: see sort_rows.h.
#include "dpeval/eval/internal/sort_rows.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <numeric>

#include "dpeval/core/check.h"

namespace dpeval::eval::internal {
namespace {

constexpr int kDigitBits = 11;
constexpr size_t kBuckets = size_t{1} << kDigitBits;
constexpr int kPasses = (64 + kDigitBits - 1) / kDigitBits;  // 6
constexpr size_t kRadixMinSize = 4096;

size_t digit_of(uint64_t key, int pass) { return (key >> (pass * kDigitBits)) & (kBuckets - 1); }

}  // namespace

std::vector<uint32_t> rows_sorted_by_key(std::span<const uint64_t> keys) {
  const size_t n = keys.size();
  DPEVAL_CHECK(n < (size_t{1} << 32)) << n << " rows";
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), uint32_t{0});
  if (n < kRadixMinSize) {
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return keys[a] < keys[b]; });
    return order;
  }
  auto counts = std::make_unique<std::array<std::array<size_t, kBuckets>, kPasses>>();
  for (auto& h : *counts) h.fill(0);
  for (uint64_t key : keys) {
    for (int pass = 0; pass < kPasses; ++pass) ++(*counts)[pass][digit_of(key, pass)];
  }
  std::vector<uint64_t> k(keys.begin(), keys.end()), k_scratch(n);
  std::vector<uint32_t> r_scratch(n);
  for (int pass = 0; pass < kPasses; ++pass) {
    const auto& h = (*counts)[pass];
    if (h[digit_of(k[0], pass)] == n) continue;  // every key has this digit
    std::array<size_t, kBuckets> offsets;
    size_t offset = 0;
    for (size_t b = 0; b < kBuckets; ++b) {
      offsets[b] = offset;
      offset += h[b];
    }
    for (size_t i = 0; i < n; ++i) {
      const size_t to = offsets[digit_of(k[i], pass)]++;
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
