// Batch-invariant GEMM for inference. See kernels.h.
//
// Note [Batch-invariant GEMM]
// OpenBLAS picks its micro-kernel by the shape of the block at hand (a 16-row
// panel, an 8-, 4-, 2- or 1-row tail, threads splitting M), and the kernels
// sum K in different orders: the same row of x W^T differs in its last bits
// between a batch of 64 and one of 150 (2,700 to 56,000 of 65,536 elements of
// a 256 x 784 x 256 product differ, by batch size, here). Serving promises a
// row the same answer `dpeval predict` gives it in whatever batch, so
// inference uses this kernel instead: C[i][j] is always
//     acc = 0; for k in 0..K-1: acc = fma(A[i][k], B[k][j], acc)
// one fused multiply-add per k, in k order, one rounding each. The AVX2 path
// keeps 4 rows x 16 columns of accumulators in registers (B packed into
// 16-column panels, zero-padded past N; a row tail runs the 1-row kernel),
// and each lane does exactly that sequence; the scalar path (no FMA unit)
// calls std::fmaf in the same order, so both give the same bits, on any
// machine. About 40 % of OpenBLAS's speed on one core (bench/serve).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "dpeval/core/check.h"
#include "dpeval/kernels/kernels.h"

namespace dpeval::kernels {
namespace {

constexpr int64_t kPanel = 16;  // columns per packed panel
constexpr int64_t kRows = 4;    // rows per register tile

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

void store_tile(const float* tile, int64_t width, float* c) { std::memcpy(c, tile, static_cast<size_t>(width) * sizeof(float)); }

__attribute__((target("avx2,fma"))) void panel_rows_avx2(const float* a, int64_t lda, int64_t rows, const float* panel,
                                                          int64_t K, int64_t width, float* c, int64_t ldc) {
  alignas(32) float tile[kPanel];
  int64_t i = 0;
  for (; i + kRows <= rows; i += kRows) {
    __m256 acc[kRows][2];
    for (auto& r : acc) r[0] = r[1] = _mm256_setzero_ps();
    const float* a0 = a + i * lda;
    for (int64_t k = 0; k < K; ++k) {
      const __m256 b0 = _mm256_loadu_ps(panel + k * kPanel);
      const __m256 b1 = _mm256_loadu_ps(panel + k * kPanel + 8);
      for (int64_t r = 0; r < kRows; ++r) {
        const __m256 x = _mm256_broadcast_ss(a0 + r * lda + k);
        acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
      }
    }
    for (int64_t r = 0; r < kRows; ++r) {
      _mm256_store_ps(tile, acc[r][0]);
      _mm256_store_ps(tile + 8, acc[r][1]);
      store_tile(tile, width, c + (i + r) * ldc);
    }
  }
  for (; i < rows; ++i) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    const float* ai = a + i * lda;
    for (int64_t k = 0; k < K; ++k) {
      const __m256 x = _mm256_broadcast_ss(ai + k);
      acc0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(panel + k * kPanel), acc0);
      acc1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(panel + k * kPanel + 8), acc1);
    }
    _mm256_store_ps(tile, acc0);
    _mm256_store_ps(tile + 8, acc1);
    store_tile(tile, width, c + i * ldc);
  }
}

void panel_rows_scalar(const float* a, int64_t lda, int64_t rows, const float* panel, int64_t K, int64_t width, float* c,
                       int64_t ldc) {
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
                          const float* B, int64_t ldb, float* C, int64_t ldc) {
  DPEVAL_CHECK(ta == Trans::kNo) << "gemm_batch_invariant: op(A) must be A";
  DPEVAL_CHECK(M >= 0 && N >= 0 && K >= 0 && lda >= K && ldc >= N) << "gemm_batch_invariant: M=" << M << " N=" << N
                                                                      << " K=" << K;
  DPEVAL_CHECK(ldb >= (tb == Trans::kNo ? N : K)) << "gemm_batch_invariant: ldb=" << ldb;
  if (M == 0 || N == 0) return;
  thread_local std::vector<float> panels;
  pack_panels(tb, N, K, B, ldb, panels);
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  // Blocks of rows small enough to stay in L2 while every panel passes over them.
  constexpr int64_t kRowBlock = 64;
  for (int64_t i = 0; i < M; i += kRowBlock) {
    const int64_t rows = std::min(kRowBlock, M - i);
    for (int64_t p = 0; p * kPanel < N; ++p) {
      const float* panel = panels.data() + p * K * kPanel;
      const int64_t width = std::min(kPanel, N - p * kPanel);
      float* c = C + i * ldc + p * kPanel;
      if (avx2) {
        panel_rows_avx2(A + i * lda, lda, rows, panel, K, width, c, ldc);
      } else {
        panel_rows_scalar(A + i * lda, lda, rows, panel, K, width, c, ldc);
      }
    }
  }
}

}  // namespace dpeval::kernels
