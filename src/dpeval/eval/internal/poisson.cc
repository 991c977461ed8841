// Poisson(1) counts by inverse CDF on counter-based uniforms: see Note
// [Poisson counts].
//
// Note [Bulk Philox]
// Rng::next_u32 costs a call per value; a resample of 10M rows needs 10M
// values, so the counts are drawn here in batches of 64 Philox blocks laid out
// structure-of-arrays, which the compiler vectorises (32 x 32 -> 64-bit
// multiplies; an AVX2 clone is picked at load time where the CPU has it):
// about 4.5 ns of CPU per row on the bench machine, a third of what the
// Rng::next_u32 loop took. counts_batch() is Philox4x32-10 exactly as
// core/rng.cc computes it, with Rng::for_stream's key and stream: the values
// equal Rng::for_stream(seed, kBootstrapPurpose, resample, 0).next_u32() at
// position = row (tests/eval/weighted_metrics_test.cc holds them equal).
#include "dpeval/eval/internal/poisson.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "dpeval/core/check.h"
#include "dpeval/core/rng.h"

namespace dpeval::eval::internal {
namespace {

constexpr size_t kThresholds = 12;  // T_0..T_11 < 2^32; P(X > 12) rounds to 0

std::array<uint32_t, kThresholds> make_thresholds() {
  std::array<uint32_t, kThresholds> out{};
  const double scale = 4294967296.0;  // 2^32
  double pmf = std::exp(-1.0), cdf = 0;
  for (size_t k = 0; k <= kThresholds; ++k) {
    cdf += pmf;
    pmf /= static_cast<double>(k + 1);
    const double t = std::round(cdf * scale);
    if (k == kThresholds) {
      DPEVAL_CHECK(t >= scale) << "Poisson(1) table: T_12 = " << t;
      break;
    }
    DPEVAL_CHECK(t < scale) << "Poisson(1) table: T_" << k << " = " << t;
    out[k] = static_cast<uint32_t>(t);
  }
  return out;
}

const std::array<uint32_t, kThresholds>& thresholds() {
  static const std::array<uint32_t, kThresholds> t = make_thresholds();
  return t;
}

// As core/rng.cc.
constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;
constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;

constexpr size_t kBatchBlocks = 64;  // 256 values

// The counts of blocks first_block .. first_block + 63 of the stream: lane l
// of block j (row 4 (first_block + j) + l) in out[l][j]. Integer arithmetic
// only, so every clone gives the same bits; the AVX2 one does 8 blocks per
// instruction.
__attribute__((target_clones("avx2", "default"))) void counts_batch(
    uint64_t first_block, uint64_t stream, uint64_t key, const uint32_t* thresholds,
    std::array<std::array<uint8_t, kBatchBlocks>, 4>& out) {
  uint32_t c0[kBatchBlocks], c1[kBatchBlocks], c2[kBatchBlocks], c3[kBatchBlocks];
  for (size_t j = 0; j < kBatchBlocks; ++j) {
    const uint64_t block = first_block + j;
    c0[j] = static_cast<uint32_t>(block);
    c1[j] = static_cast<uint32_t>(block >> 32);
    c2[j] = static_cast<uint32_t>(stream);
    c3[j] = static_cast<uint32_t>(stream >> 32);
  }
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    for (size_t j = 0; j < kBatchBlocks; ++j) {
      const uint64_t p0 = static_cast<uint64_t>(kPhiloxM0) * c0[j];
      const uint64_t p1 = static_cast<uint64_t>(kPhiloxM1) * c2[j];
      const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1[j] ^ k0;
      const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3[j] ^ k1;
      c0[j] = n0;
      c1[j] = static_cast<uint32_t>(p1);
      c2[j] = n2;
      c3[j] = static_cast<uint32_t>(p0);
    }
    k0 += kPhiloxW0;
    k1 += kPhiloxW1;
  }
  const uint32_t* lanes[4] = {c0, c1, c2, c3};
  for (size_t lane = 0; lane < 4; ++lane) {
    for (size_t j = 0; j < kBatchBlocks; ++j) {
      const uint32_t v = lanes[lane][j];
      uint8_t count = 0;
      for (size_t k = 0; k < kThresholds; ++k)
        count = static_cast<uint8_t>(count + (v >= thresholds[k] ? 1 : 0));
      out[lane][j] = count;
    }
  }
}

}  // namespace

std::span<const uint32_t> poisson_thresholds() { return thresholds(); }

void poisson_counts(uint64_t seed, uint64_t resample, size_t first_row, std::span<uint8_t> out) {
  const std::array<uint32_t, kThresholds>& t = thresholds();
  // Rng::for_stream(seed, kBootstrapPurpose, resample, epoch 0)'s key and stream.
  const uint64_t key = mix64(mix64(seed) ^ kBootstrapPurpose);
  const uint64_t stream = mix64(mix64(resample));
  std::array<std::array<uint8_t, kBatchBlocks>, 4> c;
  constexpr size_t kBatchRows = 4 * kBatchBlocks;
  size_t row = first_row - first_row % kBatchRows;  // batches aligned to the stream
  while (row < first_row + out.size()) {
    counts_batch(row / 4, stream, key, t.data(), c);
    const size_t begin = std::max(row, first_row), end = std::min(row + kBatchRows, first_row + out.size());
    for (size_t r = begin; r < end; ++r) out[r - first_row] = c[(r - row) % 4][(r - row) / 4];
    row += kBatchRows;
  }
}

}  // namespace dpeval::eval::internal
