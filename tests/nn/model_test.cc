// Model: build and its errors, flat layout, hooks, accumulation, init,
// dropout determinism, a whole-model gradient check.
#include "dpeval/nn/model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/nn/loss.h"
#include "testing/grad_check.h"

namespace dpeval::nn {
namespace {

const Shape kImage{1, 28, 28};

Tensor random_batch(const Shape& sample, int64_t batch, uint64_t seed) {
  Tensor x(sample.with_outer(batch));
  std::mt19937 gen(static_cast<uint32_t>(seed));
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (float& v : x.span()) v = u(gen);
  return x;
}

std::string build_error(const ModelSpec& spec, const Shape& sample, int classes = 10) {
  try {
    Model::build(spec, sample, classes);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Model, PresetParamCountsMatchThePeer) {
  EXPECT_EQ(Model::build(model_spec_preset("mlp"), kImage, 10).param_count(), 535818u);
  EXPECT_EQ(Model::build(model_spec_preset("cnn"), kImage, 10).param_count(), 454922u);
  // The MLP also takes a table row of F features.
  EXPECT_EQ(Model::build(model_spec_preset("mlp"), Shape{20}, 3).param_count(),
            size_t{20 * 512 + 512 + 512 * 256 + 256 + 256 * 3 + 3});
}

TEST(Model, BuildErrorsNameTheLayerAndLine) {
  std::string e = build_error(model_spec_preset("cnn"), Shape{784});
  EXPECT_NE(e.find("model 'cnn' layer 0 (conv2d): conv2d needs a [channels, height, width] input, got [784]"),
            std::string::npos)
      << e;
  const ModelSpec spec = parse_model_toml(R"(name = "t"
[[layers]]
type = "flatten"

[[layers]]
type = "conv2d"
out_channels = 2
kernel = 3
)",
                                          "t.toml");
  e = build_error(spec, kImage);
  EXPECT_NE(e.find("model 't' layer 1 (conv2d, line 5): conv2d needs"), std::string::npos) << e;
  e = build_error(ModelSpec{"k", {LayerSpec::conv2d(2, 31), LayerSpec::flatten(), LayerSpec::linear()}},
                  kImage);
  EXPECT_NE(e.find("kernel 31 is larger"), std::string::npos) << e;
  e = build_error(ModelSpec{"o", {LayerSpec::flatten(), LayerSpec::linear(5)}}, kImage);
  EXPECT_NE(e.find("outputs [5] per sample, expected [10]"), std::string::npos) << e;
  e = build_error(ModelSpec{"l", {LayerSpec::linear(5)}}, kImage);
  EXPECT_NE(e.find("add a flatten layer"), std::string::npos) << e;
  e = build_error(ModelSpec{"n", {LayerSpec::linear(), LayerSpec::linear(10)}}, Shape{4});
  EXPECT_NE(e.find("only the last linear"), std::string::npos) << e;
  e = build_error(ModelSpec{"huge",
                            {LayerSpec::flatten(), LayerSpec::linear(1 << 20), LayerSpec::linear(1 << 20),
                             LayerSpec::linear()}},
                  kImage);
  EXPECT_NE(e.find("more than"), std::string::npos) << e;
  EXPECT_FALSE(build_error(model_spec_preset("mlp"), kImage, 0).empty());
}

TEST(Model, ParamsAreOneBufferInForwardOrder) {
  Model m = Model::build(model_spec_preset("cnn"), kImage, 10);
  const auto& infos = m.param_infos();
  const std::vector<std::string> names = {"0.weight", "0.bias", "3.weight", "3.bias",
                                          "7.weight", "7.bias", "9.weight", "9.bias"};
  ASSERT_EQ(infos.size(), names.size());
  size_t offset = 0;
  for (size_t i = 0; i < infos.size(); ++i) {
    EXPECT_EQ(infos[i].name, names[i]);
    EXPECT_EQ(infos[i].offset, offset);
    EXPECT_EQ(infos[i].length, static_cast<size_t>(infos[i].shape.numel()));
    offset += infos[i].length;
  }
  EXPECT_EQ(offset, m.param_count());
  EXPECT_EQ(m.grads().size(), m.params().size());
  EXPECT_EQ(infos[0].shape, (Shape{32, 1, 5, 5}));
  EXPECT_EQ(infos[4].shape, (Shape{128, 3136}));
}

TEST(Model, BackwardWritesEachGradientRegionItsLayerOwns) {
  // Gradient of each region computed through the flat buffer equals the one
  // from a model where only that region's parameters are perturbed: checked
  // indirectly by the whole-model gradient check below; here: nothing stale.
  Model m = Model::build(model_spec_preset("mlp"), kImage, 10);
  m.init_params(1);
  std::fill(m.grads().begin(), m.grads().end(), 123.0f);
  const Tensor x = random_batch(kImage, 4, 2);
  Tensor d;
  const std::vector<int32_t> labels = {1, 2, 3, 4};
  softmax_cross_entropy(m.forward(x, {}), labels, &d);
  m.backward(d);
  for (float g : m.grads()) ASSERT_NE(g, 123.0f);
}

TEST(Model, GradReadyFiresOncePerParamInReverseOrder) {
  for (const char* preset : {"mlp"}) {
    Model m = Model::build(model_spec_preset(preset), kImage, 10);
    m.init_params(3);
    std::vector<size_t> fired;
    std::vector<float> snapshot;
    m.set_on_grad_ready([&](size_t i) {
      fired.push_back(i);
      // The gradient is final when reported: remember it to compare after backward.
      const ParamInfo& info = m.param_infos()[i];
      snapshot.insert(snapshot.end(), m.grads().begin() + static_cast<std::ptrdiff_t>(info.offset),
                      m.grads().begin() + static_cast<std::ptrdiff_t>(info.offset + info.length));
    });
    const Tensor x = random_batch(kImage, 3, 4);
    Tensor d;
    const std::vector<int32_t> labels = {0, 5, 9};
    softmax_cross_entropy(m.forward(x, {}), labels, &d);
    m.backward(d);
    const size_t n = m.param_infos().size();
    ASSERT_EQ(fired.size(), n) << preset;
    size_t pos = 0;
    for (size_t k = 0; k < n; ++k) {
      EXPECT_EQ(fired[k], n - 1 - k) << preset;
      const ParamInfo& info = m.param_infos()[fired[k]];
      for (size_t j = 0; j < info.length; ++j) ASSERT_EQ(snapshot[pos + j], m.grads()[info.offset + j]);
      pos += info.length;
    }
    m.set_on_grad_ready({});
    m.backward(d);
    EXPECT_EQ(fired.size(), n);
  }
}

TEST(Model, AccumulateAddsAndPlainBackwardOverwrites) {
  Model m = Model::build(model_spec_preset("cnn"), kImage, 10);
  m.init_params(5);
  const Tensor x = random_batch(kImage, 2, 6);
  Tensor d;
  const std::vector<int32_t> labels = {3, 7};
  softmax_cross_entropy(m.forward(x, {}), labels, &d);
  m.backward(d);
  const std::vector<float> once(m.grads().begin(), m.grads().end());
  m.forward(x, {});
  m.backward(d, /*accumulate=*/true);
  for (size_t i = 0; i < once.size(); ++i)
    ASSERT_NEAR(m.grads()[i], 2.0f * once[i], 1e-6f + 1e-5f * std::abs(once[i]));
  m.forward(x, {});
  m.backward(d);
  for (size_t i = 0; i < once.size(); ++i) ASSERT_EQ(m.grads()[i], once[i]);
}

TEST(Model, InitIsDeterministicAndMatchesPyTorchBounds) {
  Model a = Model::build(model_spec_preset("cnn"), kImage, 10);
  Model b = Model::build(model_spec_preset("cnn"), kImage, 10);
  a.init_params(42);
  b.init_params(42);
  EXPECT_TRUE(std::equal(a.params().begin(), a.params().end(), b.params().begin()));
  b.init_params(43);
  EXPECT_FALSE(std::equal(a.params().begin(), a.params().end(), b.params().begin()));
  for (const ParamInfo& info : a.param_infos()) {
    const ParamInfo& weight =
        info.name.ends_with("bias") ? a.param_infos()[&info - &a.param_infos()[0] - 1] : info;
    const double bound = 1.0 / std::sqrt(static_cast<double>(weight.shape.numel() / weight.shape[0]));
    double sum = 0, sum_sq = 0, max_abs = 0;
    for (size_t j = 0; j < info.length; ++j) {
      const double v = a.params()[info.offset + j];
      sum += v;
      sum_sq += v * v;
      max_abs = std::max(max_abs, std::abs(v));
    }
    EXPECT_LE(max_abs, bound) << info.name;
    if (info.length >= 1000) {
      const double n = static_cast<double>(info.length);
      EXPECT_NEAR(sum / n, 0.0, 0.1 * bound) << info.name;
      EXPECT_NEAR(sum_sq / n, bound * bound / 3.0, 0.1 * bound * bound) << info.name;  // var of U(-b, b)
      EXPECT_GT(max_abs, 0.95 * bound) << info.name;
    }
  }
  Model ln = Model::build(ModelSpec{"ln", {LayerSpec::layernorm(), LayerSpec::linear()}}, Shape{6}, 2);
  ln.init_params(1);
  for (size_t j = 0; j < 6; ++j) {
    EXPECT_EQ(ln.params()[j], 1.0f);
    EXPECT_EQ(ln.params()[6 + j], 0.0f);
  }
}

TEST(Model, DropoutIsDeterministicGivenTheKeyAndIdentityInEval) {
  const ModelSpec with{
      "d", {LayerSpec::flatten(), LayerSpec::linear(64), LayerSpec::dropout(0.5), LayerSpec::linear()}};
  const ModelSpec without{"n", {LayerSpec::flatten(), LayerSpec::linear(64), LayerSpec::linear()}};
  Model m = Model::build(with, kImage, 10);
  Model plain = Model::build(without, kImage, 10);
  m.init_params(9);
  plain.init_params(9);  // same tensor indices -> same values
  ASSERT_TRUE(std::equal(m.params().begin(), m.params().end(), plain.params().begin()));
  const Tensor x = random_batch(kImage, 4, 8);
  auto logits = [&](Model& model, bool training, uint64_t key) {
    const Tensor& y = model.forward(x, {.training = training, .rng_key = key});
    return std::vector<float>(y.span().begin(), y.span().end());
  };
  EXPECT_EQ(logits(m, true, 11), logits(m, true, 11));
  EXPECT_NE(logits(m, true, 11), logits(m, true, 12));
  EXPECT_EQ(logits(m, false, 11), logits(plain, false, 0));
  EXPECT_EQ(logits(m, false, 11), logits(m, false, 12));
}

TEST(Model, WholeModelGradientCheckOnASmoothModel) {
  // Every parameterized layer type, smooth activations (no ReLU/max kinks; those
  // are checked layer by layer), a fixed dropout key, mean cross-entropy.
  const ModelSpec spec{
      "smooth",
      {LayerSpec::conv2d(3, 3, 1, 1), LayerSpec::gelu(), LayerSpec::avgpool2d(2),
       LayerSpec::conv2d(4, 3, 2, 1), LayerSpec::flatten(), LayerSpec::layernorm(), LayerSpec::dropout(0.2),
       LayerSpec::linear(8), LayerSpec::gelu(), LayerSpec::linear()}};
  Model m = Model::build(spec, Shape{2, 8, 8}, 5);
  m.init_params(21);
  const Tensor x = random_batch(Shape{2, 8, 8}, 3, 22);
  const std::vector<int32_t> labels = {4, 0, 2};
  const ForwardOptions options{.training = true, .rng_key = 77};
  Tensor d;
  softmax_cross_entropy(m.forward(x, options), labels, &d);
  m.backward(d);
  const std::vector<float> analytic(m.grads().begin(), m.grads().end());
  auto loss = [&] { return double(softmax_cross_entropy(m.forward(x, options), labels, nullptr)); };
  for (const ParamInfo& info : m.param_infos()) {
    const auto r = testing::check_gradient(m.params().subspan(info.offset, info.length),
                                           std::span(analytic).subspan(info.offset, info.length), loss,
                                           {.eps = 1e-2, .rtol = 2e-2, .atol = 2e-4, .max_elements = 24});
    EXPECT_TRUE(r.ok) << info.name << ":\n" << r.report;
  }
}

TEST(Model, BatchSizeMayChangeAndModelsMove) {
  Model m = Model::build(model_spec_preset("cnn"), kImage, 10);
  m.init_params(1);
  const Tensor big = random_batch(kImage, 5, 1);
  Tensor small(kImage.with_outer(2));
  std::copy(big.span().begin(), big.span().begin() + static_cast<std::ptrdiff_t>(small.size()), small.data());
  const Tensor& y_big = m.forward(big, {});
  const std::vector<float> first(y_big.span().begin(), y_big.span().begin() + 20);  // rows 0 and 1
  Model moved = std::move(m);
  const Tensor& y = moved.forward(small, {});
  ASSERT_EQ(y.shape(), (Shape{2, 10}));
  for (size_t i = 0; i < 20; ++i) EXPECT_NEAR(y[i], first[i], 1e-5f);
  Tensor d(y.shape());
  d.fill(0.1f);
  moved.backward(d);
}

TEST(Model, DescribeAndLayoutHash) {
  Model cnn = Model::build(model_spec_preset("cnn"), kImage, 10);
  const std::string text = cnn.describe();
  EXPECT_NE(text.find("454922 parameters"), std::string::npos) << text;
  EXPECT_NE(text.find("conv2d     [32, 28, 28]"), std::string::npos) << text;
  EXPECT_NE(text.find("(fused into 0)"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 11);
  EXPECT_EQ(cnn.layout_hash(), Model::build(model_spec_preset("cnn"), kImage, 10).layout_hash());
  EXPECT_NE(cnn.layout_hash(), Model::build(model_spec_preset("mlp"), kImage, 10).layout_hash());
  EXPECT_NE(cnn.layout_hash(), Model::build(model_spec_preset("cnn"), kImage, 9).layout_hash());
}

}  // namespace
}  // namespace dpeval::nn

namespace dpeval::nn {
namespace {

// input_gradient against central differences of L = sum r * logits (in
// double) along random directions, for the MLP (Linear layers with fused
// ReLUs: piecewise linear, so the differences are exact between kinks); the
// parameter gradients stay untouched. The CNN's input gradient is checked
// against PyTorch's through FGSM (tests/robust), because finite differences
// of its float forward carry about 1e-3 of rounding and pooling kinks.
TEST(Model, InputGradientIsTheGradientOfTheLossWithRespectToTheInput) {
  for (const char* preset : {"mlp"}) {
    Model m = Model::build(model_spec_preset(preset), Shape{1, 28, 28}, 10);
    m.init_params(5);
    std::mt19937 gen(11);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    Tensor x(Shape{2, 1, 28, 28});
    for (float& v : x.span()) v = u(gen);
    Tensor r(Shape{2, 10});
    for (float& v : r.span()) v = u(gen) - 0.5f;
    ForwardOptions f;
    f.training = false;
    auto loss = [&] {
      const Tensor& z = m.forward(x, f);
      double s = 0;
      for (size_t i = 0; i < z.size(); ++i) s += static_cast<double>(r[i]) * z[i];
      return s;
    };
    const std::vector<float> grads_before(m.grads().begin(), m.grads().end());
    loss();
    Tensor dx;
    m.input_gradient(r, dx);
    ASSERT_EQ(dx.shape(), x.shape());
    EXPECT_TRUE(std::equal(grads_before.begin(), grads_before.end(), m.grads().begin())) << preset;
    // (L(x + hv) - L(x - hv)) / 2h against dx . v, v random.
    for (int d = 0; d < 6; ++d) {
      std::vector<float> v(x.size());
      for (float& e : v) e = u(gen) - 0.5f;
      const std::vector<float> keep(x.span().begin(), x.span().end());
      const float h = 1e-3f;
      for (size_t i = 0; i < x.size(); ++i) x[i] = keep[i] + h * v[i];
      const double up = loss();
      for (size_t i = 0; i < x.size(); ++i) x[i] = keep[i] - h * v[i];
      const double down = loss();
      std::copy(keep.begin(), keep.end(), x.span().begin());
      double directional = 0;
      for (size_t i = 0; i < x.size(); ++i) directional += static_cast<double>(dx[i]) * v[i];
      const double fd = (up - down) / (2.0 * h);
      EXPECT_NEAR(fd, directional, 2e-2 * std::fabs(directional) + 1e-4) << preset << " direction " << d;
    }
  }
}

}  // namespace
}  // namespace dpeval::nn
