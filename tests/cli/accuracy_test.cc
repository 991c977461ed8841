// Real accuracy on Fashion-MNIST with default settings (label `slow`: minutes).
// The promises: MLP >= 88.5 % test accuracy within 10 epochs, CNN >= 90.5 %
// within 5 epochs, both with seed 0; the MLP's bar holds with 2 workers too.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "dpeval/core/atomic_file.h"

namespace {

namespace fs = std::filesystem;

double best_accuracy(const std::string& model, int epochs, const std::string& extra = "") {
  const fs::path out = fs::temp_directory_path() / ("dpeval_accuracy_" + model + "_" + std::to_string(::getpid()));
  fs::remove_all(out);
  const std::string cmd = std::string(DPEVAL_BIN) + " train --model " + model + " --data fashion-mnist --epochs " +
                          std::to_string(epochs) + " --seed 0 " + extra + " --out " + out.string();
  const int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd;
  const auto summary = nlohmann::json::parse(dpeval::read_file(out / "summary.json"));
  double best = 0;
  for (const auto& e : summary["epochs"]) best = std::max(best, e["test_accuracy"].get<double>());
  fs::remove_all(out);
  return best;
}

TEST(Accuracy, MlpReaches885PercentWithinTenEpochs) { EXPECT_GE(best_accuracy("mlp", 10), 0.885); }

// Two data-parallel workers (global batch 128, the same default lr) keep the
// single worker's bar.
TEST(Accuracy, MlpTwoWorkersReach885PercentWithinTenEpochs) {
  EXPECT_GE(best_accuracy("mlp", 10, "--workers 2"), 0.885);
}

TEST(Accuracy, CnnReaches905PercentWithinFiveEpochs) { EXPECT_GE(best_accuracy("cnn", 5), 0.905); }

}  // namespace
