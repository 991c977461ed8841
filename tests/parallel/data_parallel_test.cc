// Data-parallel training over the threads backend, end to end on a small
// synthetic table: global-batch equivalence, ZeRO-1, accumulation,
// determinism, faults (a hung or failed rank is named and nothing hangs),
// resume after a fault, and the cross-rank fingerprint check.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/parallel/fingerprint.h"
#include "dpeval/parallel/train_checkpoint.h"
#include "dpeval/parallel/trainer.h"
#include "parallel/train_test_util.h"

namespace dpeval::parallel {
namespace {

// 600 rows, test fraction 0.2: 480 training rows, which N * b divides for
// N in {1, 2, 3, 4} and b = 8, so every configuration sees the same batches.
constexpr int kRows = 600;

TrainConfig dp_config(const fs::path& csv, int workers, int batch) {
  TrainConfig c = small_config(csv);
  c.model_spec = nn::parse_model_toml(
      "name = \"small\"\n[[layers]]\ntype = \"linear\"\nout = 64\n[[layers]]\ntype = \"relu\"\n"
      "[[layers]]\ntype = \"linear\"\nout = 32\n[[layers]]\ntype = \"relu\"\n[[layers]]\ntype = \"linear\"\n",
      "small.toml");
  c.epochs = 2;
  c.workers = workers;
  c.batch = batch;
  c.lr = 0.05f;
  return c;
}

TrainRunOptions out_to(const fs::path& dir) {
  TrainRunOptions o;
  o.out_dir = dir;
  return o;
}

TrainState run(const TrainConfig& c, const fs::path& out, TrainRunOptions options = {}) {
  options.out_dir = out;
  const TrainResult r = train(c, options);
  return load_train_state(r.checkpoint_path);
}

// Largest |a - b| relative to the largest |a|.
double relative_max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::abs(static_cast<double>(a[i])));
  }
  return diff / scale;
}

// Note [Equivalence tolerance]
// N workers with batch b and one worker with batch N*b take the same steps on
// the same rows; only the order of float additions differs (per-worker GEMM
// sums of b rows, then a rank-order sum of N partial means scaled by 1/N,
// versus one GEMM over N*b rows scaled once). Each step's gradient differs by
// a few ulps; over 120 SGD steps with momentum those differences grow but stay
// far below 1e-4 of the largest weight (measured: 0.8e-7 to 2.8e-7). A bug (a rank
// training on the wrong rows, a missing 1/N, a stale bucket) moves weights by
// 1e-2 or more.
constexpr double kEquivalenceTolerance = 1e-4;

class GlobalBatch : public ::testing::TestWithParam<int> {};

TEST_P(GlobalBatch, NWorkersEqualOneWorkerWithNTimesTheBatch) {
  const int n = GetParam();
  const fs::path dir = fresh_dir("global_batch_" + std::to_string(n));
  const fs::path csv = write_blobs_csv(dir, kRows);
  const TrainState one = run(dp_config(csv, 1, 8 * n), dir / "one");
  const TrainState many = run(dp_config(csv, n, 8), dir / "many");
  EXPECT_EQ(one.global_step, many.global_step);
  const double diff = relative_max_diff(one.params, many.params);
  char text[32];
  std::snprintf(text, sizeof(text), "%.3g", diff);
  RecordProperty("relative_max_diff", text);
  EXPECT_LT(diff, kEquivalenceTolerance);
  EXPECT_GT(one.history.back().test_accuracy, 0.9);
  EXPECT_LT(relative_max_diff(one.optimizer_state, many.optimizer_state), 1e-3);
  EXPECT_NEAR(one.history.back().test_accuracy, many.history.back().test_accuracy, 0.01);
}

INSTANTIATE_TEST_SUITE_P(Workers, GlobalBatch, ::testing::Values(2, 3, 4),
                         [](const auto& info) { return "w" + std::to_string(info.param); });

TEST(DataParallel, SameWorkersAndSeedGiveBitwiseIdenticalCheckpoints) {
  const fs::path dir = fresh_dir("dp_deterministic");
  const fs::path csv = write_blobs_csv(dir, kRows);
  TrainConfig c = dp_config(csv, 3, 8);
  TrainRunOptions small_buckets;
  small_buckets.bucket_mb = 0.001;  // many buckets: the sums must not depend on the plan
  const std::string a = read_file(train(c, out_to(dir / "a")).checkpoint_path);
  TrainRunOptions b_options = small_buckets;
  b_options.out_dir = dir / "b";
  const std::string b = read_file(train(c, b_options).checkpoint_path);
  EXPECT_EQ(a, b);
}

TEST(DataParallel, ZeroOneEqualsPlainDataParallelBitwise) {
  const fs::path dir = fresh_dir("zero");
  const fs::path csv = write_blobs_csv(dir, kRows);
  for (const char* optimizer : {"sgd", "adamw"}) {
    TrainConfig plain = dp_config(csv, 3, 8);
    plain.optimizer.kind = parse_enum<optim::OptimizerKind>(optimizer, "optimizer");
    if (std::string(optimizer) == "adamw") plain.lr = 0.002f;
    TrainConfig zero = plain;
    zero.zero = 1;
    TrainRunOptions o;
    o.out_dir = dir / (std::string(optimizer) + "_plain");
    const TrainResult plain_result = train(plain, o);
    o.out_dir = dir / (std::string(optimizer) + "_zero");
    const TrainResult zero_result = train(zero, o);
    const TrainState p = load_train_state(plain_result.checkpoint_path);
    const TrainState z = load_train_state(zero_result.checkpoint_path);
    EXPECT_EQ(p.params, z.params) << optimizer;
    EXPECT_EQ(p.optimizer_state, z.optimizer_state) << optimizer;
    // Sharded state: each rank holds about a third of the whole.
    const size_t full = p.optimizer_state.size() * sizeof(float);
    EXPECT_GT(full, 0u);
    EXPECT_LE(zero_result.optimizer_state_bytes, full / 3 + 8) << optimizer;
    EXPECT_EQ(zero_result.update, UpdateKind::kZero1);
  }
}

// Note [Split update]: the threads backend's default (one shared parameter
// buffer, each rank updating its shard) gives bitwise the weights and state of
// the replicated update, for 2 and 3 ranks, and the mpi-style replicated run
// keeps the whole state on every rank.
TEST(DataParallel, SplitUpdateEqualsTheReplicatedUpdateBitwise) {
  const fs::path dir = fresh_dir("split");
  const fs::path csv = write_blobs_csv(dir, kRows);
  for (const char* optimizer : {"sgd", "adamw"}) {
    for (int workers : {2, 3}) {
      TrainConfig c = dp_config(csv, workers, 8);
      c.optimizer.kind = parse_enum<optim::OptimizerKind>(optimizer, "optimizer");
      if (std::string(optimizer) == "adamw") c.lr = 0.002f;
      const std::string tag = fmt::format("{}_{}", optimizer, workers);
      TrainRunOptions split;
      split.out_dir = dir / (tag + "_split");
      const TrainResult split_result = train(c, split);
      TrainRunOptions replicated = split;
      replicated.split_update = false;
      replicated.out_dir = dir / (tag + "_replicated");
      const TrainResult replicated_result = train(c, replicated);
      EXPECT_EQ(split_result.update, UpdateKind::kSplit) << tag;
      EXPECT_EQ(replicated_result.update, UpdateKind::kReplicated) << tag;
      const TrainState a = load_train_state(split_result.checkpoint_path);
      const TrainState b = load_train_state(replicated_result.checkpoint_path);
      EXPECT_EQ(a.params, b.params) << tag;
      EXPECT_EQ(a.optimizer_state, b.optimizer_state) << tag;
      EXPECT_EQ(replicated_result.optimizer_state_bytes, b.optimizer_state.size() * sizeof(float)) << tag;
      EXPECT_LE(split_result.optimizer_state_bytes,
                b.optimizer_state.size() * sizeof(float) / static_cast<size_t>(workers) + 8)
          << tag;
    }
  }
}

TEST(DataParallel, AccumulationEqualsTheLargerBatch) {
  const fs::path dir = fresh_dir("accumulate");
  const fs::path csv = write_blobs_csv(dir, kRows);
  const TrainState big = run(dp_config(csv, 1, 32), dir / "big");
  TrainConfig acc = dp_config(csv, 2, 8);
  acc.accumulate = 2;
  const TrainState small = run(acc, dir / "acc");
  EXPECT_EQ(big.global_step, small.global_step);
  EXPECT_LT(relative_max_diff(big.params, small.params), kEquivalenceTolerance);
}

TEST(DataParallel, HalfPrecisionGradientsTrainCloseToFp32) {
  const fs::path dir = fresh_dir("grad_dtype");
  const fs::path csv = write_blobs_csv(dir, kRows);
  const TrainState fp32 = run(dp_config(csv, 2, 8), dir / "fp32");
  for (const char* dtype : {"fp16", "bf16"}) {
    TrainConfig c = dp_config(csv, 2, 8);
    c.grad_dtype = parse_enum<GradDType>(dtype, "grad_dtype");
    const TrainState half = run(c, dir / dtype);
    EXPECT_NE(half.params, fp32.params) << dtype << ": rounding must change something";
    EXPECT_LT(relative_max_diff(fp32.params, half.params), 0.05) << dtype;
    EXPECT_NEAR(half.history.back().test_accuracy, fp32.history.back().test_accuracy, 0.03) << dtype;
  }
}

TEST(DataParallel, DropRemainderKeepsEveryStepFull) {
  const fs::path dir = fresh_dir("drop");
  const fs::path csv = write_blobs_csv(dir, 601);  // 481 training rows: not divisible by 3 * 8
  TrainConfig c = dp_config(csv, 3, 8);
  c.remainder = data::RemainderPolicy::kDrop;
  const TrainState drop = run(c, dir / "drop");
  EXPECT_EQ(drop.global_step, 2u * (481 / 3 / 8));
  c.remainder = data::RemainderPolicy::kPad;
  const TrainState pad = run(c, dir / "pad");
  EXPECT_EQ(pad.global_step, 2u * ((481 + 2) / 3 / 8 + 1));
}

TEST(DataParallel, HungRankIsNamedByTimeoutAndResumeFinishesBitwise) {
  const fs::path dir = fresh_dir("hung");
  const fs::path csv = write_blobs_csv(dir, kRows);
  TrainConfig c = dp_config(csv, 2, 8);
  c.epochs = 3;
  const std::string uninterrupted = read_file(train(c, out_to(dir / "full")).checkpoint_path);

  TrainRunOptions faulty;
  faulty.out_dir = dir / "faulty";
  faulty.comm_timeout_s = 1;
  // Steps per epoch: 480 / (2 * 8) = 30; rank 1 stops talking in epoch 2.
  faulty.fault = FaultInjection{.rank = 1, .at_step = 40, .kind = FaultInjection::Kind::kHang};
  const auto start = std::chrono::steady_clock::now();
  try {
    train(c, faulty);
    FAIL() << "expected TimeoutError";
  } catch (const TimeoutError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("rank 1"), std::string::npos) << what;
  }
  // Not a speed check: a hang would never get here; a generous bound catches
  // a wait that ignores its deadline.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));

  // The last complete checkpoint (epoch 1) loads, and resuming finishes the run
  // bitwise as if it had never stopped.
  const TrainState saved = load_train_state(faulty.out_dir / "checkpoint.dpck");
  EXPECT_EQ(saved.epochs_done, 1);
  TrainRunOptions resume;
  resume.out_dir = faulty.out_dir;
  resume.resume_from = faulty.out_dir / "checkpoint.dpck";
  EXPECT_EQ(read_file(train(c, resume).checkpoint_path), uninterrupted);
}

TEST(DataParallel, FailedRankIsNamed) {
  const fs::path dir = fresh_dir("failed");
  TrainConfig c = dp_config(write_blobs_csv(dir, kRows), 3, 8);
  TrainRunOptions o;
  o.out_dir = dir / "out";
  o.fault = FaultInjection{.rank = 2, .at_step = 5, .kind = FaultInjection::Kind::kThrow};
  try {
    train(c, o);
    FAIL() << "expected an error";
  } catch (const CommError& e) {
    FAIL() << "the root cause should win, got the peers' CommError: " << e.what();
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("rank 2"), std::string::npos) << what;
    EXPECT_NE(what.find("injected fault"), std::string::npos) << what;
  }
}

TEST(DataParallel, FingerprintMismatchNamesTheRank) {
  const fs::path dir = fresh_dir("fingerprint");
  TrainConfig c = dp_config(write_blobs_csv(dir, kRows), 3, 8);
  TrainRunOptions o;
  o.out_dir = dir / "out";
  o.fingerprint_hook = [](int rank, Fingerprint& f) {
    if (rank == 1) f.dataset_hash ^= 1;
  };
  try {
    train(c, o);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("dataset hash"), std::string::npos) << what;
    EXPECT_NE(what.find("rank 1"), std::string::npos) << what;
    EXPECT_EQ(what.find("rank 2 has"), std::string::npos) << what;
  }
}

TEST(DataParallel, TraceIsChromeTraceJson) {
  const fs::path dir = fresh_dir("trace");
  TrainConfig c = dp_config(write_blobs_csv(dir, kRows), 2, 8);
  c.epochs = 1;
  TrainRunOptions o;
  o.out_dir = dir / "out";
  o.trace_path = dir / "trace.json";
  o.bucket_mb = 0.004;
  train(c, o);
  const nlohmann::json doc = nlohmann::json::parse(read_file(dir / "trace.json"));
  std::set<std::string> categories;
  std::set<int> ranks;
  for (const auto& e : doc.at("traceEvents")) {
    if (e.at("ph") != "X") continue;
    categories.insert(e.at("cat").get<std::string>());
    ranks.insert(e.at("pid").get<int>());
    EXPECT_GE(e.at("dur").get<double>(), 0);
  }
  EXPECT_EQ(ranks, (std::set<int>{0, 1}));
  for (const char* cat : {"data", "forward", "backward", "comm", "optimizer", "eval"}) {
    EXPECT_TRUE(categories.count(cat)) << cat;
  }
}

TEST(DataParallel, LinearScalingRuleRampsToTheScaledRate) {
  TrainConfig c;
  c.workers = 4;
  c.lr = 0.1f;
  c.schedule.kind = optim::ScheduleKind::kConstant;
  c.lr_scaling = LrScaling::kLinear;
  c.warmup_epochs = 2;
  // 10 optimizer steps per epoch: warmup covers steps 0..19.
  EXPECT_NEAR(c.lr_at(0, 10, 100), 0.1 * (1 + 3 * 1.0 / 20), 1e-7);
  EXPECT_NEAR(c.lr_at(19, 10, 100), 0.4, 1e-7);
  EXPECT_NEAR(c.lr_at(50, 10, 100), 0.4, 1e-7);
  c.lr_scaling = LrScaling::kNone;
  c.warmup_epochs = 0;
  EXPECT_FLOAT_EQ(c.lr_at(50, 10, 100), 0.1f);
}

TEST(DataParallel, BadParallelOptionsAreConfigErrors) {
  const fs::path dir = fresh_dir("bad_options");
  const TrainConfig good = dp_config(write_blobs_csv(dir, kRows), 2, 8);
  auto expect_config_error = [&](TrainConfig c, const char* field) {
    try {
      train(c, out_to(dir / "out"));
      ADD_FAILURE() << "expected ConfigError for " << field;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  TrainConfig c = good;
  c.workers = 0;
  expect_config_error(c, "workers");
  c = good;
  c.zero = 2;
  expect_config_error(c, "zero");
  c = good;
  c.zero = 1;
  c.grad_dtype = GradDType::kFloat16;
  expect_config_error(c, "grad_dtype");
  c = good;
  c.warmup_epochs = 1;
  expect_config_error(c, "warmup_epochs");
}

}  // namespace
}  // namespace dpeval::parallel
