// dpeval privacy epsilon: the accountant from the command line (the numbers
// themselves are tests/privacy's; here the command, its JSON and its errors).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_test_util.h"

namespace dpeval::testing {
namespace {

using nlohmann::json;

TEST(PrivacyCli, EpsilonAndTheNoiseForATargetAgree) {
  CliRun r =
      run_dpeval("privacy epsilon --noise-multiplier 1.1 --sampling-rate 0.004267 --steps 14063 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const json e = json::parse(r.out);
  EXPECT_NEAR(e["epsilon"].get<double>(), 2.59688, 1e-5);
  EXPECT_EQ(e["best_order"].get<double>(), 8.1);
  EXPECT_EQ(e["delta"].get<double>(), 1e-5);
  EXPECT_EQ(e["accountant"], "rdp");
  // The noise the same epsilon needs is the noise it came from.
  r = run_dpeval("privacy epsilon --target-epsilon " + e["epsilon"].dump() +
                 " --sampling-rate 0.004267 --steps 14063 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const json s = json::parse(r.out);
  EXPECT_NEAR(s["noise_multiplier"].get<double>(), 1.1, 1e-5);
  EXPECT_LE(s["epsilon"].get<double>(), e["epsilon"].get<double>());
}

TEST(PrivacyCli, BadArgumentsAreUsageOrConfigErrors) {
  for (const char* args :
       {"privacy", "privacy epsilon --sampling-rate 0.1 --steps 10",
        "privacy epsilon --noise-multiplier 1 --target-epsilon 1 --sampling-rate 0.1 --steps 10",
        "privacy epsilon --noise-multiplier -1 --sampling-rate 0.1 --steps 10",
        "privacy epsilon --noise-multiplier 1 --sampling-rate 1.5 --steps 10",
        "privacy epsilon --noise-multiplier 1 --sampling-rate 0.1 --steps -3",
        "privacy epsilon --noise-multiplier 1 --sampling-rate 0.1 --steps 10 --delta 0"}) {
    EXPECT_EQ(run_dpeval(args).code, 2) << args;
  }
  const CliRun r = run_dpeval("privacy epsilon --target-epsilon 0.001 --sampling-rate 0.5 --steps 1000000");
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("target epsilon 0.001"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dpeval::testing
