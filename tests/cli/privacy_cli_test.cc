// dpeval privacy epsilon: the accountant from the command line (the numbers
// themselves are tests/privacy's; here the command, its JSON and its errors).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>

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

// The loss attack finds the members of a model that memorised random labels,
// and finds next to nothing in one that could not.
TEST(PrivacyCli, TheLossAttackFindsAMemorisingModelsMembers) {
  std::mt19937 gen(1);
  std::uniform_real_distribution<double> u(0, 1);
  std::ostringstream csv;
  for (int c = 0; c < 20; ++c) csv << 'f' << c << ',';
  csv << "y\n";
  csv.precision(4);
  for (int r = 0; r < 1500; ++r) {
    for (int c = 0; c < 20; ++c) csv << std::fixed << u(gen) << ',';
    csv << gen() % 2 << '\n';
  }
  fs::create_directories(test_dir() / "mia");
  const fs::path table = write("mia/noise.csv", csv.str());
  const auto attack = [&](const std::string& name, int epochs) {
    const fs::path out = test_dir() / "mia" / name;
    CliRun r = run_dpeval(
        "train --model mlp --data " + table.string() + " --label-col y --epochs " + std::to_string(epochs) +
        " --optimizer adamw --lr 0.002 --schedule constant --audit off --out " + out.string());
    EXPECT_EQ(r.code, 0) << r.err;
    const fs::path html = out / "mia.html";
    r = run_dpeval("privacy --checkpoint " + (out / "checkpoint.dpck").string() +
                   " --attack loss --json --html " + html.string());
    EXPECT_EQ(r.code, 0) << r.err;
    const std::string page = dpeval::read_file(html);
    EXPECT_TRUE(page.starts_with("<!DOCTYPE html>") && page.find("<svg") != std::string::npos &&
                page.find("TPR at 0.1 % FPR") != std::string::npos &&
                page.find("<script") == std::string::npos);
    return nlohmann::json::parse(r.out);
  };
  const nlohmann::json memorised = attack("long", 60), brief = attack("short", 1);
  EXPECT_EQ(memorised["members"], memorised["non_members"]);
  EXPECT_GT(memorised["roc_auc"]["value"].get<double>(), 0.75) << memorised.dump();
  EXPECT_GT(memorised["balanced_accuracy"]["value"].get<double>(), 0.7);
  EXPECT_LT(brief["roc_auc"]["value"].get<double>(), 0.6) << brief.dump();
  const auto& interval = memorised["roc_auc"]["interval"];
  EXPECT_LE(interval[0].get<double>(), memorised["roc_auc"]["value"].get<double>());
  EXPECT_GE(interval[1].get<double>(), memorised["roc_auc"]["value"].get<double>());
  EXPECT_EQ(run_dpeval("privacy --attack loss").code, 2);  // no checkpoint
  EXPECT_EQ(run_dpeval("privacy --checkpoint x.dpck --attack lira").code, 2);
  EXPECT_EQ(run_dpeval("privacy --checkpoint x.dpck --rows 5").code, 2);
}

}  // namespace
}  // namespace dpeval::testing
