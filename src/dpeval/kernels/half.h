// 16-bit floating-point formats for compressed gradients: IEEE binary16
// ("fp16": 1 sign, 5 exponent, 10 mantissa bits) and bfloat16 ("bf16": the top
// 16 bits of a float32, 8 exponent bits). Conversions from float32 round to
// nearest, ties to even; fp16 overflows to infinity, keeps subnormals, and both
// keep NaN a NaN (quiet). Conversions to float32 are exact.
//
// Layout: plain arrays of n values; dst and src do not overlap.
// Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <span>

namespace dpeval::kernels {

uint16_t float_to_fp16(float value);
float fp16_to_float(uint16_t bits);
uint16_t float_to_bf16(float value);
float bf16_to_float(uint16_t bits);

// dst[i] = float_to_xx(src[i]) / xx_to_float(src[i]). Sizes must match (DPEVAL_CHECK).
void fp16_from_float(std::span<const float> src, std::span<uint16_t> dst);
void fp16_to_float(std::span<const uint16_t> src, std::span<float> dst);
void bf16_from_float(std::span<const float> src, std::span<uint16_t> dst);
void bf16_to_float(std::span<const uint16_t> src, std::span<float> dst);

}  // namespace dpeval::kernels
