// The pieces of an LSD radix sort on 64-bit keys that score_sort.cc (keys
// alone) and sort_rows.cc (keys carrying their rows) share: 11-bit digits,
// six passes, one histogram per pass counted in a single read of the keys,
// and the bucket start offsets of a pass.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace dpeval::eval::internal {

inline constexpr int kRadixDigitBits = 11;
inline constexpr size_t kRadixBuckets = size_t{1} << kRadixDigitBits;
inline constexpr int kRadixPasses = (64 + kRadixDigitBits - 1) / kRadixDigitBits;  // 6
// Below this, a comparison sort wins over six passes through a 2048-entry table.
inline constexpr size_t kRadixMinSize = 4096;

using RadixCounts = std::array<size_t, kRadixBuckets>;
using RadixHistograms = std::array<RadixCounts, kRadixPasses>;

inline size_t radix_digit(uint64_t key, int pass) {
  return (key >> (pass * kRadixDigitBits)) & (kRadixBuckets - 1);
}

// Every pass's digit counts in one read of the keys.
inline void count_radix_digits(std::span<const uint64_t> keys, RadixHistograms& counts) {
  for (auto& h : counts) h.fill(0);
  for (uint64_t key : keys) {
    for (int pass = 0; pass < kRadixPasses; ++pass) ++counts[pass][radix_digit(key, pass)];
  }
}

// Where each bucket starts in the output of a pass with these counts.
inline RadixCounts radix_offsets(const RadixCounts& counts) {
  RadixCounts offsets;
  size_t offset = 0;
  for (size_t b = 0; b < kRadixBuckets; ++b) {
    offsets[b] = offset;
    offset += counts[b];
  }
  return offsets;
}

}  // namespace dpeval::eval::internal
