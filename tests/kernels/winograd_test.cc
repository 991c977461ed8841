// Winograd F(2x2, 5x5) against the lowered reference convolution (reference
// im2col and a double-precision GEMM), forward and input gradient, over plane
// sizes that are odd, smaller than a tile, and 1 x 1; one to several images
// (the transforms lay images side by side); 1 to 16 channels. The weight
// gradient (V^T g summed over tiles, then G^T dU G) against im2col(x) dy^T.
//
// Tolerance: each output's error is at most kRelative * sum |w| |x| over its
// 5x5xC window (the same sum with magnitudes, computed by the reference), plus
// a floor for outputs whose window is all padding. The transforms scale values
// by up to 25 (B^T) and 2/3 (G) before the products, so the error is a small
// multiple of float epsilon times that sum; measured below 1.5e-6.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "dpeval/kernels/kernels.h"
#include "dpeval/kernels/reference/reference.h"
#include "kernels/kernels_test_util.h"

namespace dpeval::kernels {
namespace {

using testing::random_floats;

constexpr double kRelative = 4e-6;

struct Shape {
  int64_t images, channels, out_channels, height, width;
};

Conv2dGeometry same5(int64_t c, int64_t h, int64_t w) {
  Conv2dGeometry g;
  g.channels = c, g.height = h, g.width = w;
  g.kernel_h = g.kernel_w = 5;
  g.stride_h = g.stride_w = 1;
  g.pad_h = g.pad_w = 2;
  return g;
}

// y [images][OC][H][W] = the lowered convolution of x with w, in double, + bias.
std::vector<float> reference_conv(const Shape& s, const std::vector<float>& x, const std::vector<float>& w,
                                  const std::vector<float>& bias) {
  const Conv2dGeometry g = same5(s.channels, s.height, s.width);
  const int64_t P = s.height * s.width, ckk = g.col_rows();
  std::vector<float> cols(static_cast<size_t>(ckk * P)),
      y(static_cast<size_t>(s.images * s.out_channels * P));
  for (int64_t i = 0; i < s.images; ++i) {
    reference::im2col(g, x.data() + i * s.channels * P, cols.data(), P);
    float* out = y.data() + i * s.out_channels * P;
    reference::gemm(Trans::kNo, Trans::kNo, s.out_channels, P, ckk, 1.0f, w.data(), ckk, cols.data(), P, 0.0f,
                    out, P);
    if (!bias.empty()) reference::bias_add_channels(s.out_channels, P, bias.data(), out);
  }
  return y;
}

std::vector<float> magnitudes(std::vector<float> v) {
  for (float& x : v) x = std::fabs(x);
  return v;
}

// The Winograd convolution: u from w, then input transform, 36 GEMMs, output.
std::vector<float> winograd_conv(const Shape& s, const std::vector<float>& x, const std::vector<float>& w,
                                 const std::vector<float>& bias, bool input_grad, bool relu = false) {
  // Forward: OC outputs from C inputs. Input gradient: the kernel [OC][C] read
  // as a C-output convolution of an OC-channel dy.
  const int64_t rows = input_grad ? s.channels : s.out_channels;
  const int64_t cols = input_grad ? s.out_channels : s.channels;
  const int64_t T = s.images * winograd_5x5_tiles(s.height, s.width);
  std::vector<float> u(static_cast<size_t>(36 * rows * cols)), v(static_cast<size_t>(36 * cols * T)),
      m(static_cast<size_t>(36 * rows * T)), y(static_cast<size_t>(s.images * rows * s.height * s.width));
  winograd_5x5_weights(w.data(), s.out_channels, s.channels, input_grad, u.data());
  winograd_5x5_input(x.data(), s.images, cols, s.height, s.width, v.data());
  for (int64_t xi = 0; xi < 36; ++xi) {
    gemm(Trans::kNo, Trans::kNo, T, rows, cols, 1.0f, v.data() + xi * T * cols, cols,
         u.data() + xi * cols * rows, rows, 0.0f, m.data() + xi * T * rows, rows);
  }
  winograd_5x5_output(m.data(), s.images, rows, s.height, s.width, bias.empty() ? nullptr : bias.data(), relu,
                      y.data());
  return y;
}

// The weight gradient by Winograd: dU[xi] = V[xi]^T g[xi], dw = G^T dU G.
std::vector<float> winograd_weight_grad(const Shape& s, const std::vector<float>& x, const std::vector<float>& dy,
                                        bool accumulate, std::vector<float> dw) {
  const int64_t T = s.images * winograd_5x5_tiles(s.height, s.width);
  std::vector<float> v(static_cast<size_t>(36 * s.channels * T)), g(static_cast<size_t>(36 * s.out_channels * T)),
      du(static_cast<size_t>(36 * s.channels * s.out_channels));
  winograd_5x5_input(x.data(), s.images, s.channels, s.height, s.width, v.data());
  winograd_5x5_output_grad(dy.data(), s.images, s.out_channels, s.height, s.width, g.data());
  for (int64_t xi = 0; xi < 36; ++xi) {
    gemm(Trans::kYes, Trans::kNo, s.channels, s.out_channels, T, 1.0f, v.data() + xi * T * s.channels,
         s.channels, g.data() + xi * T * s.out_channels, s.out_channels, 0.0f,
         du.data() + xi * s.channels * s.out_channels, s.out_channels);
  }
  winograd_5x5_weights_grad(du.data(), s.out_channels, s.channels, accumulate, dw.data());
  return dw;
}

// dw [OC][C][5][5] = sum over images of dy [OC, P] im2col(x)^T, reference im2col and GEMM.
std::vector<float> reference_weight_grad(const Shape& s, const std::vector<float>& x,
                                         const std::vector<float>& dy) {
  const Conv2dGeometry g = same5(s.channels, s.height, s.width);
  const int64_t P = s.height * s.width, ckk = g.col_rows();
  std::vector<float> cols(static_cast<size_t>(ckk * P)), dw(static_cast<size_t>(s.out_channels * ckk), 0.0f);
  for (int64_t i = 0; i < s.images; ++i) {
    reference::im2col(g, x.data() + i * s.channels * P, cols.data(), P);
    reference::gemm(Trans::kNo, Trans::kYes, s.out_channels, ckk, P, 1.0f, dy.data() + i * s.out_channels * P, P,
                    cols.data(), P, 1.0f, dw.data(), ckk);
  }
  return dw;
}

// The kernel of the input gradient: w [OC][C][5][5] -> w' [C][OC][5][5], rotated by 180 degrees.
std::vector<float> rotated_transposed(const Shape& s, const std::vector<float>& w) {
  std::vector<float> r(w.size());
  for (int64_t o = 0; o < s.out_channels; ++o) {
    for (int64_t c = 0; c < s.channels; ++c) {
      for (int64_t k = 0; k < 25; ++k)
        r[static_cast<size_t>((c * s.out_channels + o) * 25 + (24 - k))] =
            w[static_cast<size_t>((o * s.channels + c) * 25 + k)];
    }
  }
  return r;
}

::testing::AssertionResult close(const std::vector<float>& got, const std::vector<float>& want,
                                 const std::vector<float>& scale, double* worst) {
  if (got.size() != want.size()) return ::testing::AssertionFailure() << got.size() << " vs " << want.size();
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    const double bound = kRelative * scale[i] + 1e-7;
    if (scale[i] > 0) *worst = std::max(*worst, err / scale[i]);
    if (!(err <= bound)) {
      return ::testing::AssertionFailure() << "[" << i << "] got " << got[i] << " want " << want[i]
                                           << " (error " << err << ", bound " << bound << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

const Shape kShapes[] = {
    {1, 1, 1, 5, 5}, {2, 3, 4, 7, 9}, {3, 16, 8, 14, 14}, {1, 2, 3, 1, 1},
    {2, 5, 2, 6, 3}, {1, 4, 4, 2, 7}, {4, 8, 16, 11, 6},  {1, 3, 2, 13, 1},
    // Channel counts past 16 and rows wider than 16: whole and partial
    // blocks of the transposes (Note [Channels-last transposes]).
    {2, 33, 17, 5, 18},
};

TEST(Winograd5x5, ForwardMatchesTheLoweredConvolution) {
  double worst = 0;
  uint32_t seed = 1;
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(::testing::Message() << s.images << "x" << s.channels << "->" << s.out_channels << " "
                                      << s.height << "x" << s.width);
    const auto x = random_floats(static_cast<size_t>(s.images * s.channels * s.height * s.width), seed++);
    const auto w = random_floats(static_cast<size_t>(s.out_channels * s.channels * 25), seed++);
    const auto bias = random_floats(static_cast<size_t>(s.out_channels), seed++);
    const auto want = reference_conv(s, x, w, bias);
    const auto scale = reference_conv(s, magnitudes(x), magnitudes(w), magnitudes(bias));
    const auto got = winograd_conv(s, x, w, bias, /*input_grad=*/false);
    EXPECT_TRUE(close(got, want, scale, &worst));
    // The fused ReLU is max(0, .) of the same values.
    const auto relu = winograd_conv(s, x, w, bias, /*input_grad=*/false, /*relu=*/true);
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(relu[i], got[i] < 0 ? 0.0f : got[i]) << i;
  }
  RecordProperty("worst_relative_error", std::to_string(worst));
  std::printf("worst error / sum|w||x|: %.3g\n", worst);
}

TEST(Winograd5x5, InputGradientIsTheRotatedKernelsConvolution) {
  double worst = 0;
  uint32_t seed = 100;
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(::testing::Message() << s.images << "x" << s.channels << "<-" << s.out_channels << " "
                                      << s.height << "x" << s.width);
    // dy has OC channels; dx has C.
    const auto dy =
        random_floats(static_cast<size_t>(s.images * s.out_channels * s.height * s.width), seed++);
    const auto w = random_floats(static_cast<size_t>(s.out_channels * s.channels * 25), seed++);
    const Shape t{s.images, s.out_channels, s.channels, s.height, s.width};
    const auto wt = rotated_transposed(s, w);
    const auto want = reference_conv(t, dy, wt, {});
    const auto scale = reference_conv(t, magnitudes(dy), magnitudes(wt), {});
    EXPECT_TRUE(close(winograd_conv(s, dy, w, {}, /*input_grad=*/true), want, scale, &worst));

    // And the input gradient is the adjoint of the lowered forward: col2im(W^T dy).
    const Conv2dGeometry g = same5(s.channels, s.height, s.width);
    const int64_t P = s.height * s.width, ckk = g.col_rows();
    std::vector<float> dcols(static_cast<size_t>(ckk * P)),
        dx(static_cast<size_t>(s.images * s.channels * P), 0.0f);
    for (int64_t i = 0; i < s.images; ++i) {
      reference::gemm(Trans::kYes, Trans::kNo, ckk, P, s.out_channels, 1.0f, w.data(), ckk,
                      dy.data() + i * s.out_channels * P, P, 0.0f, dcols.data(), P);
      reference::col2im(g, dcols.data(), P, dx.data() + i * s.channels * P);
    }
    for (size_t i = 0; i < dx.size(); ++i) EXPECT_NEAR(dx[i], want[i], 1e-5 * (scale[i] + 1)) << i;
  }
  std::printf("worst error / sum|w||dy|: %.3g\n", worst);
}

TEST(Winograd5x5, WeightGradientMatchesTheLoweredOne) {
  double worst = 0;
  uint32_t seed = 200;
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(::testing::Message() << s.images << "x" << s.channels << "->" << s.out_channels << " "
                                      << s.height << "x" << s.width);
    const auto x = random_floats(static_cast<size_t>(s.images * s.channels * s.height * s.width), seed++);
    const auto dy =
        random_floats(static_cast<size_t>(s.images * s.out_channels * s.height * s.width), seed++);
    const auto want = reference_weight_grad(s, x, dy);
    // The transforms mix the 25 taps of a kernel, so a tap whose window is
    // all padding (exactly 0 in the reference) gets the rounding of its
    // neighbours: each tap's scale is the largest sum |dy||x| of its kernel.
    auto scale = reference_weight_grad(s, magnitudes(x), magnitudes(dy));
    for (size_t k = 0; k < scale.size(); k += 25) {
      const float largest = *std::max_element(scale.begin() + k, scale.begin() + k + 25);
      std::fill(scale.begin() + k, scale.begin() + k + 25, largest);
    }
    const std::vector<float> zeros(want.size(), 0.0f), ones(want.size(), 1.0f);
    const auto got = winograd_weight_grad(s, x, dy, /*accumulate=*/false, zeros);
    EXPECT_TRUE(close(got, want, scale, &worst));
    // accumulate adds to what dw held.
    const auto added = winograd_weight_grad(s, x, dy, /*accumulate=*/true, ones);
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(added[i], 1.0f + got[i]) << i;
  }
  std::printf("worst error / sum|dy||x|: %.3g\n", worst);
}

TEST(Winograd5x5, AppliesOnlyToFiveByFiveStrideOnePaddingTwo) {
  EXPECT_TRUE(winograd_5x5_applies(same5(3, 14, 14)));
  Conv2dGeometry g = same5(3, 14, 14);
  g.stride_w = 2;
  EXPECT_FALSE(winograd_5x5_applies(g));
  g = same5(3, 14, 14);
  g.pad_h = 1;
  EXPECT_FALSE(winograd_5x5_applies(g));
  g = same5(3, 14, 14);
  g.kernel_w = 3;
  EXPECT_FALSE(winograd_5x5_applies(g));
  EXPECT_EQ(winograd_5x5_tiles(14, 14), 49);
  EXPECT_EQ(winograd_5x5_tiles(7, 9), 20);
  EXPECT_EQ(winograd_5x5_tiles(1, 1), 1);
}

}  // namespace
}  // namespace dpeval::kernels
