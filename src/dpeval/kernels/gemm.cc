// gemm through CBLAS sgemm (row-major): C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C,
// plus the BLAS thread and identity controls. OpenBLAS is the linked CBLAS.
#include <cblas.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "dpeval/core/check.h"
#include "dpeval/kernels/kernels.h"

namespace dpeval::kernels {
namespace {

// CBLAS takes 32-bit ints in Debian's (LP64) OpenBLAS.
blasint to_blasint(int64_t v, const char* what) {
  DPEVAL_CHECK(v >= 0 && v <= std::numeric_limits<blasint>::max())
      << what << "=" << v << " does not fit a blasint";
  return static_cast<blasint>(v);
}

}  // namespace

// The leading dimensions are checked here rather than left to CBLAS: OpenBLAS
// reports a bad one through xerbla, which prints and returns without touching
// C, a silent wrong answer. A zero-width matrix may come with ld 0; CBLAS
// wants at least 1, so it gets max(ld, 1).
void gemm(Trans ta, Trans tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  DPEVAL_CHECK(M >= 0 && N >= 0 && K >= 0) << "gemm: M=" << M << " N=" << N << " K=" << K;
  const int64_t a_cols = ta == Trans::kNo ? K : M;  // A is stored [M,K] or [K,M]
  const int64_t b_cols = tb == Trans::kNo ? N : K;  // B is stored [K,N] or [N,K]
  DPEVAL_CHECK(lda >= a_cols) << "gemm: lda=" << lda << " < " << a_cols;
  DPEVAL_CHECK(ldb >= b_cols) << "gemm: ldb=" << ldb << " < " << b_cols;
  DPEVAL_CHECK(ldc >= N) << "gemm: ldc=" << ldc << " < N=" << N;
  if (M == 0 || N == 0) return;
  cblas_sgemm(CblasRowMajor, ta == Trans::kYes ? CblasTrans : CblasNoTrans,
              tb == Trans::kYes ? CblasTrans : CblasNoTrans, to_blasint(M, "M"), to_blasint(N, "N"),
              to_blasint(K, "K"), alpha, A, to_blasint(std::max<int64_t>(lda, 1), "lda"), B,
              to_blasint(std::max<int64_t>(ldb, 1), "ldb"), beta, C, to_blasint(ldc, "ldc"));
}

// OpenBLAS's pthread build exports this (its fork handler uses it); another
// BLAS may not have it, so the reference is weak and a null one is skipped.
extern "C" __attribute__((weak)) int blas_thread_shutdown_(void);

void blas_stop_threads() {
  if (blas_thread_shutdown_ != nullptr) blas_thread_shutdown_();
}

void blas_set_threads(int threads) {
  DPEVAL_CHECK(threads >= 1) << "blas_set_threads: threads=" << threads;
  openblas_set_num_threads(threads);
}

const char* blas_name() {
  const char* config = openblas_get_config();
  return config != nullptr ? config : "unknown";
}

const char* blas_better_coretype() {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return nullptr;
  // The pre-AVX2 cores DYNAMIC_ARCH falls back to (see Note [OpenBLAS core type]).
  static constexpr const char* kFallbacks[] = {"Prescott", "Core2", "Penryn", "Dunnington",
                                               "Nehalem",  "Atom",  "Sandybridge"};
  const char* core = openblas_get_corename();
  bool fallback = core == nullptr;
  for (const char* name : kFallbacks) fallback = fallback || std::strcmp(core, name) == 0;
  if (!fallback) return nullptr;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
    return "SkylakeX";
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
  return nullptr;
}

}  // namespace dpeval::kernels
