// LSD radix sort of uint64 keys (see Note [Score keys]).
#include "dpeval/eval/internal/score_sort.h"

#include <algorithm>
#include <bit>
#include <memory>

#include "dpeval/eval/internal/radix.h"
#include "dpeval/eval/sort_values.h"

namespace dpeval::eval::internal {
namespace {

// Stable scatter of `from` into `to` by the digit of `pass`.
void scatter(const BigVector<uint64_t>& from, BigVector<uint64_t>& to, int pass, const RadixCounts& counts) {
  RadixCounts offsets = radix_offsets(counts);
  for (uint64_t key : from) to[offsets[radix_digit(key, pass)]++] = key;
}

}  // namespace

void sort_keys(BigVector<uint64_t>& keys) {
  if (keys.size() < kRadixMinSize) {
    sort_keys_reference(keys);
    return;
  }
  auto counts = std::make_unique<RadixHistograms>();
  count_radix_digits(keys, *counts);
  BigVector<uint64_t> scratch(keys.size());
  for (int pass = 0; pass < kRadixPasses; ++pass) {
    const auto& h = (*counts)[pass];
    if (h[radix_digit(keys[0], pass)] == keys.size()) continue;  // every key has this digit
    scatter(keys, scratch, pass, h);
    keys.swap(scratch);
  }
}

void sort_keys_reference(BigVector<uint64_t>& keys) { std::sort(keys.begin(), keys.end()); }

}  // namespace dpeval::eval::internal

namespace dpeval::eval {

// Note [Sorting doubles in place]
// The values' own buffer is one of the radix sort's two buffers: the passes
// scatter keys back and forth between it (holding each key's bits as a double,
// std::bit_cast both ways, so no type is punned) and one scratch buffer of
// keys. Only n words of new memory are touched, not 2n: on a virtual machine
// every fresh page costs a fault and a zeroing that took longer than the sort.
//
// Note [Prefix passes]
// Only three passes are radix passes, over the keys' top 31 bits (sign,
// exponent and the top 19 mantissa bits): after them the keys are in order of
// those bits, and each run of one prefix (for real data a few values within a
// relative 2^-19 of each other) is put in order of the whole key, by insertion
// up to kSmallRun keys and by std::sort above (data packed into one narrow
// range, where runs are long). Half the passes over memory of a full LSD
// sort, and the same order (tests: SortAscending against std::sort).
void sort_ascending(std::span<double> values) {
  const size_t n = values.size();
  if (n < internal::kRadixMinSize) {
    std::sort(values.begin(), values.end());
    for (double& v : values) v += 0.0;  // -0.0 -> +0.0, as the keys do
    return;
  }
  using internal::kRadixPasses;
  auto key_of = [](double v) { return ~internal::key_descending(v); };  // ascending order
  // See Note [Prefix passes].
  constexpr int kFirstPrefixPass = 3;  // passes 3, 4 and 5: key bits 33..63
  constexpr int kPrefixShift = kFirstPrefixPass * internal::kRadixDigitBits;
  constexpr size_t kSmallRun = 16;
  auto counts = std::make_unique<internal::RadixHistograms>();
  for (auto& h : *counts) h.fill(0);
  for (double v : values) {
    const uint64_t key = key_of(v);
    for (int pass = kFirstPrefixPass; pass < kRadixPasses; ++pass) ++(*counts)[pass][internal::radix_digit(key, pass)];
  }
  BigVector<uint64_t> scratch(n);
  // Where the keys are: still values, as key bits in `values`, or in `scratch`.
  enum class At { kRawValues, kValueBits, kScratch } at = At::kRawValues;
  const uint64_t first_key = key_of(values[0]);
  for (int pass = kFirstPrefixPass; pass < kRadixPasses; ++pass) {
    const auto& h = (*counts)[pass];
    if (h[internal::radix_digit(first_key, pass)] == n) continue;  // every key has this digit
    internal::RadixCounts offsets = internal::radix_offsets(h);
    if (at == At::kScratch) {
      for (size_t i = 0; i < n; ++i) {
        const uint64_t key = scratch[i];
        values[offsets[internal::radix_digit(key, pass)]++] = std::bit_cast<double>(key);
      }
      at = At::kValueBits;
    } else if (at == At::kValueBits) {
      for (size_t i = 0; i < n; ++i) {
        const uint64_t key = std::bit_cast<uint64_t>(values[i]);
        scratch[offsets[internal::radix_digit(key, pass)]++] = key;
      }
      at = At::kScratch;
    } else {
      for (size_t i = 0; i < n; ++i) {
        const uint64_t key = key_of(values[i]);
        scratch[offsets[internal::radix_digit(key, pass)]++] = key;
      }
      at = At::kScratch;
    }
  }
  if (at == At::kRawValues) {
    for (size_t i = 0; i < n; ++i) scratch[i] = key_of(values[i]);
  } else if (at == At::kValueBits) {
    for (size_t i = 0; i < n; ++i) scratch[i] = std::bit_cast<uint64_t>(values[i]);
  }
  // In order of their prefixes now: each run of one prefix in order of the whole key.
  for (size_t i = 0; i < n;) {
    const uint64_t prefix = scratch[i] >> kPrefixShift;
    size_t j = i + 1;
    while (j < n && (scratch[j] >> kPrefixShift) == prefix) ++j;
    if (j - i > kSmallRun) {
      std::sort(scratch.begin() + static_cast<std::ptrdiff_t>(i), scratch.begin() + static_cast<std::ptrdiff_t>(j));
    } else {
      for (size_t k = i + 1; k < j; ++k) {
        const uint64_t key = scratch[k];
        size_t m = k;
        for (; m > i && scratch[m - 1] > key; --m) scratch[m] = scratch[m - 1];
        scratch[m] = key;
      }
    }
    i = j;
  }
  for (size_t i = 0; i < n; ++i) values[i] = internal::score_from_key_descending(~scratch[i]);
}

}  // namespace dpeval::eval
