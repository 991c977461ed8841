// gemm through CBLAS sgemm (row-major): C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C,
// plus the BLAS thread and identity controls. OpenBLAS is the CBLAS, opened on
// first use (Note [OpenBLAS opened on first use]).
#include <cblas.h>
#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/kernels/kernels.h"

namespace dpeval::kernels {
namespace {

// CBLAS takes 32-bit ints in Debian's (LP64) OpenBLAS.
blasint to_blasint(int64_t v, const char* what) {
  DPEVAL_CHECK(v >= 0 && v <= std::numeric_limits<blasint>::max())
      << what << "=" << v << " does not fit a blasint";
  return static_cast<blasint>(v);
}

// Note [OpenBLAS opened on first use]
// dpeval does not link OpenBLAS: the first BLAS call opens it (dlopen of
// Debian's soname, libopenblas.so.0, which the alternatives system points at
// the pthread build). Loading it costs a process about 7 ms (its relocations
// and its thread pool), a third of the start-up of a command that never
// multiplies a matrix (drift, audit, manifest, eval of a predictions file);
// those commands now never pay it. A missing library is an IoError naming it
// at the first call, not a loader error before main. Opening it here is also
// where Note [OpenBLAS core type] is applied: when the library chose a
// pre-AVX2 core on a CPU with better, OPENBLAS_CORETYPE is set and the
// library is closed and opened again, since it reads the variable only when
// it loads (it has no NODELETE flag, so the close unloads it; were it kept,
// the second open would return the same slow kernels: slower, same results).
constexpr const char* kBlasSoname = "libopenblas.so.0";

struct BlasFunctions {
  void* handle = nullptr;
  decltype(&cblas_sgemm) sgemm = nullptr;
  decltype(&openblas_set_num_threads) set_num_threads = nullptr;
  decltype(&openblas_get_config) get_config = nullptr;
  decltype(&openblas_get_corename) get_corename = nullptr;
  int (*thread_shutdown)() = nullptr;  // the pthread build's; another BLAS may lack it
};

template <typename Fn>
Fn symbol(void* handle, const char* name, bool required) {
  void* f = dlsym(handle, name);
  if (f == nullptr && required) {
    throw IoError(std::string(kBlasSoname) + " has no " + name +
                  ": it is not OpenBLAS (install libopenblas0-pthread)");
  }
  return reinterpret_cast<Fn>(f);
}

BlasFunctions open_blas() {
  BlasFunctions b;
  b.handle = dlopen(kBlasSoname, RTLD_NOW | RTLD_LOCAL);
  if (b.handle == nullptr) {
    const char* why = dlerror();
    throw IoError(std::string("cannot load OpenBLAS (") + kBlasSoname +
                  "): " + (why != nullptr ? why : "unknown") + "; install libopenblas0-pthread");
  }
  b.sgemm = symbol<decltype(b.sgemm)>(b.handle, "cblas_sgemm", true);
  b.set_num_threads = symbol<decltype(b.set_num_threads)>(b.handle, "openblas_set_num_threads", true);
  b.get_config = symbol<decltype(b.get_config)>(b.handle, "openblas_get_config", true);
  b.get_corename = symbol<decltype(b.get_corename)>(b.handle, "openblas_get_corename", true);
  b.thread_shutdown = symbol<decltype(b.thread_shutdown)>(b.handle, "blas_thread_shutdown_", false);
  return b;
}

// See Note [OpenBLAS core type].
const char* better_coretype_than(const char* core) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return nullptr;
  // The pre-AVX2 cores DYNAMIC_ARCH falls back to.
  static constexpr const char* kFallbacks[] = {"Prescott", "Core2", "Penryn",     "Dunnington",
                                               "Nehalem",  "Atom",  "Sandybridge"};
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

std::once_flag blas_once;
BlasFunctions blas_functions;
std::atomic<bool> blas_opened{false};

// The library, opened (and its core fixed) on the first call; see Note [OpenBLAS opened on first use].
const BlasFunctions& blas() {
  std::call_once(blas_once, [] {
    BlasFunctions b = open_blas();
    if (const char* core = better_coretype_than(b.get_corename())) {
      setenv("OPENBLAS_CORETYPE", core, 1);
      dlclose(b.handle);
      b = open_blas();
    }
    blas_functions = b;
    blas_opened.store(true, std::memory_order_release);
  });
  return blas_functions;
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
  blas().sgemm(CblasRowMajor, ta == Trans::kYes ? CblasTrans : CblasNoTrans,
               tb == Trans::kYes ? CblasTrans : CblasNoTrans, to_blasint(M, "M"), to_blasint(N, "N"),
               to_blasint(K, "K"), alpha, A, to_blasint(std::max<int64_t>(lda, 1), "lda"), B,
               to_blasint(std::max<int64_t>(ldb, 1), "ldb"), beta, C, to_blasint(ldc, "ldc"));
}

// Nothing to stop when the library was never opened: it starts its threads when it loads.
void blas_stop_threads() {
  if (!blas_opened.load(std::memory_order_acquire)) return;
  if (blas().thread_shutdown != nullptr) blas().thread_shutdown();
}

void blas_set_threads(int threads) {
  DPEVAL_CHECK(threads >= 1) << "blas_set_threads: threads=" << threads;
  blas().set_num_threads(threads);
}

const char* blas_name() {
  const char* config = blas().get_config();
  return config != nullptr ? config : "unknown";
}

const char* blas_better_coretype() { return better_coretype_than(blas().get_corename()); }

}  // namespace dpeval::kernels
