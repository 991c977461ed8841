// Row orders for the weighted metrics: the permutation that sorts rows by a
// uint64 key (see Note [Score keys]), computed once per evaluation and reused
// by every resample.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace dpeval::eval::internal {

// Row indices 0..n-1 by ascending key, equal keys by ascending row (stable).
// Precondition: n < 2^32. An LSD radix sort of (key, row) pairs (11-bit
// digits, a pass skipped when every key shares its digit); std::stable_sort
// below 4096 rows.
std::vector<uint32_t> rows_sorted_by_key(std::span<const uint64_t> keys);

// Flags of the sorted positions that end a run of equal keys (the last
// position included): out[i] = keys[order[i]] != keys[order[i + 1]].
std::vector<uint8_t> run_ends(std::span<const uint64_t> keys, std::span<const uint32_t> order);

// out[i] = counts[order[i]], prefetching ahead: order is a sort order, so the
// reads land at random rows (cache misses beyond a few million rows).
void gather_counts(std::span<const uint8_t> counts, std::span<const uint32_t> order, uint8_t* out);

// How far ahead gathers prefetch (rows).
inline constexpr size_t kGatherPrefetchAhead = 64;

}  // namespace dpeval::eval::internal
