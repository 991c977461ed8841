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

namespace {

// Note [Paired counters]
// A pass's digits are skewed for real data (its top digit, sign and exponent,
// takes a handful of values), so consecutive keys often bump the same counter,
// and each bump waits for the last one's store: a chain of store-to-load
// forwards, several cycles a key. Taking keys in pairs, both counters are
// loaded before either is stored (the second one plus one when the digits are
// equal), so the chain is one forward per pair. The same counts and order as
// one key at a time, with no branch on the digits.
template <typename Load, typename Store>
void scatter_pairs(size_t n, int pass, internal::RadixCounts& offsets, Load load, Store store) {
  size_t i = 0;
  for (; i + 1 < n; i += 2) {
    const uint64_t k0 = load(i), k1 = load(i + 1);
    const size_t d0 = internal::radix_digit(k0, pass), d1 = internal::radix_digit(k1, pass);
    const size_t o0 = offsets[d0];
    const size_t o1 = offsets[d1] + (d0 == d1);
    store(o0, k0);
    store(o1, k1);
    offsets[d0] = o0 + 1;
    offsets[d1] = o1 + 1;
  }
  if (i < n) {
    const uint64_t k = load(i);
    store(offsets[internal::radix_digit(k, pass)]++, k);
  }
}

// Adds one key pair to a pass's counts (see Note [Paired counters]).
inline void count_pair(internal::RadixCounts& h, size_t d0, size_t d1) {
  const size_t c0 = h[d0];
  const size_t c1 = h[d1] + (d0 == d1);
  h[d0] = c0 + 1;
  h[d1] = c1 + 1;
}

}  // namespace

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
// relative 2^-19 of each other) is put in order of the whole key while the
// keys are turned back into values: by insertion while no value moves more
// than kSmallRun places, else by std::sort of the whole run (data packed into
// one narrow range, where runs are long). Half the passes over memory of a
// full LSD sort, and the same order (tests: SortAscending against std::sort).
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
  size_t c = 0;
  for (; c + 1 < n; c += 2) {  // see Note [Paired counters]
    const uint64_t k0 = key_of(values[c]), k1 = key_of(values[c + 1]);
    for (int pass = kFirstPrefixPass; pass < kRadixPasses; ++pass) {
      count_pair((*counts)[pass], internal::radix_digit(k0, pass), internal::radix_digit(k1, pass));
    }
  }
  if (c < n) {
    const uint64_t key = key_of(values[c]);
    for (int pass = kFirstPrefixPass; pass < kRadixPasses; ++pass)
      ++(*counts)[pass][internal::radix_digit(key, pass)];
  }
  // Every key is written before it is read: no zeroing (Note [Huge pages for big columns]).
  std::vector<uint64_t, UninitializedAllocator<uint64_t>> scratch(n);
  // Where the keys are: still values, as key bits in `values`, or in `scratch`.
  enum class At { kRawValues, kValueBits, kScratch } at = At::kRawValues;
  const uint64_t first_key = key_of(values[0]);
  for (int pass = kFirstPrefixPass; pass < kRadixPasses; ++pass) {
    const auto& h = (*counts)[pass];
    if (h[internal::radix_digit(first_key, pass)] == n) continue;  // every key has this digit
    internal::RadixCounts offsets = internal::radix_offsets(h);
    auto to_scratch = [&](size_t o, uint64_t key) { scratch[o] = key; };
    if (at == At::kScratch) {
      scatter_pairs(
          n, pass, offsets, [&](size_t i) { return scratch[i]; },
          [&](size_t o, uint64_t key) { values[o] = std::bit_cast<double>(key); });
      at = At::kValueBits;
    } else if (at == At::kValueBits) {
      scatter_pairs(
          n, pass, offsets, [&](size_t i) { return std::bit_cast<uint64_t>(values[i]); }, to_scratch);
      at = At::kScratch;
    } else {
      scatter_pairs(
          n, pass, offsets, [&](size_t i) { return key_of(values[i]); }, to_scratch);
      at = At::kScratch;
    }
  }
  if (at == At::kRawValues) {
    for (size_t i = 0; i < n; ++i) scratch[i] = key_of(values[i]);
  } else if (at == At::kValueBits) {
    for (size_t i = 0; i < n; ++i) scratch[i] = std::bit_cast<uint64_t>(values[i]);
  }
  // In order of their prefixes now: back to values, each run of one prefix put
  // in order of the whole value on the way (see Note [Prefix passes]).
  auto from_key = [](uint64_t key) { return internal::score_from_key_descending(~key); };
  size_t run_start = 0;
  for (size_t k = 0; k < n; ++k) {
    const uint64_t key = scratch[k];
    if (k > 0 && (key >> kPrefixShift) != (scratch[k - 1] >> kPrefixShift)) run_start = k;
    const double v = from_key(key);
    size_t m = k;
    while (m > run_start && values[m - 1] > v && k - m < kSmallRun) {
      values[m] = values[m - 1];
      --m;
    }
    if (m > run_start && values[m - 1] > v) {  // a long run: sort it whole
      size_t end = k + 1;
      while (end < n && (scratch[end] >> kPrefixShift) == (key >> kPrefixShift)) ++end;
      std::sort(scratch.begin() + static_cast<std::ptrdiff_t>(run_start),
                scratch.begin() + static_cast<std::ptrdiff_t>(end));
      for (size_t r = run_start; r < end; ++r) values[r] = from_key(scratch[r]);
      k = end - 1;
      continue;
    }
    values[m] = v;
  }
}

}  // namespace dpeval::eval
