// fp16 / bf16 conversions by bit manipulation (see half.h for the rounding
// contract). The per-value functions are the definition, tested against every
// 16-bit pattern and against a double-precision oracle; the span functions run
// the kernel table's loops (F16C / AVX2 where the CPU has them), bitwise equal
// to them. See Note [16-bit conversions across ISAs] in internal/kernel_table.h.
#include "dpeval/kernels/half.h"

#include <bit>
#include <cstring>

#include "dpeval/core/check.h"
#include "dpeval/kernels/internal/kernel_table.h"

namespace dpeval::kernels {

uint16_t float_to_fp16(float value) {
  const uint32_t x = std::bit_cast<uint32_t>(value);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // inf or NaN
    return static_cast<uint16_t>(sign | 0x7c00u |
                                 (abs > 0x7f800000u ? 0x0200u | ((abs >> 13) & 0x3ffu) : 0u));
  }
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520: inf
  if (abs < 0x38800000u) {                                      // below 2^-14: fp16 subnormal (or zero)
    if (abs < 0x33000000u) return static_cast<uint16_t>(sign);  // below half the smallest subnormal: +-0
    const uint32_t exponent = abs >> 23;                        // 102..112
    const uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;    // implicit 1
    const uint32_t shift = 126u - exponent;                     // 14..24
    uint32_t half = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1u);
    const uint32_t halfway = 1u << (shift - 1u);
    if (rest > halfway || (rest == halfway && (half & 1u))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  // Normal: rebias the exponent (127 -> 15) and round the 13 dropped bits.
  uint32_t half = ((abs >> 13) - (112u << 10));
  const uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // may carry into the exponent: correct
  return static_cast<uint16_t>(sign | half);
}

float fp16_to_float(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  uint32_t x;
  if (exponent == 0x1fu) {
    x = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    x = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    x = sign;
  } else {  // subnormal: normalise
    uint32_t e = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --e;
    }
    x = sign | (e << 23) | ((mantissa & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(x);
}

uint16_t float_to_bf16(float value) {
  const uint32_t x = std::bit_cast<uint32_t>(value);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x0040u);  // quiet NaN
  const uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>((x + rounding) >> 16);
}

float bf16_to_float(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

namespace internal {

// The per-value functions above inline here, and GCC vectorizes the bf16 loops.
void fp16_from_float_portable(int64_t n, const float* in, uint16_t* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = float_to_fp16(in[i]);
}

void fp16_to_float_portable(int64_t n, const uint16_t* in, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = fp16_to_float(in[i]);
}

void bf16_from_float_portable(int64_t n, const float* in, uint16_t* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = float_to_bf16(in[i]);
}

void bf16_to_float_portable(int64_t n, const uint16_t* in, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = bf16_to_float(in[i]);
}

}  // namespace internal

void fp16_from_float(std::span<const float> src, std::span<uint16_t> dst) {
  DPEVAL_CHECK(src.size() == dst.size()) << src.size() << " vs " << dst.size();
  internal::active_table().fp16_from_float(static_cast<int64_t>(src.size()), src.data(), dst.data());
}

void fp16_to_float(std::span<const uint16_t> src, std::span<float> dst) {
  DPEVAL_CHECK(src.size() == dst.size()) << src.size() << " vs " << dst.size();
  internal::active_table().fp16_to_float(static_cast<int64_t>(src.size()), src.data(), dst.data());
}

void bf16_from_float(std::span<const float> src, std::span<uint16_t> dst) {
  DPEVAL_CHECK(src.size() == dst.size()) << src.size() << " vs " << dst.size();
  internal::active_table().bf16_from_float(static_cast<int64_t>(src.size()), src.data(), dst.data());
}

void bf16_to_float(std::span<const uint16_t> src, std::span<float> dst) {
  DPEVAL_CHECK(src.size() == dst.size()) << src.size() << " vs " << dst.size();
  internal::active_table().bf16_to_float(static_cast<int64_t>(src.size()), src.data(), dst.data());
}

}  // namespace dpeval::kernels
