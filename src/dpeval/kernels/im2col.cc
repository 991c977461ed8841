// im2col / col2im for one [C, H, W] image and columns [C*KH*KW, OH*OW] at row
// stride ldc: the public entry points (contract checks, then the KernelTable of
// this CPU) and the portable implementations. The AVX2 ones are in
// internal/im2col_avx2.cc; the shared run arithmetic in internal/im2col_internal.h.
//
// Note [im2col without per-element branches]
// For a column row (c, ki, kj) and an output line oy, iy is fixed (the whole
// line is padding or not), and ix is inside [0, W) exactly for ox in the run
// [x.begin, x.end) computed once per (row, kj). So each output line is a zero
// run, a contiguous copy (or a strided gather for SW > 1) and a zero run.
// col2im walks the same runs and adds instead of copying, in the reference's
// order (row (c, ki, kj) by row, oy then ox), so every pixel's sum is bitwise
// that of the reference.
//
// Note [Same-width rows]
// With stride 1 and OW == W ("same" padding, as in the CNN's 5x5 pad-2 convs),
// output cell (oy, ox) of row (c, ki, kj) reads source index
// (oy - PH + ki) * W + (ox - PW + kj) = oy * OW + ox + constant. So the cells
// from the first valid one of the first valid line to the last valid one of
// the last valid line are one contiguous run of the source plane: one memcpy,
// after which only the cells between valid runs (filled from the neighbouring
// image rows) are re-zeroed. Every read stays inside rows [iy_first, iy_last]
// of the plane. Measured at conv2 (C = 32, 14 x 14, 5 x 5, pad 2): 33 us per
// image against 49 us line by line. (The same trick for col2im, saving and
// restoring the pixels under the gaps, measured 2x slower than line by line.)
#include <algorithm>
#include <cstring>

#include "dpeval/core/check.h"
#include "dpeval/kernels/internal/im2col_internal.h"
#include "dpeval/kernels/internal/kernel_table.h"
#include "dpeval/kernels/kernels.h"

namespace dpeval::kernels {
namespace {

void check_geometry(const Conv2dGeometry& g, int64_t ldc) {
  DPEVAL_CHECK(g.channels >= 0 && g.height >= 0 && g.width >= 0) << "conv geometry: negative C, H or W";
  DPEVAL_CHECK(g.kernel_h >= 1 && g.kernel_w >= 1 && g.stride_h >= 1 && g.stride_w >= 1)
      << "conv geometry: kernel " << g.kernel_h << "x" << g.kernel_w << " stride " << g.stride_h << "x"
      << g.stride_w;
  DPEVAL_CHECK(g.pad_h >= 0 && g.pad_w >= 0) << "conv geometry: negative padding";
  DPEVAL_CHECK(g.height + 2 * g.pad_h >= g.kernel_h && g.width + 2 * g.pad_w >= g.kernel_w)
      << "conv geometry: kernel larger than the padded image";
  DPEVAL_CHECK(ldc >= g.col_cols()) << "im2col: ldc=" << ldc << " < OH*OW=" << g.col_cols();
}

}  // namespace

void im2col(const Conv2dGeometry& g, const float* image, float* columns, int64_t ldc) {
  check_geometry(g, ldc);
  internal::active_table().im2col(g, image, columns, ldc);
}

void col2im(const Conv2dGeometry& g, const float* columns, int64_t ldc, float* image) {
  check_geometry(g, ldc);
  internal::active_table().col2im(g, columns, ldc, image);
}

namespace internal {

void im2col_portable(const Conv2dGeometry& g, const float* image, float* columns, int64_t ldc) {
  const int64_t oh = g.out_h(), ow = g.out_w(), sw = g.stride_w;
  const bool same_width = sw == 1 && g.stride_h == 1 && ow == g.width;  // See Note [Same-width rows]
  for (int64_t c = 0; c < g.channels; ++c) {
    const float* plane = image + c * g.height * g.width;
    for (int64_t ki = 0; ki < g.kernel_h; ++ki) {
      const Run y = valid_run(oh, g.height, g.stride_h, g.pad_h, ki);
      for (int64_t kj = 0; kj < g.kernel_w; ++kj, columns += ldc) {
        const Run x = valid_run(ow, g.width, sw, g.pad_w, kj);
        float* __restrict row = columns;
        if (x.begin == x.end || y.begin == y.end) {
          std::fill(row, row + oh * ow, 0.0f);
          continue;
        }
        std::fill(row, row + y.begin * ow, 0.0f);          // output lines above the image
        std::fill(row + y.end * ow, row + oh * ow, 0.0f);  // and below it
        const int64_t width = x.end - x.begin;
        const float* __restrict in =
            plane + (y.begin * g.stride_h - g.pad_h + ki) * g.width + (x.begin * sw - g.pad_w + kj);
        if (same_width) {
          // One copy from the first valid cell to the last, then re-zero the
          // gaps between valid runs, which the copy filled from the neighbouring
          // image rows, and the cells before the first run and after the last.
          const int64_t lines = y.end - y.begin;
          float* cells = row + y.begin * ow + x.begin;
          std::memcpy(cells, in, static_cast<size_t>((lines - 1) * ow + width) * sizeof(float));
          for (int64_t k = 0; k + 1 < lines; ++k)
            for (int64_t i = k * ow + width; i < (k + 1) * ow; ++i) cells[i] = 0.0f;
          for (int64_t ox = 0; ox < x.begin; ++ox) row[y.begin * ow + ox] = 0.0f;
          for (int64_t ox = x.end; ox < ow; ++ox) row[(y.end - 1) * ow + ox] = 0.0f;
          continue;
        }
        const int64_t line_step = g.stride_h * g.width;
        for (int64_t oy = y.begin; oy < y.end; ++oy, in += line_step) {
          float* __restrict line = row + oy * ow;
          for (int64_t ox = 0; ox < x.begin; ++ox) line[ox] = 0.0f;
          if (sw == 1) {
            for (int64_t i = 0; i < width; ++i) line[x.begin + i] = in[i];
          } else {
            for (int64_t i = 0; i < width; ++i) line[x.begin + i] = in[i * sw];
          }
          for (int64_t ox = x.end; ox < ow; ++ox) line[ox] = 0.0f;
        }
      }
    }
  }
}

void col2im_portable(const Conv2dGeometry& g, const float* columns, int64_t ldc, float* image) {
  const int64_t oh = g.out_h(), ow = g.out_w(), sw = g.stride_w;
  for (int64_t c = 0; c < g.channels; ++c) {
    float* plane = image + c * g.height * g.width;
    for (int64_t ki = 0; ki < g.kernel_h; ++ki) {
      const Run y = valid_run(oh, g.height, g.stride_h, g.pad_h, ki);
      for (int64_t kj = 0; kj < g.kernel_w; ++kj, columns += ldc) {
        const Run x = valid_run(ow, g.width, sw, g.pad_w, kj);
        const int64_t width = x.end - x.begin;
        for (int64_t oy = y.begin; oy < y.end; ++oy) {
          const float* __restrict in = columns + oy * ow + x.begin;
          float* __restrict out =
              plane + (oy * g.stride_h - g.pad_h + ki) * g.width + (x.begin * sw - g.pad_w + kj);
          if (sw == 1) {
            for (int64_t i = 0; i < width; ++i) out[i] += in[i];
          } else {
            for (int64_t i = 0; i < width; ++i) out[i * sw] += in[i];
          }
        }
      }
    }
  }
}

}  // namespace internal
}  // namespace dpeval::kernels
