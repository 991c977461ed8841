// dpeval::kernels: the only place with BLAS calls or SIMD. Every fast routine
// here has a naive twin in kernels/reference/ (same signature, namespace
// dpeval::kernels::reference) and a test comparing the two.
//
// Layout: all matrices are dense row-major float32. Images are NCHW; a single
// image is [C, H, W]. Dimension names used below:
//   M, N, K  GEMM dims: C[M,N] = op(A)[M,K] * op(B)[K,N]
//   C, H, W  channels, height, width of a conv input; OH, OW the output
//   KH, KW   kernel height and width
// Thread safety: every function is reentrant; none keeps state.
//
// Errors: a broken contract (negative size, span lengths that disagree, a
// leading dimension too small, an impossible conv geometry) throws
// dpeval::InternalError through DPEVAL_CHECK. Pointers are not checked; a
// function given zero elements never dereferences them.
//
// Fast paths: the elementwise, reduction and im2col/col2im loops run AVX2 code
// when the CPU has it (chosen once, at the first call) and portable code
// otherwise; both give bitwise the same results, reductions included, so a run
// is reproducible across machines. See Note [Bitwise equal across ISAs] in
// kernels/internal/kernel_table.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace dpeval::kernels {

enum class Trans { kNo, kYes };

// C = alpha * op(A) * op(B) + beta * C, row-major, through CBLAS sgemm.
// op(A) is [M,K] (A itself is [K,M] when ta == kYes); lda/ldb/ldc are row strides.
// M, N or K may be 0 (then C is only scaled by beta, as BLAS does).
// With beta == 0, C is write-only (NaN in it does not propagate). Requires
// lda >= cols of A as stored (K, or M when ta == kYes), ldb likewise, ldc >= N;
// every dimension must fit a 32-bit BLAS int. Summation order is OpenBLAS's.
void gemm(Trans ta, Trans tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// Limits the BLAS library to `threads` threads for the whole process
// (openblas_set_num_threads when OpenBLAS is linked; a no-op for a BLAS without it).
// dpeval calls it with 1 at start-up: workers, not BLAS, are the parallelism.
void blas_set_threads(int threads);
// The BLAS implementation's self-description ("OpenBLAS 0.3.21 ..."), or "unknown".
const char* blas_name();

// Note [OpenBLAS core type]
// OpenBLAS (built DYNAMIC_ARCH, as Debian's is) picks its kernels from the CPU
// model number when the library loads. A model newer than the library (0.3.21
// knows no Emerald Rapids, model 207) falls back to "Prescott", SSE3 kernels
// 3-4x slower than the AVX-512 ones (nn_bench MLP step: 9.2k vs 29.4k
// samples/s). OPENBLAS_CORETYPE overrides the choice, but only before the
// library loads, so main() sets it and re-executes itself (once: the variable
// is then set). This returns the core type to ask for, from the CPU's
// features: "SkylakeX" with AVX-512 F/BW/DQ/VL, "Haswell" with AVX2 and FMA;
// nullptr when OPENBLAS_CORETYPE is already set, when OpenBLAS already chose a
// core other than a pre-AVX2 one, or when the CPU has neither feature set.
const char* blas_better_coretype();

// Geometry of a 2-D convolution over one [C, H, W] image.
struct Conv2dGeometry {
  int64_t channels = 0, height = 0, width = 0;
  int64_t kernel_h = 0, kernel_w = 0;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t out_h() const { return (height + 2 * pad_h - kernel_h) / stride_h + 1; }
  int64_t out_w() const { return (width + 2 * pad_w - kernel_w) / stride_w + 1; }
  int64_t col_rows() const { return channels * kernel_h * kernel_w; }   // C*KH*KW
  int64_t col_cols() const { return out_h() * out_w(); }                // OH*OW
};

// Geometry contract (checked by im2col/col2im): C, H, W >= 0; KH, KW, SH, SW >= 1;
// PH, PW >= 0; H + 2*PH >= KH and W + 2*PW >= KW (at least one output pixel).
//
// image [C,H,W] -> columns [C*KH*KW, OH*OW] at row stride ldc (>= OH*OW), zero padding.
// Column row (c*KH + ki)*KW + kj, column oy*OW + ox holds pixel
// (c, oy*SH - PH + ki, ox*SW - PW + kj), or 0 where that lies in the padding.
// Cells between OH*OW and ldc in each row are left untouched.
// Writing with ldc = B*OH*OW at column offset b*OH*OW lays a whole batch side by side.
void im2col(const Conv2dGeometry& g, const float* image, float* columns, int64_t ldc);
// The adjoint of im2col: image[C,H,W] += the columns scattered back (overlaps summed).
// The caller zeroes `image` first when it wants an assignment. Each pixel's
// contributions are added in column-row order, so the result is deterministic.
void col2im(const Conv2dGeometry& g, const float* columns, int64_t ldc, float* image);

// x[r, c] += bias[c] for a [rows, cols] matrix.
void bias_add_rows(int64_t rows, int64_t cols, const float* bias, float* x);
// x[r, c] = max(0, x[r, c] + bias[c]): the fused Linear+ReLU epilogue.
// max(0, v) here and in relu_forward is `v < 0 ? 0 : v`: NaN propagates (as in
// PyTorch) and -0 stays -0.
void bias_relu_rows(int64_t rows, int64_t cols, const float* bias, float* x);
// x[c, p] += bias[c] for a [channels, plane] block (conv bias, one image).
void bias_add_channels(int64_t channels, int64_t plane, const float* bias, float* x);

// y = max(0, x); y may alias x.
void relu_forward(std::span<const float> x, std::span<float> y);
// dx = dy where y > 0 else 0 (y is the ReLU output); dx may alias dy.
void relu_backward(std::span<const float> y, std::span<const float> dy, std::span<float> dx);
// GELU, exact erf form (PyTorch's default approximate='none').
void gelu_forward(std::span<const float> x, std::span<float> y);
void gelu_backward(std::span<const float> x, std::span<const float> dy, std::span<float> dx);

// out[c] (+)= sum over rows r of x[r, c]   (bias gradient of a Linear layer).
// accumulate == false overwrites out. Summed in float, in row order.
void sum_rows(int64_t rows, int64_t cols, const float* x, float* out, bool accumulate);
// out[c] (+)= sum over batches b and positions p of x[b, c, p]  (conv bias gradient).
// Each [plane] is summed in float in a fixed 8-lane order (Note [Striped sums]),
// then added to out[c] batch by batch.
void sum_channels(int64_t batch, int64_t channels, int64_t plane, const float* x, float* out, bool accumulate);

// y += alpha * x (alpha * x rounded, then the sum: no FMA).
void axpy(float alpha, std::span<const float> x, std::span<float> y);
// x *= alpha
void scale(float alpha, std::span<float> x);
// Sum of x in double precision (fixed order: deterministic; Note [Striped sums]).
double sum(std::span<const float> x);

// out[i] = scale * in[i]: converts compactly stored uint8 features per batch.
void u8_to_float(std::span<const uint8_t> in, float scale, std::span<float> out);

}  // namespace dpeval::kernels
