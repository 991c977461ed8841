// Poisson(1) counts for the Poisson bootstrap (bootstrap.h).
//
// Note [Poisson counts]
// The count of row r in resample b is F^-1(u) where u is the r-th uint32 of
// the counter-based stream Rng::for_stream(seed, kBootstrapPurpose, b, 0) and
// F the Poisson(1) CDF scaled to 2^32: count = #{k : u >= T_k},
// T_k = round(2^32 P(X <= k)). So a count depends on (seed, resample, row)
// only: any split of rows or resamples among threads gives the same bits.
// P(X > 12) < 2^-33 rounds away: counts are 0..12.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace dpeval::eval::internal {

inline constexpr uint64_t kBootstrapPurpose = 0x626f6f7473747270ull;  // "bootstrp"

// out[i] = the count of row first_row + i in resample `resample`.
void poisson_counts(uint64_t seed, uint64_t resample, size_t first_row, std::span<uint8_t> out);

// The thresholds T_0 < T_1 < ... (those below 2^32), for the tests.
std::span<const uint32_t> poisson_thresholds();

}  // namespace dpeval::eval::internal
