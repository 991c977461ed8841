// Helpers shared by the kernels tests: seeded random buffers and bitwise
// comparison of float arrays (NaN payloads and the sign of zero included).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <span>
#include <vector>

#include "dpeval/kernels/internal/kernel_table.h"

namespace dpeval::kernels::testing {

// Every KernelTable this CPU can run: scalar always, AVX2 when the CPU has it.
inline std::vector<const internal::KernelTable*> available_tables() {
  std::vector<const internal::KernelTable*> tables = {&internal::scalar_table()};
  if (internal::avx2_table() != nullptr) tables.push_back(internal::avx2_table());
  return tables;
}

// n floats uniform in [lo, hi), the same for the same seed.
inline std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

// n small integers in [lo, hi] as floats: sums of a few of them are exact.
inline std::vector<float> random_integers(size_t n, uint32_t seed, int lo = -4, int hi = 4) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(dist(gen));
  return v;
}

inline uint32_t bits_of(float v) {
  uint32_t u;
  std::memcpy(&u, &v, sizeof u);
  return u;
}

// Bitwise equality, reporting the first few differing indices.
inline ::testing::AssertionResult bitwise_equal(std::span<const float> got, std::span<const float> want) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "sizes " << got.size() << " vs " << want.size();
  int reported = 0;
  ::testing::AssertionResult result = ::testing::AssertionSuccess();
  for (size_t i = 0; i < got.size(); ++i) {
    if (bits_of(got[i]) == bits_of(want[i])) continue;
    if (reported == 0) result = ::testing::AssertionFailure();
    if (reported++ < 5) result << "[" << i << "] got " << got[i] << " want " << want[i] << "; ";
  }
  if (reported > 5) result << "(" << reported << " differ)";
  return result;
}

}  // namespace dpeval::kernels::testing
