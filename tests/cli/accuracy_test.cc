// Real accuracy on Fashion-MNIST with default settings (label `slow`: minutes).
// The promises: MLP >= 88.5 % test accuracy within 10 epochs, CNN >= 90.5 %
// within 5 epochs, both with seed 0; the MLP's bar holds with 2 workers too.
//
// Note [Stopping at the bar]
// Each test asserts its promise exactly: some epoch <= the budget reaches the
// bar. It stops training at the first epoch that does, instead of always
// running the whole budget. The first run trains `first_try` epochs (where
// seed 0 has reached the bar so far); only if none of them reaches it does
// training continue one epoch at a time with --resume, up to the budget. That
// is the same trajectory as one run of the whole budget: the default schedule
// never depends on --epochs (Note [Default schedule] in
// src/dpeval/parallel/train_config.cc) and a resumed run continues bitwise
// exactly (Trainer.ResumeEqualsNeverStopping, tests/parallel/trainer_test.cc). So a
// change that slows convergence but keeps the promise still passes, and one
// that breaks the promise fails after the full budget, as before.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "dpeval/core/atomic_file.h"

namespace {

namespace fs = std::filesystem;

struct Reached {
  int epoch = 0;       // first epoch at or above the bar; 0 if none within the budget
  double best = 0;     // best test accuracy seen
  int epochs_run = 0;  // epochs trained
};

// Runs `dpeval train` and returns the epochs of its summary.json.
nlohmann::json train(const std::string& args, const fs::path& out) {
  fs::remove_all(out);
  const std::string cmd = std::string(DPEVAL_BIN) + " train " + args + " --out " + out.string();
  const int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd;
  return nlohmann::json::parse(dpeval::read_file(out / "summary.json"))["epochs"];
}

// See Note [Stopping at the bar].
Reached train_until(const std::string& model, double bar, int first_try, int budget,
                    const std::string& extra = "") {
  const fs::path base =
      fs::temp_directory_path() / ("dpeval_accuracy_" + model + "_" + std::to_string(::getpid()));
  Reached r;
  fs::path previous;
  for (int epochs = first_try; epochs <= budget && r.epoch == 0; ++epochs) {
    const fs::path out = base / std::to_string(epochs);
    const nlohmann::json summary_epochs = previous.empty()
                                              ? train("--model " + model + " --data fashion-mnist --epochs " +
                                                          std::to_string(epochs) + " --seed 0 " + extra,
                                                      out)
                                              : train("--resume " + (previous / "checkpoint.dpck").string() +
                                                          " --epochs " + std::to_string(epochs),
                                                      out);
    if (::testing::Test::HasFailure()) break;
    for (const auto& e : summary_epochs) {
      if (!e["test_accuracy"].is_number()) continue;  // NaN is written as null
      const double accuracy = e["test_accuracy"].get<double>();
      r.best = std::max(r.best, accuracy);
      if (r.epoch == 0 && accuracy >= bar) r.epoch = e["epoch"].get<int>();
    }
    r.epochs_run = epochs;
    previous = out;
  }
  fs::remove_all(base);
  std::printf("%s%s: best test accuracy %.4f in %d epochs; bar %.3f reached at epoch %d\n", model.c_str(),
              extra.c_str(), r.best, r.epochs_run, bar, r.epoch);
  return r;
}

// first_try: where seed 0 first reached the bar on 2026-12-07 (test accuracy
// 0.8848 after epoch 8, 0.8917 after epoch 9).
TEST(Accuracy, MlpReaches885PercentWithinTenEpochs) {
  const Reached r = train_until("mlp", 0.885, /*first_try=*/9, /*budget=*/10);
  EXPECT_GE(r.epoch, 1) << "best " << r.best << " in 10 epochs";
}

// Two data-parallel workers (global batch 128, the same default lr) keep the
// single worker's bar. first_try: 0.8777 after epoch 8, 0.8883 after epoch 9
// (2026-12-07).
TEST(Accuracy, MlpTwoWorkersReach885PercentWithinTenEpochs) {
  const Reached r = train_until("mlp", 0.885, /*first_try=*/9, /*budget=*/10, "--workers 2");
  EXPECT_GE(r.epoch, 1) << "best " << r.best << " in 10 epochs";
}

// first_try: 0.8955 after epoch 3, 0.9070 after epoch 4 (2026-12-07).
TEST(Accuracy, CnnReaches905PercentWithinFiveEpochs) {
  const Reached r = train_until("cnn", 0.905, /*first_try=*/4, /*budget=*/5);
  EXPECT_GE(r.epoch, 1) << "best " << r.best << " in 5 epochs";
}

}  // namespace
