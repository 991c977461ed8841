// dpeval::kernels::internal: the pieces shared by the im2col / col2im
// implementations, for one [C, H, W] image and columns [C*KH*KW, OH*OW].
//
// Column row (c, ki, kj) holds at output cell (oy, ox) the pixel
// (iy, ix) = (oy*SH - PH + ki, ox*SW - PW + kj), or 0 outside the image. For
// fixed (ki, kj), iy is inside [0, H) exactly for oy in one run [begin, end)
// and ix inside [0, W) exactly for ox in another: valid_run() computes them,
// which is how every implementation avoids per-element bounds checks.
#pragma once

#include <algorithm>
#include <cstdint>

#include "dpeval/kernels/kernels.h"

namespace dpeval::kernels::internal {

// Output positions [begin, end) whose input position o*stride - pad + k lies in [0, size).
struct Run {
  int64_t begin, end;
};

inline Run valid_run(int64_t out_size, int64_t size, int64_t stride, int64_t pad, int64_t k) {
  // ceil(a / b) for b > 0 and any sign of a.
  auto ceil_div = [](int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); };
  const int64_t begin = std::clamp<int64_t>(ceil_div(pad - k, stride), 0, out_size);
  const int64_t end = std::clamp<int64_t>(ceil_div(size + pad - k, stride), begin, out_size);
  return {begin, end};
}

// Portable implementations (the scalar table's). Preconditions as in kernels.h,
// already checked by the public functions.
void im2col_portable(const Conv2dGeometry& g, const float* image, float* columns, int64_t ldc);
void col2im_portable(const Conv2dGeometry& g, const float* columns, int64_t ldc, float* image);

// AVX2 implementations (the AVX2 table's): stride-1 rows of >= 8 cells, else
// they call the portable ones. Defined only on x86; call them only through
// avx2_table(), which exists only when the CPU has AVX2.
void im2col_avx2(const Conv2dGeometry& g, const float* image, float* columns, int64_t ldc);
void col2im_avx2(const Conv2dGeometry& g, const float* columns, int64_t ldc, float* image);

}  // namespace dpeval::kernels::internal
