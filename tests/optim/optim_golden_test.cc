// SGD and AdamW against torch.optim: five steps of each config in
// tests/golden/optim_golden.json (made by tests/golden/make_optim_golden.py with
// PyTorch 1.13), parameters after every step and the final state.
//
// Tolerance: normwise relative error max|actual - expected| / max|expected| <= 1e-6,
// per array (and per state slot: AdamW's m and v separately). Not elementwise,
// because PyTorch's CPU kernels fuse p + alpha * d into one FMA where ours round
// the product first: one rounding of lr * g, negligible against the array's
// scale, is 1.5e-6 of a parameter that the update almost cancels to zero.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "dpeval/optim/optim.h"

namespace dpeval::optim {
namespace {

constexpr double kRelativeTolerance = 1e-6;

nlohmann::json load_golden() {
  const std::filesystem::path path =
      std::filesystem::path(DPEVAL_SOURCE_DIR) / "tests/golden/optim_golden.json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return nlohmann::json::parse(in);
}

OptimizerConfig config_from_json(const nlohmann::json& j) {
  OptimizerConfig c;
  c.kind = parse_enum<OptimizerKind>(j.at("name").get<std::string>(), "name");
  if (!j.at("weight_decay").is_null()) c.weight_decay = j.at("weight_decay").get<float>();
  if (c.kind == OptimizerKind::kSgd) {
    c.momentum = j.at("momentum").get<float>();
    c.nesterov = j.at("nesterov").get<bool>();
  } else {
    c.beta1 = j.at("beta1").get<float>();
    c.beta2 = j.at("beta2").get<float>();
    c.eps = j.at("eps").get<float>();
  }
  return c;
}

// max_i |actual[i] - expected[i]| / max_i |expected[i]| (0 for empty arrays).
double normwise_relative_error(std::span<const float> actual, std::span<const float> expected) {
  EXPECT_EQ(actual.size(), expected.size());
  double error = 0, scale = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    error = std::max(error, std::abs(static_cast<double>(actual[i]) - expected[i]));
    scale = std::max(scale, std::abs(static_cast<double>(expected[i])));
  }
  return scale > 0 ? error / scale : error;
}

TEST(OptimGolden, MatchesTorchOptim) {
  const nlohmann::json golden = load_golden();
  ASSERT_GE(golden.at("cases").size(), 5u);
  for (const nlohmann::json& c : golden.at("cases")) {
    const std::string name = c.at("name").get<std::string>();
    SCOPED_TRACE(name);
    std::vector<float> params = c.at("params0").get<std::vector<float>>();
    const auto lrs = c.at("lrs").get<std::vector<float>>();
    const auto grads = c.at("grads").get<std::vector<std::vector<float>>>();
    const auto expected = c.at("params").get<std::vector<std::vector<float>>>();
    const auto expected_state = c.at("state").get<std::vector<float>>();

    auto optimizer = make_optimizer(config_from_json(c.at("optimizer")), params.size());
    for (size_t step = 0; step < lrs.size(); ++step) {
      optimizer->step(params, grads[step], lrs[step]);
      EXPECT_LE(normwise_relative_error(params, expected[step]), kRelativeTolerance)
          << "after step " << step + 1;
    }
    EXPECT_EQ(optimizer->step_count(), lrs.size());
    ASSERT_EQ(optimizer->state().size(), expected_state.size());
    const size_t n = params.size();
    for (size_t slot = 0; slot < optimizer->state_slots(); ++slot) {
      EXPECT_LE(normwise_relative_error(optimizer->state().subspan(slot * n, n),
                                        std::span<const float>(expected_state).subspan(slot * n, n)),
                kRelativeTolerance)
          << "final state, slot " << slot;
    }
  }
}

}  // namespace
}  // namespace dpeval::optim
