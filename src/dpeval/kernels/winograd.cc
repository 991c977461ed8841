// Winograd F(2x2, 5x5) transforms for 5x5, stride-1, padding-2 convolutions.
// See Note [Winograd F(2x2, 5x5)] in kernels.h.
#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "dpeval/core/check.h"
#include "dpeval/kernels/kernels.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12's AVX-512 intrinsics pass _mm512_undefined_ps() through and then warn
// about it at every inlined use (GCC bug 105593, fixed in 13): "may be used
// uninitialized" at -O3, "is used uninitialized" at -O2 with sanitizers.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif
#endif

namespace dpeval::kernels {
namespace {

// Note [Winograd clones]
// The transforms are flat elementwise loops over the tiles, so they run as
// AVX-512, AVX2 or baseline code as the CPU allows (GCC/Clang function clones,
// chosen at load time). Each lane computes the same sequence of roundings
// whatever the vector width (no FMA: -ffp-contract=off), so the result is
// bitwise the same on every CPU, as Note [Bitwise equal across ISAs] asks.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DPEVAL_WINOGRAD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DPEVAL_WINOGRAD_CLONES
#endif

constexpr int64_t kTile = 6;  // input tile side; each tile gives 2x2 outputs

// The 1-D input transform B^T d over 6 values (points 0, 1, -1, 2, -2, inf),
// one lane per tile t: o_k[t] for k < 6 from d_s[t]. Elementwise, so the
// result is the same whatever the vector width.
inline void input_1d(int64_t n, const float* __restrict d0, const float* __restrict d1,
                     const float* __restrict d2, const float* __restrict d3, const float* __restrict d4,
                     const float* __restrict d5, float* __restrict o0, float* __restrict o1,
                     float* __restrict o2, float* __restrict o3, float* __restrict o4, float* __restrict o5) {
  for (int64_t t = 0; t < n; ++t) {
    o0[t] = (4.0f * d0[t] - 5.0f * d2[t]) + d4[t];
    o1[t] = (d3[t] + d4[t]) - 4.0f * (d1[t] + d2[t]);
    o2[t] = (d4[t] - d3[t]) + 4.0f * (d1[t] - d2[t]);
    o3[t] = (d4[t] - d2[t]) + 2.0f * (d3[t] - d1[t]);
    o4[t] = (d4[t] - d2[t]) - 2.0f * (d3[t] - d1[t]);
    o5[t] = (4.0f * d1[t] - 5.0f * d3[t]) + d5[t];
  }
}

// The 1-D output transform A^T m over 6 values: two outputs per lane.
inline void output_1d(int64_t n, const float* __restrict m0, const float* __restrict m1,
                      const float* __restrict m2, const float* __restrict m3, const float* __restrict m4,
                      const float* __restrict m5, float* __restrict y0, float* __restrict y1) {
  for (int64_t t = 0; t < n; ++t) {
    y0[t] = ((m0[t] + m1[t]) + (m2[t] + m3[t])) + m4[t];
    y1[t] = ((m1[t] - m2[t]) + 2.0f * (m3[t] - m4[t])) + m5[t];
  }
}

// The adjoint of output_1d, A x over 2 values: six outputs per lane (the
// rows of A are (1,0), (1,1), (1,-1), (1,2), (1,-2), (0,1)).
inline void output_grad_1d(int64_t n, const float* __restrict x0, const float* __restrict x1,
                           float* __restrict o0, float* __restrict o1, float* __restrict o2,
                           float* __restrict o3, float* __restrict o4, float* __restrict o5) {
  for (int64_t t = 0; t < n; ++t) {
    o0[t] = x0[t];
    o1[t] = x0[t] + x1[t];
    o2[t] = x0[t] - x1[t];
    o3[t] = x0[t] + 2.0f * x1[t];
    o4[t] = x0[t] - 2.0f * x1[t];
    o5[t] = x1[t];
  }
}

// Note [Channels-last transposes]
// The transforms work channels last, the layers' tensors are NCHW, so each
// transform starts or ends with a transpose of the image. Done one float at
// a time it was a third of the input transform; with AVX-512 it is 16x16
// blocks in registers (unpack, then two rounds of 128-bit lane shuffles).
// A transpose only moves values, so every path gives the same bits.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DPEVAL_WINOGRAD_AVX512 1

__attribute__((target("avx512f"))) inline void transpose_16x16(__m512 (&r)[16]) {
  __m512 t[16], u[16], v[16];
#pragma GCC unroll 8
  for (int k = 0; k < 8; ++k) {
    t[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
    t[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
  }
  // u[4k + m] lane L: column 4L + m of rows 4k..4k+3.
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {
    const __m512d t0 = _mm512_castps_pd(t[4 * k]), t1 = _mm512_castps_pd(t[4 * k + 1]);
    const __m512d t2 = _mm512_castps_pd(t[4 * k + 2]), t3 = _mm512_castps_pd(t[4 * k + 3]);
    u[4 * k] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
    u[4 * k + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
    u[4 * k + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
    u[4 * k + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
  }
  // v[8k + 2m] lanes: columns m, m+8 of rows 8k..8k+3, then of rows 8k+4..8k+7;
  // v[8k + 2m + 1] the same for columns m+4, m+12.
#pragma GCC unroll 2
  for (int k = 0; k < 2; ++k) {
#pragma GCC unroll 4
    for (int m = 0; m < 4; ++m) {
      v[8 * k + 2 * m] = _mm512_shuffle_f32x4(u[8 * k + m], u[8 * k + 4 + m], 0x88);
      v[8 * k + 2 * m + 1] = _mm512_shuffle_f32x4(u[8 * k + m], u[8 * k + 4 + m], 0xdd);
    }
  }
#pragma GCC unroll 4
  for (int m = 0; m < 4; ++m) {
    r[m] = _mm512_shuffle_f32x4(v[2 * m], v[8 + 2 * m], 0x88);
    r[m + 8] = _mm512_shuffle_f32x4(v[2 * m], v[8 + 2 * m], 0xdd);
    r[m + 4] = _mm512_shuffle_f32x4(v[2 * m + 1], v[9 + 2 * m], 0x88);
    r[m + 12] = _mm512_shuffle_f32x4(v[2 * m + 1], v[9 + 2 * m], 0xdd);
  }
}

inline __mmask16 first_lanes(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }

// The blocks of 16 whole channels of to_channels_last; returns how many channels it did.
__attribute__((target("avx512f"))) int64_t to_channels_last_avx512(const float* x, int64_t channels,
                                                                    int64_t height, int64_t width, int64_t cols,
                                                                    int64_t offset, float* hwc) {
  const int64_t plane = height * width;
  int64_t c0 = 0;
  for (; c0 + 16 <= channels; c0 += 16) {
    for (int64_t y = 0; y < height; ++y) {
      float* dst = hwc + ((y + offset) * cols + offset) * channels + c0;
      for (int64_t x0 = 0; x0 < width; x0 += 16) {
        const int64_t n = std::min<int64_t>(16, width - x0);
        __m512 r[16];
        for (int k = 0; k < 16; ++k)
          r[k] = _mm512_maskz_loadu_ps(first_lanes(n), x + (c0 + k) * plane + y * width + x0);
        transpose_16x16(r);
        for (int64_t i = 0; i < n; ++i) _mm512_storeu_ps(dst + (x0 + i) * channels, r[i]);
      }
    }
  }
  return c0;
}

// The blocks of 16 whole channels of from_channels_last; returns how many channels it did.
__attribute__((target("avx512f"))) int64_t from_channels_last_avx512(const float* hwc, int64_t channels,
                                                                      int64_t height, int64_t width,
                                                                      int64_t cols, const float* bias, bool relu,
                                                                      float* y) {
  const int64_t plane = height * width;
  const __m512 zero = _mm512_setzero_ps();
  int64_t c0 = 0;
  for (; c0 + 16 <= channels; c0 += 16) {
    for (int64_t row = 0; row < height; ++row) {
      const float* src = hwc + row * cols * channels + c0;
      for (int64_t x0 = 0; x0 < width; x0 += 16) {
        const int64_t n = std::min<int64_t>(16, width - x0);
        __m512 r[16];
        for (int64_t i = 0; i < 16; ++i) r[i] = i < n ? _mm512_loadu_ps(src + (x0 + i) * channels) : zero;
        transpose_16x16(r);
        for (int k = 0; k < 16; ++k) {
          __m512 value = _mm512_add_ps(r[k], _mm512_set1_ps(bias != nullptr ? bias[c0 + k] : 0.0f));
          // `v < 0 ? 0 : v` as relu_forward: NaN stays NaN, -0 stays -0.
          if (relu) value = _mm512_mask_mov_ps(value, _mm512_cmp_ps_mask(value, zero, _CMP_LT_OQ), zero);
          _mm512_mask_storeu_ps(y + (c0 + k) * plane + row * width + x0, first_lanes(n), value);
        }
      }
    }
  }
  return c0;
}

bool have_avx512() {
  static const bool have = __builtin_cpu_supports("avx512f");
  return have;
}
#endif

// hwc [rows][cols][C] = x [C][H][W] placed at row and column `offset`, zeros
// around it (rows >= H + offset, cols >= W + offset).
void to_channels_last(const float* x, int64_t channels, int64_t height, int64_t width, int64_t rows,
                      int64_t cols, int64_t offset, float* hwc) {
  // The zero border: whole rows above and below, the columns left and right.
  std::fill(hwc, hwc + offset * cols * channels, 0.0f);
  std::fill(hwc + (height + offset) * cols * channels, hwc + rows * cols * channels, 0.0f);
  for (int64_t y = 0; y < height; ++y) {
    float* line = hwc + (y + offset) * cols * channels;
    std::fill(line, line + offset * channels, 0.0f);
    std::fill(line + (width + offset) * channels, line + cols * channels, 0.0f);
  }
  int64_t c0 = 0;
#ifdef DPEVAL_WINOGRAD_AVX512
  if (have_avx512()) c0 = to_channels_last_avx512(x, channels, height, width, cols, offset, hwc);
#endif
  for (int64_t y = 0; y < height; ++y) {
    for (int64_t xx = 0; xx < width; ++xx) {
      float* __restrict dst = hwc + ((y + offset) * cols + xx + offset) * channels;
      const float* __restrict src = x + y * width + xx;
      for (int64_t c = c0; c < channels; ++c) dst[c] = src[c * height * width];
    }
  }
}

// y [C][H][W] = hwc [.][cols][C] (its first H rows and W columns) + bias[c],
// then max(0, .) when relu (bias may be null).
void from_channels_last(const float* hwc, int64_t channels, int64_t height, int64_t width, int64_t cols,
                        const float* bias, bool relu, float* y) {
  int64_t c0 = 0;
#ifdef DPEVAL_WINOGRAD_AVX512
  if (have_avx512()) c0 = from_channels_last_avx512(hwc, channels, height, width, cols, bias, relu, y);
#endif
  for (int64_t c = c0; c < channels; ++c) {
    const float b = bias != nullptr ? bias[c] : 0.0f;
    float* dst = y + c * height * width;
    for (int64_t row = 0; row < height; ++row) {
      const float* src = hwc + row * cols * channels + c;
      for (int64_t col = 0; col < width; ++col) {
        const float value = src[col * channels] + b;
        dst[row * width + col] = relu && value < 0 ? 0.0f : value;
      }
    }
  }
}

// Scratch of one thread, kept across calls: the transforms run once per
// chunk of images, and fresh zeroed vectors each time were 5 % of a CNN step.
float* scratch(std::vector<float>& buffer, int64_t n) {
  if (buffer.size() < static_cast<size_t>(n)) buffer.resize(static_cast<size_t>(n));
  return buffer.data();
}
struct Scratch {
  std::vector<float> padded, rows, tile;
};
Scratch& thread_scratch() {
  thread_local Scratch s;
  return s;
}

// The 2x2-output tiles of `images` planes of height x width, after checking
// the sizes: th x tw tiles per plane, T in all.
struct TileGrid {
  int64_t th, tw, tiles, T;
  TileGrid(const char* what, int64_t images, int64_t channels, int64_t height, int64_t width) {
    DPEVAL_CHECK(images >= 0 && channels >= 0 && height >= 1 && width >= 1)
        << what << " " << images << "x" << channels << "x" << height << "x" << width;
    th = (height + 1) / 2;
    tw = (width + 1) / 2;
    tiles = th * tw;
    T = images * tiles;
  }
};

// G, 6 x 5: the kernel transform for the same points.
constexpr double kG[kTile][5] = {
    {1.0 / 4, 0, 0, 0, 0},
    {-1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6},
    {-1.0 / 6, 1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6},
    {1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 3, 2.0 / 3},
    {1.0 / 24, -1.0 / 12, 1.0 / 6, -1.0 / 3, 2.0 / 3},
    {0, 0, 0, 0, 1},
};

}  // namespace

bool winograd_5x5_applies(const Conv2dGeometry& g) {
  return g.kernel_h == 5 && g.kernel_w == 5 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 2 &&
         g.pad_w == 2 && g.height >= 1 && g.width >= 1;
}

int64_t winograd_5x5_tiles(int64_t height, int64_t width) { return ((height + 1) / 2) * ((width + 1) / 2); }

void winograd_5x5_weights(const float* w, int64_t out_channels, int64_t channels, bool input_grad, float* u) {
  DPEVAL_CHECK(out_channels >= 0 && channels >= 0) << "winograd weights " << out_channels << "x" << channels;
  // u[xi] is [cols][rows] for a convolution with `rows` outputs from `cols`
  // inputs: OC from C for the forward pass, C from OC for the input gradient
  // (the kernel rotated by 180 degrees, Note [Winograd F(2x2, 5x5)]).
  const int64_t rows = input_grad ? channels : out_channels;
  const int64_t cols = input_grad ? out_channels : channels;
  for (int64_t o = 0; o < out_channels; ++o) {
    for (int64_t c = 0; c < channels; ++c) {
      const float* k = w + (o * channels + c) * 25;
      double g[5][5];
      for (int64_t a = 0; a < 5; ++a) {
        for (int64_t b = 0; b < 5; ++b) g[a][b] = input_grad ? k[(4 - a) * 5 + (4 - b)] : k[a * 5 + b];
      }
      double gg[kTile][5];  // G g
      for (int64_t i = 0; i < kTile; ++i) {
        for (int64_t b = 0; b < 5; ++b) {
          double s = 0;
          for (int64_t a = 0; a < 5; ++a) s += kG[i][a] * g[a][b];
          gg[i][b] = s;
        }
      }
      const int64_t row = input_grad ? c : o, col = input_grad ? o : c;
      for (int64_t i = 0; i < kTile; ++i) {
        for (int64_t j = 0; j < kTile; ++j) {
          double s = 0;
          for (int64_t b = 0; b < 5; ++b) s += gg[i][b] * kG[j][b];
          u[((i * kTile + j) * cols + col) * rows + row] = static_cast<float>(s);
        }
      }
    }
  }
}

void winograd_5x5_weights_grad(const float* du, int64_t out_channels, int64_t channels, bool accumulate,
                               float* dw) {
  DPEVAL_CHECK(out_channels >= 0 && channels >= 0)
      << "winograd weight gradient " << out_channels << "x" << channels;
  // dw = G^T du G, the adjoint of u = G w G^T (du[xi] is [C][OC]).
  for (int64_t o = 0; o < out_channels; ++o) {
    for (int64_t c = 0; c < channels; ++c) {
      double gd[5][kTile];  // G^T du
      for (int64_t a = 0; a < 5; ++a) {
        for (int64_t j = 0; j < kTile; ++j) {
          double s = 0;
          for (int64_t i = 0; i < kTile; ++i) s += kG[i][a] * du[((i * kTile + j) * channels + c) * out_channels + o];
          gd[a][j] = s;
        }
      }
      float* k = dw + (o * channels + c) * 25;
      for (int64_t a = 0; a < 5; ++a) {
        for (int64_t b = 0; b < 5; ++b) {
          double s = 0;
          for (int64_t j = 0; j < kTile; ++j) s += gd[a][j] * kG[j][b];
          k[a * 5 + b] = accumulate ? k[a * 5 + b] + static_cast<float>(s) : static_cast<float>(s);
        }
      }
    }
  }
}

DPEVAL_WINOGRAD_CLONES void winograd_5x5_input(const float* x, int64_t images, int64_t channels,
                                               int64_t height, int64_t width, float* v) {
  const TileGrid grid("winograd input", images, channels, height, width);
  const int64_t th = grid.th, tw = grid.tw, tiles = grid.tiles, T = grid.T, C = channels;
  // Tile (ty, tx) is rows 2ty..2ty+5 and columns 2tx..2tx+5 of the image with
  // its 2-pixel zero border (and one more row or column of zeros when the
  // size is odd). The image is first laid out channels last, padded, so that
  // every step below is one loop over the channels of one position:
  //   along the rows:   z[R][tx][j] = sum_s BT[j][s] padded[R][2tx + s]  (each padded row R once)
  //   down the columns: v[i][j][t]  = sum_r BT[i][r] z[2ty + r][tx][j]
  // (BT: Note [Winograd F(2x2, 5x5)]).
  const int64_t ph = 2 * th + 4, pw = 2 * tw + 4;
  Scratch& scratch_space = thread_scratch();
  float* padded = scratch(scratch_space.padded, ph * pw * C);
  float* z = scratch(scratch_space.rows, ph * tw * kTile * C);
  const int64_t is = kTile * T * C;  // i stride of v
  for (int64_t img = 0; img < images; ++img) {
    to_channels_last(x + img * C * height * width, C, height, width, ph, pw, 2, padded);
    for (int64_t R = 0; R < ph; ++R) {
      for (int64_t tx = 0; tx < tw; ++tx) {
        const float* d = padded + (R * pw + 2 * tx) * C;
        float* o = z + (R * tw + tx) * kTile * C;
        input_1d(C, d, d + C, d + 2 * C, d + 3 * C, d + 4 * C, d + 5 * C, o, o + C, o + 2 * C, o + 3 * C,
                 o + 4 * C, o + 5 * C);
      }
    }
    for (int64_t ty = 0; ty < th; ++ty) {
      for (int64_t tx = 0; tx < tw; ++tx) {
        const int64_t t = img * tiles + ty * tw + tx;
        const int64_t rs = tw * kTile * C;  // padded row stride of z
        for (int64_t j = 0; j < kTile; ++j) {
          const float* d = z + ((2 * ty * tw + tx) * kTile + j) * C;
          float* o = v + (j * T + t) * C;
          input_1d(C, d, d + rs, d + 2 * rs, d + 3 * rs, d + 4 * rs, d + 5 * rs, o, o + is, o + 2 * is,
                   o + 3 * is, o + 4 * is, o + 5 * is);
        }
      }
    }
  }
}

DPEVAL_WINOGRAD_CLONES void winograd_5x5_output(const float* m, int64_t images, int64_t out_channels,
                                                int64_t height, int64_t width, const float* bias, bool relu,
                                                float* y) {
  const TileGrid grid("winograd output", images, out_channels, height, width);
  const int64_t th = grid.th, tw = grid.tw, tiles = grid.tiles, T = grid.T, OC = out_channels;
  const int64_t is = kTile * T * OC;  // i stride of m
  // Each tile's 2x2 outputs go to a channels-last plane, then to y.
  Scratch& scratch_space = thread_scratch();
  float* cols = scratch(scratch_space.tile, 2 * kTile * OC);     // [a][j][oc]
  float* plane = scratch(scratch_space.padded, 4 * tiles * OC);  // [2th][2tw][oc]
  for (int64_t img = 0; img < images; ++img) {
    for (int64_t ty = 0; ty < th; ++ty) {
      for (int64_t tx = 0; tx < tw; ++tx) {
        const int64_t t = img * tiles + ty * tw + tx;
        // Down each column j: cols[a][j] = sum_i AT[a][i] m[i*6 + j].
        for (int64_t j = 0; j < kTile; ++j) {
          const float* in = m + (j * T + t) * OC;
          output_1d(OC, in, in + is, in + 2 * is, in + 3 * is, in + 4 * is, in + 5 * is,
                    cols + j * OC, cols + (kTile + j) * OC);
        }
        // Along each row a: out[a][b] = sum_j AT[b][j] cols[a][j].
        for (int64_t a = 0; a < 2; ++a) {
          const float* in = cols + a * kTile * OC;
          float* out = plane + ((2 * ty + a) * 2 * tw + 2 * tx) * OC;
          output_1d(OC, in, in + OC, in + 2 * OC, in + 3 * OC, in + 4 * OC, in + 5 * OC, out, out + OC);
        }
      }
    }
    from_channels_last(plane, OC, height, width, 2 * tw, bias, relu, y + img * OC * height * width);
  }
}

DPEVAL_WINOGRAD_CLONES void winograd_5x5_output_grad(const float* dy, int64_t images, int64_t out_channels,
                                                     int64_t height, int64_t width, float* g) {
  const TileGrid grid("winograd output gradient", images, out_channels, height, width);
  const int64_t th = grid.th, tw = grid.tw, tiles = grid.tiles, T = grid.T, OC = out_channels;
  // dy laid out channels last, rounded up to even sides with zeros.
  Scratch& scratch_space = thread_scratch();
  float* plane = scratch(scratch_space.padded, 4 * tiles * OC);
  float* h = scratch(scratch_space.tile, 2 * kTile * OC);  // [b][i][oc]
  for (int64_t img = 0; img < images; ++img) {
    to_channels_last(dy + img * OC * height * width, OC, height, width, 2 * th, 2 * tw, 0, plane);
    for (int64_t ty = 0; ty < th; ++ty) {
      for (int64_t tx = 0; tx < tw; ++tx) {
        const int64_t t = img * tiles + ty * tw + tx;
        // Down each column b: h[b][i] = sum_a A[i][a] dy[a][b].
        for (int64_t b = 0; b < 2; ++b) {
          const float* d = plane + (2 * ty * 2 * tw + 2 * tx + b) * OC;
          float* o = h + b * kTile * OC;
          output_grad_1d(OC, d, d + 2 * tw * OC, o, o + OC, o + 2 * OC, o + 3 * OC, o + 4 * OC, o + 5 * OC);
        }
        // Along each row i: g[i][j] = sum_b A[j][b] h[b][i].
        for (int64_t i = 0; i < kTile; ++i) {
          float* o = g + (i * kTile * T + t) * OC;
          const int64_t js = T * OC;  // j stride of g
          output_grad_1d(OC, h + i * OC, h + (kTile + i) * OC, o, o + js, o + 2 * js,
                         o + 3 * js, o + 4 * js, o + 5 * js);
        }
      }
    }
  }
}

}  // namespace dpeval::kernels
