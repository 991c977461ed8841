// dpeval::kernels::internal: the per-ISA implementations behind the public
// elementwise and reduction kernels of kernels.h.
//
// Layout: as in kernels.h, dense row-major float32. Dimension names:
//   rows, cols       a [rows, cols] matrix (Linear activations: [batch, features])
//   channels, plane  a [channels, plane] block of one NCHW image (plane = H*W)
//   batch            images in an NCHW batch; n a flat element count
//   C, H, W, KH, KW  im2col / col2im, as in kernels.h
//
// A KernelTable is one complete set of those loops for one instruction set:
// scalar_table() is portable C++ (what the compiler makes of it for the
// baseline ISA); avx2_table() is hand-written AVX2 (and F16C for the fp16
// conversions), compiled with __attribute__((target(...))) so the rest of the
// binary stays baseline, and returned only when the running CPU has AVX2 and
// F16C (every AVX2 CPU made has F16C). active_table() is the one
// the public functions call, chosen once. Tests run every available table
// against kernels/reference/ and against each other.
//
// Note [Bitwise equal across ISAs]
// Every table computes bitwise the same result for the same input, so a run is
// reproducible across machines with and without AVX2:
//  - no FMA (a*x+y is rounded twice everywhere; the library is built with
//    -ffp-contract=off so the compiler cannot fuse either);
//  - reductions follow one documented order, which the scalar code emulates.
//    See Note [Striped sums].
//  - ReLU is `v < 0 ? 0 : v` (NaN and -0 pass through), which is exactly what
//    _mm256_max_ps(0, v) computes.
//
// Note [Striped sums]
// A contiguous sum of n values (sum_channels per plane in float, sum in
// double) keeps 8 lanes: lane k adds x[8*i + k] for i = 0, 1, ... in order.
// The lanes are combined as t[k] = l[k] + l[k+4] (k < 4), then
// (t[0] + t[2]) + (t[1] + t[3]); the n % 8 tail elements are then added one by
// one in order. sum_rows needs no such rule: each column is summed down the
// rows in row order, whatever the vector width.
//
// Note [16-bit conversions across ISAs]
// The scalar fp16/bf16 loops call the per-value functions of half.h, which are
// the definition. F16C's vcvtps2ph with an immediate round-to-nearest-even
// (MXCSR's rounding mode is not read) rounds exactly as float_to_fp16 does,
// subnormals, overflow to inf and NaN (quieted, top 10 payload bits kept)
// included: checked over all 2^32 floats when it was written, and by
// half_test.cc over a dense subset. vcvtph2ps is exact too except that it
// quiets a signalling NaN, which fp16_to_float keeps as it is; the AVX2 loop
// clears the quiet bit again for those lanes. float -> bf16 is the integer
// bit trick of float_to_bf16 8 lanes at a time; bf16 -> float (a shift) is the
// portable loop in both tables, which GCC vectorizes as well. All of it
// assumes the default MXCSR (no DAZ/FTZ), as the rest of the library does.
#pragma once

#include <cstdint>

#include "dpeval/kernels/kernels.h"

namespace dpeval::kernels::internal {

struct KernelTable {
  const char* name;  // "scalar" | "avx2"
  void (*bias_add_rows)(int64_t rows, int64_t cols, const float* bias, float* x);
  void (*bias_relu_rows)(int64_t rows, int64_t cols, const float* bias, float* x);
  void (*bias_add_channels)(int64_t channels, int64_t plane, const float* bias, float* x);
  void (*relu_forward)(int64_t n, const float* x, float* y);                     // y may alias x
  void (*relu_backward)(int64_t n, const float* y, const float* dy, float* dx);  // dx may alias dy
  void (*sum_rows)(int64_t rows, int64_t cols, const float* x, float* out, bool accumulate);
  void (*sum_channels)(int64_t batch, int64_t channels, int64_t plane, const float* x, float* out,
                       bool accumulate);
  void (*axpy)(int64_t n, float alpha, const float* x, float* y);
  void (*scale)(int64_t n, float alpha, float* x);
  double (*sum)(int64_t n, const float* x);
  void (*u8_to_float)(int64_t n, const uint8_t* in, float scale, float* out);
  // Geometry and ldc already checked (see kernels.h).
  void (*im2col)(const Conv2dGeometry& g, const float* image, float* columns, int64_t ldc);
  void (*col2im)(const Conv2dGeometry& g, const float* columns, int64_t ldc, float* image);
  // out[i] = the half.h per-value conversion of in[i], i in [0, n); no overlap.
  // See Note [16-bit conversions across ISAs].
  void (*fp16_from_float)(int64_t n, const float* in, uint16_t* out);
  void (*fp16_to_float)(int64_t n, const uint16_t* in, float* out);
  void (*bf16_from_float)(int64_t n, const float* in, uint16_t* out);
  void (*bf16_to_float)(int64_t n, const uint16_t* in, float* out);
};

// The portable loops; always available.
const KernelTable& scalar_table();
// The AVX2 loops, or nullptr when the running CPU lacks AVX2 or F16C.
const KernelTable* avx2_table();
// The portable 16-bit loops (the scalar table's, and the AVX2 loops' tails),
// defined in half.cc beside the per-value functions they inline.
void fp16_from_float_portable(int64_t n, const float* in, uint16_t* out);
void fp16_to_float_portable(int64_t n, const uint16_t* in, float* out);
void bf16_from_float_portable(int64_t n, const float* in, uint16_t* out);
void bf16_to_float_portable(int64_t n, const uint16_t* in, float* out);
// avx2_table() when available, else scalar_table(); decided on first call.
const KernelTable& active_table();

}  // namespace dpeval::kernels::internal
