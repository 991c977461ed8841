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
//     sequence. The AVX-512 path holds a row's 16 columns in one register
//     and 12 rows a tile: the same sequence per lane, so the same bits.
//   op(B) = B^T (Linear: x W^T, W row-major [N][K]): a dot product of two
//     contiguous rows, with no packing (packing the weights cost more than
//     the product for one row): 8 lanes, lane l summing k = l, l + 8, ...
//     below K8 = K - K mod 8 by FMA in k order; the lanes added as
//     ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)); then the k >= K8
//     tail by FMA in k order onto that sum. The AVX-512 path runs two
//     columns' 8 lanes side by side in one register: the same sums.
// The scalar path (no FMA unit) performs the same operations with std::fmaf
// and the same additions, so every path gives the same bits on any machine
// (tests run each one the CPU has: internal/gemm_invariant_paths.h). The
// widest is taken: AVX-512 made the CNN's Winograd products 1.6x and its
// first Linear layer's 2.7x faster than AVX2 here (M = 588, N = 64, K = 32:
// 181 vs 114 GFLOP/s; M = 64, N = 128, K = 3136: 148 vs 54 GFLOP/s, one
// thread, AMD EPYC with AVX-512, 2026-12-08).
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "dpeval/core/check.h"
#include "dpeval/core/thread_pool.h"
#include "dpeval/kernels/internal/gemm_invariant_paths.h"
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

// The AVX-512 form of the dot products, with the bits of the 8-lane sums:
// a register holds the 8 lanes of two columns side by side (B rows j and
// j + 1, k to k + 7), against A's 8 values twice. GCC 12 warns that the
// 256-to-512-bit intrinsics use an uninitialised value (their
// _mm512_undefined_ps, GCC bug 105593, fixed in 13): silenced here alone. Four rows of A by eight
// columns (16 accumulators) a tile, so each B value loaded serves four rows;
// the rows and columns left over go to the AVX2 tiles.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
__attribute__((target("avx512f,avx512dq,avx2,fma"))) void dot_rows_avx512(const float* a, int64_t lda,
                                                                          int64_t M, const float* b,
                                                                          int64_t ldb, int64_t N, int64_t K,
                                                                          float* c, int64_t ldc) {
  const int64_t k8 = K - K % 8;
  alignas(64) float lanes[16];
  int64_t i = 0;
  for (; i + 4 <= M; i += 4) {
    int64_t j = 0;
    for (; j + 8 <= N; j += 8) {
      __m512 acc[4][4];
      for (auto& r : acc)
        for (auto& v : r) v = _mm512_setzero_ps();
      for (int64_t k = 0; k < k8; k += 8) {
        __m512 w[4];
        for (int64_t p = 0; p < 4; ++p) {
          w[p] = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(b + (j + 2 * p) * ldb + k)),
                                    _mm256_loadu_ps(b + (j + 2 * p + 1) * ldb + k), 1);
        }
        for (int64_t r = 0; r < 4; ++r) {
          const __m512 x = _mm512_broadcast_f32x8(_mm256_loadu_ps(a + (i + r) * lda + k));
          for (int64_t p = 0; p < 4; ++p) acc[r][p] = _mm512_fmadd_ps(x, w[p], acc[r][p]);
        }
      }
      for (int64_t r = 0; r < 4; ++r) {
        for (int64_t p = 0; p < 4; ++p) {
          _mm512_store_ps(lanes, acc[r][p]);
          const float* ar = a + (i + r) * lda;
          float* cr = c + (i + r) * ldc + j + 2 * p;
          cr[0] = finish_dot(lanes, ar, b + (j + 2 * p) * ldb, k8, K);
          cr[1] = finish_dot(lanes + 8, ar, b + (j + 2 * p + 1) * ldb, k8, K);
        }
      }
    }
    if (j < N) dot_rows_avx2(a + i * lda, lda, 4, b + j * ldb, ldb, N - j, K, c + i * ldc + j, ldc);
  }
  if (i < M) dot_rows_avx2(a + i * lda, lda, M - i, b, ldb, N, K, c + i * ldc, ldc);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

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

// The AVX-512 path: a row's 16 lanes in one register (lane j of row i doing
// exactly the sequence of the AVX2 path's lane, so the bits are the same), up
// to 12 rows a tile, A broadcast from memory into the multiply-add.
template <int kR>
__attribute__((target("avx512f"))) inline void panel_tile_avx512(const float* a, int64_t lda,
                                                                 const float* panel, int64_t K, int64_t width,
                                                                 float* c, int64_t ldc) {
  static_assert(kR >= 1 && kR <= 12);
  __m512 z0 = _mm512_setzero_ps(), z1 = z0, z2 = z0, z3 = z0, z4 = z0, z5 = z0, z6 = z0, z7 = z0, z8 = z0,
         z9 = z0, z10 = z0, z11 = z0;
  for (int64_t k = 0; k < K; ++k) {
    const __m512 b = _mm512_loadu_ps(panel + k * kPanel);
    const float* ak = a + k;
    z0 = _mm512_fmadd_ps(_mm512_set1_ps(ak[0]), b, z0);
    if constexpr (kR > 1) z1 = _mm512_fmadd_ps(_mm512_set1_ps(ak[1 * lda]), b, z1);
    if constexpr (kR > 2) z2 = _mm512_fmadd_ps(_mm512_set1_ps(ak[2 * lda]), b, z2);
    if constexpr (kR > 3) z3 = _mm512_fmadd_ps(_mm512_set1_ps(ak[3 * lda]), b, z3);
    if constexpr (kR > 4) z4 = _mm512_fmadd_ps(_mm512_set1_ps(ak[4 * lda]), b, z4);
    if constexpr (kR > 5) z5 = _mm512_fmadd_ps(_mm512_set1_ps(ak[5 * lda]), b, z5);
    if constexpr (kR > 6) z6 = _mm512_fmadd_ps(_mm512_set1_ps(ak[6 * lda]), b, z6);
    if constexpr (kR > 7) z7 = _mm512_fmadd_ps(_mm512_set1_ps(ak[7 * lda]), b, z7);
    if constexpr (kR > 8) z8 = _mm512_fmadd_ps(_mm512_set1_ps(ak[8 * lda]), b, z8);
    if constexpr (kR > 9) z9 = _mm512_fmadd_ps(_mm512_set1_ps(ak[9 * lda]), b, z9);
    if constexpr (kR > 10) z10 = _mm512_fmadd_ps(_mm512_set1_ps(ak[10 * lda]), b, z10);
    if constexpr (kR > 11) z11 = _mm512_fmadd_ps(_mm512_set1_ps(ak[11 * lda]), b, z11);
  }
  const __mmask16 mask = width == kPanel ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << width) - 1);
  _mm512_mask_storeu_ps(c, mask, z0);
  if constexpr (kR > 1) _mm512_mask_storeu_ps(c + 1 * ldc, mask, z1);
  if constexpr (kR > 2) _mm512_mask_storeu_ps(c + 2 * ldc, mask, z2);
  if constexpr (kR > 3) _mm512_mask_storeu_ps(c + 3 * ldc, mask, z3);
  if constexpr (kR > 4) _mm512_mask_storeu_ps(c + 4 * ldc, mask, z4);
  if constexpr (kR > 5) _mm512_mask_storeu_ps(c + 5 * ldc, mask, z5);
  if constexpr (kR > 6) _mm512_mask_storeu_ps(c + 6 * ldc, mask, z6);
  if constexpr (kR > 7) _mm512_mask_storeu_ps(c + 7 * ldc, mask, z7);
  if constexpr (kR > 8) _mm512_mask_storeu_ps(c + 8 * ldc, mask, z8);
  if constexpr (kR > 9) _mm512_mask_storeu_ps(c + 9 * ldc, mask, z9);
  if constexpr (kR > 10) _mm512_mask_storeu_ps(c + 10 * ldc, mask, z10);
  if constexpr (kR > 11) _mm512_mask_storeu_ps(c + 11 * ldc, mask, z11);
}

template <size_t... kR>
constexpr auto avx512_tiles(std::index_sequence<kR...>) {
  using Tile = void (*)(const float*, int64_t, const float*, int64_t, int64_t, float*, int64_t);
  return std::array<Tile, sizeof...(kR)>{(kR == 0                       ? nullptr
                                          : panel_tile_avx512 < kR == 0 ? 1
                                                                        : int{kR} >)...};
}

__attribute__((target("avx512f"))) void panel_rows_avx512(const float* a, int64_t lda, int64_t rows,
                                                          const float* panel, int64_t K, int64_t width,
                                                          float* c, int64_t ldc) {
  constexpr int64_t kRows512 = 12;
  int64_t i = 0;
  for (; i + kRows512 <= rows; i += kRows512)
    panel_tile_avx512<kRows512>(a + i * lda, lda, panel, K, width, c + i * ldc, ldc);
  static constexpr auto kTails = avx512_tiles(std::make_index_sequence<kRows512>());
  if (i < rows) kTails[static_cast<size_t>(rows - i)](a + i * lda, lda, panel, K, width, c + i * ldc, ldc);
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

namespace internal {

bool invariant_path_available(InvariantPath path) {
  switch (path) {
    case InvariantPath::kScalar:
      return true;
    case InvariantPath::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case InvariantPath::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
             invariant_path_available(InvariantPath::kAvx2);
  }
  return false;
}

void gemm_batch_invariant_on(InvariantPath path, Trans ta, Trans tb, int64_t M, int64_t N, int64_t K,
                             const float* A, int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc,
                             ThreadPool* pool) {
  DPEVAL_CHECK(invariant_path_available(path)) << "gemm_batch_invariant: this CPU lacks the path asked for";
  DPEVAL_CHECK(ta == Trans::kNo) << "gemm_batch_invariant: op(A) must be A";
  DPEVAL_CHECK(M >= 0 && N >= 0 && K >= 0 && lda >= K && ldc >= N)
      << "gemm_batch_invariant: M=" << M << " N=" << N << " K=" << K;
  DPEVAL_CHECK(ldb >= (tb == Trans::kNo ? N : K)) << "gemm_batch_invariant: ldb=" << ldb;
  if (M == 0 || N == 0) return;
  const bool avx512 = path == InvariantPath::kAvx512, avx2 = avx512 || path == InvariantPath::kAvx2;
  // Blocks of C: rows that stay in cache while a block of columns passes
  // over them. Every element is computed by the same sequence whichever block
  // holds it (Note [Batch-invariant GEMM]), so blocks may run on any thread.
  const bool dot = tb == Trans::kYes;
  const int64_t row_block = dot ? 16 : 72;  // 72: whole tiles of 6 and of 12 rows
  const int64_t col_block = 64;             // a multiple of kPanel and of the dot kernel's 4 columns
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
        if (avx512) {
          dot_rows_avx512(A + i * lda, lda, rows, B + j * ldb, ldb, cols, K, C + i * ldc + j, ldc);
        } else if (avx2) {
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
        if (avx512) {
          panel_rows_avx512(A + i * lda, lda, rows, panel, K, width, c, ldc);
        } else if (avx2) {
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

}  // namespace internal

void gemm_batch_invariant(Trans ta, Trans tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                          const float* B, int64_t ldb, float* C, int64_t ldc, ThreadPool* pool) {
  using internal::InvariantPath;
  static const InvariantPath widest =
      internal::invariant_path_available(InvariantPath::kAvx512) ? InvariantPath::kAvx512
      : internal::invariant_path_available(InvariantPath::kAvx2) ? InvariantPath::kAvx2
                                                                 : InvariantPath::kScalar;
  internal::gemm_batch_invariant_on(widest, ta, tb, M, N, K, A, lda, B, ldb, C, ldc, pool);
}

}  // namespace dpeval::kernels
