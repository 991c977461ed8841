// dpeval::kernels::reference: naive loops with the signatures of kernels.h, the
// oracle every fast kernel is tested against. Written to be obviously right,
// not fast: the direct triple loop, per-element bounds checks, and double
// precision wherever a sum is formed (gemm, sum_rows, sum_channels, sum, GELU).
// Layout and dimension names as in kernels.h: row-major float32; M, N, K the
// GEMM dims; C, H, W, KH, KW, OH, OW the conv dims.
//
// Each function's contract is that of its namesake in kernels.h, except that
// nothing is checked (the oracle trusts its caller). Elementwise kernels round
// exactly as the fast ones must: ReLU is `v < 0 ? 0 : v` (NaN and -0 pass
// through), axpy is y + (alpha * x) rounded twice (no FMA). Thread safety: all
// reentrant.
#pragma once

#include <cstdint>
#include <span>

#include "dpeval/kernels/kernels.h"

namespace dpeval::kernels::reference {

// C[i,j] = alpha * sum_k op(A)[i,k] op(B)[k,j] (+ beta * C[i,j] when beta != 0),
// summed in double. With beta == 0, C is not read (a NaN there is overwritten).
void gemm(Trans ta, Trans tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

void im2col(const Conv2dGeometry& g, const float* image, float* columns, int64_t ldc);
void col2im(const Conv2dGeometry& g, const float* columns, int64_t ldc, float* image);

void bias_add_rows(int64_t rows, int64_t cols, const float* bias, float* x);
void bias_relu_rows(int64_t rows, int64_t cols, const float* bias, float* x);
void bias_add_channels(int64_t channels, int64_t plane, const float* bias, float* x);

void relu_forward(std::span<const float> x, std::span<float> y);
void relu_backward(std::span<const float> y, std::span<const float> dy, std::span<float> dx);
// GELU in double precision, rounded to float once.
void gelu_forward(std::span<const float> x, std::span<float> y);
void gelu_backward(std::span<const float> x, std::span<const float> dy, std::span<float> dx);

void sum_rows(int64_t rows, int64_t cols, const float* x, float* out, bool accumulate);
void sum_channels(int64_t batch, int64_t channels, int64_t plane, const float* x, float* out,
                  bool accumulate);

void axpy(float alpha, std::span<const float> x, std::span<float> y);
void scale(float alpha, std::span<float> x);
// Sequential left-to-right sum in double.
double sum(std::span<const float> x);

void u8_to_float(std::span<const uint8_t> in, float scale, std::span<float> out);

}  // namespace dpeval::kernels::reference
