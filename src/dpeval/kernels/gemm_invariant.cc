// Batch-invariant GEMM for inference. See kernels.h.
//
// Note [Batch-invariant GEMM]
// OpenBLAS picks its micro-kernel by the shape of the block at hand (a 16-row
// panel, an 8-, 4-, 2- or 1-row tail, threads splitting M), and the kernels
// sum K in different orders: the same row of x W^T differs in its last bits
// between a batch of 64 and one of 150 (2,700 to 56,000 of 65,536 elements of
// a 256 x 784 x 256 product differ, by batch size, here). Serving promises a
// row the same answer `dpeval predict` gives it in whatever batch, so
// inference uses this kernel instead, where every element of C is one fixed
// sequence of fused multiply-adds (one rounding each) that depends on K alone:
//   op(B) = B (conv, Winograd): acc = 0; for k in 0..K-1: acc = fma(A[i][k], B[k][j], acc).
//     The AVX2 path keeps 6 rows x 16 columns of accumulators in registers
//     (B packed into 16-column panels, zero-padded past N; a row tail runs
//     the same kernel for its 1 to 5 rows), each lane doing exactly that
//     sequence.
//   op(B) = B^T (Linear: x W^T, W row-major [N][K]): a dot product of two
//     contiguous rows, with no packing (packing the weights cost more than
//     the product for one row): 8 lanes, lane l summing k = l, l + 8, ...
//     below K8 = K - K mod 8 by FMA in k order; the lanes added as
//     ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)); then the k >= K8
//     tail by FMA in k order onto that sum.
// The scalar path (no FMA unit) performs the same operations with std::fmaf
// and the same additions, so both give the same bits on any machine.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "dpeval/core/check.h"
#include "dpeval/core/thread_pool.h"
#include "dpeval/kernels/kernels.h"

namespace dpeval::kernels {
namespace {

constexpr int64_t kPanel = 16;  // columns per packed panel
constexpr int64_t kRows = 6;    // rows per register tile (12 accumulators, 2 panel rows, 1 broadcast)

// panels[p][k][0..15] = B(k, 16 p + jj), zero past N.
void pack_panels(Trans tb, int64_t N, int64_t K, const float* B, int64_t ldb, std::vector<float>& panels) {
  const int64_t count = (N + kPanel - 1) / kPanel;
  panels.assign(static_cast<size_t>(count * K * kPanel), 0.0f);
  for (int64_t p = 0; p < count; ++p) {
    float* panel = panels.data() + p * K * kPanel;
    const int64_t width = std::min(kPanel, N - p * kPanel);
    for (int64_t k = 0; k < K; ++k) {
      for (int64_t jj = 0; jj < width; ++jj) {
        const int64_t j = p * kPanel + jj;
        panel[k * kPanel + jj] = tb == Trans::kNo ? B[k * ldb + j] : B[j * ldb + k];
      }
    }
  }
}

// The 8-lane dot product of Note [Batch-invariant GEMM] from its lanes: the fixed reduction, then the tail.
float finish_dot(const float* lanes, const float* a, const float* b, int64_t k8, int64_t K) {
  float sum =
      ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
  for (int64_t k = k8; k < K; ++k) sum = std::fmaf(a[k], b[k], sum);
  return sum;
}

void dot_rows_scalar(const float* a, int64_t lda, int64_t M, const float* b, int64_t ldb, int64_t N,
                     int64_t K, float* c, int64_t ldc) {
  const int64_t k8 = K - K % 8;
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      const float* ai = a + i * lda;
      const float* bj = b + j * ldb;
      float lanes[8] = {};
      for (int64_t k = 0; k < k8; k += 8) {
        for (int l = 0; l < 8; ++l) lanes[l] = std::fmaf(ai[k + l], bj[k + l], lanes[l]);
      }
      c[i * ldc + j] = finish_dot(lanes, ai, bj, k8, K);
    }
  }
}

// One row of A against `cols` (1 to 4) rows of B: the 8-lane sums, finished.
template <int64_t kCols>
__attribute__((target("avx2,fma"))) inline void dot_tile_avx2(const float* ai, const float* b, int64_t ldb,
                                                              int64_t k8, int64_t K, float* ci) {
  __m256 acc[kCols];
  for (auto& v : acc) v = _mm256_setzero_ps();
  for (int64_t k = 0; k < k8; k += 8) {
    const __m256 x = _mm256_loadu_ps(ai + k);
    for (int64_t jj = 0; jj < kCols; ++jj)
      acc[jj] = _mm256_fmadd_ps(x, _mm256_loadu_ps(b + jj * ldb + k), acc[jj]);
  }
  alignas(32) float lanes[8];
  for (int64_t jj = 0; jj < kCols; ++jj) {
    _mm256_store_ps(lanes, acc[jj]);
    ci[jj] = finish_dot(lanes, ai, b + jj * ldb, k8, K);
  }
}

// Two rows of A against four rows of B: 8 accumulators, each B row loaded once for both.
__attribute__((target("avx2,fma"))) void dot_rows_avx2(const float* a, int64_t lda, int64_t M, const float* b,
                                                       int64_t ldb, int64_t N, int64_t K, float* c,
                                                       int64_t ldc) {
  const int64_t k8 = K - K % 8;
  alignas(32) float lanes[8];
  int64_t i = 0;
  for (; i + 2 <= M; i += 2) {
    int64_t j = 0;
    for (; j + 4 <= N; j += 4) {
      __m256 acc[2][4];
      for (auto& r : acc)
        for (auto& v : r) v = _mm256_setzero_ps();
      for (int64_t k = 0; k < k8; k += 8) {
        const __m256 x0 = _mm256_loadu_ps(a + i * lda + k);
        const __m256 x1 = _mm256_loadu_ps(a + (i + 1) * lda + k);
        for (int64_t jj = 0; jj < 4; ++jj) {
          const __m256 w = _mm256_loadu_ps(b + (j + jj) * ldb + k);
          acc[0][jj] = _mm256_fmadd_ps(x0, w, acc[0][jj]);
          acc[1][jj] = _mm256_fmadd_ps(x1, w, acc[1][jj]);
        }
      }
      for (int64_t r = 0; r < 2; ++r) {
        for (int64_t jj = 0; jj < 4; ++jj) {
          _mm256_store_ps(lanes, acc[r][jj]);
          c[(i + r) * ldc + j + jj] = finish_dot(lanes, a + (i + r) * lda, b + (j + jj) * ldb, k8, K);
        }
      }
    }
    for (; j < N; ++j) {
      dot_tile_avx2<1>(a + i * lda, b + j * ldb, ldb, k8, K, c + i * ldc + j);
      dot_tile_avx2<1>(a + (i + 1) * lda, b + j * ldb, ldb, k8, K, c + (i + 1) * ldc + j);
    }
  }
  for (; i < M; ++i) {
    int64_t j = 0;
    for (; j + 4 <= N; j += 4) dot_tile_avx2<4>(a + i * lda, b + j * ldb, ldb, k8, K, c + i * ldc + j);
    for (; j < N; ++j) dot_tile_avx2<1>(a + i * lda, b + j * ldb, ldb, k8, K, c + i * ldc + j);
  }
}

// Stores one row's 16 accumulators at c: straight from the registers for a
// full panel, through a tile for the last, narrower one.
__attribute__((target("avx2,fma"))) inline void store_row(__m256 lo, __m256 hi, int64_t width, float* c) {
  if (width == kPanel) {
    _mm256_storeu_ps(c, lo);
    _mm256_storeu_ps(c + 8, hi);
    return;
  }
  alignas(32) float tile[kPanel];
  _mm256_store_ps(tile, lo);
  _mm256_store_ps(tile + 8, hi);
  for (int64_t jj = 0; jj < width; ++jj) c[jj] = tile[jj];
}

// One row's step k: lo, hi += A(i, k) x panel row k.
__attribute__((target("avx2,fma"))) inline void fma_row(const float* aik, __m256 b0, __m256 b1, __m256& lo,
                                                        __m256& hi) {
  const __m256 x = _mm256_broadcast_ss(aik);
  lo = _mm256_fmadd_ps(x, b0, lo);
  hi = _mm256_fmadd_ps(x, b1, hi);
}

// R (1 to 6) rows of A against one packed panel: R x 16 accumulators in
// registers, each lane the fixed FMA sequence of Note [Batch-invariant GEMM],
// so the bits do not depend on R. The accumulators are named variables, not
// an array: GCC kept a [6][2] array (and two [6] ones) mirrored on the stack,
// a store per FMA.
template <int kR>
__attribute__((target("avx2,fma"))) inline void panel_tile_avx2(const float* a, int64_t lda,
                                                                const float* panel, int64_t K, int64_t width,
                                                                float* c, int64_t ldc) {
  static_assert(kR >= 1 && kR <= 6);
  __m256 l0 = _mm256_setzero_ps(), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0, l4 = l0,
         h4 = l0, l5 = l0, h5 = l0;
  for (int64_t k = 0; k < K; ++k) {
    const __m256 b0 = _mm256_loadu_ps(panel + k * kPanel);
    const __m256 b1 = _mm256_loadu_ps(panel + k * kPanel + 8);
    const float* ak = a + k;
    fma_row(ak, b0, b1, l0, h0);
    if constexpr (kR > 1) fma_row(ak + 1 * lda, b0, b1, l1, h1);
    if constexpr (kR > 2) fma_row(ak + 2 * lda, b0, b1, l2, h2);
    if constexpr (kR > 3) fma_row(ak + 3 * lda, b0, b1, l3, h3);
    if constexpr (kR > 4) fma_row(ak + 4 * lda, b0, b1, l4, h4);
    if constexpr (kR > 5) fma_row(ak + 5 * lda, b0, b1, l5, h5);
  }
  store_row(l0, h0, width, c);
  if constexpr (kR > 1) store_row(l1, h1, width, c + ldc);
  if constexpr (kR > 2) store_row(l2, h2, width, c + 2 * ldc);
  if constexpr (kR > 3) store_row(l3, h3, width, c + 3 * ldc);
  if constexpr (kR > 4) store_row(l4, h4, width, c + 4 * ldc);
  if constexpr (kR > 5) store_row(l5, h5, width, c + 5 * ldc);
}

__attribute__((target("avx2,fma"))) void panel_rows_avx2(const float* a, int64_t lda, int64_t rows,
                                                         const float* panel, int64_t K, int64_t width,
                                                         float* c, int64_t ldc) {
  int64_t i = 0;
  for (; i + kRows <= rows; i += kRows)
    panel_tile_avx2<kRows>(a + i * lda, lda, panel, K, width, c + i * ldc, ldc);
  // The 1 to 5 rows left, by the same kernel at that height.
  using Tile = void (*)(const float*, int64_t, const float*, int64_t, int64_t, float*, int64_t);
  static constexpr Tile kTails[kRows] = {
      nullptr,           panel_tile_avx2<1>, panel_tile_avx2<2>, panel_tile_avx2<3>, panel_tile_avx2<4>,
      panel_tile_avx2<5>};
  if (i < rows) kTails[rows - i](a + i * lda, lda, panel, K, width, c + i * ldc, ldc);
}

void panel_rows_scalar(const float* a, int64_t lda, int64_t rows, const float* panel, int64_t K,
                       int64_t width, float* c, int64_t ldc) {
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t jj = 0; jj < width; ++jj) {
      float acc = 0;
      for (int64_t k = 0; k < K; ++k) acc = std::fmaf(a[i * lda + k], panel[k * kPanel + jj], acc);
      c[i * ldc + jj] = acc;
    }
  }
}

}  // namespace

void gemm_batch_invariant(Trans ta, Trans tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                          const float* B, int64_t ldb, float* C, int64_t ldc, ThreadPool* pool) {
  DPEVAL_CHECK(ta == Trans::kNo) << "gemm_batch_invariant: op(A) must be A";
  DPEVAL_CHECK(M >= 0 && N >= 0 && K >= 0 && lda >= K && ldc >= N)
      << "gemm_batch_invariant: M=" << M << " N=" << N << " K=" << K;
  DPEVAL_CHECK(ldb >= (tb == Trans::kNo ? N : K)) << "gemm_batch_invariant: ldb=" << ldb;
  if (M == 0 || N == 0) return;
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  // Blocks of C: rows that stay in cache while a block of columns passes
  // over them. Every element is computed by the same sequence whichever block
  // holds it (Note [Batch-invariant GEMM]), so blocks may run on any thread.
  const bool dot = tb == Trans::kYes;
  const int64_t row_block = dot ? 16 : 64;
  const int64_t col_block = 64;  // a multiple of kPanel and of the dot kernel's 4 columns
  const int64_t row_blocks = (M + row_block - 1) / row_block, col_blocks = (N + col_block - 1) / col_block;
  const float* panels = nullptr;
  if (!dot) {
    thread_local std::vector<float> packed;
    pack_panels(tb, N, K, B, ldb, packed);
    panels = packed.data();
  }
  auto run_blocks = [&](size_t begin, size_t end) {
    for (size_t block = begin; block < end; ++block) {
      const int64_t i = static_cast<int64_t>(block) / col_blocks * row_block;
      const int64_t j = static_cast<int64_t>(block) % col_blocks * col_block;
      const int64_t rows = std::min(row_block, M - i), cols = std::min(col_block, N - j);
      if (dot) {
        if (avx2) {
          dot_rows_avx2(A + i * lda, lda, rows, B + j * ldb, ldb, cols, K, C + i * ldc + j, ldc);
        } else {
          dot_rows_scalar(A + i * lda, lda, rows, B + j * ldb, ldb, cols, K, C + i * ldc + j, ldc);
        }
        continue;
      }
      for (int64_t p = j / kPanel; p * kPanel < j + cols; ++p) {
        const float* panel = panels + p * K * kPanel;
        const int64_t width = std::min(kPanel, N - p * kPanel);
        float* c = C + i * ldc + p * kPanel;
        if (avx2) {
          panel_rows_avx2(A + i * lda, lda, rows, panel, K, width, c, ldc);
        } else {
          panel_rows_scalar(A + i * lda, lda, rows, panel, K, width, c, ldc);
        }
      }
    }
  };
  const auto blocks = static_cast<size_t>(row_blocks * col_blocks);
  constexpr int64_t kParallelMin = int64_t{1} << 21;  // multiply-adds worth waking threads for
  if (pool != nullptr && pool->size() > 1 && blocks > 1 && M * N * K >= kParallelMin) {
    pool->parallel_for(blocks, run_blocks);
  } else {
    run_blocks(0, blocks);
  }
}

}  // namespace dpeval::kernels
