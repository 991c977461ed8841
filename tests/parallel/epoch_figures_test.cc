// The trainer's per-epoch figures (EpochRecord::samples_per_s, steps,
// step_breakdown) and its gradient traffic (TrainResult::bucket_bytes,
// bytes_reduced_per_step), and how run/summary.cc writes them. It lives with
// the trainer tests because the figures are the trainer's; it links the cli
// library only for train_summary_json.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <numeric>

#include "dpeval/parallel/trainer.h"
#include "dpeval/run/summary.h"
#include "parallel/train_test_util.h"

namespace dpeval::parallel {
namespace {

void expect_breakdown_parts_valid(const StepBreakdown& b, int epoch) {
  EXPECT_GE(b.data_ms, 0) << "epoch " << epoch;
  EXPECT_GE(b.compute_ms, 0) << "epoch " << epoch;
  EXPECT_GT(b.compute_ms, 0) << "epoch " << epoch;  // forward and backward always run
  EXPECT_GE(b.comm_wait_ms, 0) << "epoch " << epoch;
  EXPECT_GE(b.optimizer_ms, 0) << "epoch " << epoch;
}

// 300 rows, 240 of them trained: 120 per rank at batch 32, 4 steps an epoch.
TEST(EpochFigures, TwoWorkerThreadsRunReportsEveryEpoch) {
  const fs::path dir = fresh_dir("epoch_figures");
  TrainConfig c = small_config(write_blobs_csv(dir, 300));
  c.workers = 2;
  TrainRunOptions run;
  run.out_dir = dir / "out";
  run.bucket_mb = 0.25;  // several buckets: the MLP's gradients are about 0.5 MiB
  const TrainResult r = train(c, run);

  ASSERT_EQ(r.epochs.size(), 3u);
  for (const EpochRecord& e : r.epochs) {
    ASSERT_TRUE(e.steps.has_value()) << "epoch " << e.epoch;
    EXPECT_EQ(*e.steps, 4u) << "epoch " << e.epoch;
    ASSERT_TRUE(e.samples_per_s.has_value()) << "epoch " << e.epoch;
    EXPECT_GT(*e.samples_per_s, 0) << "epoch " << e.epoch;
    ASSERT_TRUE(e.step_breakdown.has_value()) << "epoch " << e.epoch;
    expect_breakdown_parts_valid(*e.step_breakdown, e.epoch);
  }

  ASSERT_GT(r.bucket_bytes.size(), 1u);
  EXPECT_EQ(r.bucket_bytes.size(), r.buckets);
  const size_t total = std::accumulate(r.bucket_bytes.begin(), r.bucket_bytes.end(), size_t{0});
  EXPECT_EQ(total, r.params * sizeof(float));
  EXPECT_EQ(r.bytes_reduced_per_step, r.params * sizeof(float));

  const nlohmann::json j = run::train_summary_json(r);
  EXPECT_EQ(j["bucket_bytes"].get<std::vector<size_t>>(), r.bucket_bytes);
  EXPECT_EQ(j["bytes_reduced_per_step"].get<size_t>(), r.params * sizeof(float));
  ASSERT_EQ(j["epochs"].size(), 3u);
  for (const nlohmann::json& e : j["epochs"]) {
    EXPECT_EQ(e["steps"].get<uint64_t>(), 4u);
    EXPECT_GT(e["samples_per_s"].get<double>(), 0);
    for (const char* part : {"data", "compute", "comm_wait", "optimizer"}) {
      EXPECT_GE(e["step_breakdown_ms"][part].get<double>(), 0) << part;
    }
  }
}

// 16-bit gradients travel in half the bytes; one worker with fp32 has no Reducer.
TEST(EpochFigures, BytesFollowTheWireDtype) {
  const fs::path dir = fresh_dir("epoch_figures_dtype");
  TrainConfig c = small_config(write_blobs_csv(dir, 120));
  c.epochs = 1;
  c.workers = 2;
  c.grad_dtype = GradDType::kBFloat16;
  TrainRunOptions run;
  run.out_dir = dir / "bf16";
  const TrainResult half = train(c, run);
  EXPECT_EQ(half.bytes_reduced_per_step, half.params * 2);
  EXPECT_EQ(std::accumulate(half.bucket_bytes.begin(), half.bucket_bytes.end(), size_t{0}), half.params * 2);

  c.workers = 1;
  c.grad_dtype = GradDType::kFloat32;
  run.out_dir = dir / "one";
  const TrainResult one = train(c, run);
  EXPECT_TRUE(one.bucket_bytes.empty());
  EXPECT_EQ(one.bytes_reduced_per_step, 0u);
  const nlohmann::json j = run::train_summary_json(one);
  EXPECT_TRUE(j["bucket_bytes"].is_array());
  EXPECT_TRUE(j["bucket_bytes"].empty());
}

// Epochs restored from a checkpoint carry no timings: null in the summary.
TEST(EpochFigures, RestoredEpochsHaveNoFigures) {
  const fs::path dir = fresh_dir("epoch_figures_resume");
  TrainConfig c = small_config(write_blobs_csv(dir, 120));
  c.epochs = 1;
  TrainRunOptions first;
  first.out_dir = dir / "out";
  const TrainResult one = train(c, first);
  c.epochs = 2;
  TrainRunOptions rest;
  rest.out_dir = first.out_dir;
  rest.resume_from = one.checkpoint_path;
  const TrainResult r = train(c, rest);
  ASSERT_EQ(r.epochs.size(), 2u);
  EXPECT_FALSE(r.epochs[0].steps.has_value());
  EXPECT_FALSE(r.epochs[0].samples_per_s.has_value());
  EXPECT_FALSE(r.epochs[0].step_breakdown.has_value());
  EXPECT_TRUE(r.epochs[1].steps.has_value());
  const nlohmann::json j = run::train_summary_json(r);
  EXPECT_TRUE(j["epochs"][0]["samples_per_s"].is_null());
  EXPECT_TRUE(j["epochs"][0]["steps"].is_null());
  EXPECT_TRUE(j["epochs"][0]["step_breakdown_ms"].is_null());
  EXPECT_FALSE(j["epochs"][1]["step_breakdown_ms"].is_null());
}

}  // namespace
}  // namespace dpeval::parallel
