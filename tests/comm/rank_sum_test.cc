// internal/rank_sum.h against naive loops: the blocked float sum is bitwise
// ((s_0 + s_1) + s_2) + ... element by element, for 1..8 sources and sizes
// around the block length, with dst aliasing a source; the 16-bit sum is
// decode -> the same float sum -> one rounding, for fp16 and bf16.
#include "dpeval/comm/internal/rank_sum.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/kernels/half.h"

namespace dpeval::comm::internal {
namespace {

constexpr size_t kSizes[] = {0, 1, 511, 512, 513, 5000};  // around the 512-element block

// Values spread over many magnitudes, so a sum in any other order than rank
// order rounds differently (the test would see it).
std::vector<std::vector<float>> random_sources(size_t count, size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> mantissa(-1.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(-20, 20);
  std::vector<std::vector<float>> out(count, std::vector<float>(n));
  for (auto& s : out) {
    for (float& x : s) x = std::ldexp(mantissa(gen), exponent(gen));
  }
  return out;
}

std::vector<float> naive_sum(const std::vector<std::vector<float>>& sources, size_t n) {
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) {
    float acc = sources[0][i];
    for (size_t r = 1; r < sources.size(); ++r) acc += sources[r][i];
    out[i] = acc;
  }
  return out;
}

template <typename T>
bool bitwise_equal(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

template <typename T>
std::vector<const T*> pointers(const std::vector<std::vector<T>>& sources) {
  std::vector<const T*> out;
  for (const auto& s : sources) out.push_back(s.data());
  return out;
}

TEST(RankSum, EqualsNaiveLoopInRankOrder) {
  for (size_t count = 1; count <= 8; ++count) {
    for (size_t n : kSizes) {
      SCOPED_TRACE(std::to_string(count) + " sources, n = " + std::to_string(n));
      const auto sources = random_sources(count, n, static_cast<uint32_t>(count * 7919 + n));
      const std::vector<float> want = naive_sum(sources, n);
      std::vector<float> got(n, -1.0f);
      sum_rank_order(pointers(sources), n, got.data());
      ASSERT_TRUE(bitwise_equal(got, want));
    }
  }
}

TEST(RankSum, RankOrderIsVisible) {
  // 1e8 + 1 - 1e8 is 0 in float but 1e8 - 1e8 + 1 is 1: the order is observable.
  const std::vector<float> a{1e8f}, b{1.0f}, c{-1e8f};
  float out = -1.0f;
  const float* abc[] = {a.data(), b.data(), c.data()};
  sum_rank_order(abc, 1, &out);
  EXPECT_EQ(out, 0.0f);
  const float* acb[] = {a.data(), c.data(), b.data()};
  sum_rank_order(acb, 1, &out);
  EXPECT_EQ(out, 1.0f);
}

TEST(RankSum, DstMayAliasASource) {
  for (size_t count : {size_t{1}, size_t{3}, size_t{8}}) {
    for (size_t n : kSizes) {
      SCOPED_TRACE(std::to_string(count) + " sources, n = " + std::to_string(n));
      for (size_t alias : {size_t{0}, size_t{2}}) {
        if (alias >= count) continue;
        auto sources = random_sources(count, n, static_cast<uint32_t>(count * 31 + n + alias));
        const std::vector<float> want = naive_sum(sources, n);
        const std::vector<const float*> ptrs = pointers(sources);
        sum_rank_order(ptrs, n, sources[alias].data());
        ASSERT_TRUE(bitwise_equal(sources[alias], want)) << "dst = source " << alias;
      }
    }
  }
}

TEST(RankSum, NoSourcesIsAnInternalError) {
  float out = 0.0f;
  EXPECT_THROW(sum_rank_order({}, 1, &out), InternalError);
  uint16_t half = 0;
  EXPECT_THROW(sum_rank_order_half({}, 1, HalfFormat::kFloat16, &half), InternalError);
}

// Random finite 16-bit values (no inf or NaN: which NaN payload a sum keeps
// is not part of the contract).
std::vector<std::vector<uint16_t>> random_half_sources(size_t count, size_t n, HalfFormat format,
                                                       uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<uint32_t> bits(0, 0xffff);
  const uint32_t exponent_mask = format == HalfFormat::kFloat16 ? 0x7c00u : 0x7f80u;
  std::vector<std::vector<uint16_t>> out(count, std::vector<uint16_t>(n));
  for (auto& s : out) {
    for (uint16_t& x : s) {
      uint32_t b = bits(gen);
      while ((b & exponent_mask) == exponent_mask) b = bits(gen);
      x = static_cast<uint16_t>(b);
    }
  }
  return out;
}

std::vector<uint16_t> naive_half_sum(const std::vector<std::vector<uint16_t>>& sources, size_t n,
                                     HalfFormat format) {
  const bool fp16 = format == HalfFormat::kFloat16;
  auto decode = [&](uint16_t h) { return fp16 ? kernels::fp16_to_float(h) : kernels::bf16_to_float(h); };
  std::vector<uint16_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    float acc = decode(sources[0][i]);
    for (size_t r = 1; r < sources.size(); ++r) acc += decode(sources[r][i]);
    out[i] = fp16 ? kernels::float_to_fp16(acc) : kernels::float_to_bf16(acc);
  }
  return out;
}

TEST(RankSumHalf, EqualsDecodeSumRoundOnce) {
  for (HalfFormat format : {HalfFormat::kFloat16, HalfFormat::kBFloat16}) {
    for (size_t count = 1; count <= 8; ++count) {
      for (size_t n : kSizes) {
        SCOPED_TRACE(std::string(format == HalfFormat::kFloat16 ? "fp16, " : "bf16, ") +
                     std::to_string(count) + " sources, n = " + std::to_string(n));
        const auto sources = random_half_sources(count, n, format, static_cast<uint32_t>(count * 104729 + n));
        const std::vector<uint16_t> want = naive_half_sum(sources, n, format);
        std::vector<uint16_t> got(n, 0xdead);
        sum_rank_order_half(pointers(sources), n, format, got.data());
        ASSERT_TRUE(bitwise_equal(got, want));
        if (count >= 3) {  // dst aliasing source 0 and source 2
          for (size_t alias : {size_t{0}, size_t{2}}) {
            auto copy = sources;
            sum_rank_order_half(pointers(copy), n, format, copy[alias].data());
            ASSERT_TRUE(bitwise_equal(copy[alias], want)) << "dst = source " << alias;
          }
        }
      }
    }
  }
}

TEST(RankSumHalf, RoundsOnceNotPerAddition) {
  // fp16: 1 + 2^-11 + 2^-11. Rounding after each add gives 1 (two ties to
  // even); rounding the float sum once gives 1 + 2^-10.
  const uint16_t one = kernels::float_to_fp16(1.0f), tiny = kernels::float_to_fp16(0x1p-11f);
  const uint16_t a[] = {one}, b[] = {tiny}, c[] = {tiny};
  const uint16_t* sources[] = {a, b, c};
  uint16_t out = 0;
  sum_rank_order_half(sources, 1, HalfFormat::kFloat16, &out);
  EXPECT_EQ(kernels::fp16_to_float(out), 1.0f + 0x1p-10f);
}

}  // namespace
}  // namespace dpeval::comm::internal
