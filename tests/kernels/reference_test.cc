// The oracle checked by hand: small cases of reference::gemm, im2col, col2im,
// sum_channels and GELU whose answers are written out below. Exact, except
// GELU (1e-7: the constants are quoted to 10 digits).
#include "dpeval/kernels/reference/reference.h"

#include <gtest/gtest.h>

#include <vector>

namespace dpeval::kernels {
namespace {

TEST(Reference, GemmByHand) {
  // A = [1 2 3; 4 5 6] (2x3), B = [1 0; 0 1; 1 1] (3x2): A*B = [4 5; 10 11].
  const std::vector<float> A = {1, 2, 3, 4, 5, 6}, B = {1, 0, 0, 1, 1, 1};
  std::vector<float> C = {1, 1, 1, 1};
  reference::gemm(Trans::kNo, Trans::kNo, 2, 2, 3, 1.0f, A.data(), 3, B.data(), 2, 2.0f, C.data(), 2);
  EXPECT_EQ(C, (std::vector<float>{6, 7, 12, 13}));
  // A^T * A with A read as [K=2, M=3]: [17 22 27; 22 29 36; 27 36 45].
  std::vector<float> G(9, -1.0f);
  reference::gemm(Trans::kYes, Trans::kNo, 3, 3, 2, 1.0f, A.data(), 3, A.data(), 3, 0.0f, G.data(), 3);
  EXPECT_EQ(G, (std::vector<float>{17, 22, 27, 22, 29, 36, 27, 36, 45}));
}

TEST(Reference, Im2colCol2imByHand) {
  // One 3x3 image 1..9, kernel 2x2, stride 2, pad 1: OH = OW = 2.
  // Output (oy, ox) sees input rows 2*oy-1+ki, cols 2*ox-1+kj.
  Conv2dGeometry g;
  g.channels = 1, g.height = 3, g.width = 3, g.kernel_h = 2, g.kernel_w = 2;
  g.stride_h = 2, g.stride_w = 2, g.pad_h = 1, g.pad_w = 1;
  ASSERT_EQ(g.out_h(), 2);
  ASSERT_EQ(g.col_rows(), 4);
  const std::vector<float> image = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<float> cols(16, -1.0f);
  reference::im2col(g, image.data(), cols.data(), 4);
  EXPECT_EQ(cols, (std::vector<float>{0, 0, 0, 5,     // (ki, kj) = (0, 0)
                                      0, 0, 4, 6,     // (0, 1)
                                      0, 2, 0, 8,     // (1, 0)
                                      1, 3, 7, 9}));  // (1, 1)
  // Scattering back sums each pixel once per window that reads it (here once each).
  std::vector<float> back(9, 0.0f);
  reference::col2im(g, cols.data(), 4, back.data());
  EXPECT_EQ(back, image);
}

TEST(Reference, SumChannelsAndGeluByHand) {
  // [batch 2, channels 2, plane 2]: channel 0 = 1+2+5+6, channel 1 = 3+4+7+8.
  const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<float> out = {100, 100};
  reference::sum_channels(2, 2, 2, x.data(), out.data(), /*accumulate=*/true);
  EXPECT_EQ(out, (std::vector<float>{114, 122}));
  const std::vector<float> v = {1.0f, -1.0f, 0.0f};
  std::vector<float> y(3), dy = {1, 1, 1}, dx(3);
  reference::gelu_forward(v, y);
  EXPECT_NEAR(y[0], 0.8413447461, 1e-7);  // 1 * Phi(1)
  EXPECT_NEAR(y[1], -0.1586552539, 1e-7);
  EXPECT_EQ(y[2], 0.0f);
  reference::gelu_backward(v, dy, dx);
  EXPECT_NEAR(dx[0], 1.0833154705, 1e-7);  // Phi(1) + phi(1)
  EXPECT_NEAR(dx[1], -0.0833154705, 1e-7);
  EXPECT_NEAR(dx[2], 0.5, 1e-7);
}

}  // namespace
}  // namespace dpeval::kernels
