// LARS (lars.h): a two-segment step worked by hand, several steps against a
// naive double-precision implementation of the same formulas, the zero-norm
// rule, segment bookkeeping (whole-segment ranges, empty segments, malformed
// offsets), state layout and config validation. The Optimizer contract (ranges,
// resume) runs over lars configs in optimizer_test.cc.
#include "dpeval/optim/lars.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/core/rng.h"
#include "dpeval/optim/optim.h"
#include "optim/optim_test_util.h"

namespace dpeval::optim {
namespace {

bool bitwise_equal(std::span<const float> a, std::span<const float> b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size_bytes()) == 0);
}

OptimizerConfig lars_config(float momentum, float weight_decay, float trust_coefficient, float eps) {
  OptimizerConfig c;
  c.kind = OptimizerKind::kLars;
  c.momentum = momentum;
  c.weight_decay = weight_decay;
  c.trust_coefficient = trust_coefficient;
  c.eps = eps;
  return c;
}

// The example worked below: segment A = [0, 2), segment B = [2, 5).
const std::vector<size_t> kHandSegments = {0, 2};
const std::vector<float> kHandParams = {3.0f, 4.0f, 1.0f, 2.0f, 2.0f};  // ||A|| = 5, ||B|| = 3
const std::vector<float> kHandGrads = {0.6f, 0.8f, 0.0f, 0.0f, 3.0f};   // ||A|| = 1, ||B|| = 3

TEST(Lars, FirstStepByHand) {
  // wd 0.1, eta 0.01, eps 0, momentum 0.9, lr 0.5.
  // A: local_lr = 0.01 * 5 / (1 + 0.1 * 5) = 1/30; d = ([0.6, 0.8] + 0.1 * [3, 4]) / 30 = [0.03, 0.04];
  //    b = d; p = [3, 4] - 0.5 * d = [2.985, 3.98].
  // B: local_lr = 0.01 * 3 / (3 + 0.1 * 3) = 1/110; d = ([0, 0, 3] + 0.1 * [1, 2, 2]) / 110
  //    = [0.1, 0.2, 3.2] / 110; p = [1, 2, 2] - 0.5 * d.
  const OptimizerConfig c = lars_config(0.9f, 0.1f, 0.01f, 0.0f);
  const LarsOptions options{.momentum = 0.9f, .weight_decay = 0.1f, .trust_coefficient = 0.01f, .eps = 0.0f};
  const std::span<const float> w(kHandParams), g(kHandGrads);
  EXPECT_FLOAT_EQ(lars_local_lr(w.first(2), g.first(2), options), 1.0f / 30.0f);
  EXPECT_FLOAT_EQ(lars_local_lr(w.subspan(2), g.subspan(2), options), 1.0f / 110.0f);

  auto opt = make_optimizer(c, kHandParams.size(), kHandSegments);
  std::vector<float> p = kHandParams;
  opt->step(p, kHandGrads, 0.5f);
  const double expected_b[] = {0.03, 0.04, 0.1 / 110, 0.2 / 110, 3.2 / 110};
  const double expected_p[] = {2.985, 3.98, 1.0 - 0.05 / 110, 2.0 - 0.1 / 110, 2.0 - 1.6 / 110};
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_NEAR(opt->state()[i], expected_b[i], 1e-7) << "i = " << i;
    EXPECT_NEAR(p[i], expected_p[i], 1e-6) << "i = " << i;
  }

  // Second step, A by hand: p = 0.995 * [3, 4], so ||p|| = 4.975 and
  // local_lr = 0.01 * 4.975 / (1 + 0.4975); d = ([0.6, 0.8] + 0.1 * p) * local_lr;
  // b = 0.9 * [0.03, 0.04] + d; p -= 0.5 * b.
  opt->step(p, kHandGrads, 0.5f);
  const double local_a = 0.04975 / 1.4975;
  const double b0 = 0.9 * 0.03 + (0.6 + 0.2985) * local_a, b1 = 0.9 * 0.04 + (0.8 + 0.398) * local_a;
  EXPECT_NEAR(opt->state()[0], b0, 1e-7);
  EXPECT_NEAR(opt->state()[1], b1, 1e-7);
  EXPECT_NEAR(p[0], 2.985 - 0.5 * b0, 1e-6);
  EXPECT_NEAR(p[1], 3.98 - 0.5 * b1, 1e-6);
  EXPECT_EQ(opt->step_count(), 2u);
}

// The file comment of lars.h, in double, one segment at a time.
struct NaiveLars {
  double momentum, weight_decay, eta, eps;
  std::vector<size_t> begins;  // segment starts; the last segment ends at p.size()
  std::vector<double> b;
  int t = 0;

  void step(std::vector<double>& p, const std::vector<float>& g, double lr) {
    ++t;
    b.resize(p.size());
    for (size_t k = 0; k < begins.size(); ++k) {
      const size_t lo = begins[k], hi = k + 1 < begins.size() ? begins[k + 1] : p.size();
      double pp = 0, gg = 0;
      for (size_t i = lo; i < hi; ++i) {
        pp += p[i] * p[i];
        gg += double{g[i]} * g[i];
      }
      const double pn = std::sqrt(pp), gn = std::sqrt(gg);
      const double local = pn > 0 && gn > 0 ? eta * pn / (gn + weight_decay * pn + eps) : 1.0;
      for (size_t i = lo; i < hi; ++i) {
        const double d = (g[i] + weight_decay * p[i]) * local;
        b[i] = t == 1 ? d : momentum * b[i] + d;
        p[i] -= lr * b[i];
      }
    }
  }
};

TEST(Lars, MatchesNaiveDoubleImplementationOverSteps) {
  const std::vector<size_t> segments = {0, 7, 8, 40, 41, 100};
  const size_t n = 128;
  for (float momentum : {0.0f, 0.9f}) {
    SCOPED_TRACE("momentum " + std::to_string(momentum));
    const OptimizerConfig c = lars_config(momentum, 5e-4f, 0.02f, 1e-8f);
    auto opt = make_optimizer(c, n, segments);
    NaiveLars naive{momentum, 5e-4, 0.02, 1e-8, segments, {}};
    Rng rng(7);
    std::vector<float> p(n);
    for (float& x : p) x = static_cast<float>(rng.normal());
    std::vector<double> p_naive(p.begin(), p.end());
    for (int s = 0; s < 5; ++s) {
      std::vector<float> g(n);
      for (float& x : g) x = static_cast<float>(0.1 * rng.normal());
      const float lr = 0.5f / static_cast<float>(s + 1);  // a schedule: lr sits outside the buffer
      opt->step(p, g, lr);
      naive.step(p_naive, g, lr);
    }
    for (size_t i = 0; i < n; ++i) EXPECT_NEAR(p[i], p_naive[i], 1e-6 * (1 + std::abs(p_naive[i]))) << i;
  }
}

TEST(Lars, ZeroNormSegmentsTakeThePlainSgdStep) {
  // Segments: [0, 3) zero weights, [3, 6) zero gradient, [6, 9) both zero, [9, 12) neither.
  const std::vector<size_t> segments = {0, 3, 6, 9};
  const std::vector<float> w0 = {0, 0, 0, 1, -2, 3, 0, 0, 0, 1, 2, 3};
  const std::vector<float> g = {1, -1, 2, 0, 0, 0, 0, 0, 0, 4, 5, 6};
  OptimizerConfig lars = lars_config(0.9f, 0.1f, 0.001f, 1e-8f);
  OptimizerConfig sgd;
  sgd.momentum = 0.9f;
  sgd.weight_decay = 0.1f;
  auto lars_opt = make_optimizer(lars, w0.size(), segments);
  auto sgd_opt = make_optimizer(sgd, w0.size());
  std::vector<float> w_lars = w0, w_sgd = w0;
  for (int s = 0; s < 3; ++s) {
    lars_opt->step(w_lars, g, 0.1f);
    sgd_opt->step(w_sgd, g, 0.1f);
    // local_lr = 1 makes a zero-norm segment bitwise Sgd. The zero weights of
    // [0, 3) are zero at the first step only.
    const size_t from = s == 0 ? 0 : 3;
    ASSERT_TRUE(
        bitwise_equal(std::span(w_lars).subspan(from, 9 - from), std::span(w_sgd).subspan(from, 9 - from)))
        << "step " << s;
    ASSERT_TRUE(
        bitwise_equal(lars_opt->state().subspan(from, 9 - from), sgd_opt->state().subspan(from, 9 - from)))
        << "step " << s;
  }
  EXPECT_NE(w_lars[0], 0.0f);            // zero weights with a gradient move
  EXPECT_LT(std::abs(w_lars[3]), 1.0f);  // zero gradient: weight decay alone, at the full lr
  for (size_t i = 6; i < 9; ++i) EXPECT_EQ(w_lars[i], 0.0f);
  EXPECT_FALSE(bitwise_equal(std::span(w_lars).subspan(9), std::span(w_sgd).subspan(9)));  // adapted
  const LarsOptions options;
  EXPECT_EQ(lars_local_lr({}, {}, options), 1.0f);
}

TEST(Lars, HalvesAlongSegmentBoundariesEqualOneFullStepBitwise) {
  const std::vector<size_t> segments = {0, 13, 50, 51, 90};
  const size_t n = 101;
  Rng rng(3);
  std::vector<float> w0(n);
  for (float& x : w0) x = static_cast<float>(rng.normal());
  const OptimizerConfig c = lars_config(0.9f, 1e-4f, 0.001f, 1e-8f);
  auto full = make_optimizer(c, n, segments);
  auto halves = make_optimizer(c, n, segments);
  std::vector<float> w_full = w0, w_halves = w0;
  for (int s = 0; s < 4; ++s) {
    std::vector<float> g(n);
    for (float& x : g) x = static_cast<float>(rng.normal());
    full->step(w_full, g, 0.3f);
    halves->step_range(w_halves, g, 50, n, 0.3f);
    halves->step_range(w_halves, g, 0, 50, 0.3f);
    halves->finish_step();
    ASSERT_TRUE(bitwise_equal(w_halves, w_full)) << "step " << s;
    ASSERT_TRUE(bitwise_equal(halves->state(), full->state())) << "step " << s;
  }
}

TEST(Lars, RangeSplittingASegmentIsAnInternalErrorAndWritesNothing) {
  const std::vector<size_t> segments = {0, 10, 20};
  auto opt = make_optimizer(lars_config(0.9f, 0.0f, 0.001f, 1e-8f), 30, segments);
  std::vector<float> w(30, 1.0f), g(30, 1.0f);
  EXPECT_THROW(opt->step_range(w, g, 0, 15, 0.1f), InternalError);   // ends inside [10, 20)
  EXPECT_THROW(opt->step_range(w, g, 5, 30, 0.1f), InternalError);   // starts inside [0, 10)
  EXPECT_THROW(opt->step_range(w, g, 15, 20, 0.1f), InternalError);  // starts inside [10, 20)
  for (float x : w) EXPECT_EQ(x, 1.0f);
  for (float x : opt->state()) EXPECT_EQ(x, 0.0f);
  opt->step_range(w, g, 10, 20, 0.1f);  // one whole segment
  opt->step_range(w, g, 7, 7, 0.1f);    // an empty range is always fine
  EXPECT_EQ(w[9], 1.0f);
  EXPECT_NE(w[10], 1.0f);
  EXPECT_EQ(w[20], 1.0f);
  // One segment (the default): only the whole buffer.
  auto whole = make_optimizer(lars_config(0.9f, 0.0f, 0.001f, 1e-8f), 30);
  EXPECT_THROW(whole->step_range(w, g, 0, 29, 0.1f), InternalError);
}

TEST(Lars, EmptySegmentsChangeNothing) {
  const size_t n = 40;
  Rng rng(11);
  std::vector<float> w0(n), g(n);
  for (float& x : w0) x = static_cast<float>(rng.normal());
  for (float& x : g) x = static_cast<float>(rng.normal());
  const OptimizerConfig c = lars_config(0.9f, 0.01f, 0.001f, 1e-8f);
  const std::vector<size_t> plain = {0, 10, 25}, with_empty = {0, 0, 10, 10, 25, 40, 40};
  auto a = make_optimizer(c, n, plain);
  auto b = make_optimizer(c, n, with_empty);
  EXPECT_EQ(std::vector<size_t>(dynamic_cast<const Lars&>(*b).segment_offsets().begin(),
                                dynamic_cast<const Lars&>(*b).segment_offsets().end()),
            plain);
  std::vector<float> wa = w0, wb = w0;
  a->step(wa, g, 0.1f);
  b->step(wb, g, 0.1f);
  EXPECT_TRUE(bitwise_equal(wa, wb));
}

TEST(Lars, StateLayoutIsOneMomentumSlot) {
  auto opt = make_optimizer(lars_config(0.9f, 0.0f, 0.001f, 1e-8f), 17, std::vector<size_t>{0, 5});
  EXPECT_EQ(opt->name(), "lars");
  EXPECT_EQ(opt->state_slots(), 1u);
  EXPECT_EQ(opt->state().size(), 17u);
  EXPECT_EQ(opt->state_bytes(), 17 * sizeof(float));
  auto plain = make_optimizer(lars_config(0.0f, 0.0f, 0.001f, 1e-8f), 17);
  EXPECT_EQ(plain->state_slots(), 0u);
  EXPECT_EQ(plain->state().size(), 0u);
  EXPECT_EQ(dynamic_cast<const Lars&>(*plain).segment_offsets().size(), 1u);
  EXPECT_TRUE(dynamic_cast<const Lars&>(*make_optimizer(lars_config(0.9f, 0, 0.001f, 0), 0))
                  .segment_offsets()
                  .empty());
}

TEST(Lars, DefaultsAreTorchlars) {
  OptimizerConfig c;
  c.kind = OptimizerKind::kLars;
  EXPECT_EQ(effective_weight_decay(c), 0.0f);
  EXPECT_EQ(c.trust_coefficient, 0.001f);
  EXPECT_EQ(c.eps, 1e-8f);
  EXPECT_EQ(c.momentum, 0.9f);
  auto opt = make_optimizer(c, 3);
  const LarsOptions& o = dynamic_cast<const Lars&>(*opt).options();
  EXPECT_EQ(o.weight_decay, 0.0f);
  EXPECT_EQ(o.trust_coefficient, 0.001f);
  EXPECT_EQ(o.eps, 1e-8f);
  EXPECT_EQ(o.momentum, 0.9f);
}

TEST(Optimizer, SegmentsAreIgnoredByElementwiseOptimizers) {
  const size_t n = 23;
  const std::vector<size_t> segments = {0, 4, 9};
  Rng rng(5);
  std::vector<float> w0(n), g(n);
  for (float& x : w0) x = static_cast<float>(rng.normal());
  for (float& x : g) x = static_cast<float>(rng.normal());
  for (const char* name : {"sgd", "adamw"}) {
    OptimizerConfig c;
    c.kind = parse_enum<OptimizerKind>(name, "optimizer.name");
    auto with = make_optimizer(c, n, segments);
    auto without = make_optimizer(c, n);
    std::vector<float> a = w0, b = w0;
    for (int s = 0; s < 2; ++s) {
      with->step_range(a, g, 0, 6, 0.1f);  // any range: no segment rule
      with->step_range(a, g, 6, n, 0.1f);
      with->finish_step();
      without->step(b, g, 0.1f);
    }
    EXPECT_TRUE(bitwise_equal(a, b)) << name;
  }
}

TEST(Optimizer, MalformedSegmentOffsetsAreInternalErrors) {
  for (const char* name : {"sgd", "adamw", "lars"}) {
    SCOPED_TRACE(name);
    OptimizerConfig c;
    c.kind = parse_enum<OptimizerKind>(name, "optimizer.name");
    EXPECT_THROW(make_optimizer(c, 10, std::vector<size_t>{1, 5}), InternalError);  // not from 0
    EXPECT_THROW(make_optimizer(c, 10, std::vector<size_t>{0, 6, 5}), InternalError);
    EXPECT_THROW(make_optimizer(c, 10, std::vector<size_t>{0, 11}), InternalError);
    EXPECT_NO_THROW(make_optimizer(c, 10, std::vector<size_t>{0, 10}));  // a trailing empty segment
    EXPECT_NO_THROW(make_optimizer(c, 0, std::vector<size_t>{0}));
  }
}

TEST(Lars, BadConfigsThrowConfigErrorNamingTheField) {
  auto lars_with = [](auto edit) {
    OptimizerConfig c;
    c.kind = OptimizerKind::kLars;
    edit(c);
    return config_error(c);
  };
  auto names = [](const std::string& message, const char* field) {
    return message.find(std::string("optimizer.") + field) != std::string::npos;
  };
  EXPECT_TRUE(names(lars_with([](OptimizerConfig& c) { c.trust_coefficient = 0.0f; }), "trust_coefficient"));
  EXPECT_TRUE(names(lars_with([](OptimizerConfig& c) { c.trust_coefficient = -1.0f; }), "trust_coefficient"));
  EXPECT_TRUE(names(lars_with([](OptimizerConfig& c) { c.trust_coefficient = NAN; }), "trust_coefficient"));
  EXPECT_TRUE(
      names(lars_with([](OptimizerConfig& c) { c.trust_coefficient = INFINITY; }), "trust_coefficient"));
  EXPECT_TRUE(names(lars_with([](OptimizerConfig& c) { c.eps = -1e-8f; }), "eps"));
  EXPECT_TRUE(names(lars_with([](OptimizerConfig& c) { c.eps = NAN; }), "eps"));
  EXPECT_TRUE(names(lars_with([](OptimizerConfig& c) { c.momentum = 1.0f; }), "momentum"));
  EXPECT_TRUE(names(lars_with([](OptimizerConfig& c) { c.momentum = -0.5f; }), "momentum"));
  EXPECT_TRUE(names(lars_with([](OptimizerConfig& c) { c.weight_decay = -0.1f; }), "weight_decay"));
  EXPECT_TRUE(names(lars_with([](OptimizerConfig& c) { c.nesterov = true; }), "nesterov"));
  // eps 0 is fine for lars (zero norms are handled by the local_lr = 1 rule);
  // fields lars does not read are not judged; trust_coefficient is lars-only.
  EXPECT_EQ(lars_with([](OptimizerConfig& c) { c.eps = 0.0f; }), "");
  EXPECT_EQ(lars_with([](OptimizerConfig& c) { c.beta1 = 7.0f; }), "");
  OptimizerConfig sgd;
  sgd.trust_coefficient = -1.0f;
  EXPECT_EQ(config_error(sgd), "");
  EXPECT_FALSE(find_enum<OptimizerKind>("LARS"));  // spellings are exact
}

}  // namespace
}  // namespace dpeval::optim
