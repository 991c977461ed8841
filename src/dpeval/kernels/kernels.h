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

namespace dpeval {
class ThreadPool;
}

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

// C = op(A) * op(B) (alpha 1, beta 0) with every element of C a function of
// its row of op(A), its column of op(B) and K alone: the same bits whatever M
// and N, and wherever the row and column sit. What inference uses so that a
// row's prediction does not depend on the batch it rode in (`dpeval serve`
// equals `dpeval predict`; Note [Batch-invariant GEMM] in gemm_invariant.cc).
// Requires ta == kNo; lda >= K, ldb as stored, ldc >= N. With a pool (and
// at least 2M multiply-adds) blocks of C are computed on its threads; each
// element is computed the same way either way, so the bits do not change.
// `pool` must not be running another parallel_for.
void gemm_batch_invariant(Trans ta, Trans tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                          const float* B, int64_t ldb, float* C, int64_t ldc, ThreadPool* pool = nullptr);

// Limits the BLAS library to `threads` threads for the whole process
// (openblas_set_num_threads).
// dpeval calls it with 1 at start-up: workers, not BLAS, are the parallelism.
void blas_set_threads(int threads);
// Stops the BLAS library's own worker threads now. OpenBLAS starts them when it
// loads and they spin, yielding, for a while before they sleep: a command that
// keeps every core busy with threads of its own (drift) loses a core's share
// to them. BLAS starts them again if a later call wants them. A no-op when the
// library was never opened (Note [OpenBLAS opened on first use] in gemm.cc):
// it starts them when it loads.
void blas_stop_threads();
// The BLAS implementation's self-description ("OpenBLAS 0.3.21 ..."), or "unknown".
const char* blas_name();

// Note [OpenBLAS core type]
// OpenBLAS (built DYNAMIC_ARCH, as Debian's is) picks its kernels from the CPU
// model number when the library loads. A model newer than the library (0.3.21
// knows no Emerald Rapids, model 207) falls back to "Prescott", SSE3 kernels
// 3-4x slower than the AVX-512 ones (nn_bench MLP step: 9.2k vs 29.4k
// samples/s). OPENBLAS_CORETYPE overrides the choice, but only before the
// library loads. So when the library, opened on first use (Note [OpenBLAS
// opened on first use] in gemm.cc), chose a pre-AVX2 core, and the user set
// no OPENBLAS_CORETYPE, the loader asks for the core the CPU's features allow
// ("SkylakeX" with AVX-512 F/BW/DQ/VL, "Haswell" with AVX2 and FMA), sets the
// variable and opens the library again. blas_name() says which core it runs.

// Geometry of a 2-D convolution over one [C, H, W] image.
struct Conv2dGeometry {
  int64_t channels = 0, height = 0, width = 0;
  int64_t kernel_h = 0, kernel_w = 0;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t out_h() const { return (height + 2 * pad_h - kernel_h) / stride_h + 1; }
  int64_t out_w() const { return (width + 2 * pad_w - kernel_w) / stride_w + 1; }
  int64_t col_rows() const { return channels * kernel_h * kernel_w; }  // C*KH*KW
  int64_t col_cols() const { return out_h() * out_w(); }               // OH*OW
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

// Note [Winograd F(2x2, 5x5)]
// A 5x5 convolution with stride 1 and padding 2 (output the size of the
// input, as both convs of the CNN preset) costs 25 multiply-adds per output
// and input channel when lowered to a GEMM. Winograd's minimal filtering
// F(2x2, 5x5) computes each 2x2 block of outputs from a 6x6 input tile with 36
// multiplies instead of 100: in the transformed domain the convolution is 36
// independent GEMMs, M[xi] (OC x T) = U[xi] (OC x C) V[xi] (C x T), one per
// point xi of the 6x6 grid (T = tiles), with
//   U = G w G^T (the 5x5 kernel, once per weight update),
//   V = B^T d B (each 6x6 input tile d, overlapping by 4),
//   y = A^T M A (each 2x2 output block),
// for the interpolation points 0, 1, -1, 2, -2 and infinity. That is 2.8x
// fewer GEMM flops; the transforms are a few adds per value. The input
// gradient of such a convolution is the same convolution of dy with the
// kernel rotated by 180 degrees and its channel axes swapped, so it takes the
// same path (winograd_5x5_weights with input_grad). The weight gradient is the
// adjoint of the forward pass: with g = A dy A^T for each 6x6 tile of the
// output gradient (winograd_5x5_output_grad),
//   dU[xi] (C x OC) = sum over tiles of V[xi]^T g[xi],  dw = G^T dU G,
// 36 GEMMs that sum over the tiles, again 2.8x fewer flops than lowering.
// Rounding differs from the direct sum: measured against the double-precision
// reference the error is within 2e-6 of sum |w||x| per output (kernels
// winograd_test), several times the lowered GEMM's, and far below what
// training notices (the CNN golden test against PyTorch holds).
//
// Layouts are channels last, so that each transform step is one vector loop
// over the channels of one tile position: u is [36][cols][rows] with rows =
// OC, cols = C (forward) or rows = C, cols = OC (input_grad); v is [36][T][C],
// m and g [36][T][OC], with T = images * winograd_5x5_tiles(H, W) (image-major,
// then tile rows). So forward is m[xi] (T x OC) = v[xi] (T x C) u[xi] (C x OC).
bool winograd_5x5_applies(const Conv2dGeometry& g);
// Tiles of an H x W plane: ceil(H/2) * ceil(W/2).
int64_t winograd_5x5_tiles(int64_t height, int64_t width);
// u from w [OC][C][5][5].
void winograd_5x5_weights(const float* w, int64_t out_channels, int64_t channels, bool input_grad, float* u);
// dw [OC][C][5][5] (+)= G^T du G, from du [36][C][OC].
void winograd_5x5_weights_grad(const float* du, int64_t out_channels, int64_t channels, bool accumulate,
                               float* dw);
// v [36][T][C] from x [images][C][H][W] (zero padding 2).
void winograd_5x5_input(const float* x, int64_t images, int64_t channels, int64_t height, int64_t width,
                        float* v);
// y [images][OC][H][W] = the output blocks of m [36][T][OC], plus bias[oc]
// (bias may be null), then max(0, .) when relu.
void winograd_5x5_output(const float* m, int64_t images, int64_t out_channels, int64_t height, int64_t width,
                         const float* bias, bool relu, float* y);
// g [36][T][OC] = A dy A^T for each 2x2 block of dy [images][OC][H][W] (zeros past the edge).
void winograd_5x5_output_grad(const float* dy, int64_t images, int64_t out_channels, int64_t height,
                              int64_t width, float* g);

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
void sum_channels(int64_t batch, int64_t channels, int64_t plane, const float* x, float* out,
                  bool accumulate);

// y += alpha * x (alpha * x rounded, then the sum: no FMA).
void axpy(float alpha, std::span<const float> x, std::span<float> y);
// x *= alpha
void scale(float alpha, std::span<float> x);
// Sum of x in double precision (fixed order: deterministic; Note [Striped sums]).
double sum(std::span<const float> x);

// out[i] = scale * in[i]: converts compactly stored uint8 features per batch.
void u8_to_float(std::span<const uint8_t> in, float scale, std::span<float> out);

}  // namespace dpeval::kernels
