// im2col / col2im of every available KernelTable (portable, AVX2) against the
// reference over conv geometries [C, H, W] with kernels KH x KW, strides and
// paddings: stride 2, non-square kernels, padding wider than half the kernel,
// a kernel row entirely in the padding, C = 0, widths of 1 to 4 AVX2 chunks
// and past them (W > 32, KW > 16 fall back to portable code), "same" and
// "valid" widths; padded column strides and a batch laid side by side.
//
// Tolerances: im2col copies, so it is bitwise equal to the reference. col2im
// adds each pixel's contributions in the reference's order, so it is bitwise
// equal too. The adjoint identity <im2col(x), y> == <x, col2im(y)> is exact on
// small integers (every sum is exact) and within 1e-5 relative to sum |x||y|
// on random floats (col2im rounds in float).
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/kernels/internal/kernel_table.h"
#include "dpeval/kernels/kernels.h"
#include "dpeval/kernels/reference/reference.h"
#include "kernels/kernels_test_util.h"

namespace dpeval::kernels {
namespace {

using testing::bitwise_equal;
using testing::random_floats;
using testing::random_integers;

constexpr float kSentinel = -777.0f;

Conv2dGeometry geometry(int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                        int64_t ph, int64_t pw) {
  Conv2dGeometry g;
  g.channels = c, g.height = h, g.width = w;
  g.kernel_h = kh, g.kernel_w = kw, g.stride_h = sh, g.stride_w = sw, g.pad_h = ph, g.pad_w = pw;
  return g;
}

// GCC 12 flags std::string operator+ chains with a false -Wrestrict; a stream avoids it.
std::string geometry_name(const Conv2dGeometry& g) {
  std::ostringstream name;
  name << "C" << g.channels << "_" << g.height << "x" << g.width << "_k" << g.kernel_h << "x" << g.kernel_w
       << "_s" << g.stride_h << "x" << g.stride_w << "_p" << g.pad_h << "x" << g.pad_w;
  return name.str();
}

const std::vector<Conv2dGeometry>& geometries() {
  static const std::vector<Conv2dGeometry> all = {
      geometry(1, 28, 28, 5, 5, 1, 1, 2, 2),   // the CNN's conv1
      geometry(32, 14, 14, 5, 5, 1, 1, 2, 2),  // the CNN's conv2
      geometry(3, 7, 9, 3, 2, 2, 1, 1, 0),     // non-square kernel, stride 2 in H only
      geometry(2, 8, 8, 3, 3, 2, 2, 1, 1),     // stride 2
      geometry(2, 9, 7, 3, 3, 2, 2, 0, 0),     // stride 2, no padding, odd sizes
      geometry(3, 6, 7, 2, 3, 3, 2, 2, 1),     // stride 3 x 2, uneven padding
      geometry(2, 5, 5, 5, 5, 1, 1, 0, 0),     // a single output pixel
      geometry(1, 1, 1, 1, 1, 1, 1, 0, 0),     // 1x1 everything
      geometry(1, 2, 2, 3, 3, 1, 1, 2, 2),     // padding wider than half the kernel
      geometry(2, 4, 3, 3, 5, 1, 2, 3, 3),     // whole kernel rows in the padding
      geometry(4, 10, 33, 1, 7, 1, 3, 0, 3),   // 1 x 7 kernel, wide image
      geometry(0, 5, 5, 3, 3, 1, 1, 1, 1),     // no channels: nothing to do
      geometry(2, 8, 8, 3, 3, 1, 1, 1, 1),     // W = OW = 8: one AVX2 chunk
      geometry(3, 9, 9, 3, 3, 2, 1, 1, 1),     // stride 2 in H only, W = 9: two chunks
      geometry(2, 6, 17, 3, 5, 1, 1, 0, 2),    // same width 17: three chunks
      geometry(2, 5, 25, 2, 4, 1, 1, 1, 0),    // W = 25, OW = 22: chunk counts differ
      geometry(1, 4, 32, 3, 3, 1, 1, 1, 1),    // W = 32: four chunks
      geometry(2, 3, 40, 3, 3, 1, 1, 1, 1),    // W = 40: past the AVX2 widths
      geometry(1, 12, 12, 3, 11, 1, 1, 0, 5),  // KW = 11 > W / 2
      geometry(1, 10, 20, 1, 17, 1, 1, 0, 8),  // KW = 17: past col2im's AVX2 masks
  };
  return all;
}

// (geometry, table): the table's im2col / col2im are called directly.
class Im2colTest : public ::testing::TestWithParam<std::tuple<Conv2dGeometry, const internal::KernelTable*>> {
 protected:
  const Conv2dGeometry& geometry() const { return std::get<0>(GetParam()); }
  const internal::KernelTable& table() const { return *std::get<1>(GetParam()); }
};

TEST_P(Im2colTest, Im2colMatchesReferenceAndKeepsPadding) {
  const Conv2dGeometry& g = geometry();
  const int64_t rows = g.col_rows(), cols = g.col_cols();
  const std::vector<float> image = random_floats(static_cast<size_t>(g.channels * g.height * g.width + 1), 7);
  for (int64_t ldc : {cols, cols + 5}) {
    std::vector<float> got(static_cast<size_t>(rows * ldc + 1), kSentinel), want = got;
    table().im2col(g, image.data(), got.data(), ldc);
    reference::im2col(g, image.data(), want.data(), ldc);
    EXPECT_TRUE(bitwise_equal(got, want)) << "ldc " << ldc;  // sentinels in the gaps included
  }
}

TEST_P(Im2colTest, Col2imMatchesReferenceAndAccumulates) {
  const Conv2dGeometry& g = geometry();
  const int64_t rows = g.col_rows(), cols = g.col_cols();
  for (int64_t ldc : {cols, cols + 3}) {
    const std::vector<float> columns = random_floats(static_cast<size_t>(rows * ldc + 1), 11);
    // Start from a non-zero image: col2im adds into it.
    std::vector<float> got = random_floats(static_cast<size_t>(g.channels * g.height * g.width + 1), 13);
    std::vector<float> want = got;
    table().col2im(g, columns.data(), ldc, got.data());
    reference::col2im(g, columns.data(), ldc, want.data());
    EXPECT_TRUE(bitwise_equal(got, want)) << "ldc " << ldc;
  }
}

// -0 + -0 is -0 and the reference adds only real cells; an implementation that
// let a padding lane add +0 would turn -0 pixels into +0 (see Note [col2im by
// image rows]). Bitwise.
TEST_P(Im2colTest, Col2imKeepsNegativeZero) {
  const Conv2dGeometry& g = geometry();
  const std::vector<float> columns(static_cast<size_t>(g.col_rows() * g.col_cols() + 1), -0.0f);
  std::vector<float> got(static_cast<size_t>(g.channels * g.height * g.width + 1), -0.0f), want = got;
  table().col2im(g, columns.data(), g.col_cols(), got.data());
  reference::col2im(g, columns.data(), g.col_cols(), want.data());
  EXPECT_TRUE(bitwise_equal(got, want));
}

double adjoint_gap(const internal::KernelTable& table, const Conv2dGeometry& g, const std::vector<float>& x,
                   const std::vector<float>& y, double* magnitude) {
  const int64_t n_cols = g.col_rows() * g.col_cols(), n_image = g.channels * g.height * g.width;
  std::vector<float> cols(static_cast<size_t>(n_cols + 1));
  std::vector<float> back(static_cast<size_t>(n_image + 1), 0.0f);
  table.im2col(g, x.data(), cols.data(), g.col_cols());
  table.col2im(g, y.data(), g.col_cols(), back.data());
  double lhs = 0.0, rhs = 0.0;
  *magnitude = 0.0;
  for (int64_t i = 0; i < n_cols; ++i) {
    lhs += static_cast<double>(cols[i]) * y[i];
    *magnitude += std::fabs(static_cast<double>(cols[i]) * y[i]);
  }
  for (int64_t i = 0; i < n_image; ++i) rhs += static_cast<double>(x[i]) * back[i];
  return lhs - rhs;
}

TEST_P(Im2colTest, Col2imIsTheAdjointOfIm2col) {
  const Conv2dGeometry& g = geometry();
  const size_t n_cols = static_cast<size_t>(g.col_rows() * g.col_cols() + 1);
  const size_t n_image = static_cast<size_t>(g.channels * g.height * g.width + 1);
  double magnitude = 0.0;
  // Small integers: every product and sum is exact in float and double.
  EXPECT_EQ(adjoint_gap(table(), g, random_integers(n_image, 17), random_integers(n_cols, 19), &magnitude),
            0.0);
  const double gap =
      adjoint_gap(table(), g, random_floats(n_image, 23), random_floats(n_cols, 29), &magnitude);
  EXPECT_LE(std::fabs(gap), 1e-5 * magnitude);
}

// A batch of B images side by side: image b occupies columns [b*OH*OW, (b+1)*OH*OW)
// of a [C*KH*KW, B*OH*OW] matrix, and each block equals that image's own im2col.
TEST_P(Im2colTest, BatchSideBySide) {
  const Conv2dGeometry& g = geometry();
  const int64_t batch = 3, rows = g.col_rows(), cols = g.col_cols(), image = g.channels * g.height * g.width;
  const std::vector<float> images = random_floats(static_cast<size_t>(batch * image + 1), 31);
  std::vector<float> wide(static_cast<size_t>(rows * batch * cols + 1), kSentinel);
  for (int64_t b = 0; b < batch; ++b)
    table().im2col(g, images.data() + b * image, wide.data() + b * cols, batch * cols);
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<float> one(static_cast<size_t>(rows * cols + 1), kSentinel), block = one;
    reference::im2col(g, images.data() + b * image, one.data(), cols);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t p = 0; p < cols; ++p) block[r * cols + p] = wide[r * batch * cols + b * cols + p];
    EXPECT_TRUE(bitwise_equal(block, one)) << "image " << b;
  }
}

INSTANTIATE_TEST_SUITE_P(Geometries, Im2colTest,
                         ::testing::Combine(::testing::ValuesIn(geometries()),
                                            ::testing::ValuesIn(testing::available_tables())),
                         [](const auto& info) {
                           return geometry_name(std::get<0>(info.param)) + "_" +
                                  std::get<1>(info.param)->name;
                         });

// The public functions check the geometry, then run the active table.
TEST(Im2col, PublicFunctionsMatchReference) {
  const Conv2dGeometry g = geometry(32, 14, 14, 5, 5, 1, 1, 2, 2);
  const std::vector<float> image = random_floats(32 * 14 * 14, 37);
  std::vector<float> got(static_cast<size_t>(g.col_rows() * g.col_cols())), want(got.size());
  im2col(g, image.data(), got.data(), g.col_cols());
  reference::im2col(g, image.data(), want.data(), g.col_cols());
  EXPECT_TRUE(bitwise_equal(got, want));
  std::vector<float> back(image.size(), 0.0f), back_want(image.size(), 0.0f);
  col2im(g, got.data(), g.col_cols(), back.data());
  reference::col2im(g, got.data(), g.col_cols(), back_want.data());
  EXPECT_TRUE(bitwise_equal(back, back_want));
}

TEST(Im2col, BadGeometryThrows) {
  std::vector<float> buf(1024);
  EXPECT_THROW(im2col(geometry(1, 2, 2, 5, 5, 1, 1, 0, 0), buf.data(), buf.data(), 1), InternalError);
  EXPECT_THROW(im2col(geometry(1, 4, 4, 3, 3, 0, 1, 0, 0), buf.data(), buf.data(), 4), InternalError);
  // ldc smaller than OH*OW = 4
  EXPECT_THROW(im2col(geometry(1, 4, 4, 3, 3, 1, 1, 0, 0), buf.data(), buf.data(), 3), InternalError);
  EXPECT_THROW(col2im(geometry(1, 4, 4, 3, 3, 1, 1, 0, 0), buf.data(), 3, buf.data()), InternalError);
}

}  // namespace
}  // namespace dpeval::kernels
