// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011).
// A generator is a pure function of (key, position): no hidden global state, so
// streams for (seed, rank, epoch) are independent and reproducible, and a
// position can be saved in a checkpoint and restored exactly with seek().
// Not thread-safe: give each thread its own Rng.
#pragma once

#include <array>
#include <cstdint>

namespace dpeval {

// The largest seed a setting may take: 2^53 - 1, so that every seed survives a
// JSON reader that holds numbers as doubles.
inline constexpr uint64_t kMaxSeed = (uint64_t{1} << 53) - 1;

class Rng {
 public:
  // A stream keyed by a 64-bit key; `stream` selects an independent sub-stream.
  explicit Rng(uint64_t key, uint64_t stream = 0);

  // The stream for one (seed, rank, epoch) triple, e.g. the sampler's shuffle
  // for rank r in epoch e. `purpose` separates unrelated uses of one seed.
  static Rng for_stream(uint64_t seed, uint64_t purpose, uint64_t rank, uint64_t epoch);

  uint32_t next_u32();
  uint64_t next_u64();
  // Uniform in [0, 1) with 24 (float) or 53 (double) random bits.
  float uniform_float();
  double uniform_double();
  // Uniform in [lo, hi).
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform_float(); }
  // Standard normal (Box-Muller over two uniform_double draws).
  double normal();
  // Unbiased uniform integer in [0, n). Precondition: n > 0.
  uint64_t uniform_below(uint64_t n);

  // Number of u32 values consumed so far; seek(p) restores that point exactly.
  uint64_t position() const { return position_; }
  void seek(uint64_t position);

 private:
  void refill();

  uint32_t key0_, key1_;
  uint64_t stream_;
  uint64_t position_ = 0;
  std::array<uint32_t, 4> block_{};
};

// One Philox4x32-10 block: the 128-bit counter (c[0] lowest word) under the
// 64-bit key (k[0] lowest word), exactly as Random123's philox4x32(ctr, key)
// with 10 rounds. Rng's block for (key, stream, position p) is
// philox4x32_10({p/4 low, p/4 high, stream low, stream high}, {key low, key high}).
// Exposed so tests can check it against the Random123 known-answer vectors.
std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

// SplitMix64 finalizer: a cheap, well-mixed 64-bit hash for combining ids into keys.
uint64_t mix64(uint64_t x);

}  // namespace dpeval
