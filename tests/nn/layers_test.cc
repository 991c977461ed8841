// Layer semantics the gradient check cannot see: max-pool ties and NaN,
// dropout statistics and scaling, shapes of each layer's output.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/nn/dropout.h"
#include "dpeval/nn/layer.h"
#include "dpeval/nn/pool.h"

namespace dpeval::nn {
namespace {

TEST(MaxPool2d, TiesGoToTheFirstElementAndNaNPropagates) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (int64_t stride : {2, 1}) {  // the 2x2 stride-2 fast path and the general loop
    SCOPED_TRACE(stride);
    MaxPool2d pool(Shape{1, 3, 4}, 2, stride);
    Tensor x(Shape{1, 1, 3, 4}), y, dx;
    // Row 0: [5 5 1 1]; row 1: [5 2 nan 1]; row 2: [0 0 0 0]
    const float values[] = {5, 5, 1, 1, 5, 2, nan, 1, 0, 0, 0, 0};
    std::copy(std::begin(values), std::end(values), x.data());
    pool.forward(x, y, {});
    EXPECT_EQ(y[0], 5.0f);
    EXPECT_TRUE(std::isnan(y[1]));
    Tensor dy(y.shape());
    dy.fill(1.0f);
    pool.backward_input(x, y, dy, dx);
    EXPECT_EQ(dx[0], 1.0f);  // the first of the tied 5s takes the whole gradient
    EXPECT_EQ(dx[1], 0.0f);
    EXPECT_GE(dx[6], 1.0f);  // the NaN is the argmax of its window(s)
  }
}

// Inference (predict, serve: batch-invariant) takes the values without the
// argmaxes: the same bits, NaN windows included; and backward after it is
// refused rather than scattered through stale argmaxes.
TEST(MaxPool2d, InferenceGivesTheSameValuesAndNoBackward) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  MaxPool2d pool(Shape{2, 6, 8}, 2, 2);
  Tensor x(Shape{3, 2, 6, 8}), trained, inferred, dx;
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 7919) % 23) - 11.0f;
  x[5] = nan;
  x[40] = -inf;
  x[41] = nan;
  x[100] = inf;
  x[200] = -0.0f;
  pool.forward(x, trained, {});
  LayerForwardContext inference;
  inference.training = false;
  inference.batch_invariant = true;
  pool.forward(x, inferred, inference);
  ASSERT_EQ(trained.size(), inferred.size());
  for (size_t i = 0; i < trained.size(); ++i) {
    EXPECT_TRUE(std::isnan(trained[i]) ? std::isnan(inferred[i]) : trained[i] == inferred[i]) << i;
    EXPECT_EQ(std::signbit(trained[i]), std::signbit(inferred[i])) << i;
  }
  Tensor dy(inferred.shape());
  dy.fill(1.0f);
  EXPECT_THROW(pool.backward_input(x, inferred, dy, dx), InternalError);
  pool.forward(x, trained, {});  // a training forward keeps them again
  EXPECT_NO_THROW(pool.backward_input(x, trained, dy, dx));
}

TEST(Pools, OutputShapesFloorLikePyTorch) {
  EXPECT_EQ(MaxPool2d(Shape{3, 7, 5}, 2, 2).output_shape(), (Shape{3, 3, 2}));
  EXPECT_EQ(AvgPool2d(Shape{3, 7, 5}, 3, 1).output_shape(), (Shape{3, 5, 3}));
  EXPECT_THROW(MaxPool2d(Shape{3, 2, 5}, 3, 1), ConfigError);
  EXPECT_THROW(AvgPool2d(Shape{12}, 2, 2), ConfigError);
}

TEST(Dropout, KeepsOneMinusPAndScalesTheKept) {
  Dropout dropout(Shape{1000}, 0.3);
  Tensor x(Shape{20, 1000}), y, dy(Shape{20, 1000}), dx;
  x.fill(2.0f);
  dy.fill(1.0f);
  dropout.forward(x, y, {.training = true, .rng_key = 5, .layer_index = 2});
  size_t zeros = 0;
  for (float v : y.span()) {
    if (v == 0.0f) {
      ++zeros;
    } else {
      ASSERT_FLOAT_EQ(v, 2.0f / 0.7f);
    }
  }
  EXPECT_NEAR(static_cast<double>(zeros) / 20000.0, 0.3, 0.015);
  dropout.backward_input(x, y, dy, dx);
  for (size_t i = 0; i < y.size(); ++i) ASSERT_FLOAT_EQ(dx[i], y[i] / 2.0f);
  // The layer index is part of the key: another layer draws another mask.
  Tensor other;
  dropout.forward(x, other, {.training = true, .rng_key = 5, .layer_index = 3});
  EXPECT_NE(std::vector<float>(y.span().begin(), y.span().end()),
            std::vector<float>(other.span().begin(), other.span().end()));
  // Evaluation: the identity, and so is its backward.
  dropout.forward(x, y, {.training = false, .rng_key = 5, .layer_index = 2});
  for (float v : y.span()) ASSERT_EQ(v, 2.0f);
  dropout.backward_input(x, y, dy, dx);
  for (float v : dx.span()) ASSERT_EQ(v, 1.0f);
  EXPECT_THROW(Dropout(Shape{4}, 1.0), ConfigError);
}

TEST(Layers, MakeLayerShapes) {
  EXPECT_EQ(make_layer(LayerSpec::conv2d(8, 3, 2, 1), Shape{3, 9, 9}, 10)->output_shape(), (Shape{8, 5, 5}));
  EXPECT_EQ(make_layer(LayerSpec::flatten(), Shape{3, 9, 9}, 10)->output_shape(), (Shape{243}));
  EXPECT_EQ(make_layer(LayerSpec::linear(), Shape{7}, 4)->output_shape(), (Shape{4}));
  EXPECT_EQ(make_layer(LayerSpec::layernorm(), Shape{2, 5}, 4)->param_count(), 10u);
  EXPECT_EQ(make_layer(LayerSpec::conv2d(8, 3), Shape{3, 9, 9}, 10)->param_count(), size_t{8 * 3 * 9 + 8});
  EXPECT_THROW(make_layer(LayerSpec{.type = "embedding"}, Shape{3}, 2), ConfigError);
}

}  // namespace
}  // namespace dpeval::nn
