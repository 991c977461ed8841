// Sorting scores for ranking metrics over millions of rows.
//
// Note [Score keys]
// A finite double maps to a uint64 key whose unsigned order is the reverse of
// the scores' order (key_descending), so sorting keys ascending lists scores
// from highest to lowest. -0.0 is folded into +0.0 first (numpy compares them
// equal, so they are one threshold). Equal keys <=> equal scores, which is all
// the threshold walk needs: rows are never tracked, only how many positives and
// negatives share each distinct score. NaN never reaches here (inputs are
// validated).
//
// sort_keys() is an LSD radix sort (11-bit digits, 6 passes, a pass skipped
// when every key shares its digit: scores in [0, 1] share most exponent bits);
// sort_keys_reference() is std::sort, its oracle in the tests.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

#include "dpeval/core/huge_pages.h"

namespace dpeval::eval::internal {

inline uint64_t key_descending(double score) {
  const auto bits = std::bit_cast<uint64_t>(score + 0.0);  // -0.0 + 0.0 == +0.0
  constexpr uint64_t kSign = uint64_t{1} << 63;
  const uint64_t ascending = (bits & kSign) ? ~bits : (bits | kSign);
  return ~ascending;
}

inline double score_from_key_descending(uint64_t key) {
  constexpr uint64_t kSign = uint64_t{1} << 63;
  const uint64_t ascending = ~key;
  const uint64_t bits = (ascending & kSign) ? (ascending & ~kSign) : ~ascending;
  return std::bit_cast<double>(bits);
}

// Sorts ascending. Allocates one scratch buffer of keys.size().
void sort_keys(BigVector<uint64_t>& keys);

// std::sort, ascending: the reference sort_keys() is tested against.
void sort_keys_reference(BigVector<uint64_t>& keys);

}  // namespace dpeval::eval::internal
