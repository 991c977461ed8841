// Checkpoints and runs under hostile use (issue 15): fields read through a
// narrow type, NaN weights, a resume on data of another shape, a changed data
// file under a checkpoint, the data's identity stored with the run, short
// runs' throughput, the output-directory lock and the mpirun launch check.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "dpeval/comm/launch.h"
#include "dpeval/core/checkpoint_file.h"
#include "dpeval/core/dir_lock.h"
#include "dpeval/core/error.h"
#include "dpeval/parallel/train_checkpoint.h"
#include "dpeval/parallel/trainer.h"
#include "parallel/train_test_util.h"

namespace dpeval::parallel {
namespace {

using nlohmann::json;

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return std::string("InputError: ") + e.what();
  } catch (const UsageError& e) {
    return std::string("UsageError: ") + e.what();
  } catch (const Error& e) {
    return std::string("Error: ") + e.what();
  }
  return "no error";
}

// One trained checkpoint shared by the tests below (1 epoch, small table).
struct Trained {
  fs::path dir, csv, checkpoint;
  TrainConfig config;
  TrainResult result;
};
const Trained& trained() {
  static const Trained t = [] {
    Trained out;
    out.dir = fresh_dir("hostile_checkpoint");
    out.csv = write_blobs_csv(out.dir, 300);
    out.config = small_config(out.csv);
    out.config.epochs = 1;
    TrainRunOptions options;
    options.out_dir = out.dir / "run";
    out.result = train(out.config, options);
    out.checkpoint = out.dir / "run" / "checkpoint.dpck";
    return out;
  }();
  return t;
}

// A copy of the trained checkpoint with its progress JSON edited by `edit`
// and its params section edited by `edit_params`.
fs::path edited_checkpoint(const std::string& name, const std::function<void(json&)>& edit,
                           const std::function<void(std::vector<float>&)>& edit_params = {}) {
  const TrainState state = load_train_state(trained().checkpoint);
  CheckpointFile file = CheckpointFile::load(trained().checkpoint);
  json progress = json::parse(file.get_string("progress"));
  edit(progress);
  file.put_string("progress", progress.dump());
  if (edit_params) {
    std::vector<float> params = state.params;
    edit_params(params);
    file.put_floats("params", params);
  }
  const fs::path path = trained().dir / name;
  file.save(path);
  return path;
}

TEST(HostileCheckpoint, StoresTheDataIdentity) {
  const TrainState state = load_train_state(trained().checkpoint);
  EXPECT_EQ(state.data_path, fs::absolute(trained().csv).lexically_normal().string());
  EXPECT_TRUE(fs::path(state.data_path).is_absolute());
  EXPECT_EQ(state.feature_names, (std::vector<std::string>{"f0", "f1", "f2", "f3", "f4", "f5"}));
  EXPECT_TRUE(state.labels_path.empty());
}

TEST(HostileCheckpoint, HugeEpochsDoneIsRejectedNotWrapped) {
  const fs::path path =
      edited_checkpoint("epochs.dpck", [](json& p) { p["epochs_done"] = 1000000000000000ull; });
  const std::string m = message_of([&] { load_train_state(path); });
  EXPECT_NE(m.find("InputError"), std::string::npos) << m;
  EXPECT_NE(m.find("epochs_done is 1000000000000000"), std::string::npos) << m;
  const fs::path classes =
      edited_checkpoint("classes.dpck", [](json& p) { p["num_classes"] = 4294967299ull; });
  EXPECT_NE(message_of([&] { load_train_state(classes); }).find("num_classes is 4294967299"),
            std::string::npos);
}

TEST(HostileCheckpoint, NanWeightsAreRefusedNamingTheCheckpoint) {
  const fs::path path = edited_checkpoint(
      "nan.dpck", [](json&) {}, [](std::vector<float>& p) { p[7] = std::nanf(""); });
  const std::string m = message_of([&] { load_train_state(path); });
  EXPECT_NE(m.find("InputError"), std::string::npos) << m;
  EXPECT_NE(m.find("nan.dpck"), std::string::npos) << m;
  EXPECT_NE(m.find("parameter 7"), std::string::npos) << m;
  EXPECT_NE(m.find("diverged"), std::string::npos) << m;
}

TEST(HostileCheckpoint, OlderCheckpointsWithoutTheNewFieldsStillLoad) {
  const fs::path path = edited_checkpoint("old.dpck", [](json& p) {
    p.erase("data_path");
    p.erase("feature_names");
  });
  const TrainState state = load_train_state(path);
  EXPECT_TRUE(state.data_path.empty());
  EXPECT_TRUE(state.feature_names.empty());
  // Without data_path the run's data is config.data as written; it is unchanged, so it loads.
  EXPECT_EQ(load_checkpoint_data(state, path.string()).train.content_hash(), state.dataset_hash);
}

TEST(HostileCheckpoint, AChangedDataFileIsRefusedNotReSplit) {
  const fs::path dir = fresh_dir("hostile_changed");
  const fs::path csv = write_blobs_csv(dir, 200);
  TrainConfig config = small_config(csv);
  config.epochs = 1;
  TrainRunOptions options;
  options.out_dir = dir / "run";
  train(config, options);
  const TrainState state = load_train_state(dir / "run" / "checkpoint.dpck");
  EXPECT_NO_THROW(load_checkpoint_data(state, "ck"));
  // Append rows: the same seed now splits other rows into train and test.
  std::string text = read_file(csv);
  text += "1,1,1,1,1,1,a,1\n";
  write_file_atomic(csv, text);
  const std::string m = message_of([&] { load_checkpoint_data(state, "ck.dpck"); });
  EXPECT_NE(m.find("InputError"), std::string::npos) << m;
  EXPECT_NE(m.find("blobs.csv"), std::string::npos) << m;
  EXPECT_NE(m.find("changed since ck.dpck"), std::string::npos) << m;
}

TEST(HostileCheckpoint, ResumeOnDataOfAnotherShapeNamesWhatDiffers) {
  const fs::path dir = fresh_dir("hostile_resume");
  // Same rows, two fewer feature columns: a different sample shape.
  std::string text = "f0,f1,f2,f3,group,label\n";
  const std::string original = read_file(trained().csv);
  size_t line_start = original.find('\n') + 1;
  while (line_start < original.size()) {
    const size_t end = original.find('\n', line_start);
    std::string line = original.substr(line_start, end - line_start);
    size_t cut = 0;
    for (int commas = 0; commas < 4; ++commas) cut = line.find(',', cut) + 1;
    size_t skip = cut;
    for (int commas = 0; commas < 2; ++commas) skip = line.find(',', skip) + 1;
    text += line.substr(0, cut) + line.substr(skip) + "\n";
    line_start = end + 1;
  }
  write_file_atomic(dir / "narrow.csv", text);
  TrainConfig config = trained().config;
  config.data = (dir / "narrow.csv").string();
  config.epochs = 2;
  TrainState saved = load_train_state(trained().checkpoint);
  // The config names the new data (as a resumed run with --data would, were it allowed): the shape check must
  // fire.
  saved.config.data = config.data;
  save_train_state(dir / "ck.dpck", saved);
  TrainRunOptions options;
  options.out_dir = dir / "run";
  options.resume_from = dir / "ck.dpck";
  const std::string m = message_of([&] { train(config, options); });
  EXPECT_NE(m.find("InputError"), std::string::npos) << m;
  EXPECT_NE(m.find("ck.dpck"), std::string::npos) << m;
  EXPECT_NE(m.find("shape [6]"), std::string::npos) << m;
  EXPECT_NE(m.find("shape [4]"), std::string::npos) << m;
}

TEST(HostileRun, AShortRunReportsThroughputOverAllItsSteps) {
  const TrainResult& r = trained().result;
  // 240 train rows / batch 32 = 8 steps: fewer than the warm-up window.
  ASSERT_LE(r.steps_run, static_cast<uint64_t>(kWarmupStepsExcluded));
  EXPECT_EQ(r.steady_steps, 0u);
  EXPECT_EQ(r.samples_per_s, 0);  // the steady-state figure (summary.json, scale studies) stays "none"
  EXPECT_GT(r.samples_per_s_all_steps, 0);
}

TEST(HostileRun, DivergingToNanSaysSoAndWritesNoCheckpoint) {
  const fs::path dir = fresh_dir("hostile_diverge");
  TrainConfig config = small_config(write_blobs_csv(dir, 300));
  config.lr = 1000.0f;  // the largest --lr
  config.epochs = 1;
  TrainRunOptions options;
  options.out_dir = dir / "run";
  const std::string m = message_of([&] { train(config, options); });
  EXPECT_NE(m.find("diverged"), std::string::npos) << m;
  EXPECT_FALSE(fs::exists(dir / "run" / "checkpoint.dpck"));
}

TEST(RunDirLock, ASecondHolderFailsNamingTheDirectoryAndPid) {
  const fs::path dir = fresh_dir("hostile_lock") / "out";
  {
    DirLock first(dir);
    const std::string m = message_of([&] { DirLock second(dir); });
    EXPECT_NE(m.find(dir.string() + " is in use by another dpeval run (pid " + std::to_string(::getpid())),
              std::string::npos)
        << m;
  }
  EXPECT_NO_THROW(DirLock again(dir));  // released with its holder
}

TEST(Launch, ThreadsBackendUnderMpirunIsAUsageError) {
  ::setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  ::setenv("OMPI_COMM_WORLD_RANK", "1", 1);
  const std::string m = message_of([] { comm::check_launch(comm::Backend::kThreads); });
  EXPECT_NO_THROW(comm::check_launch(comm::Backend::kMpi));
  EXPECT_EQ(comm::lock_run_dir(fresh_dir("hostile_launch") / "out", comm::Backend::kMpi),
            nullptr);  // rank 1 does not lock
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
  ::unsetenv("OMPI_COMM_WORLD_RANK");
  EXPECT_NE(m.find("UsageError"), std::string::npos) << m;
  EXPECT_NE(m.find("--backend mpi"), std::string::npos) << m;
  EXPECT_NO_THROW(comm::check_launch(comm::Backend::kThreads));
}

}  // namespace
}  // namespace dpeval::parallel
