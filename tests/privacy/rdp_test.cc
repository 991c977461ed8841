// privacy/rdp.h against fixtures/rdp_epsilon.json, written by
// make_rdp_fixtures.py from the published algorithm (Mironov, Talwar and
// Zhang 2019; Opacus 1.4's orders and conversion): every ε to 1e-6 relative
// (the bar; they agree far closer), the same best order.
#include "dpeval/privacy/rdp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"

namespace dpeval::privacy {
namespace {

using nlohmann::json;

const json& fixtures() {
  static const json j =
      json::parse(read_file(std::string(DPEVAL_SOURCE_DIR) + "/tests/privacy/fixtures/rdp_epsilon.json"));
  return j;
}

TEST(RdpAccountant, DefaultOrdersAreOpacus14s) {
  const std::vector<double> orders = default_orders();
  ASSERT_EQ(orders.size(), 99u + 52u);
  EXPECT_EQ(orders.front(), 1.1);
  EXPECT_EQ(orders[98], 10.9);
  EXPECT_EQ(orders[99], 12.0);
  EXPECT_EQ(orders.back(), 63.0);
}

TEST(RdpAccountant, OneStepEqualsTheFixtures) {
  int checked = 0;
  for (const json& c : fixtures()["rdp_steps"]) {
    const double got = rdp_step(c["q"], c["sigma"], c["order"]);
    const double want = c["rdp"];
    EXPECT_NEAR(got, want, 1e-9 * std::fabs(want) + 1e-15) << c.dump();
    ++checked;
  }
  EXPECT_EQ(checked, 63);
}

TEST(RdpAccountant, EpsilonEqualsTheFixturesOverTheGrid) {
  int checked = 0;
  for (const json& c : fixtures()["cases"]) {
    const Epsilon e = epsilon_after(c["q"], c["sigma"], c["steps"].get<int64_t>(), c["delta"]);
    const double want = c["epsilon"];
    EXPECT_NEAR(e.epsilon, want, 1e-6 * std::fabs(want)) << c.dump();
    EXPECT_EQ(e.best_order, c["best_order"].get<double>()) << c.dump();
    ++checked;
  }
  EXPECT_EQ(checked, 320);
}

TEST(RdpAccountant, EdgesOfTheMechanism) {
  // q = 0 releases nothing: ε is the conversion's own term, at its best order.
  EXPECT_LT(epsilon_after(0, 1, 1000, 1e-5).epsilon, 0.3);
  // q = 1 is the Gaussian mechanism: RDP α / (2σ²).
  EXPECT_DOUBLE_EQ(rdp_step(1, 2, 8), 1.0);
  // More steps, less noise or a larger rate never lower ε.
  const double base = epsilon_after(0.01, 1.0, 1000, 1e-5).epsilon;
  EXPECT_GT(epsilon_after(0.01, 1.0, 2000, 1e-5).epsilon, base);
  EXPECT_GT(epsilon_after(0.01, 0.9, 1000, 1e-5).epsilon, base);
  EXPECT_GT(epsilon_after(0.02, 1.0, 1000, 1e-5).epsilon, base);
  EXPECT_GT(epsilon_after(0.01, 1.0, 1000, 1e-7).epsilon, base);
}

TEST(RdpAccountant, BadArgumentsAreConfigErrors) {
  EXPECT_THROW(epsilon_after(-0.1, 1, 10, 1e-5), ConfigError);
  EXPECT_THROW(epsilon_after(1.5, 1, 10, 1e-5), ConfigError);
  EXPECT_THROW(epsilon_after(0.1, 0, 10, 1e-5), ConfigError);
  EXPECT_THROW(epsilon_after(0.1, NAN, 10, 1e-5), ConfigError);
  EXPECT_THROW(epsilon_after(0.1, 1, -1, 1e-5), ConfigError);
  EXPECT_THROW(epsilon_after(0.1, 1, 10, 0), ConfigError);
  EXPECT_THROW(epsilon_after(0.1, 1, 10, 1), ConfigError);
  EXPECT_THROW(noise_for_epsilon(0, 0.1, 10, 1e-5), ConfigError);
  // No noise up to 1e4 gets 1e6 steps at q = 0.5 under ε = 1e-3.
  EXPECT_THROW(noise_for_epsilon(1e-3, 0.5, 1000000, 1e-5), ConfigError);
}

// σ from a target ε: reaches it within 1 % (the bar) and is the
// smallest that does, to the bisection's precision.
TEST(RdpAccountant, NoiseForATargetEpsilonReachesItWithinOnePercent) {
  for (const double target : {0.5, 1.0, 3.0, 8.0}) {
    for (const auto& [q, steps] : {std::pair{256.0 / 60000, int64_t{14063}}, std::pair{0.01, int64_t{1000}},
                                   std::pair{0.1, int64_t{50}}}) {
      const double sigma = noise_for_epsilon(target, q, steps, 1e-5);
      const double eps = epsilon_after(q, sigma, steps, 1e-5).epsilon;
      EXPECT_LE(eps, target) << target << " " << q;
      EXPECT_GE(eps, 0.99 * target) << target << " " << q;
      EXPECT_GT(epsilon_after(q, sigma * (1 - 1e-5), steps, 1e-5).epsilon, target) << target << " " << q;
    }
  }
}

}  // namespace
}  // namespace dpeval::privacy
