// kernels/half.h against independent oracles: every fp16 and bf16 bit pattern
// decoded from its fields with ldexp; float -> 16 bits against a round-to-
// nearest-even written in double with nearbyint (and GCC's _Float16 where the
// compiler has it) on every tie between consecutive 16-bit values, its float
// neighbours and millions of random floats; NaN, infinities and signed zeros;
// every kernel table's span loops (scalar, F16C/AVX2) and the public span
// functions equal the per-value ones bitwise.
#include "dpeval/kernels/half.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/kernels/internal/kernel_table.h"
#include "kernels/kernels_test_util.h"

namespace dpeval::kernels {
namespace {

// A binary format with `mantissa_bits` stored mantissa bits, exponent bias
// `bias` and all-ones exponent `exponent_max` (inf/NaN).
struct Format {
  int mantissa_bits;
  int bias;
  uint32_t exponent_max;
};
constexpr Format kFp16{10, 15, 31};
constexpr Format kBf16{7, 127, 255};

// The value of a 16-bit pattern of `f`, from its fields.
float decode_oracle(uint16_t bits, Format f) {
  const bool negative = (bits & 0x8000u) != 0;
  const uint32_t exponent = (bits & 0x7fffu) >> f.mantissa_bits;
  const uint32_t mantissa = bits & ((1u << f.mantissa_bits) - 1u);
  double magnitude;
  if (exponent == f.exponent_max) {
    magnitude =
        mantissa == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  } else if (exponent == 0) {
    magnitude = std::ldexp(static_cast<double>(mantissa), 1 - f.bias - f.mantissa_bits);
  } else {
    magnitude = std::ldexp(static_cast<double>(mantissa + (1u << f.mantissa_bits)),
                           static_cast<int>(exponent) - f.bias - f.mantissa_bits);
  }
  return static_cast<float>(negative ? -magnitude : magnitude);
}

// Round-to-nearest-even of a non-NaN float into `f`, computed in double.
uint16_t encode_oracle(float x, Format f) {
  EXPECT_EQ(std::fegetround(), FE_TONEAREST);
  const uint32_t sign = std::signbit(x) ? 0x8000u : 0u;
  const double a = std::fabs(static_cast<double>(x));
  if (a == 0.0) return static_cast<uint16_t>(sign);
  if (std::isinf(a)) return static_cast<uint16_t>(sign | (f.exponent_max << f.mantissa_bits));
  int e;
  std::frexp(a, &e);                           // a = m * 2^e, m in [0.5, 1)
  int exponent = std::max(e - 1, 1 - f.bias);  // subnormals share the smallest normal exponent
  // The significand in units of the last place: exact (a is a float scaled by 2^k), then rounded.
  double units = std::nearbyint(std::ldexp(a, f.mantissa_bits - exponent));
  const double implicit = std::ldexp(1.0, f.mantissa_bits);
  if (units >= 2 * implicit) {  // rounded up into the next binade
    units /= 2;
    ++exponent;
  }
  const uint32_t biased = units >= implicit ? static_cast<uint32_t>(exponent + f.bias) : 0u;
  if (biased >= f.exponent_max) return static_cast<uint16_t>(sign | (f.exponent_max << f.mantissa_bits));
  const uint32_t mantissa = static_cast<uint32_t>(units) & ((1u << f.mantissa_bits) - 1u);
  return static_cast<uint16_t>(sign | (biased << f.mantissa_bits) | mantissa);
}

bool is_nan16(uint16_t bits, Format f) {
  return ((bits & 0x7fffu) >> f.mantissa_bits) == f.exponent_max &&
         (bits & ((1u << f.mantissa_bits) - 1u)) != 0;
}

uint16_t encode(float x, Format f) { return f.mantissa_bits == 10 ? float_to_fp16(x) : float_to_bf16(x); }
float decode(uint16_t bits, Format f) {
  return f.mantissa_bits == 10 ? fp16_to_float(bits) : bf16_to_float(bits);
}

struct NamedFormat {
  const char* name;
  Format format;
};
void PrintTo(const NamedFormat& f, std::ostream* os) { *os << f.name; }

class Half : public ::testing::TestWithParam<NamedFormat> {};

TEST_P(Half, DecodesEveryBitPatternExactly) {
  const Format f = GetParam().format;
  for (uint32_t b = 0; b <= 0xffffu; ++b) {
    const auto bits = static_cast<uint16_t>(b);
    const float got = decode(bits, f), want = decode_oracle(bits, f);
    if (is_nan16(bits, f)) {
      ASSERT_TRUE(std::isnan(got)) << std::hex << b;
      ASSERT_EQ(std::signbit(got), (b & 0x8000u) != 0) << std::hex << b;
      // The payload is kept: re-encoding gives the same NaN back when it is quiet.
      const uint16_t quiet_bit = static_cast<uint16_t>(1u << (f.mantissa_bits - 1));
      ASSERT_EQ(encode(got, f), bits | quiet_bit) << std::hex << b;
    } else {
      ASSERT_EQ(std::bit_cast<uint32_t>(got), std::bit_cast<uint32_t>(want)) << std::hex << b;
    }
  }
}

TEST_P(Half, EveryNonNanPatternRoundTrips) {
  const Format f = GetParam().format;
  for (uint32_t b = 0; b <= 0xffffu; ++b) {
    const auto bits = static_cast<uint16_t>(b);
    if (is_nan16(bits, f)) continue;
    ASSERT_EQ(encode(decode(bits, f), f), bits) << std::hex << b;  // zeros, subnormals, inf included
  }
}

// For every pair of consecutive non-negative finite values (and the largest
// finite value with the overflow threshold), the exact midpoint goes to the one
// with an even mantissa, and the floats just beside it go to the nearer one.
TEST_P(Half, TiesGoToEvenAndNeighboursToNearest) {
  const Format f = GetParam().format;
  const uint16_t inf = static_cast<uint16_t>(f.exponent_max << f.mantissa_bits);
  for (uint16_t lo = 0; lo < inf; ++lo) {
    const auto hi = static_cast<uint16_t>(lo + 1);  // inf after the largest finite value
    // The spacing above lo, also into the next binade (and to 2^(emax+1) above
    // the largest finite value). The midpoint has at most 12 significant bits:
    // exact in float.
    const int biased = std::max(lo >> f.mantissa_bits, 1);
    const double ulp = std::ldexp(1.0, biased - f.bias - f.mantissa_bits);
    const double lo_value = decode_oracle(lo, f);
    if (hi != inf) {
      ASSERT_EQ(decode_oracle(hi, f), lo_value + ulp) << std::hex << lo;
    }
    const auto mid = static_cast<float>(lo_value + ulp / 2);
    ASSERT_EQ(static_cast<double>(mid), lo_value + ulp / 2) << "midpoint not exact in float";
    const uint16_t even = (lo & 1u) == 0 ? lo : hi;
    for (float sign : {1.0f, -1.0f}) {
      const uint16_t s = sign < 0 ? 0x8000u : 0u;
      ASSERT_EQ(encode(sign * mid, f), even | s) << std::hex << lo;
      ASSERT_EQ(encode(sign * std::nextafter(mid, 0.0f), f), lo | s) << std::hex << lo;
      ASSERT_EQ(encode(sign * std::nextafter(mid, INFINITY), f), hi | s) << std::hex << lo;
      ASSERT_EQ(encode(sign * mid, f), encode_oracle(sign * mid, f)) << std::hex << lo;
    }
  }
}

TEST_P(Half, RandomFloatsMatchTheDoubleOracle) {
  const Format f = GetParam().format;
  std::mt19937 gen(1234);
  std::uniform_int_distribution<uint32_t> any_bits;
  // Exponents around the 16-bit format's range (fp16: 2^-27 .. 2^17) and any.
  const int lowest = f.mantissa_bits == 10 ? 100 : 1, highest = f.mantissa_bits == 10 ? 144 : 254;
  std::uniform_int_distribution<int> exponent(lowest, highest);
  for (int i = 0; i < 2'000'000; ++i) {
    uint32_t x = any_bits(gen);
    if (i % 2 == 0) x = (x & 0x807fffffu) | (static_cast<uint32_t>(exponent(gen)) << 23);
    const float v = std::bit_cast<float>(x);
    if (std::isnan(v)) continue;
    ASSERT_EQ(encode(v, f), encode_oracle(v, f)) << std::hex << x;
  }
}

TEST_P(Half, SpecialValues) {
  const Format f = GetParam().format;
  const uint16_t inf = static_cast<uint16_t>(f.exponent_max << f.mantissa_bits);
  EXPECT_EQ(encode(0.0f, f), 0x0000u);
  EXPECT_EQ(encode(-0.0f, f), 0x8000u);
  EXPECT_TRUE(std::signbit(decode(0x8000u, f)));
  EXPECT_EQ(decode(0x8000u, f), 0.0f);
  EXPECT_EQ(encode(INFINITY, f), inf);
  EXPECT_EQ(encode(-INFINITY, f), inf | 0x8000u);
  EXPECT_EQ(encode(std::numeric_limits<float>::max(), f), inf);
  EXPECT_EQ(encode(-std::numeric_limits<float>::max(), f), inf | 0x8000u);
  EXPECT_EQ(decode(inf, f), INFINITY);
  const uint16_t quiet_bit = static_cast<uint16_t>(1u << (f.mantissa_bits - 1));
  for (uint32_t nan_bits : {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xff800001u, 0x7fffffffu, 0x7fa00000u}) {
    const float nan = std::bit_cast<float>(nan_bits);
    const uint16_t h = encode(nan, f);
    EXPECT_TRUE(is_nan16(h, f)) << std::hex << nan_bits;
    EXPECT_NE(h & quiet_bit, 0) << "quiet " << std::hex << nan_bits;
    EXPECT_EQ((h & 0x8000u) != 0, (nan_bits & 0x80000000u) != 0) << "sign " << std::hex << nan_bits;
    EXPECT_TRUE(std::isnan(decode(h, f)));
  }
  // The smallest float subnormal underflows to a signed zero in both.
  const float tiny = std::numeric_limits<float>::denorm_min();
  EXPECT_EQ(encode(tiny, f), 0x0000u);
  EXPECT_EQ(encode(-tiny, f), 0x8000u);
}

INSTANTIATE_TEST_SUITE_P(Formats, Half,
                         ::testing::Values(NamedFormat{"fp16", kFp16}, NamedFormat{"bf16", kBf16}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Fp16, NamedThresholds) {
  EXPECT_EQ(float_to_fp16(65504.0f), 0x7bffu);   // the largest finite fp16
  EXPECT_EQ(float_to_fp16(65519.99f), 0x7bffu);  // below the overflow threshold
  EXPECT_EQ(float_to_fp16(65520.0f), 0x7c00u);   // the threshold: a tie, to even (inf)
  EXPECT_EQ(float_to_fp16(-65520.0f), 0xfc00u);
  EXPECT_EQ(float_to_fp16(0x1p-14f), 0x0400u);  // the smallest normal
  EXPECT_EQ(float_to_fp16(0x1p-24f), 0x0001u);  // the smallest subnormal
  EXPECT_EQ(float_to_fp16(0x1p-25f), 0x0000u);  // half of it: a tie, to even (zero)
  EXPECT_EQ(float_to_fp16(-0x1p-25f), 0x8000u);
  EXPECT_EQ(float_to_fp16(0x1.000002p-25f), 0x0001u);
  EXPECT_EQ(float_to_fp16(0x3p-25f), 0x0002u);  // 1.5 units: a tie, to even (2)
  EXPECT_EQ(float_to_fp16(0x1.ffcp-15f),
            0x0400u);  // halfway from the largest subnormal to the smallest normal
  EXPECT_EQ(float_to_fp16(1.0f), 0x3c00u);
  EXPECT_EQ(float_to_fp16(1.0f + 0x1p-11f), 0x3c00u);  // tie, to even
  EXPECT_EQ(float_to_fp16(1.0f + 0x3p-11f), 0x3c02u);  // tie, to even (up)
  EXPECT_EQ(fp16_to_float(0x0001u), 0x1p-24f);
  EXPECT_EQ(fp16_to_float(0x03ffu), 0x1.ff8p-15f);
}

TEST(Bf16, NamedThresholds) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80u);
  EXPECT_EQ(float_to_bf16(1.0f + 0x1p-8f), 0x3f80u);                     // tie, to even
  EXPECT_EQ(float_to_bf16(1.0f + 0x3p-8f), 0x3f82u);                     // tie, to even (up)
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x7f7f7fffu)), 0x7f7fu);  // the largest finite bf16
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x7f7f8000u)), 0x7f80u);  // the threshold: to even (inf)
  EXPECT_EQ(bf16_to_float(0x3f80u), 1.0f);
}

#if defined(__FLT16_MAX__)
// GCC's _Float16 (libgcc's soft conversion on baseline x86-64): a second oracle.
TEST(Fp16, AgreesWithFloat16Casts) {
  auto via_cast = [](float x) { return std::bit_cast<uint16_t>(static_cast<_Float16>(x)); };
  std::mt19937 gen(99);
  std::uniform_int_distribution<uint32_t> any_bits;
  std::uniform_int_distribution<uint32_t> exponent(100, 144);
  for (int i = 0; i < 2'000'000; ++i) {
    uint32_t x = any_bits(gen);
    if (i % 4 != 0) x = (x & 0x807fffffu) | (exponent(gen) << 23);
    const float v = std::bit_cast<float>(x);
    if (std::isnan(v)) continue;
    ASSERT_EQ(float_to_fp16(v), via_cast(v)) << std::hex << x;
  }
  for (uint32_t b = 0; b <= 0xffffu; ++b) {
    const auto h = std::bit_cast<_Float16>(static_cast<uint16_t>(b));
    if (std::isnan(static_cast<float>(h))) continue;
    ASSERT_EQ(std::bit_cast<uint32_t>(fp16_to_float(static_cast<uint16_t>(b))),
              std::bit_cast<uint32_t>(static_cast<float>(h)))
        << std::hex << b;
  }
}
#endif

// Floats that meet every rounding boundary of both formats: all 2^19 values of
// the top 19 bits (sign, exponent, top 10 mantissa bits) with low 13 bits at
// and beside 0 and the midpoint, plus random low bits; NaNs and infinities
// included. Odd length, so the vector loops have a tail.
std::vector<float> dense_floats() {
  std::mt19937 gen(17);
  std::uniform_int_distribution<uint32_t> low(0, 0x1fff);
  std::vector<float> out;
  for (uint32_t top = 0; top < (1u << 19); ++top) {
    for (uint32_t l : {0x0000u, 0x0001u, 0x0fffu, 0x1000u, 0x1001u, 0x1fffu, low(gen)}) {
      out.push_back(std::bit_cast<float>((top << 13) | l));
    }
  }
  out.push_back(1.0f);
  return out;
}

class HalfTable : public ::testing::TestWithParam<const internal::KernelTable*> {};

TEST_P(HalfTable, EqualsThePerValueFunctionsBitwise) {
  const internal::KernelTable& table = *GetParam();
  const std::vector<float> x = dense_floats();
  const auto n = static_cast<int64_t>(x.size());
  std::vector<uint16_t> h(x.size());
  table.fp16_from_float(n, x.data(), h.data());
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(h[i], float_to_fp16(x[i])) << std::hex << std::bit_cast<uint32_t>(x[i]);
  }
  table.bf16_from_float(n, x.data(), h.data());
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(h[i], float_to_bf16(x[i])) << std::hex << std::bit_cast<uint32_t>(x[i]);
  }
  // Every 16-bit pattern, signalling NaNs included, at every offset mod 8.
  for (size_t skew = 0; skew < 8; ++skew) {
    std::vector<uint16_t> all(65536 + skew);
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint16_t>(i - skew);
    std::vector<float> y(all.size());
    table.fp16_to_float(static_cast<int64_t>(all.size()), all.data(), y.data());
    for (size_t i = 0; i < all.size(); ++i) {
      ASSERT_EQ(std::bit_cast<uint32_t>(y[i]), std::bit_cast<uint32_t>(fp16_to_float(all[i])))
          << std::hex << all[i];
    }
    table.bf16_to_float(static_cast<int64_t>(all.size()), all.data(), y.data());
    for (size_t i = 0; i < all.size(); ++i) {
      ASSERT_EQ(std::bit_cast<uint32_t>(y[i]), std::bit_cast<uint32_t>(bf16_to_float(all[i])))
          << std::hex << all[i];
    }
  }
  // Short arrays: the tail alone, and n = 0 writes nothing.
  for (int64_t len = 0; len <= 17; ++len) {
    std::vector<uint16_t> out(18, 0xabcd);
    table.fp16_from_float(len, x.data() + 1000, out.data());
    for (int64_t i = 0; i < 18; ++i) ASSERT_EQ(out[i], i < len ? float_to_fp16(x[1000 + i]) : 0xabcd) << len;
  }
}

INSTANTIATE_TEST_SUITE_P(Tables, HalfTable, ::testing::ValuesIn(testing::available_tables()),
                         [](const auto& info) { return std::string(info.param->name); });

TEST(HalfSpans, EqualThePerValueFunctions) {
  std::mt19937 gen(5);
  std::uniform_int_distribution<uint32_t> any_bits;
  for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{1000}, size_t{65536}}) {
    std::vector<float> x(n);
    std::vector<uint16_t> h(n);
    for (size_t i = 0; i < n; ++i) {
      x[i] = std::bit_cast<float>(any_bits(gen) & 0xbfffffffu);  // |x| < 2: mostly in range
      h[i] = static_cast<uint16_t>(n == 65536 ? i : any_bits(gen));
    }
    std::vector<uint16_t> out16(n);
    std::vector<float> out32(n);
    fp16_from_float(x, out16);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(out16[i], float_to_fp16(x[i])) << i;
    bf16_from_float(x, out16);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(out16[i], float_to_bf16(x[i])) << i;
    fp16_to_float(h, out32);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(std::bit_cast<uint32_t>(out32[i]), std::bit_cast<uint32_t>(fp16_to_float(h[i]))) << i;
    }
    bf16_to_float(h, out32);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(std::bit_cast<uint32_t>(out32[i]), std::bit_cast<uint32_t>(bf16_to_float(h[i]))) << i;
    }
  }
  std::vector<float> x(3);
  std::vector<uint16_t> h(4);
  EXPECT_THROW(fp16_from_float(x, h), InternalError);
  EXPECT_THROW(fp16_to_float(h, x), InternalError);
  EXPECT_THROW(bf16_from_float(x, h), InternalError);
  EXPECT_THROW(bf16_to_float(h, x), InternalError);
}

}  // namespace
}  // namespace dpeval::kernels
