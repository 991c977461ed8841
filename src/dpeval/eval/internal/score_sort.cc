// LSD radix sort of uint64 keys (see Note [Score keys]).
#include "dpeval/eval/internal/score_sort.h"

#include <algorithm>
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

void sort_ascending(std::span<double> values) {
  if (values.size() < internal::kRadixMinSize) {
    std::sort(values.begin(), values.end());
    for (double& v : values) v += 0.0;  // -0.0 -> +0.0, as the keys do
    return;
  }
  BigVector<uint64_t> keys(values.size());
  for (size_t i = 0; i < values.size(); ++i) keys[i] = ~internal::key_descending(values[i]);
  internal::sort_keys(keys);
  for (size_t i = 0; i < values.size(); ++i) values[i] = internal::score_from_key_descending(~keys[i]);
}

}  // namespace dpeval::eval
