// RunSummary: the typed summary and its JSON. What run_summary_json writes,
// read_run_summary reads back whole; a summary it cannot read is refused naming
// the file and the key.
#include "dpeval/run/summary.h"

#include <gtest/gtest.h>

#include <string>

#include "dpeval/core/error.h"
#include "dpeval/nn/model_spec.h"

namespace dpeval::run {
namespace {

RunSummary sample_summary() {
  RunSummary s;
  parallel::TrainResult& r = s.train;
  r.config.model_spec = nn::load_model_spec("mlp");
  r.config.batch = 32;
  r.config.workers = 2;
  r.config.accumulate = 2;
  r.config.grad_dtype = parallel::GradDType::kBFloat16;
  r.config.optimizer.kind = optim::OptimizerKind::kAdamw;
  r.config.seed = 1234567;
  r.backend = comm::Backend::kMpi;
  r.world = 2;
  r.params = 101770;
  r.dataset_hash = 0xfedcba9876543210ull;
  r.optimizer_state_bytes = 814160;
  r.update = parallel::UpdateKind::kZero1;
  r.buckets = 2;
  r.bucket_bytes = {1048576, 204080};
  r.bytes_reduced_per_step = 1252656;
  r.samples_per_s = 1234.5678901234567;
  r.samples_per_s_all_steps = 1100.25;
  r.steps_run = 1875;
  r.steady_steps = 1855;
  r.step_ms_p50 = 3.25;
  r.step_ms_p90 = 3.5;
  r.step_ms_p95 = 4.125;
  r.breakdown = {0.1, 2.5, 0.2, 0.3, 3.0};
  r.train_seconds = 12.5;
  r.eval_seconds = 0.75;
  r.resumed_from_epoch = 1;
  r.checkpoint_path = "runs/x/checkpoint.dpck";
  r.blas = "OpenBLAS 0.3.21";
  r.trace_path = "runs/x/trace.json";
  parallel::EpochRecord restored, e2;
  restored.epoch = 1;
  restored.train_loss = 0.9;
  restored.test_loss = 0.7;
  restored.test_accuracy = 0.75;
  e2.epoch = 2;
  e2.train_loss = 0.6;
  e2.test_loss = 0.5;
  e2.test_accuracy = 0.8125;
  e2.seconds = 7.0;
  e2.train_seconds_cumulative = 6.0;
  e2.samples_per_s = 1200.5;
  e2.steps = 937;
  e2.step_breakdown = parallel::StepBreakdown{0.125, 2.5, 0.25, 0.375, 0};
  r.epochs = {restored, e2};
  s.peak_rss_mb = 512.5;
  s.dpeval_version = "0.test";
  return s;
}

std::string message_of_read(const nlohmann::json& j) {
  try {
    read_run_summary(j, "runs/x/summary.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(RunSummary, ReadsBackWhatItWrites) {
  const RunSummary s = sample_summary();
  const nlohmann::json written = run_summary_json(s);
  const RunSummary read = read_run_summary(written, "summary.json");
  EXPECT_EQ(run_summary_json(read), written);
  // Typed on the way in: spellings became enums, the hash a number.
  EXPECT_EQ(read.train.backend, comm::Backend::kMpi);
  EXPECT_EQ(read.train.update, parallel::UpdateKind::kZero1);
  EXPECT_EQ(read.train.config.grad_dtype, parallel::GradDType::kBFloat16);
  EXPECT_EQ(read.train.config.optimizer.kind, optim::OptimizerKind::kAdamw);
  EXPECT_EQ(read.train.dataset_hash, 0xfedcba9876543210ull);
  EXPECT_EQ(read.train.config.global_batch(), 128);
  EXPECT_EQ(read.train.samples_per_s, s.train.samples_per_s);
  ASSERT_EQ(read.train.epochs.size(), 2u);
  EXPECT_FALSE(read.train.epochs[0].seconds.has_value());  // restored: not timed
  EXPECT_FALSE(read.train.epochs[0].step_breakdown.has_value());
  EXPECT_EQ(read.train.epochs[1].steps, 937u);
  EXPECT_EQ(read.train.epochs[1].step_breakdown->comm_wait_ms, 0.25);
}

TEST(RunSummary, UndefinedNumbersTravelAsNull) {
  RunSummary s = sample_summary();
  s.train.epochs[1].test_loss = std::nan("");
  const nlohmann::json j = run_summary_json(s);
  EXPECT_TRUE(j["epochs"][1]["test_loss"].is_null());
  EXPECT_TRUE(j["final_test_loss"].is_null());
  EXPECT_TRUE(std::isnan(read_run_summary(j, "s").train.epochs[1].test_loss));
}

TEST(RunSummary, RefusesWhatItCannotReadNamingFileAndKey) {
  const nlohmann::json good = run_summary_json(sample_summary());
  const auto with = [&](auto edit) {
    nlohmann::json j = good;
    edit(j);
    return message_of_read(j);
  };
  const auto expect_names = [](const std::string& message, const std::string& key) {
    EXPECT_NE(message.find("runs/x/summary.json"), std::string::npos) << message;
    EXPECT_NE(message.find(key), std::string::npos) << message;
  };
  expect_names(with([](nlohmann::json& j) { j["step_ms"].erase("p95"); }), "step_ms.p95");
  expect_names(with([](nlohmann::json& j) { j["workers"] = "two"; }), "workers");
  expect_names(with([](nlohmann::json& j) { j["workers"] = 0; }), "workers");
  expect_names(with([](nlohmann::json& j) { j["backend"] = "nccl"; }), "backend");
  expect_names(with([](nlohmann::json& j) { j["optimizer_update"] = "sharded"; }), "optimizer_update");
  expect_names(with([](nlohmann::json& j) { j["dataset_hash"] = "xyz"; }), "dataset_hash");
  expect_names(with([](nlohmann::json& j) { j["epochs"][1]["test_accuracy"] = "high"; }),
               "epochs[1].test_accuracy");
  expect_names(with([](nlohmann::json& j) { j["epochs"][0]["epoch"] = -1; }), "epochs[0].epoch");
  expect_names(with([](nlohmann::json& j) { j["bucket_bytes"][1] = -5; }), "bucket_bytes[1]");
  expect_names(with([](nlohmann::json& j) { j["config"]["grad_dtype"] = "fp8"; }), "config");
  expect_names(with([](nlohmann::json& j) { j["schema"] = "dpeval.summary/2"; }), "dpeval.summary/2");
  expect_names(with([](nlohmann::json& j) { j.erase("schema"); }), "schema");
  EXPECT_EQ(with([](nlohmann::json&) {}), "");
}

// Fields newer than a summary read as not recorded (Note [Document versions]).
TEST(RunSummary, NewerOptionalFieldsMayBeAbsent) {
  nlohmann::json j = run_summary_json(sample_summary());
  j.erase("bucket_bytes");
  j.erase("blas");
  j["epochs"][1].erase("samples_per_s");
  j["epochs"][1].erase("step_breakdown_ms");
  const RunSummary read = read_run_summary(j, "s");
  EXPECT_TRUE(read.train.bucket_bytes.empty());
  EXPECT_FALSE(read.train.epochs[1].samples_per_s.has_value());
  EXPECT_FALSE(read.train.epochs[1].step_breakdown.has_value());
}

}  // namespace
}  // namespace dpeval::run
