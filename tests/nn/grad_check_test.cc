// Every layer and loss against finite differences (tests/testing/grad_check.h):
// parameter gradients and input gradients. See Note [Finite differences on float code].
#include "testing/grad_check.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include "dpeval/nn/conv2d.h"
#include "dpeval/nn/layer.h"
#include "dpeval/nn/loss.h"

namespace dpeval::nn {
namespace {

using testing::check_gradient;
using testing::GradCheckOptions;

enum class InputKind { kUniform, kAwayFromZero, kDistinct };

// One layer with its own parameter and gradient buffers, and the loss
// L = sum_i r_i * y_i (accumulated in double) so that dL/dy = r.
class LayerHarness {
 public:
  LayerHarness(const LayerSpec& spec, const Shape& sample, int64_t batch,
               InputKind kind = InputKind::kUniform, uint64_t seed = 1)
      : layer_(make_layer(spec, sample, 10)), gen_(seed) {
    std::uniform_real_distribution<float> u(-0.5f, 0.5f);
    params_.resize(layer_->param_count());
    grads_.assign(params_.size(), 0.0f);
    for (float& p : params_) p = u(gen_);
    layer_->bind(params_, grads_);
    x_.resize(sample.with_outer(batch));
    fill_input(kind);
    r_.resize(static_cast<size_t>(layer_->output_shape().numel() * batch));
    for (float& v : r_) v = u(gen_) * 2.0f;
    context_.training = true;
    context_.rng_key = 1234;
    context_.layer_index = 3;
  }

  Layer& layer() { return *layer_; }
  std::vector<float>& params() { return params_; }
  LayerForwardContext& context() { return context_; }

  double loss() {
    layer_->forward(x_, y_, context_);
    double s = 0.0;
    for (size_t i = 0; i < r_.size(); ++i) s += static_cast<double>(r_[i]) * y_[i];
    return s;
  }

  // Forward, then both backward calls with dy = r.
  void backward() {
    loss();
    dy_.resize(y_.shape());
    std::copy(r_.begin(), r_.end(), dy_.data());
    layer_->backward_params(x_, y_, dy_, false);
    layer_->backward_input(x_, y_, dy_, dx_);
  }

  void expect_gradients_match(const GradCheckOptions& options = {}) {
    backward();
    const std::vector<float> grads = grads_;
    const std::vector<float> dx(dx_.span().begin(), dx_.span().end());
    ASSERT_EQ(dx.size(), x_.size());
    auto f = [this] { return loss(); };
    if (!params_.empty()) {
      const auto r = check_gradient(params_, grads, f, options);
      EXPECT_TRUE(r.ok) << layer_->type() << " parameter gradient:\n" << r.report;
      EXPECT_GT(r.checked, 0u);
    }
    const auto r = check_gradient(x_.span(), dx, f, options);
    EXPECT_TRUE(r.ok) << layer_->type() << " input gradient:\n" << r.report;
  }

  const Tensor& x() const { return x_; }
  const Tensor& y() const { return y_; }
  const Tensor& dx() const { return dx_; }
  const std::vector<float>& grads() const { return grads_; }

 private:
  void fill_input(InputKind kind) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    if (kind == InputKind::kUniform) {
      for (float& v : x_.span()) v = u(gen_);
    } else if (kind == InputKind::kAwayFromZero) {
      // |x| in [0.1, 1]: ReLU kinks are 10 eps away.
      for (float& v : x_.span()) v = std::copysign(0.1f + 0.9f * std::abs(u(gen_)), u(gen_));
    } else {
      // A shuffled ladder with steps of 0.05: no two values within 2 eps.
      std::vector<int> order(x_.size());
      std::iota(order.begin(), order.end(), 0);
      std::shuffle(order.begin(), order.end(), gen_);
      for (size_t i = 0; i < x_.size(); ++i) x_[i] = 0.05f * static_cast<float>(order[i]) - 1.0f;
    }
  }

  std::unique_ptr<Layer> layer_;
  std::mt19937_64 gen_;
  std::vector<float> params_, grads_, r_;
  Tensor x_, y_, dy_, dx_;
  LayerForwardContext context_;
};

TEST(GradCheck, Linear) {
  LayerHarness h(LayerSpec::linear(5), Shape{7}, 3);
  h.expect_gradients_match();
}

TEST(GradCheck, Conv2dGeometries) {
  struct Case {
    Shape in;
    LayerSpec spec;
  };
  const Case cases[] = {
      {Shape{2, 6, 5}, LayerSpec::conv2d(3, 3, 1, 1)},  // same padding, non-square image
      {Shape{3, 7, 7}, LayerSpec::conv2d(2, 3, 2, 0)},  // stride 2, no padding
      {Shape{1, 5, 6}, LayerSpec::conv2d(4, 5, 1, 2)},  // the peer's first conv shape, small
      {Shape{2, 4, 4}, LayerSpec::conv2d(2, 2, 3, 1)},  // stride larger than the kernel
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in.to_string());
    LayerHarness h(c.spec, c.in, 3);
    h.expect_gradients_match();
  }
}

TEST(GradCheck, Conv2dChunkSizesAgree) {
  // Default: one chunk of all 5 images side by side (ceil(192 / 30) = 7 per chunk).
  LayerHarness whole(LayerSpec::conv2d(3, 3, 1, 1), Shape{2, 6, 5}, 5, InputKind::kUniform, 7);
  ASSERT_EQ(static_cast<Conv2d&>(whole.layer()).chunk_images(), 7);
  whole.backward();
  for (int64_t chunk : {1, 2}) {  // 1: GEMMs straight into NCHW; 2: chunks of 2, 2 and 1
    SCOPED_TRACE(chunk);
    LayerHarness h(LayerSpec::conv2d(3, 3, 1, 1), Shape{2, 6, 5}, 5, InputKind::kUniform, 7);
    static_cast<Conv2d&>(h.layer()).set_chunk_images(chunk);
    h.backward();
    ASSERT_EQ(whole.y().size(), h.y().size());
    for (size_t i = 0; i < h.y().size(); ++i) EXPECT_NEAR(whole.y()[i], h.y()[i], 1e-6f);
    for (size_t i = 0; i < h.grads().size(); ++i) EXPECT_NEAR(whole.grads()[i], h.grads()[i], 1e-5f);
    for (size_t i = 0; i < h.dx().size(); ++i) EXPECT_NEAR(whole.dx()[i], h.dx()[i], 1e-6f);
    h.expect_gradients_match();
  }
}

// Note [Winograd F(2x2, 5x5)]: a 5x5, stride-1, padding-2 conv with 16 or more
// channels takes the Winograd path forward and for its input gradient. It
// must agree with the lowered path (within the transforms' rounding, a few
// 1e-6 of sum |w||x| <= 25 here) and pass the finite-difference check itself,
// over one plane size that fills tiles evenly and one that does not, and a
// batch split into chunks of 3 and 2 images (the lowered path takes one).
TEST(GradCheck, Conv2dWinogradAgreesWithLoweringAndIsAGradient) {
  for (const Shape& in : {Shape{16, 14, 14}, Shape{16, 7, 9}}) {
    SCOPED_TRACE(in.to_string());
    LayerHarness wino(LayerSpec::conv2d(16, 5, 1, 2), in, 5, InputKind::kUniform, 3);
    LayerHarness lowered(LayerSpec::conv2d(16, 5, 1, 2), in, 5, InputKind::kUniform, 3);
    auto& conv = static_cast<Conv2d&>(wino.layer());
    ASSERT_TRUE(conv.winograd_forward());
    ASSERT_TRUE(conv.winograd_input_grad());
    ASSERT_TRUE(conv.winograd_weight_grad());
    static_cast<Conv2d&>(lowered.layer()).set_winograd(false);
    ASSERT_FALSE(static_cast<Conv2d&>(lowered.layer()).winograd_forward());
    wino.backward();
    lowered.backward();
    ASSERT_EQ(wino.y().size(), lowered.y().size());
    for (size_t i = 0; i < wino.y().size(); ++i) EXPECT_NEAR(wino.y()[i], lowered.y()[i], 1e-4f) << i;
    for (size_t i = 0; i < wino.dx().size(); ++i) EXPECT_NEAR(wino.dx()[i], lowered.dx()[i], 1e-4f) << i;
    // The weight gradient sums over every position of every image with
    // cancellation, so its tolerance is relative to the largest one (kernels
    // winograd_test bounds each against its sum of magnitudes).
    ASSERT_EQ(wino.grads().size(), lowered.grads().size());
    float largest = 0;
    for (const float g : lowered.grads()) largest = std::max(largest, std::fabs(g));
    for (size_t i = 0; i < wino.grads().size(); ++i)
      EXPECT_NEAR(wino.grads()[i], lowered.grads()[i], 1e-4f * largest) << i;
    // The loss is linear in the weights and in x, so a central difference is
    // exact for any step; a large one keeps the transforms' rounding (larger
    // than the lowered GEMM's) from swamping the float differences.
    GradCheckOptions options;
    options.eps = 0.25;
    wino.expect_gradients_match(options);
  }
  // Too few channels, another kernel, or a stride: lowered.
  LayerHarness thin(LayerSpec::conv2d(16, 5, 1, 2), Shape{1, 8, 8}, 2);
  EXPECT_FALSE(static_cast<Conv2d&>(thin.layer()).winograd_forward());
  EXPECT_TRUE(static_cast<Conv2d&>(thin.layer()).winograd_input_grad());
  EXPECT_FALSE(static_cast<Conv2d&>(thin.layer()).winograd_weight_grad());
  LayerHarness three(LayerSpec::conv2d(16, 3, 1, 1), Shape{16, 8, 8}, 2);
  EXPECT_FALSE(static_cast<Conv2d&>(three.layer()).winograd_forward());
  LayerHarness strided(LayerSpec::conv2d(16, 5, 2, 2), Shape{16, 8, 8}, 2);
  EXPECT_FALSE(static_cast<Conv2d&>(strided.layer()).winograd_input_grad());
}

TEST(GradCheck, MaxPool2d) {
  LayerHarness a(LayerSpec::maxpool2d(2), Shape{2, 6, 6}, 2, InputKind::kDistinct);
  a.expect_gradients_match();
  LayerHarness b(LayerSpec::maxpool2d(3, 2), Shape{2, 7, 8}, 2, InputKind::kDistinct);  // overlapping windows
  b.expect_gradients_match();
}

TEST(GradCheck, AvgPool2d) {
  LayerHarness a(LayerSpec::avgpool2d(2), Shape{2, 6, 6}, 2);
  a.expect_gradients_match();
  LayerHarness b(LayerSpec::avgpool2d(3, 1), Shape{1, 5, 7}, 2);
  b.expect_gradients_match();
}

TEST(GradCheck, ReLU) {
  LayerHarness h(LayerSpec::relu(), Shape{4, 3}, 3, InputKind::kAwayFromZero);
  h.expect_gradients_match();
}

TEST(GradCheck, GELU) {
  LayerHarness h(LayerSpec::gelu(), Shape{20}, 3);
  h.expect_gradients_match();
}

TEST(GradCheck, DropoutWithFixedKey) {
  LayerHarness h(LayerSpec::dropout(0.3), Shape{5, 4}, 3);
  h.expect_gradients_match();
}

TEST(GradCheck, Flatten) {
  LayerHarness h(LayerSpec::flatten(), Shape{2, 3, 2}, 2);
  h.expect_gradients_match();
}

TEST(GradCheck, LayerNorm) {
  LayerHarness flat(LayerSpec::layernorm(), Shape{6}, 4);
  flat.expect_gradients_match();
  LayerHarness image(LayerSpec::layernorm(1e-3), Shape{2, 3, 5}, 2);  // normalizes over W
  image.expect_gradients_match();
}

// Note [Fused ReLU] in model.h: the fused epilogue must give exactly the
// numbers of the separate ReLU layer, forward and backward.
TEST(Fusion, LinearAndConvReluMatchSeparateLayers) {
  for (const auto& [spec, in] : {std::pair{LayerSpec::linear(6), Shape{5}},
                                 std::pair{LayerSpec::conv2d(3, 3, 1, 1), Shape{2, 4, 5}}}) {
    LayerHarness fused(spec, in, 3, InputKind::kUniform, 5);
    LayerHarness plain(spec, in, 3, InputKind::kUniform, 5);
    fused.layer().fuse_relu();
    Tensor x(fused.x().shape());
    std::copy(fused.x().span().begin(), fused.x().span().end(), x.data());
    Tensor y_fused, y_plain, y_relu;
    fused.layer().forward(x, y_fused, {});
    plain.layer().forward(x, y_plain, {});
    LayerHarness relu_harness(LayerSpec::relu(), plain.layer().output_shape(), 3);
    relu_harness.layer().forward(y_plain, y_relu, {});
    ASSERT_EQ(y_fused.size(), y_relu.size());
    for (size_t i = 0; i < y_fused.size(); ++i) ASSERT_EQ(y_fused[i], y_relu[i]) << i;

    Tensor dy_fused(y_fused.shape()), dy_relu(y_fused.shape()), dy_plain, dx_fused, dx_plain;
    for (size_t i = 0; i < dy_fused.size(); ++i) dy_fused[i] = dy_relu[i] = std::sin(static_cast<float>(i));
    fused.layer().backward_params(x, y_fused, dy_fused, false);
    fused.layer().backward_input(x, y_fused, dy_fused, dx_fused);
    relu_harness.layer().backward_input(y_plain, y_relu, dy_relu, dy_plain);
    plain.layer().backward_params(x, y_plain, dy_plain, false);
    plain.layer().backward_input(x, y_plain, dy_plain, dx_plain);
    for (size_t i = 0; i < dx_fused.size(); ++i) ASSERT_EQ(dx_fused[i], dx_plain[i]) << i;
    for (size_t i = 0; i < fused.grads().size(); ++i) ASSERT_EQ(fused.grads()[i], plain.grads()[i]) << i;
  }
}

TEST(GradCheck, SoftmaxCrossEntropy) {
  for (float smoothing : {0.0f, 0.1f}) {
    SCOPED_TRACE(smoothing);
    std::mt19937 gen(3);
    std::uniform_real_distribution<float> u(-3.0f, 3.0f);
    Tensor logits(Shape{4, 5}), d;
    for (float& v : logits.span()) v = u(gen);
    const std::vector<int32_t> labels = {0, 4, 2, 2};
    softmax_cross_entropy(logits, labels, &d, smoothing);
    const std::vector<float> analytic(d.span().begin(), d.span().end());
    const auto r =
        check_gradient(logits.span(), analytic,
                       [&] { return double(softmax_cross_entropy(logits, labels, nullptr, smoothing)); },
                       {.eps = 1e-2, .rtol = 1e-2, .atol = 2e-4});
    EXPECT_TRUE(r.ok) << r.report;
  }
}

TEST(Loss, CrossEntropyMatchesHandComputedValues) {
  // Two classes with logits 0 and ln 3: p = [1/4, 3/4].
  Tensor logits(Shape{1, 2});
  logits[0] = 0.0f;
  logits[1] = std::log(3.0f);
  const std::vector<int32_t> label = {1};
  EXPECT_NEAR(softmax_cross_entropy(logits, label, nullptr), -std::log(0.75), 1e-6);
  // Smoothing 0.2: target [0.1, 0.9] -> -(0.1 ln 1/4 + 0.9 ln 3/4).
  EXPECT_NEAR(softmax_cross_entropy(logits, label, nullptr, 0.2f),
              -(0.1 * std::log(0.25) + 0.9 * std::log(0.75)), 1e-6);
  // Stable for huge logits.
  logits[0] = 1000.0f;
  logits[1] = -1000.0f;
  EXPECT_NEAR(softmax_cross_entropy(logits, label, nullptr), 2000.0f, 1e-2);
  Tensor probs;
  softmax(logits, probs);
  EXPECT_FLOAT_EQ(probs[0], 1.0f);
  EXPECT_FLOAT_EQ(probs[1], 0.0f);
  const std::vector<int32_t> bad = {2};
  EXPECT_THROW(softmax_cross_entropy(logits, bad, nullptr), InputError);
  EXPECT_THROW(softmax_cross_entropy(logits, label, nullptr, 1.5f), ConfigError);
}

TEST(GradCheck, MeanSquaredError) {
  std::mt19937 gen(4);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  Tensor pred(Shape{3, 4}), target(Shape{3, 4}), d;
  for (float& v : pred.span()) v = u(gen);
  for (float& v : target.span()) v = u(gen);
  mse_loss(pred, target, &d);
  const std::vector<float> analytic(d.span().begin(), d.span().end());
  const auto r =
      check_gradient(pred.span(), analytic, [&] { return double(mse_loss(pred, target, nullptr)); });
  EXPECT_TRUE(r.ok) << r.report;
  Tensor a(Shape{2}), b(Shape{2});
  a[0] = 1.0f;
  a[1] = 3.0f;
  b[0] = 0.0f;
  b[1] = 1.0f;
  EXPECT_FLOAT_EQ(mse_loss(a, b, nullptr), 2.5f);  // (1 + 4) / 2
}

TEST(GradCheck, CheckerRejectsAFivePercentError) {
  LayerHarness h(LayerSpec::linear(4), Shape{6}, 2);
  h.backward();
  std::vector<float> wrong = h.grads();
  for (float& g : wrong) g *= 1.05f;
  const auto r = check_gradient(h.params(), wrong, [&] { return h.loss(); }, {.atol = 1e-4});
  EXPECT_FALSE(r.ok);
}

}  // namespace
}  // namespace dpeval::nn
