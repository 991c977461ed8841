// Winograd F(2x2, 5x5) transforms for 5x5, stride-1, padding-2 convolutions.
// See Note [Winograd F(2x2, 5x5)] in kernels.h.
#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "dpeval/core/check.h"
#include "dpeval/kernels/kernels.h"

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

// x [C][H][W] -> hwc [rows][cols][C] at row and column offset `offset`
// (the rest of hwc is left as it is: zero padding written once).
void to_channels_last(const float* x, int64_t channels, int64_t height, int64_t width, int64_t cols,
                      int64_t offset, float* hwc) {
  for (int64_t y = 0; y < height; ++y) {
    for (int64_t xx = 0; xx < width; ++xx) {
      float* __restrict dst = hwc + ((y + offset) * cols + xx + offset) * channels;
      const float* __restrict src = x + y * width + xx;
      for (int64_t c = 0; c < channels; ++c) dst[c] = src[c * height * width];
    }
  }
}

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
  DPEVAL_CHECK(images >= 0 && channels >= 0 && height >= 1 && width >= 1)
      << "winograd input " << images << "x" << channels << "x" << height << "x" << width;
  const int64_t th = (height + 1) / 2, tw = (width + 1) / 2, tiles = th * tw;
  const int64_t T = images * tiles, C = channels;
  // Tile (ty, tx) is rows 2ty..2ty+5 and columns 2tx..2tx+5 of the image with
  // its 2-pixel zero border (and one more row or column of zeros when the
  // size is odd). The image is first laid out channels last, padded, so that
  // every step below is one loop over the channels of one position:
  //   along the rows:   z[R][tx][j] = sum_s BT[j][s] padded[R][2tx + s]  (each padded row R once)
  //   down the columns: v[i][j][t]  = sum_r BT[i][r] z[2ty + r][tx][j]
  // (BT: Note [Winograd F(2x2, 5x5)]).
  const int64_t ph = 2 * th + 4, pw = 2 * tw + 4;
  std::vector<float> padded(static_cast<size_t>(ph * pw * C), 0.0f);  // borders stay 0
  std::vector<float> z(static_cast<size_t>(ph * tw * kTile * C));
  const int64_t is = kTile * T * C;  // i stride of v
  for (int64_t img = 0; img < images; ++img) {
    to_channels_last(x + img * C * height * width, C, height, width, pw, 2, padded.data());
    for (int64_t R = 0; R < ph; ++R) {
      for (int64_t tx = 0; tx < tw; ++tx) {
        const float* d = padded.data() + (R * pw + 2 * tx) * C;
        float* o = z.data() + (R * tw + tx) * kTile * C;
        input_1d(C, d, d + C, d + 2 * C, d + 3 * C, d + 4 * C, d + 5 * C, o, o + C, o + 2 * C, o + 3 * C,
                 o + 4 * C, o + 5 * C);
      }
    }
    for (int64_t ty = 0; ty < th; ++ty) {
      for (int64_t tx = 0; tx < tw; ++tx) {
        const int64_t t = img * tiles + ty * tw + tx;
        const int64_t rs = tw * kTile * C;  // padded row stride of z
        for (int64_t j = 0; j < kTile; ++j) {
          const float* d = z.data() + ((2 * ty * tw + tx) * kTile + j) * C;
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
  DPEVAL_CHECK(images >= 0 && out_channels >= 0 && height >= 1 && width >= 1)
      << "winograd output " << images << "x" << out_channels << "x" << height << "x" << width;
  const int64_t th = (height + 1) / 2, tw = (width + 1) / 2, tiles = th * tw;
  const int64_t T = images * tiles, OC = out_channels;
  const int64_t is = kTile * T * OC;  // i stride of m
  // Each tile's 2x2 outputs go to a channels-last plane, then to y.
  std::vector<float> cols(static_cast<size_t>(2 * kTile * OC));  // [a][j][oc]
  std::vector<float> plane(static_cast<size_t>(4 * tiles * OC));  // [2th][2tw][oc]
  for (int64_t img = 0; img < images; ++img) {
    for (int64_t ty = 0; ty < th; ++ty) {
      for (int64_t tx = 0; tx < tw; ++tx) {
        const int64_t t = img * tiles + ty * tw + tx;
        // Down each column j: cols[a][j] = sum_i AT[a][i] m[i*6 + j].
        for (int64_t j = 0; j < kTile; ++j) {
          const float* in = m + (j * T + t) * OC;
          output_1d(OC, in, in + is, in + 2 * is, in + 3 * is, in + 4 * is, in + 5 * is,
                    cols.data() + j * OC, cols.data() + (kTile + j) * OC);
        }
        // Along each row a: out[a][b] = sum_j AT[b][j] cols[a][j].
        for (int64_t a = 0; a < 2; ++a) {
          const float* in = cols.data() + a * kTile * OC;
          float* out = plane.data() + ((2 * ty + a) * 2 * tw + 2 * tx) * OC;
          output_1d(OC, in, in + OC, in + 2 * OC, in + 3 * OC, in + 4 * OC, in + 5 * OC, out, out + OC);
        }
      }
    }
    for (int64_t o = 0; o < OC; ++o) {
      const float b = bias != nullptr ? bias[o] : 0.0f;
      float* dst = y + (img * OC + o) * height * width;
      for (int64_t row = 0; row < height; ++row) {
        const float* src = plane.data() + row * 2 * tw * OC + o;
        for (int64_t col = 0; col < width; ++col) {
          const float value = src[col * OC] + b;
          dst[row * width + col] = relu && value < 0 ? 0.0f : value;
        }
      }
    }
  }
}

DPEVAL_WINOGRAD_CLONES void winograd_5x5_output_grad(const float* dy, int64_t images, int64_t out_channels,
                                                     int64_t height, int64_t width, float* g) {
  DPEVAL_CHECK(images >= 0 && out_channels >= 0 && height >= 1 && width >= 1)
      << "winograd output gradient " << images << "x" << out_channels << "x" << height << "x" << width;
  const int64_t th = (height + 1) / 2, tw = (width + 1) / 2, tiles = th * tw;
  const int64_t T = images * tiles, OC = out_channels;
  // dy laid out channels last, rounded up to even sides with zeros.
  std::vector<float> plane(static_cast<size_t>(4 * tiles * OC), 0.0f);
  std::vector<float> h(static_cast<size_t>(2 * kTile * OC));  // [b][i][oc]
  for (int64_t img = 0; img < images; ++img) {
    to_channels_last(dy + img * OC * height * width, OC, height, width, 2 * tw, 0, plane.data());
    for (int64_t ty = 0; ty < th; ++ty) {
      for (int64_t tx = 0; tx < tw; ++tx) {
        const int64_t t = img * tiles + ty * tw + tx;
        // Down each column b: h[b][i] = sum_a A[i][a] dy[a][b].
        for (int64_t b = 0; b < 2; ++b) {
          const float* d = plane.data() + (2 * ty * 2 * tw + 2 * tx + b) * OC;
          float* o = h.data() + b * kTile * OC;
          output_grad_1d(OC, d, d + 2 * tw * OC, o, o + OC, o + 2 * OC, o + 3 * OC, o + 4 * OC, o + 5 * OC);
        }
        // Along each row i: g[i][j] = sum_b A[j][b] h[b][i].
        for (int64_t i = 0; i < kTile; ++i) {
          float* o = g + (i * kTile * T + t) * OC;
          const int64_t js = T * OC;  // j stride of g
          output_grad_1d(OC, h.data() + i * OC, h.data() + (kTile + i) * OC, o, o + js, o + 2 * js,
                         o + 3 * js, o + 4 * js, o + 5 * js);
        }
      }
    }
  }
}

}  // namespace dpeval::kernels
