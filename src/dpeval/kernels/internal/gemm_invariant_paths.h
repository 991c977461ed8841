// dpeval::kernels::internal: the instruction-set paths of
// gemm_batch_invariant (kernels.h), for tests and benchmarks that must run
// each one the running CPU has. They give the same bits
// (Note [Batch-invariant GEMM]); gemm_batch_invariant takes the widest.
#pragma once

#include <cstdint>

#include "dpeval/kernels/kernels.h"

namespace dpeval::kernels::internal {

enum class InvariantPath { kScalar, kAvx2, kAvx512 };

// Whether the running CPU can take `path` (kScalar always).
bool invariant_path_available(InvariantPath path);

// gemm_batch_invariant on `path` (which must be available).
void gemm_batch_invariant_on(InvariantPath path, Trans ta, Trans tb, int64_t M, int64_t N, int64_t K,
                             const float* A, int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc,
                             ThreadPool* pool);

}  // namespace dpeval::kernels::internal
