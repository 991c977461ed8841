// LSD radix sort of uint64 keys (see Note [Score keys]).
#include "dpeval/eval/internal/score_sort.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>

namespace dpeval::eval::internal {
namespace {

constexpr int kDigitBits = 11;
constexpr size_t kBuckets = size_t{1} << kDigitBits;
constexpr int kPasses = (64 + kDigitBits - 1) / kDigitBits;  // 6
// Below this, std::sort wins over six passes through a 2048-entry table.
constexpr size_t kRadixMinSize = 4096;

using Histograms = std::array<std::array<size_t, kBuckets>, kPasses>;

size_t digit_of(uint64_t key, int pass) { return (key >> (pass * kDigitBits)) & (kBuckets - 1); }

// All passes' digit counts in one read of the keys.
void count_digits(const std::vector<uint64_t>& keys, Histograms& counts) {
  for (auto& h : counts) h.fill(0);
  for (uint64_t key : keys) {
    for (int pass = 0; pass < kPasses; ++pass) ++counts[pass][digit_of(key, pass)];
  }
}

// Stable scatter of `from` into `to` by the digit of `pass`.
void scatter(const std::vector<uint64_t>& from, std::vector<uint64_t>& to, int pass,
             const std::array<size_t, kBuckets>& counts) {
  std::array<size_t, kBuckets> offsets;
  size_t offset = 0;
  for (size_t b = 0; b < kBuckets; ++b) {
    offsets[b] = offset;
    offset += counts[b];
  }
  for (uint64_t key : from) to[offsets[digit_of(key, pass)]++] = key;
}

}  // namespace

void sort_keys(std::vector<uint64_t>& keys) {
  if (keys.size() < kRadixMinSize) {
    sort_keys_reference(keys);
    return;
  }
  auto counts = std::make_unique<Histograms>();
  count_digits(keys, *counts);
  std::vector<uint64_t> scratch(keys.size());
  for (int pass = 0; pass < kPasses; ++pass) {
    const auto& h = (*counts)[pass];
    if (h[digit_of(keys[0], pass)] == keys.size()) continue;  // every key has this digit
    scatter(keys, scratch, pass, h);
    keys.swap(scratch);
  }
}

void sort_keys_reference(std::vector<uint64_t>& keys) { std::sort(keys.begin(), keys.end()); }

}  // namespace dpeval::eval::internal
