// The Optimizer contract, for every optimizer config: a step split into ranges
// (ZeRO-1 shards) equals one full step bitwise; state + step count restored into
// a fresh optimizer continues bitwise as if never stopped; state layout and
// sizes; contract checks; config validation.
#include "dpeval/optim/optimizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/core/rng.h"
#include "dpeval/optim/optim.h"
#include "optim/optim_test_util.h"

namespace dpeval::optim {
namespace {

constexpr size_t kParams = 101;  // odd, so halves and thirds are uneven
// Parameter tensors of the test buffer (one empty), cut wherever the range
// tests below cut, so LARS can join the contract; SGD and AdamW ignore them.
const std::vector<size_t> kSegments = {0, 10, 34, 50, 68, 68, 90};

struct NamedConfig {
  const char* label;
  OptimizerConfig config;
};

std::vector<NamedConfig> all_configs() {
  std::vector<NamedConfig> out;
  OptimizerConfig c;
  c.momentum = 0.0f;
  out.push_back({"sgd_plain", c});
  c = {};
  c.weight_decay = 0.01f;
  out.push_back({"sgd_momentum", c});
  c.nesterov = true;
  out.push_back({"sgd_nesterov", c});
  c = {};
  c.kind = OptimizerKind::kAdamw;
  out.push_back({"adamw", c});
  c.beta1 = 0.5f;
  c.beta2 = 0.9f;
  c.eps = 1e-4f;
  c.weight_decay = 0.2f;
  out.push_back({"adamw_custom", c});
  c = {};
  c.kind = OptimizerKind::kLars;
  out.push_back({"lars", c});
  c.momentum = 0.5f;
  c.weight_decay = 0.01f;
  c.trust_coefficient = 0.02f;
  c.eps = 0.0f;
  out.push_back({"lars_custom", c});
  c.momentum = 0.0f;
  out.push_back({"lars_plain", c});
  return out;
}

// Deterministic params and per-step gradients.
struct Problem {
  std::vector<float> params;
  std::vector<std::vector<float>> grads;  // [steps][kParams]
  std::vector<float> lrs;                 // [steps]
};

Problem make_problem(size_t steps) {
  Rng rng(42);
  Problem p;
  p.params.resize(kParams);
  for (float& x : p.params) x = static_cast<float>(rng.normal());
  for (size_t s = 0; s < steps; ++s) {
    std::vector<float> g(kParams);
    for (float& x : g) x = static_cast<float>(rng.normal());
    p.grads.push_back(std::move(g));
    p.lrs.push_back(0.01f * static_cast<float>(steps - s));
  }
  return p;
}

bool bitwise_equal(std::span<const float> a, std::span<const float> b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size_bytes()) == 0);
}

class OptimizerContract : public ::testing::TestWithParam<NamedConfig> {
 protected:
  static std::unique_ptr<Optimizer> make(const OptimizerConfig& config) {
    return make_optimizer(config, kParams, kSegments);
  }
};

TEST_P(OptimizerContract, StateMirrorsTheParameterLayout) {
  auto opt = make(GetParam().config);
  EXPECT_EQ(opt->name(), enum_text(GetParam().config.kind));
  EXPECT_EQ(opt->param_count(), kParams);
  const size_t slots =
      GetParam().config.kind == OptimizerKind::kAdamw ? 2 : (GetParam().config.momentum > 0 ? 1 : 0);
  EXPECT_EQ(opt->state_slots(), slots);
  EXPECT_EQ(opt->state().size(), slots * kParams);
  EXPECT_EQ(opt->state_bytes(), slots * kParams * sizeof(float));
  EXPECT_EQ(opt->step_count(), 0u);
  for (float x : opt->state()) EXPECT_EQ(x, 0.0f);
}

TEST_P(OptimizerContract, RangesEqualOneFullStepBitwise) {
  const Problem p = make_problem(4);
  auto full = make(GetParam().config);
  auto halves = make(GetParam().config);
  auto thirds = make(GetParam().config);
  std::vector<float> w_full = p.params, w_halves = p.params, w_thirds = p.params;
  for (size_t s = 0; s < p.lrs.size(); ++s) {
    full->step(w_full, p.grads[s], p.lrs[s]);

    halves->step_range(w_halves, p.grads[s], 50, kParams, p.lrs[s]);  // order must not matter
    halves->step_range(w_halves, p.grads[s], 0, 50, p.lrs[s]);
    EXPECT_EQ(halves->step_count(), s) << "step_range must not advance the step count";
    halves->finish_step();

    // Uneven ZeRO-1 shards, one of them empty.
    const size_t cuts[] = {0, 34, 68, 68, kParams};
    for (size_t k = 0; k + 1 < std::size(cuts); ++k) {
      thirds->step_range(w_thirds, p.grads[s], cuts[k], cuts[k + 1], p.lrs[s]);
    }
    thirds->finish_step();

    ASSERT_TRUE(bitwise_equal(w_halves, w_full)) << "step " << s;
    ASSERT_TRUE(bitwise_equal(w_thirds, w_full)) << "step " << s;
    ASSERT_TRUE(bitwise_equal(halves->state(), full->state())) << "step " << s;
    ASSERT_TRUE(bitwise_equal(thirds->state(), full->state())) << "step " << s;
  }
  EXPECT_EQ(full->step_count(), p.lrs.size());
  EXPECT_EQ(halves->step_count(), p.lrs.size());
}

TEST_P(OptimizerContract, ResumeFromSavedStateIsBitwiseIdentical) {
  const Problem p = make_problem(6);
  for (size_t stop = 0; stop <= p.lrs.size(); ++stop) {
    SCOPED_TRACE("stopped after step " + std::to_string(stop));
    auto never_stopped = make(GetParam().config);
    std::vector<float> w_never = p.params;
    for (size_t s = 0; s < p.lrs.size(); ++s) never_stopped->step(w_never, p.grads[s], p.lrs[s]);

    auto first = make(GetParam().config);
    std::vector<float> w = p.params;
    for (size_t s = 0; s < stop; ++s) first->step(w, p.grads[s], p.lrs[s]);
    // What a checkpoint holds: params, state floats, step count.
    const std::vector<float> saved_state(first->state().begin(), first->state().end());
    const uint64_t saved_steps = first->step_count();
    first.reset();

    auto resumed = make(GetParam().config);
    ASSERT_EQ(resumed->state().size(), saved_state.size());
    std::copy(saved_state.begin(), saved_state.end(), resumed->state().begin());
    resumed->set_step_count(saved_steps);
    for (size_t s = stop; s < p.lrs.size(); ++s) resumed->step(w, p.grads[s], p.lrs[s]);

    EXPECT_TRUE(bitwise_equal(w, w_never));
    EXPECT_TRUE(bitwise_equal(resumed->state(), never_stopped->state()));
    EXPECT_EQ(resumed->step_count(), never_stopped->step_count());
  }
}

TEST_P(OptimizerContract, ZeroGradientAndZeroDecayLeaveParamsUnchanged) {
  OptimizerConfig c = GetParam().config;
  c.weight_decay = 0.0f;
  auto opt = make(c);
  const Problem p = make_problem(1);
  std::vector<float> w = p.params;
  const std::vector<float> zero(kParams, 0.0f);
  for (int s = 0; s < 3; ++s) opt->step(w, zero, 0.1f);
  EXPECT_TRUE(bitwise_equal(w, p.params));
}

TEST_P(OptimizerContract, ContractViolationsAreInternalErrors) {
  auto opt = make(GetParam().config);
  std::vector<float> w(kParams), g(kParams), short_buffer(kParams - 1);
  EXPECT_THROW(opt->step(short_buffer, g, 0.1f), InternalError);
  EXPECT_THROW(opt->step(w, short_buffer, 0.1f), InternalError);
  EXPECT_THROW(opt->step_range(w, g, 0, kParams + 1, 0.1f), InternalError);
  EXPECT_THROW(opt->step_range(w, g, 10, 5, 0.1f), InternalError);
  EXPECT_THROW(opt->step(w, g, -1.0f), InternalError);
  EXPECT_THROW(opt->step(w, g, std::numeric_limits<float>::quiet_NaN()), InternalError);
  EXPECT_EQ(opt->step_count(), 0u);
}

INSTANTIATE_TEST_SUITE_P(AllOptimizers, OptimizerContract, ::testing::ValuesIn(all_configs()),
                         [](const auto& info) { return std::string(info.param.label); });

TEST(Optimizer, EmptyParameterBuffer) {
  for (const NamedConfig& nc : all_configs()) {
    auto opt = make_optimizer(nc.config, 0);
    EXPECT_EQ(opt->state().size(), 0u);
    opt->step({}, {}, 0.1f);
    EXPECT_EQ(opt->step_count(), 1u);
  }
}

TEST(Optimizer, WeightDecayDefaultsFollowPyTorch) {
  OptimizerConfig c;
  EXPECT_EQ(effective_weight_decay(c), 0.0f);
  c.kind = OptimizerKind::kAdamw;
  EXPECT_EQ(effective_weight_decay(c), 0.01f);
  c.weight_decay = 0.0f;
  EXPECT_EQ(effective_weight_decay(c), 0.0f);
  c.kind = OptimizerKind::kSgd;
  c.weight_decay = 0.3f;
  EXPECT_EQ(effective_weight_decay(c), 0.3f);
}

TEST(Optimizer, SgdFirstStepByHand) {
  // p = 1, g = 0.5, wd = 0.1, momentum 0.9, lr 0.1: d = 0.6, buf = d, p = 1 - 0.06.
  OptimizerConfig c;
  c.weight_decay = 0.1f;
  auto opt = make_optimizer(c, 1);
  std::vector<float> w{1.0f};
  const std::vector<float> g{0.5f};
  opt->step(w, g, 0.1f);
  EXPECT_FLOAT_EQ(opt->state()[0], 0.6f);
  EXPECT_FLOAT_EQ(w[0], 0.94f);
  // Second step: d = 0.5 + 0.094 = 0.594, buf = 0.9 * 0.6 + 0.594 = 1.134, p = 0.94 - 0.1134.
  opt->step(w, g, 0.1f);
  EXPECT_FLOAT_EQ(opt->state()[0], 1.134f);
  EXPECT_FLOAT_EQ(w[0], 0.8266f);
}

TEST(Optimizer, AdamwFirstStepMovesByLearningRate) {
  // At t = 1 with no weight decay the bias-corrected update is lr * g / (|g| + eps').
  OptimizerConfig c;
  c.kind = OptimizerKind::kAdamw;
  c.weight_decay = 0.0f;
  auto opt = make_optimizer(c, 2);
  std::vector<float> w{0.0f, 0.0f};
  const std::vector<float> g{3.0f, -0.25f};
  opt->step(w, g, 0.01f);
  EXPECT_NEAR(w[0], -0.01f, 1e-8);
  EXPECT_NEAR(w[1], 0.01f, 1e-8);
}

TEST(Optimizer, BadConfigsThrowConfigErrorNamingTheField) {
  auto with = [](auto edit) {
    OptimizerConfig c;
    edit(c);
    return config_error(c);
  };
  try {
    parse_enum<OptimizerKind>("adam", "optimizer.name");
    FAIL() << "adam parsed";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "optimizer.name = 'adam': expected 'sgd', 'adamw' or 'lars'");
  }
  EXPECT_NE(with([](OptimizerConfig& c) { c.momentum = 1.0f; }).find("optimizer.momentum"),
            std::string::npos);
  EXPECT_NE(with([](OptimizerConfig& c) { c.momentum = -0.1f; }).find("optimizer.momentum"),
            std::string::npos);
  EXPECT_NE(with([](OptimizerConfig& c) { c.momentum = NAN; }).find("optimizer.momentum"), std::string::npos);
  EXPECT_NE(with([](OptimizerConfig& c) { c.weight_decay = -1.0f; }).find("optimizer.weight_decay"),
            std::string::npos);
  EXPECT_NE(with([](OptimizerConfig& c) { c.weight_decay = INFINITY; }).find("optimizer.weight_decay"),
            std::string::npos);
  EXPECT_NE(with([](OptimizerConfig& c) {
              c.momentum = 0.0f;
              c.nesterov = true;
            }).find("optimizer.nesterov"),
            std::string::npos);
  auto adamw_with = [&](auto edit) {
    return with([&](OptimizerConfig& c) {
      c.kind = OptimizerKind::kAdamw;
      edit(c);
    });
  };
  EXPECT_NE(adamw_with([](OptimizerConfig& c) { c.beta1 = 1.0f; }).find("optimizer.beta1"),
            std::string::npos);
  EXPECT_NE(adamw_with([](OptimizerConfig& c) { c.beta2 = -0.5f; }).find("optimizer.beta2"),
            std::string::npos);
  EXPECT_NE(adamw_with([](OptimizerConfig& c) { c.eps = 0.0f; }).find("optimizer.eps"), std::string::npos);
  EXPECT_NE(adamw_with([](OptimizerConfig& c) { c.nesterov = true; }).find("optimizer.nesterov"),
            std::string::npos);
  // Fields the named optimizer does not read are not judged.
  EXPECT_EQ(with([](OptimizerConfig& c) { c.beta1 = 7.0f; }), "");
  EXPECT_EQ(adamw_with([](OptimizerConfig& c) { c.momentum = 7.0f; }), "");
}

}  // namespace
}  // namespace dpeval::optim
