// gemm (CBLAS sgemm, row-major) against reference::gemm over M, N, K in
// {0, 1, 7, 33, ...}, all four Trans combinations, padded leading dimensions
// and several (alpha, beta).
//
// Tolerance: |C - C_ref| <= 1e-5 * (|alpha| * sum_k |op(A)[i,k] op(B)[k,j]| + |beta C0[i,j]|).
// The reference sums in double, BLAS in float in its own order; the bound is
// relative to the magnitude of the terms (not of the possibly cancelling result)
// and holds with room for K up to a few hundred (worst case ~K * 2^-24).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/core/thread_pool.h"
#include "dpeval/kernels/internal/gemm_invariant_paths.h"
#include "dpeval/kernels/kernels.h"
#include "dpeval/kernels/reference/reference.h"
#include "kernels/kernels_test_util.h"

namespace dpeval::kernels {
namespace {

using testing::random_floats;

constexpr float kSentinel = 12345.0f;  // fills ld padding; must survive untouched

struct GemmCase {
  Trans ta, tb;
  int64_t M, N, K;
  int64_t pad;  // extra elements per row in lda, ldb, ldc
  float alpha, beta;
};

std::string case_name(const GemmCase& c) {
  std::ostringstream name;
  name << (c.ta == Trans::kYes ? "T" : "N") << (c.tb == Trans::kYes ? "T" : "N") << " " << c.M << "x" << c.N
       << "x" << c.K << " pad " << c.pad << " alpha " << c.alpha << " beta " << c.beta;
  return name.str();
}

void run_case(const GemmCase& c, bool nan_in_c) {
  SCOPED_TRACE(case_name(c));
  const int64_t a_rows = c.ta == Trans::kNo ? c.M : c.K, a_cols = c.ta == Trans::kNo ? c.K : c.M;
  const int64_t b_rows = c.tb == Trans::kNo ? c.K : c.N, b_cols = c.tb == Trans::kNo ? c.N : c.K;
  const int64_t lda = a_cols + c.pad, ldb = b_cols + c.pad, ldc = c.N + c.pad;
  // +1 so that data() is never null for empty matrices.
  std::vector<float> A = random_floats(static_cast<size_t>(a_rows * lda + 1), 1);
  std::vector<float> B = random_floats(static_cast<size_t>(b_rows * ldb + 1), 2);
  std::vector<float> C0 = random_floats(static_cast<size_t>(c.M * ldc + 1), 3);
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t j = c.N; j < ldc; ++j) C0[i * ldc + j] = kSentinel;
  if (nan_in_c)
    for (int64_t i = 0; i < c.M; ++i)
      for (int64_t j = 0; j < c.N; ++j) C0[i * ldc + j] = std::numeric_limits<float>::quiet_NaN();

  std::vector<float> got = C0, want = C0;
  gemm(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), lda, B.data(), ldb, c.beta, got.data(), ldc);
  reference::gemm(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), lda, B.data(), ldb, c.beta, want.data(), ldc);

  auto a = [&](int64_t i, int64_t k) { return c.ta == Trans::kNo ? A[i * lda + k] : A[k * lda + i]; };
  auto b = [&](int64_t k, int64_t j) { return c.tb == Trans::kNo ? B[k * ldb + j] : B[j * ldb + k]; };
  for (int64_t i = 0; i < c.M; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      const float g = got[i * ldc + j], w = want[i * ldc + j];
      if (j >= c.N) {
        ASSERT_EQ(g, kSentinel) << "ldc padding written at " << i << "," << j;
        continue;
      }
      double magnitude = 0.0;
      for (int64_t k = 0; k < c.K; ++k) magnitude += std::fabs(static_cast<double>(a(i, k)) * b(k, j));
      magnitude =
          std::fabs(c.alpha) * magnitude + (c.beta != 0.0f ? std::fabs(c.beta * C0[i * ldc + j]) : 0.0);
      ASSERT_FALSE(std::isnan(g)) << i << "," << j;
      ASSERT_LE(std::fabs(static_cast<double>(g) - w), 1e-5 * magnitude + 1e-30)
          << i << "," << j << " want " << w;
    }
  }
}

class GemmTest : public ::testing::TestWithParam<std::tuple<Trans, Trans>> {};

TEST_P(GemmTest, MatchesReferenceOverAwkwardSizes) {
  const auto [ta, tb] = GetParam();
  const int64_t sizes[] = {0, 1, 7, 33, 64};
  for (int64_t M : sizes)
    for (int64_t N : sizes)
      for (int64_t K : sizes) run_case({ta, tb, M, N, K, 0, 1.0f, 0.0f}, false);
}

TEST_P(GemmTest, PaddedLeadingDimensionsAndAlphaBeta) {
  const auto [ta, tb] = GetParam();
  const float alpha_beta[][2] = {{1.0f, 0.0f}, {0.5f, 2.0f}, {-1.5f, 1.0f}, {0.0f, 0.5f}, {2.0f, -0.5f}};
  for (const auto& ab : alpha_beta) {
    run_case({ta, tb, 13, 17, 29, 3, ab[0], ab[1]}, false);
    run_case({ta, tb, 65, 130, 257, 5, ab[0], ab[1]}, false);
  }
}

// beta == 0: C is write-only, so NaN or garbage in it must not leak out.
TEST_P(GemmTest, BetaZeroOverwritesNaN) {
  const auto [ta, tb] = GetParam();
  run_case({ta, tb, 9, 11, 5, 2, 1.0f, 0.0f}, true);
}

// K == 0: op(A) op(B) is the zero matrix, so C becomes beta * C.
TEST_P(GemmTest, KZeroScalesCByBeta) {
  const auto [ta, tb] = GetParam();
  run_case({ta, tb, 7, 9, 0, 1, 1.0f, 0.5f}, false);
  run_case({ta, tb, 7, 9, 0, 0, 1.0f, 1.0f}, false);
}

INSTANTIATE_TEST_SUITE_P(Trans, GemmTest,
                         ::testing::Combine(::testing::Values(Trans::kNo, Trans::kYes),
                                            ::testing::Values(Trans::kNo, Trans::kYes)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) == Trans::kYes ? "T" : "N") +
                                  (std::get<1>(info.param) == Trans::kYes ? "T" : "N");
                         });

TEST(Gemm, TooSmallLeadingDimensionThrows) {
  std::vector<float> A(64), B(64), C(64);
  EXPECT_THROW(gemm(Trans::kNo, Trans::kNo, 4, 4, 4, 1.0f, A.data(), 3, B.data(), 4, 0.0f, C.data(), 4),
               InternalError);
  EXPECT_THROW(gemm(Trans::kYes, Trans::kNo, 4, 2, 3, 1.0f, A.data(), 3, B.data(), 2, 0.0f, C.data(), 2),
               InternalError);  // A stored [K=3, M=4] needs lda >= 4
  EXPECT_THROW(gemm(Trans::kNo, Trans::kYes, 4, 4, 4, 1.0f, A.data(), 4, B.data(), 3, 0.0f, C.data(), 4),
               InternalError);
  EXPECT_THROW(gemm(Trans::kNo, Trans::kNo, 4, 4, 4, 1.0f, A.data(), 4, B.data(), 4, 0.0f, C.data(), 3),
               InternalError);
  EXPECT_THROW(gemm(Trans::kNo, Trans::kNo, -1, 4, 4, 1.0f, A.data(), 4, B.data(), 4, 0.0f, C.data(), 4),
               InternalError);
}

TEST(Blas, NameAndThreads) {
  EXPECT_NE(std::string(blas_name()).find("OpenBLAS"), std::string::npos) << blas_name();
  EXPECT_NO_THROW(blas_set_threads(1));
  EXPECT_THROW(blas_set_threads(0), InternalError);
}

// Whether the environment chose OpenBLAS's core, read before any test opens it
// (the loader sets the variable itself when it asks for a better core).
const bool kUserChoseCore = std::getenv("OPENBLAS_CORETYPE") != nullptr;

// Note [OpenBLAS core type]: on a CPU with AVX2 and FMA, opening OpenBLAS never
// leaves it on a pre-AVX2 core unless the user asked for one.
TEST(Blas, OpenedOnAFastCoreUnlessTheUserChose) {
  const std::string name = blas_name();
  __builtin_cpu_init();
  if (kUserChoseCore || !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) GTEST_SKIP();
  for (const char* slow :
       {" Prescott ", " Core2 ", " Penryn ", " Dunnington ", " Nehalem ", " Atom ", " Sandybridge "}) {
    EXPECT_EQ(name.find(slow), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace dpeval::kernels

namespace dpeval::kernels {
namespace {

// Note [Batch-invariant GEMM], written out element by element: op(B) = B is
// fma(A[i][k], B[k][j], acc) in k order from 0; op(B) = B^T is 8 lanes of
// FMAs over k < K8, the fixed lane sum, then the tail by FMA. The kernel
// equals these loops bitwise, whatever M and N.
std::vector<float> fma_loop(Trans tb, int64_t M, int64_t N, int64_t K, const std::vector<float>& a,
                            const std::vector<float>& b) {
  std::vector<float> c(static_cast<size_t>(M * N));
  const int64_t k8 = K - K % 8;
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      const float* ai = a.data() + i * K;
      if (tb == Trans::kNo) {
        float acc = 0;
        for (int64_t k = 0; k < K; ++k) acc = std::fmaf(ai[k], b[static_cast<size_t>(k * N + j)], acc);
        c[static_cast<size_t>(i * N + j)] = acc;
        continue;
      }
      const float* bj = b.data() + j * K;
      float l[8] = {};
      for (int64_t k = 0; k < k8; ++k) l[k % 8] = std::fmaf(ai[k], bj[k], l[k % 8]);
      float sum = ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
      for (int64_t k = k8; k < K; ++k) sum = std::fmaf(ai[k], bj[k], sum);
      c[static_cast<size_t>(i * N + j)] = sum;
    }
  }
  return c;
}

// Every path this CPU has (scalar, AVX2, AVX-512) gives the loops' bits, so a
// row's answer is the same on machines with different vector units too.
TEST(GemmBatchInvariant, EveryPathEqualsTheFmaLoopBitwiseAndEveryRowIsItsOwn) {
  using internal::InvariantPath;
  for (const InvariantPath path : {InvariantPath::kScalar, InvariantPath::kAvx2, InvariantPath::kAvx512}) {
    if (!internal::invariant_path_available(path)) continue;
    for (const Trans tb : {Trans::kNo, Trans::kYes}) {
      // Shapes with a tile of every height of both register tiles (6 and 12
      // rows), narrow last panels, K below and above 8 with a tail, and the
      // Winograd (K = 1, 32) and Linear (K = 3136) shapes of the CNN.
      for (const auto& [M, N, K] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{{1, 1, 1},
                                                                                      {3, 17, 5},
                                                                                      {4, 16, 784},
                                                                                      {7, 33, 100},
                                                                                      {11, 20, 9},
                                                                                      {29, 40, 37},
                                                                                      {65, 10, 256},
                                                                                      {83, 32, 1},
                                                                                      {130, 70, 31},
                                                                                      {150, 64, 32},
                                                                                      {9, 19, 3136},
                                                                                      {2, 0, 3},
                                                                                      {0, 5, 5}}) {
        SCOPED_TRACE(::testing::Message() << "path " << static_cast<int>(path) << " tb "
                                          << static_cast<int>(tb) << " " << M << "x" << N << "x" << K);
        const int64_t ldb = tb == Trans::kNo ? N : K;
        const std::vector<float> a = testing::random_floats(static_cast<size_t>(M * K), 1);
        const std::vector<float> b = testing::random_floats(static_cast<size_t>(K * N), 2);
        std::vector<float> c(static_cast<size_t>(M * N), std::nanf(""));
        internal::gemm_batch_invariant_on(path, Trans::kNo, tb, M, N, K, a.data(), K, b.data(), ldb, c.data(),
                                          N, nullptr);
        const std::vector<float> expected = fma_loop(tb, M, N, K, a, b);
        ASSERT_EQ(c.size(), expected.size());
        EXPECT_TRUE(c.empty() || std::memcmp(c.data(), expected.data(), c.size() * sizeof(float)) == 0);
        // One row at a time gives the same bits as the whole batch.
        for (int64_t i = 0; i < M; ++i) {
          std::vector<float> row(static_cast<size_t>(N));
          internal::gemm_batch_invariant_on(path, Trans::kNo, tb, 1, N, K, a.data() + i * K, K, b.data(), ldb,
                                            row.data(), N, nullptr);
          EXPECT_TRUE(row.empty() ||
                      std::memcmp(row.data(), c.data() + i * N, row.size() * sizeof(float)) == 0)
              << "row " << i;
        }
      }
    }
  }
}

}  // namespace
}  // namespace dpeval::kernels

namespace dpeval::kernels {
namespace {

// Blocks of C on a pool's threads: the same bits as on the calling thread alone.
TEST(GemmBatchInvariant, APoolChangesNoBit) {
  ThreadPool pool(3);
  for (const Trans tb : {Trans::kNo, Trans::kYes}) {
    const int64_t M = 70, N = 300, K = 785;  // 16M multiply-adds: above the threshold for threads
    const std::vector<float> a = testing::random_floats(static_cast<size_t>(M * K), 3);
    const std::vector<float> b = testing::random_floats(static_cast<size_t>(K * N), 4);
    std::vector<float> alone(static_cast<size_t>(M * N)), threaded(static_cast<size_t>(M * N));
    const int64_t ldb = tb == Trans::kNo ? N : K;
    gemm_batch_invariant(Trans::kNo, tb, M, N, K, a.data(), K, b.data(), ldb, alone.data(), N);
    gemm_batch_invariant(Trans::kNo, tb, M, N, K, a.data(), K, b.data(), ldb, threaded.data(), N, &pool);
    EXPECT_EQ(std::memcmp(alone.data(), threaded.data(), alone.size() * sizeof(float)), 0);
    EXPECT_EQ(alone, fma_loop(tb, M, N, K, a, b));
  }
}

}  // namespace
}  // namespace dpeval::kernels
