// The peer's MLP and CNN against PyTorch 1.13: same fixed weights and batch,
// 3 plain SGD steps, compared with tests/golden/nn_golden.json (made by
// tests/golden/make_nn_golden.py; the formulas below mirror that script).
//
// Tolerances: the two sides run the same float32 math in different summation
// orders (OpenBLAS vs PyTorch's kernels), so values agree to a few float ulps
// per operation. Losses must agree to 1e-5 relative, the first logits to 1e-5
// absolute (their scale is 0.1), every final weight tensor's sum to 1e-5 of its
// sum of |w|, and its first elements to 1e-6 absolute. A wrong gradient moves
// these by orders of magnitude more (a 1% gradient error changes the step-3
// loss by ~1e-4 relative).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dpeval/nn/loss.h"
#include "dpeval/nn/model.h"

namespace dpeval::nn {
namespace {

uint32_t golden_hash32(uint64_t i, uint64_t salt) {
  uint32_t h = static_cast<uint32_t>(i * 2654435761ull + salt * 97531ull);
  h ^= h >> 15;
  h *= 2246822519u;
  h ^= h >> 13;
  h *= 3266489917u;
  h ^= h >> 16;
  return h;
}

double golden_unit(uint64_t i, uint64_t salt) { return golden_hash32(i, salt) / 4294967296.0; }

void set_golden_weights(Model& model) {
  double fan_in = 1;
  const auto& infos = model.param_infos();
  for (size_t k = 0; k < infos.size(); ++k) {
    if (infos[k].shape.rank() > 1) fan_in = static_cast<double>(infos[k].shape.numel() / infos[k].shape[0]);
    const double bound = 1.0 / std::sqrt(fan_in);
    for (size_t j = 0; j < infos[k].length; ++j) {
      model.params()[infos[k].offset + j] =
          static_cast<float>((2.0 * golden_unit(j, 1000 + k) - 1.0) * bound);
    }
  }
}

nlohmann::json load_golden() {
  const std::string path = std::string(DPEVAL_SOURCE_DIR) + "/tests/golden/nn_golden.json";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return nlohmann::json::parse(in);
}

void expect_matches_pytorch(const std::string& preset) {
  const nlohmann::json all = load_golden();
  const nlohmann::json& g = all.at(preset);
  const int64_t batch = all.at("batch");
  const int steps = all.at("steps");
  const float lr = all.at("lr");
  const std::vector<int32_t> labels = all.at("labels");

  Model model = Model::build(model_spec_preset(preset), Shape{1, 28, 28}, 10);
  ASSERT_EQ(model.param_count(), g.at("params").get<size_t>());
  set_golden_weights(model);
  Tensor x(Shape{batch, 1, 28, 28});
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(golden_unit(i, 7));

  Tensor dlogits;
  for (int step = 0; step < steps; ++step) {
    const Tensor& logits = model.forward(x, {.training = true, .rng_key = 0});
    if (step == 0) {
      const std::vector<double> ref = g.at("logits");
      ASSERT_EQ(ref.size(), logits.size());
      for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(logits[i], ref[i], 1e-5) << "logit " << i;
    }
    const double loss = softmax_cross_entropy(logits, labels, &dlogits);
    const double ref = g.at("losses").at(step);
    EXPECT_NEAR(loss, ref, 1e-5 * std::abs(ref)) << "step " << step;
    model.backward(dlogits);
    for (size_t i = 0; i < model.param_count(); ++i) model.params()[i] -= lr * model.grads()[i];
  }
  const double final_loss = softmax_cross_entropy(model.forward(x, {.training = false}), labels, nullptr);
  const double final_ref = g.at("final_loss");
  EXPECT_NEAR(final_loss, final_ref, 1e-5 * std::abs(final_ref));

  const auto& infos = model.param_infos();
  ASSERT_EQ(infos.size(), g.at("tensors").size());
  for (size_t k = 0; k < infos.size(); ++k) {
    const nlohmann::json& t = g.at("tensors").at(k);
    EXPECT_EQ(infos[k].shape.dims(), t.at("shape").get<std::vector<int64_t>>()) << infos[k].name;
    double sum = 0, abs_sum = 0;
    for (size_t j = 0; j < infos[k].length; ++j) {
      const double v = model.params()[infos[k].offset + j];
      sum += v;
      abs_sum += std::abs(v);
    }
    const double ref_abs = t.at("abs_sum");
    EXPECT_NEAR(abs_sum, ref_abs, 1e-5 * ref_abs) << infos[k].name;
    EXPECT_NEAR(sum, t.at("sum").get<double>(), 1e-5 * ref_abs) << infos[k].name;
    const std::vector<double> head = t.at("head");
    for (size_t j = 0; j < head.size(); ++j) {
      EXPECT_NEAR(model.params()[infos[k].offset + j], head[j], 1e-6) << infos[k].name << "[" << j << "]";
    }
  }
}

TEST(Golden, MlpMatchesPyTorch) { expect_matches_pytorch("mlp"); }
TEST(Golden, CnnMatchesPyTorch) { expect_matches_pytorch("cnn"); }

}  // namespace
}  // namespace dpeval::nn
