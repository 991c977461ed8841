// AVX2 im2col / col2im for one [C, H, W] image and columns [C*KH*KW, OH*OW]
// with stride 1 along W: im2col for 8 <= OW <= 32, col2im for 8 <= W <= 32
// and KW <= 16 (other geometries go to the portable code). Lines are 1 to 4
// chunks of 8, a template parameter, so every chunk lives in a register. See
// Note [im2col without per-element branches] in im2col.cc and the notes below.
//
// Note [Masked lines]
// An output line of OW cells is covered by ceil(OW / 8) chunks of 8 starting at
// 0, 8, 16, ..., the last one moved back to end exactly at OW (it overlaps the
// one before; no chunk crosses the line's end). For column row (c, ki, kj) the
// cells whose pixel is inside the image are the run [x.begin, x.end), the same
// on every line, so each chunk gets one lane mask per row. im2col loads a chunk
// with _mm256_maskload_ps (masked lanes read nothing and give +0.0, exactly the
// zero padding) and stores it whole; an overlapping last chunk just rewrites
// the same values. Masked lanes may address memory outside the image (up to
// PW floats before a row); masked loads never touch masked-out lanes.
//
// Note [col2im by image rows]
// col2im runs the other way round: for each (c, ki) and each valid output line
// oy, the image row it lands on, iy = oy*SH - PH + ki, is loaded into
// registers once (chunks of 8 over W, the last one overlapping; each register
// holds complete sums for its own lanes, so storing overlapping chunks writes
// equal values), the KW cell lines (c, ki, kj = 0, 1, ...) are added to it,
// shifted by PW - kj, and it is stored once. Lanes whose cell lies outside
// [0, OW) load as -0.0, and x + (-0.0) == x bitwise for every x (-0 and NaN
// included), so each pixel receives exactly the reference's additions, in the
// reference's order: by ki, then kj. Measured at conv2 (C = 32, 14 x 14,
// 5 x 5, pad 2): masked read-modify-write per cell line took ~120 us per
// image (masked stores are slow on AMD), line-by-line portable code 30 us.
#include "dpeval/kernels/internal/im2col_internal.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#include <algorithm>

#define DPEVAL_AVX2 __attribute__((target("avx2")))

namespace dpeval::kernels::internal {
namespace {

constexpr int64_t kMaxKernelW = 16;  // col2im keeps one mask per (kj, chunk)

// Lanes l of the chunk at `start` with start + l in [begin, end).
DPEVAL_AVX2 inline __m256i lane_mask(int64_t start, int64_t begin, int64_t end) {
  const __m256i idx =
      _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(start)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const __m256i ge_begin = _mm256_cmpgt_epi32(idx, _mm256_set1_epi32(static_cast<int>(begin) - 1));
  const __m256i lt_end = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(end)), idx);
  return _mm256_and_si256(ge_begin, lt_end);
}

// Chunk starts over a line of n cells, 8 <= n <= 8 * kChunks: 0, 8, ..., n - 8.
template <int kChunks>
struct Chunks {
  int64_t start[kChunks];
  explicit Chunks(int64_t n) {
    for (int j = 0; j < kChunks; ++j) start[j] = std::min<int64_t>(8 * j, n - 8);
  }
};

template <int kChunks>
DPEVAL_AVX2 void im2col_chunks(const Conv2dGeometry& g, const float* image, float* columns, int64_t ldc) {
  const int64_t oh = g.out_h(), ow = g.out_w();
  const Chunks<kChunks> at(ow);
  for (int64_t c = 0; c < g.channels; ++c) {
    const float* plane = image + c * g.height * g.width;
    for (int64_t ki = 0; ki < g.kernel_h; ++ki) {
      const Run y = valid_run(oh, g.height, g.stride_h, g.pad_h, ki);
      for (int64_t kj = 0; kj < g.kernel_w; ++kj, columns += ldc) {
        const Run x = valid_run(ow, g.width, 1, g.pad_w, kj);
        float* row = columns;
        if (x.begin == x.end || y.begin == y.end) {
          std::fill(row, row + oh * ow, 0.0f);
          continue;
        }
        std::fill(row, row + y.begin * ow, 0.0f);
        std::fill(row + y.end * ow, row + oh * ow, 0.0f);
        __m256i mask[kChunks];
        for (int j = 0; j < kChunks; ++j) mask[j] = lane_mask(at.start[j], x.begin, x.end);
        const int64_t shift = kj - g.pad_w;  // ix = ox + shift
        for (int64_t oy = y.begin; oy < y.end; ++oy) {
          const float* src = plane + (oy * g.stride_h - g.pad_h + ki) * g.width + shift;
          float* line = row + oy * ow;
          for (int j = 0; j < kChunks; ++j)
            _mm256_storeu_ps(line + at.start[j], _mm256_maskload_ps(src + at.start[j], mask[j]));
        }
      }
    }
  }
}

// Adds to the pixel registers acc the KW cell lines (rows kj = 0, 1, ... from
// `columns`, ldc apart) at output line offset `line` (= oy * OW); see Note
// [col2im by image rows].
template <int kChunks>
DPEVAL_AVX2 inline void add_cell_lines(const float* columns, int64_t ldc, int64_t kw, int64_t pad_w,
                                       const Chunks<kChunks>& at, const __m256i (*mask)[4], int64_t line,
                                       __m256* acc) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (int64_t kj = 0; kj < kw; ++kj) {
    // cells[ix] is the cell of pixel ix (ox = ix + PW - kj); lanes outside [0, OW) are masked.
    const float* cells = columns + kj * ldc + line + (pad_w - kj);
    for (int j = 0; j < kChunks; ++j) {
      const __m256 m = _mm256_castsi256_ps(mask[kj][j]);
      const __m256 v =
          _mm256_or_ps(_mm256_maskload_ps(cells + at.start[j], mask[kj][j]), _mm256_andnot_ps(m, sign));
      acc[j] = _mm256_add_ps(acc[j], v);
    }
  }
}

template <int kChunks>
DPEVAL_AVX2 void col2im_chunks(const Conv2dGeometry& g, const float* columns, int64_t ldc, float* image) {
  const int64_t oh = g.out_h(), ow = g.out_w(), kw = g.kernel_w, width = g.width;
  const Chunks<kChunks> at(width);
  // mask[kj][j]: lanes of pixel chunk j whose cell ox = ix + PW - kj lies in [0, OW).
  __m256i mask[kMaxKernelW][4];
  for (int64_t kj = 0; kj < kw; ++kj)
    for (int j = 0; j < kChunks; ++j) mask[kj][j] = lane_mask(at.start[j], kj - g.pad_w, ow + kj - g.pad_w);
  for (int64_t c = 0; c < g.channels; ++c) {
    float* plane = image + c * g.height * width;
    for (int64_t ki = 0; ki < g.kernel_h; ++ki, columns += kw * ldc) {
      const Run y = valid_run(oh, g.height, g.stride_h, g.pad_h, ki);
      // Two output lines at a time (two distinct image rows): independent add chains.
      int64_t oy = y.begin;
      for (; oy + 2 <= y.end; oy += 2) {
        float* p0 = plane + (oy * g.stride_h - g.pad_h + ki) * width;
        float* p1 = p0 + g.stride_h * width;
        __m256 a0[kChunks], a1[kChunks];
        for (int j = 0; j < kChunks; ++j) a0[j] = _mm256_loadu_ps(p0 + at.start[j]);
        for (int j = 0; j < kChunks; ++j) a1[j] = _mm256_loadu_ps(p1 + at.start[j]);
        add_cell_lines<kChunks>(columns, ldc, kw, g.pad_w, at, mask, oy * ow, a0);
        add_cell_lines<kChunks>(columns, ldc, kw, g.pad_w, at, mask, (oy + 1) * ow, a1);
        for (int j = 0; j < kChunks; ++j) _mm256_storeu_ps(p0 + at.start[j], a0[j]);
        for (int j = 0; j < kChunks; ++j) _mm256_storeu_ps(p1 + at.start[j], a1[j]);
      }
      if (oy < y.end) {
        float* p0 = plane + (oy * g.stride_h - g.pad_h + ki) * width;
        __m256 a0[kChunks];
        for (int j = 0; j < kChunks; ++j) a0[j] = _mm256_loadu_ps(p0 + at.start[j]);
        add_cell_lines<kChunks>(columns, ldc, kw, g.pad_w, at, mask, oy * ow, a0);
        for (int j = 0; j < kChunks; ++j) _mm256_storeu_ps(p0 + at.start[j], a0[j]);
      }
    }
  }
}

}  // namespace

void im2col_avx2(const Conv2dGeometry& g, const float* image, float* columns, int64_t ldc) {
  const int64_t ow = g.out_w();
  if (g.stride_w != 1 || ow < 8 || ow > 32) return im2col_portable(g, image, columns, ldc);
  switch ((ow + 7) / 8) {
    case 1:
      return im2col_chunks<1>(g, image, columns, ldc);
    case 2:
      return im2col_chunks<2>(g, image, columns, ldc);
    case 3:
      return im2col_chunks<3>(g, image, columns, ldc);
    default:
      return im2col_chunks<4>(g, image, columns, ldc);
  }
}

void col2im_avx2(const Conv2dGeometry& g, const float* columns, int64_t ldc, float* image) {
  const int64_t width = g.width;
  if (g.stride_w != 1 || width < 8 || width > 32 || g.kernel_w > kMaxKernelW)
    return col2im_portable(g, columns, ldc, image);
  switch ((width + 7) / 8) {
    case 1:
      return col2im_chunks<1>(g, columns, ldc, image);
    case 2:
      return col2im_chunks<2>(g, columns, ldc, image);
    case 3:
      return col2im_chunks<3>(g, columns, ldc, image);
    default:
      return col2im_chunks<4>(g, columns, ldc, image);
  }
}

}  // namespace dpeval::kernels::internal

#endif
