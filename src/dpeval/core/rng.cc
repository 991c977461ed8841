// Philox4x32-10 counter-based generator. The 128-bit counter is
// (block index low, block index high, stream low, stream high); the key is 64 bits.
#include "dpeval/core/rng.h"

#include <cmath>
#include <numbers>

#include "dpeval/core/check.h"

namespace dpeval {
namespace {

constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;
constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;

}  // namespace

std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> c, std::array<uint32_t, 2> key) {
  uint32_t k0 = key[0], k1 = key[1];
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(kPhiloxM0) * c[0];
    const uint64_t p1 = static_cast<uint64_t>(kPhiloxM1) * c[2];
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    c = {hi1 ^ c[1] ^ k0, lo1, hi0 ^ c[3] ^ k1, lo0};
    k0 += kPhiloxW0;
    k1 += kPhiloxW1;
  }
  return c;
}

uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

Rng::Rng(uint64_t key, uint64_t stream)
    : key0_(static_cast<uint32_t>(key)), key1_(static_cast<uint32_t>(key >> 32)), stream_(stream) {
  refill();
}

Rng Rng::for_stream(uint64_t seed, uint64_t purpose, uint64_t rank, uint64_t epoch) {
  const uint64_t key = mix64(mix64(seed) ^ purpose);
  const uint64_t stream = mix64(mix64(rank) + epoch * 0x9E3779B97F4A7C15ull);
  return Rng(key, stream);
}

void Rng::refill() {
  const uint64_t block = position_ / 4;
  block_ = philox4x32_10({static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32),
                          static_cast<uint32_t>(stream_), static_cast<uint32_t>(stream_ >> 32)},
                         {key0_, key1_});
}

uint32_t Rng::next_u32() {
  const uint32_t v = block_[position_ % 4];
  ++position_;
  if (position_ % 4 == 0) refill();
  return v;
}

uint64_t Rng::next_u64() {
  const uint64_t hi = next_u32();
  return (hi << 32) | next_u32();
}

float Rng::uniform_float() { return static_cast<float>(next_u32() >> 8) * (1.0f / 16777216.0f); }

double Rng::uniform_double() { return static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0); }

double Rng::normal() {
  // Box-Muller with u1 in (0, 1] so log() is finite.
  const double u1 = 1.0 - uniform_double();
  const double u2 = uniform_double();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

uint64_t Rng::uniform_below(uint64_t n) {
  DPEVAL_CHECK(n > 0);
  // Lemire's nearly-divisionless method on 64-bit draws.
  uint64_t x = next_u64();
  __uint128_t m = static_cast<__uint128_t>(x) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = -n % n;
    while (low < threshold) {
      x = next_u64();
      m = static_cast<__uint128_t>(x) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

void Rng::seek(uint64_t position) {
  position_ = position;
  refill();
}

}  // namespace dpeval
