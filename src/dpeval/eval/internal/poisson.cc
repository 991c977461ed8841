// Poisson(1) counts by inverse CDF on counter-based uniforms: see Note
// [Poisson counts].
#include "dpeval/eval/internal/poisson.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "dpeval/core/rng.h"

namespace dpeval::eval::internal {
namespace {

constexpr size_t kMaxThresholds = 16;

struct Thresholds {
  std::array<uint32_t, kMaxThresholds> t{};
  size_t size = 0;
};

Thresholds make_thresholds() {
  Thresholds out;
  const double scale = 4294967296.0;  // 2^32
  double pmf = std::exp(-1.0), cdf = 0;
  for (size_t k = 0; k < kMaxThresholds; ++k) {
    cdf += pmf;
    pmf /= static_cast<double>(k + 1);
    const double t = std::round(cdf * scale);
    if (t >= scale) break;
    out.t[out.size++] = static_cast<uint32_t>(t);
  }
  return out;
}

const Thresholds& thresholds() {
  static const Thresholds t = make_thresholds();
  return t;
}

}  // namespace

std::span<const uint32_t> poisson_thresholds() { return {thresholds().t.data(), thresholds().size}; }

void poisson_counts(uint64_t seed, uint64_t resample, size_t first_row, std::span<uint8_t> out) {
  const Thresholds& th = thresholds();
  // Unused thresholds stay at UINT32_MAX + 1 in spirit: compare against a
  // full table of kMaxThresholds with the tail set unreachable (u >= T never
  // holds for T above every u: use a 64-bit compare).
  std::array<uint64_t, kMaxThresholds> t;
  for (size_t k = 0; k < kMaxThresholds; ++k) t[k] = k < th.size ? th.t[k] : (uint64_t{1} << 32);
  Rng rng = Rng::for_stream(seed, kBootstrapPurpose, resample, 0);
  rng.seek(first_row);
  constexpr size_t kBlock = 512;
  std::array<uint32_t, kBlock> u;
  for (size_t begin = 0; begin < out.size(); begin += kBlock) {
    const size_t m = std::min(kBlock, out.size() - begin);
    for (size_t j = 0; j < m; ++j) u[j] = rng.next_u32();
    for (size_t j = 0; j < m; ++j) {
      const uint64_t v = u[j];
      uint8_t c = 0;
      for (size_t k = 0; k < kMaxThresholds; ++k) c += v >= t[k] ? 1 : 0;
      out[begin + j] = c;
    }
  }
}

}  // namespace dpeval::eval::internal
