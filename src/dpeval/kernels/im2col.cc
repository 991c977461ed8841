// im2col / col2im for one [C, H, W] image and columns [C*KH*KW, OH*OW] at row stride ldc.
//
// Note [im2col without per-element branches]
// Column row (c, ki, kj) holds, at column (oy, ox), the pixel
// (iy, ix) = (oy*SH - PH + ki, ox*SW - PW + kj) or 0 outside the image. For a
// fixed row and output line oy, iy is fixed (the whole line is padding or
// not), and ix is inside [0, W) exactly for ox in [ox_begin, ox_end), computed
// once per (row, kj). So each output line is: a zero run, a contiguous copy
// (stride 1: memcpy) or a strided gather, and a zero run. col2im walks the same
// runs and adds instead of copying, in the same order as the reference, so its
// sums are bitwise those of the reference.
#include <algorithm>
#include <cstring>

#include "dpeval/core/check.h"
#include "dpeval/kernels/kernels.h"

namespace dpeval::kernels {
namespace {

// ceil(a / b) for b > 0 and any sign of a.
int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

void check_geometry(const Conv2dGeometry& g, int64_t ldc) {
  DPEVAL_CHECK(g.channels >= 0 && g.height >= 0 && g.width >= 0) << "conv geometry: negative C, H or W";
  DPEVAL_CHECK(g.kernel_h >= 1 && g.kernel_w >= 1 && g.stride_h >= 1 && g.stride_w >= 1)
      << "conv geometry: kernel " << g.kernel_h << "x" << g.kernel_w << " stride " << g.stride_h << "x" << g.stride_w;
  DPEVAL_CHECK(g.pad_h >= 0 && g.pad_w >= 0) << "conv geometry: negative padding";
  DPEVAL_CHECK(g.height + 2 * g.pad_h >= g.kernel_h && g.width + 2 * g.pad_w >= g.kernel_w)
      << "conv geometry: kernel larger than the padded image";
  DPEVAL_CHECK(ldc >= g.col_cols()) << "im2col: ldc=" << ldc << " < OH*OW=" << g.col_cols();
}

// Output columns [begin, end) whose input column ox*stride - pad + k lies in [0, size).
struct Run {
  int64_t begin, end;
};
Run valid_run(int64_t out_size, int64_t size, int64_t stride, int64_t pad, int64_t k) {
  const int64_t begin = std::clamp<int64_t>(ceil_div(pad - k, stride), 0, out_size);
  const int64_t end = std::clamp<int64_t>(ceil_div(size + pad - k, stride), begin, out_size);
  return {begin, end};
}

}  // namespace

void im2col(const Conv2dGeometry& g, const float* image, float* columns, int64_t ldc) {
  check_geometry(g, ldc);
  const int64_t oh = g.out_h(), ow = g.out_w(), sw = g.stride_w;
  for (int64_t c = 0; c < g.channels; ++c) {
    const float* plane = image + c * g.height * g.width;
    for (int64_t ki = 0; ki < g.kernel_h; ++ki) {
      for (int64_t kj = 0; kj < g.kernel_w; ++kj, columns += ldc) {
        const Run x = valid_run(ow, g.width, sw, g.pad_w, kj);
        const int64_t ix_begin = x.begin * sw - g.pad_w + kj;
        float* out = columns;
        for (int64_t oy = 0; oy < oh; ++oy, out += ow) {
          const int64_t iy = oy * g.stride_h - g.pad_h + ki;
          if (iy < 0 || iy >= g.height) {
            std::fill(out, out + ow, 0.0f);
            continue;
          }
          std::fill(out, out + x.begin, 0.0f);
          const float* in = plane + iy * g.width + ix_begin;
          if (sw == 1) {
            std::memcpy(out + x.begin, in, static_cast<size_t>(x.end - x.begin) * sizeof(float));
          } else {
            for (int64_t ox = x.begin; ox < x.end; ++ox, in += sw) out[ox] = *in;
          }
          std::fill(out + x.end, out + ow, 0.0f);
        }
      }
    }
  }
}

void col2im(const Conv2dGeometry& g, const float* columns, int64_t ldc, float* image) {
  check_geometry(g, ldc);
  const int64_t oh = g.out_h(), ow = g.out_w(), sw = g.stride_w;
  for (int64_t c = 0; c < g.channels; ++c) {
    float* plane = image + c * g.height * g.width;
    for (int64_t ki = 0; ki < g.kernel_h; ++ki) {
      const Run y = valid_run(oh, g.height, g.stride_h, g.pad_h, ki);
      for (int64_t kj = 0; kj < g.kernel_w; ++kj, columns += ldc) {
        const Run x = valid_run(ow, g.width, sw, g.pad_w, kj);
        const int64_t ix_begin = x.begin * sw - g.pad_w + kj;
        for (int64_t oy = y.begin; oy < y.end; ++oy) {
          const float* __restrict in = columns + oy * ow;
          float* __restrict out = plane + (oy * g.stride_h - g.pad_h + ki) * g.width + ix_begin;
          if (sw == 1) {
            for (int64_t ox = x.begin; ox < x.end; ++ox) out[ox - x.begin] += in[ox];
          } else {
            for (int64_t ox = x.begin; ox < x.end; ++ox, out += sw) *out += in[ox];
          }
        }
      }
    }
  }
}

}  // namespace dpeval::kernels
