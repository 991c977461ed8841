// The elementwise and reduction kernels: every KernelTable available on this CPU
// (scalar always, AVX2 when the CPU has it) against kernels/reference/, over
// lengths around the 8-lane width (0, 1, 7, 8, 9, 15, 17, 33, ...), [rows, cols]
// matrices with cols not a multiple of 8, and special values (NaN, +-inf, -0).
// Then the public functions of kernels.h, which dispatch to active_table().
//
// Tolerances:
//  - bias_*, relu_*, axpy, scale, u8_to_float: bitwise equal to the reference
//    (same float operations; no FMA, see Note [Bitwise equal across ISAs]).
//  - sum_rows, sum_channels: within 1e-6 of sum |x| (float sums vs the
//    reference's double sums); sum: within 1e-12 of sum |x| (double vs double,
//    different order).
//  - every table is bitwise equal to the scalar table, reductions included
//    (Note [Striped sums]).
//  - GELU (float erf vs the reference's double): |d| <= 1e-6 + 1e-6 * |ref|.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/kernels/internal/kernel_table.h"
#include "dpeval/kernels/kernels.h"
#include "dpeval/kernels/reference/reference.h"
#include "kernels/kernels_test_util.h"

namespace dpeval::kernels {
namespace {

using internal::KernelTable;
using testing::available_tables;
using testing::bitwise_equal;
using testing::random_floats;

const int64_t kLengths[] = {0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 100, 1000, 1027};
const int64_t kRows[] = {0, 1, 3, 64};
const int64_t kCols[] = {0, 1, 7, 8, 33, 40, 100, 515};

// Random values with a few special ones mixed in at fixed places.
std::vector<float> values_with_specials(size_t n, uint32_t seed) {
  std::vector<float> v = random_floats(n, seed, -2.0f, 2.0f);
  const float specials[] = {std::numeric_limits<float>::quiet_NaN(), -0.0f, 0.0f,
                            std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()};
  for (size_t i = 0; i < n; i += 5) v[i] = specials[(i / 5) % 5];
  return v;
}

double abs_sum(const float* x, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += std::fabs(static_cast<double>(x[i]));
  return s;
}

class KernelTableTest : public ::testing::TestWithParam<const KernelTable*> {
 protected:
  const KernelTable& table() const { return *GetParam(); }
};

TEST_P(KernelTableTest, BiasRowsAndChannels) {
  for (int64_t rows : kRows)
    for (int64_t cols : kCols) {
      SCOPED_TRACE(::testing::Message() << rows << "x" << cols);
      const std::vector<float> bias = random_floats(static_cast<size_t>(cols + 1), 3);
      const std::vector<float> x = values_with_specials(static_cast<size_t>(rows * cols + 1), 5);
      std::vector<float> got = x, want = x;
      table().bias_add_rows(rows, cols, bias.data(), got.data());
      reference::bias_add_rows(rows, cols, bias.data(), want.data());
      EXPECT_TRUE(bitwise_equal(got, want)) << "bias_add_rows";
      got = x, want = x;
      table().bias_relu_rows(rows, cols, bias.data(), got.data());
      reference::bias_relu_rows(rows, cols, bias.data(), want.data());
      EXPECT_TRUE(bitwise_equal(got, want)) << "bias_relu_rows";
      // The same buffer read as [channels = rows, plane = cols].
      const std::vector<float> cbias = random_floats(static_cast<size_t>(rows + 1), 4);
      got = x, want = x;
      table().bias_add_channels(rows, cols, cbias.data(), got.data());
      reference::bias_add_channels(rows, cols, cbias.data(), want.data());
      EXPECT_TRUE(bitwise_equal(got, want)) << "bias_add_channels";
    }
}

TEST_P(KernelTableTest, ReluForwardBackwardAndAliasing) {
  for (int64_t n : kLengths) {
    SCOPED_TRACE(n);
    const std::vector<float> x = values_with_specials(static_cast<size_t>(n + 1), 7);
    std::vector<float> got(x.size()), want(x.size());
    table().relu_forward(n, x.data(), got.data());
    reference::relu_forward(std::span(x).first(n), std::span(want).first(n));
    got[n] = want[n] = 0.0f;
    EXPECT_TRUE(bitwise_equal(got, want)) << "relu_forward";
    std::vector<float> in_place = x;  // y aliases x
    table().relu_forward(n, in_place.data(), in_place.data());
    in_place[n] = 0.0f;
    EXPECT_TRUE(bitwise_equal(in_place, want)) << "relu_forward in place";

    const std::vector<float> dy = values_with_specials(static_cast<size_t>(n + 1), 9);
    table().relu_backward(n, x.data(), dy.data(), got.data());
    reference::relu_backward(std::span(x).first(n), std::span(dy).first(n), std::span(want).first(n));
    EXPECT_TRUE(bitwise_equal(got, want)) << "relu_backward";
    std::vector<float> dx = dy;  // dx aliases dy
    table().relu_backward(n, x.data(), dx.data(), dx.data());
    dx[n] = want[n];
    EXPECT_TRUE(bitwise_equal(dx, want)) << "relu_backward in place";
  }
}

TEST_P(KernelTableTest, AxpyScaleU8ToFloat) {
  for (int64_t n : kLengths) {
    SCOPED_TRACE(n);
    const std::vector<float> x = random_floats(static_cast<size_t>(n), 11),
                             y = random_floats(static_cast<size_t>(n), 13);
    std::vector<float> got = y, want = y;
    table().axpy(n, -0.37f, x.data(), got.data());
    reference::axpy(-0.37f, x, want);
    EXPECT_TRUE(bitwise_equal(got, want)) << "axpy";
    got = x, want = x;
    table().scale(n, 1.0f / 3.0f, got.data());
    reference::scale(1.0f / 3.0f, want);
    EXPECT_TRUE(bitwise_equal(got, want)) << "scale";

    std::vector<uint8_t> bytes(static_cast<size_t>(n));
    for (size_t i = 0; i < bytes.size(); ++i)
      bytes[i] = static_cast<uint8_t>((i * 37 + 250) % 256);  // 0 and 255 too
    got.assign(static_cast<size_t>(n), 0.0f), want = got;
    table().u8_to_float(n, bytes.data(), 1.0f / 255.0f, got.data());
    reference::u8_to_float(bytes, 1.0f / 255.0f, want);
    EXPECT_TRUE(bitwise_equal(got, want)) << "u8_to_float";
  }
}

TEST_P(KernelTableTest, SumRowsAndChannels) {
  for (int64_t rows : kRows)
    for (int64_t cols : kCols)
      for (bool accumulate : {false, true}) {
        SCOPED_TRACE(::testing::Message() << rows << "x" << cols << (accumulate ? " accumulate" : ""));
        const std::vector<float> x = random_floats(static_cast<size_t>(3 * rows * cols + 1), 17);
        const std::vector<float> out0 = random_floats(static_cast<size_t>(std::max(rows, cols) + 1), 19);
        std::vector<float> got = out0, want = out0, scalar = out0;
        table().sum_rows(rows, cols, x.data(), got.data(), accumulate);
        reference::sum_rows(rows, cols, x.data(), want.data(), accumulate);
        internal::scalar_table().sum_rows(rows, cols, x.data(), scalar.data(), accumulate);
        EXPECT_TRUE(bitwise_equal(got, scalar)) << "sum_rows vs scalar";
        for (int64_t c = 0; c < cols; ++c) {
          double mag = (accumulate ? std::fabs(out0[c]) : 0.0);
          for (int64_t r = 0; r < rows; ++r) mag += std::fabs(x[r * cols + c]);
          EXPECT_NEAR(got[c], want[c], 1e-6 * mag) << "sum_rows col " << c;
        }
        for (size_t i = static_cast<size_t>(cols); i < got.size(); ++i)
          EXPECT_EQ(got[i], out0[i]) << "wrote past cols";

        // [batch = 3, channels = rows, plane = cols]
        got = out0, want = out0, scalar = out0;
        table().sum_channels(3, rows, cols, x.data(), got.data(), accumulate);
        reference::sum_channels(3, rows, cols, x.data(), want.data(), accumulate);
        internal::scalar_table().sum_channels(3, rows, cols, x.data(), scalar.data(), accumulate);
        EXPECT_TRUE(bitwise_equal(got, scalar)) << "sum_channels vs scalar";
        for (int64_t c = 0; c < rows; ++c) {
          double mag = (accumulate ? std::fabs(out0[c]) : 0.0);
          for (int64_t b = 0; b < 3; ++b) mag += abs_sum(x.data() + (b * rows + c) * cols, cols);
          EXPECT_NEAR(got[c], want[c], 1e-6 * mag) << "sum_channels channel " << c;
        }
        for (size_t i = static_cast<size_t>(rows); i < got.size(); ++i)
          EXPECT_EQ(got[i], out0[i]) << "wrote past C";
      }
}

TEST_P(KernelTableTest, SumInDouble) {
  for (int64_t n : kLengths) {
    SCOPED_TRACE(n);
    const std::vector<float> x = random_floats(static_cast<size_t>(n), 23, -1e3f, 1e3f);
    const double got = table().sum(n, x.data());
    EXPECT_NEAR(got, reference::sum(x), 1e-12 * abs_sum(x.data(), n));
    const double scalar = internal::scalar_table().sum(n, x.data());
    EXPECT_EQ(std::memcmp(&got, &scalar, sizeof got), 0) << got << " vs scalar " << scalar;
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, KernelTableTest, ::testing::ValuesIn(available_tables()),
                         [](const auto& info) { return std::string(info.param->name); });

// The AVX2 table must be the one in use wherever the CPU has AVX2, so that the
// parameterized tests above cover the path training actually runs.
TEST(KernelTable, ActiveIsAvx2WhenTheCpuHasIt) {
  __builtin_cpu_init();
  const bool has_avx2 = __builtin_cpu_supports("avx2");
  EXPECT_EQ(internal::avx2_table() != nullptr, has_avx2);
  EXPECT_STREQ(internal::active_table().name, has_avx2 ? "avx2" : "scalar");
}

// Public entry points: they check their contracts and dispatch to active_table().
TEST(Elementwise, PublicFunctionsMatchReference) {
  const std::vector<float> x = values_with_specials(1027, 29), dy = random_floats(1027, 31);
  std::vector<float> got(x.size()), want(x.size());
  relu_forward(x, got);
  reference::relu_forward(x, want);
  EXPECT_TRUE(bitwise_equal(got, want));
  relu_backward(x, dy, got);
  reference::relu_backward(x, dy, want);
  EXPECT_TRUE(bitwise_equal(got, want));
  got = dy, want = dy;
  axpy(2.5f, dy, got);
  reference::axpy(2.5f, dy, want);
  EXPECT_TRUE(bitwise_equal(got, want));
  scale(0.1f, got);
  reference::scale(0.1f, want);
  EXPECT_TRUE(bitwise_equal(got, want));
  EXPECT_DOUBLE_EQ(sum(dy), internal::active_table().sum(1027, dy.data()));
  EXPECT_EQ(sum(std::span<const float>()), 0.0);
}

TEST(Elementwise, GeluMatchesDoubleReference) {
  for (int64_t n : kLengths) {
    const std::vector<float> x = random_floats(static_cast<size_t>(n), 37, -8.0f, 8.0f);
    const std::vector<float> dy = random_floats(static_cast<size_t>(n), 41);
    std::vector<float> got(x.size()), want(x.size());
    gelu_forward(x, got);
    reference::gelu_forward(x, want);
    for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(got[i], want[i], 1e-6 + 1e-6 * std::fabs(want[i])) << x[i];
    gelu_backward(x, dy, got);
    reference::gelu_backward(x, dy, want);
    for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(got[i], want[i], 1e-6 + 1e-6 * std::fabs(want[i])) << x[i];
  }
}

TEST(Elementwise, SizeMismatchAndNegativeDimsThrow) {
  std::vector<float> a(8), b(7);
  std::vector<uint8_t> u(7);
  EXPECT_THROW(relu_forward(a, b), InternalError);
  EXPECT_THROW(relu_backward(a, a, b), InternalError);
  EXPECT_THROW(gelu_forward(a, b), InternalError);
  EXPECT_THROW(gelu_backward(a, b, a), InternalError);
  EXPECT_THROW(axpy(1.0f, a, b), InternalError);
  EXPECT_THROW(u8_to_float(u, 1.0f, a), InternalError);
  EXPECT_THROW(bias_add_rows(-1, 2, a.data(), a.data()), InternalError);
  EXPECT_THROW(bias_relu_rows(2, -1, a.data(), a.data()), InternalError);
  EXPECT_THROW(bias_add_channels(-1, 2, a.data(), a.data()), InternalError);
  EXPECT_THROW(sum_rows(-1, 2, a.data(), a.data(), false), InternalError);
  EXPECT_THROW(sum_channels(1, -1, 2, a.data(), a.data(), false), InternalError);
}

}  // namespace
}  // namespace dpeval::kernels
