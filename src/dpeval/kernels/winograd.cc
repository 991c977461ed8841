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
  // Rows of u[xi] are output channels of the convolution computed: OC for the
  // forward pass, C for the input gradient (the kernel rotated by 180 degrees,
  // Note [Winograd F(2x2, 5x5)]).
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
          u[((i * kTile + j) * rows + row) * cols + col] = static_cast<float>(s);
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
  const int64_t T = images * tiles;
  // Tile (ty, tx) reads rows 2ty..2ty+5 and columns 2tx..2tx+5 of the plane
  // with its 2-pixel zero border. So that every step below is one contiguous
  // loop over all tiles, the padded plane is first split by row parity a and
  // column s (0..5 within the tile): q[a][s][R][tx] = padded(2R + a, 2tx + s),
  // R < th + 2, rows of tw values. Then
  //   along the rows:   z[a][j][R][tx] = sum_s BT[j][s] q[a][s][R][tx]
  //   down the columns: v[i][j][ty][tx] = sum_r BT[i][r] z[r % 2][j][ty + r / 2][tx]
  // (BT: Note [Winograd F(2x2, 5x5)]), each one flat loop over (R or ty, tx).
  const int64_t S = (th + 2) * tw;  // values in one q[a][s] or z[a][j]
  const int64_t pw = 2 * tw + 4;
  std::vector<float> row(static_cast<size_t>(pw), 0.0f);           // one padded row
  std::vector<float> q(static_cast<size_t>(2 * kTile * S), 0.0f);  // borders stay 0
  std::vector<float> z(static_cast<size_t>(2 * kTile * S));
  for (int64_t img = 0; img < images; ++img) {
    for (int64_t c = 0; c < channels; ++c) {
      const float* plane = x + (img * channels + c) * height * width;
      for (int64_t y = 0; y < height; ++y) {
        std::memcpy(row.data() + 2, plane + y * width, sizeof(float) * width);
        const int64_t a = y % 2, R = y / 2 + 1;  // padded row y + 2 = 2R + a
        for (int64_t col = 0; col < kTile; ++col) {
          float* __restrict out = q.data() + (a * kTile + col) * S + R * tw;
          const float* __restrict in = row.data() + col;
          for (int64_t tx = 0; tx < tw; ++tx) out[tx] = in[2 * tx];
        }
      }
      for (int64_t a = 0; a < 2; ++a) {
        const float* qa = q.data() + a * kTile * S;
        float* za = z.data() + a * kTile * S;
        input_1d(S, qa, qa + S, qa + 2 * S, qa + 3 * S, qa + 4 * S, qa + 5 * S, za, za + S, za + 2 * S,
                 za + 3 * S, za + 4 * S, za + 5 * S);
      }
      const int64_t base = img * tiles;
      for (int64_t j = 0; j < kTile; ++j) {
        const float* z0 = z.data() + j * S;            // even padded rows, column j
        const float* z1 = z.data() + (kTile + j) * S;  // odd padded rows
        float* out = v + (j * channels + c) * T + base;
        const int64_t os = kTile * channels * T;  // i stride of v
        input_1d(tiles, z0, z1, z0 + tw, z1 + tw, z0 + 2 * tw, z1 + 2 * tw, out, out + os, out + 2 * os,
                 out + 3 * os, out + 4 * os, out + 5 * os);
      }
    }
  }
}

DPEVAL_WINOGRAD_CLONES void winograd_5x5_output(const float* m, int64_t images, int64_t out_channels,
                                                int64_t height, int64_t width, const float* bias, float* y) {
  DPEVAL_CHECK(images >= 0 && out_channels >= 0 && height >= 1 && width >= 1)
      << "winograd output " << images << "x" << out_channels << "x" << height << "x" << width;
  const int64_t th = (height + 1) / 2, tw = (width + 1) / 2, tiles = th * tw;
  const int64_t T = images * tiles;
  std::vector<float> cols(static_cast<size_t>(2 * kTile * tiles));  // [a][j][t]
  std::vector<float> out(static_cast<size_t>(4 * tiles));           // [a][b][t]
  for (int64_t img = 0; img < images; ++img) {
    for (int64_t o = 0; o < out_channels; ++o) {
      const int64_t base = img * tiles;
      // Down each column j: cols[a][j] = sum_i AT[a][i] m[i*6 + j].
      for (int64_t j = 0; j < kTile; ++j) {
        const float* in = m + (j * out_channels + o) * T + base;
        const int64_t is = kTile * out_channels * T;  // i stride
        output_1d(tiles, in, in + is, in + 2 * is, in + 3 * is, in + 4 * is, in + 5 * is,
                  cols.data() + j * tiles, cols.data() + (kTile + j) * tiles);
      }
      // Along each row a: out[a][b] = sum_j AT[b][j] cols[a][j].
      for (int64_t a = 0; a < 2; ++a) {
        const float* in = cols.data() + a * kTile * tiles;
        output_1d(tiles, in, in + tiles, in + 2 * tiles, in + 3 * tiles, in + 4 * tiles, in + 5 * tiles,
                  out.data() + (a * 2) * tiles, out.data() + (a * 2 + 1) * tiles);
      }
      const float b = bias != nullptr ? bias[o] : 0.0f;
      float* plane = y + (img * out_channels + o) * height * width;
      for (int64_t a = 0; a < 2; ++a) {
        for (int64_t ty = 0; ty < th; ++ty) {
          const int64_t row = 2 * ty + a;
          if (row >= height) continue;
          float* dst = plane + row * width;
          const float* even = out.data() + (a * 2) * tiles + ty * tw;
          const float* odd = out.data() + (a * 2 + 1) * tiles + ty * tw;
          for (int64_t tx = 0; tx < tw; ++tx) {
            dst[2 * tx] = even[tx] + b;
            if (2 * tx + 1 < width) dst[2 * tx + 1] = odd[tx] + b;
          }
        }
      }
    }
  }
}

}  // namespace dpeval::kernels
