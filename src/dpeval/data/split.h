// Train/test splits of one Dataset.
#pragma once

#include <cstdint>

#include "dpeval/data/dataset.h"

namespace dpeval::data {

struct TrainTest {
  Dataset train;
  Dataset test;
};

// Holds out round(holdout_fraction * N) rows, chosen by a seeded Fisher-Yates
// permutation (Rng::for_stream(seed, kSplitRngPurpose, 0, 0)), as `test`; the rest
// are `train`. Both keep the rows' original order. Not stratified. Deterministic:
// the same (dataset, fraction, seed) gives the same split on every machine.
// Throws ConfigError unless 0 <= holdout_fraction < 1.
TrainTest split_holdout(const Dataset& all, double holdout_fraction, uint64_t seed);

// Throws ConfigError unless 0 <= holdout_fraction < 1 (NaN included).
void check_holdout_fraction(double holdout_fraction);

// Rng purpose of split_holdout ("split").
inline constexpr uint64_t kSplitRngPurpose = 0x73706c6974;

}  // namespace dpeval::data
