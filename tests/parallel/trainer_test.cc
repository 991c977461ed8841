// End-to-end trainer tests on small synthetic tables written to a temp dir:
// it learns, it is bitwise deterministic, and resume equals never stopping.
#include "dpeval/parallel/trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "dpeval/comm/communicator.h"
#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/core/rng.h"
#include "dpeval/nn/model_spec.h"
#include "dpeval/parallel/train_checkpoint.h"
#include "parallel/train_test_util.h"

namespace dpeval::parallel {
namespace {

std::string checkpoint_bytes(const TrainResult& r) { return read_file(r.checkpoint_path); }

TEST(Trainer, LearnsSeparableBlobs) {
  const fs::path dir = fresh_dir("learns");
  TrainConfig c = small_config(write_blobs_csv(dir, 600));
  TrainRunOptions run;
  run.out_dir = dir / "out";
  const TrainResult r = train(c, run);
  ASSERT_EQ(r.epochs.size(), 3u);
  EXPECT_GT(r.epochs.back().test_accuracy, 0.9);
  EXPECT_LT(r.epochs.back().train_loss, r.epochs.front().train_loss);
  EXPECT_TRUE(fs::exists(r.checkpoint_path));
  EXPECT_EQ(r.params, 6u * 512 + 512 + 512 * 256 + 256 + 256 * 3 + 3);
}

TEST(Trainer, SameSeedGivesBitwiseIdenticalCheckpoint) {
  const fs::path dir = fresh_dir("deterministic");
  TrainConfig c = small_config(write_blobs_csv(dir, 300));
  TrainRunOptions a, b;
  a.out_dir = dir / "a";
  b.out_dir = dir / "b";
  const std::string bytes_a = checkpoint_bytes(train(c, a));
  const std::string bytes_b = checkpoint_bytes(train(c, b));
  EXPECT_EQ(bytes_a, bytes_b);
  c.seed = 6;
  TrainRunOptions d;
  d.out_dir = dir / "d";
  EXPECT_NE(checkpoint_bytes(train(c, d)), bytes_a);
}

TEST(Trainer, ResumeEqualsNeverStopping) {
  const fs::path dir = fresh_dir("resume");
  for (const char* optimizer : {"sgd", "adamw"}) {
    TrainConfig c = small_config(write_blobs_csv(dir, 300));
    c.optimizer.kind = parse_enum<optim::OptimizerKind>(optimizer, "optimizer");
    if (std::string(optimizer) == "adamw") c.lr = 0.001f;
    c.model_spec = nn::parse_model_toml(
        "name = \"drop\"\n[[layers]]\ntype = \"linear\"\nout = 32\n[[layers]]\ntype = \"relu\"\n"
        "[[layers]]\ntype = \"dropout\"\np = 0.2\n[[layers]]\ntype = \"linear\"\n",
        "inline.toml");
    TrainRunOptions full;
    full.out_dir = dir / (std::string(optimizer) + "_full");
    const std::string uninterrupted = checkpoint_bytes(train(c, full));

    TrainConfig first = c;
    first.epochs = 1;
    TrainRunOptions part;
    part.out_dir = dir / (std::string(optimizer) + "_part");
    const TrainResult one = train(first, part);
    TrainRunOptions rest;
    rest.out_dir = part.out_dir;
    rest.resume_from = one.checkpoint_path;
    const TrainResult resumed = train(c, rest);
    EXPECT_EQ(resumed.resumed_from_epoch, 1);
    ASSERT_EQ(resumed.epochs.size(), 3u);
    EXPECT_FALSE(resumed.epochs[0].seconds.has_value());
    EXPECT_EQ(checkpoint_bytes(resumed), uninterrupted) << optimizer;
  }
}

TEST(Trainer, ResumeWithChangedSettingIsConfigError) {
  const fs::path dir = fresh_dir("resume_changed");
  TrainConfig c = small_config(write_blobs_csv(dir, 120));
  c.epochs = 1;
  TrainRunOptions run;
  run.out_dir = dir / "out";
  const TrainResult r = train(c, run);
  TrainConfig changed = c;
  changed.epochs = 2;
  changed.lr = 0.5f;
  TrainRunOptions again;
  again.out_dir = dir / "out";
  again.resume_from = r.checkpoint_path;
  try {
    train(changed, again);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("lr"), std::string::npos) << e.what();
  }
}

TEST(Trainer, CorruptOrTruncatedCheckpointIsInputError) {
  const fs::path dir = fresh_dir("corrupt");
  TrainConfig c = small_config(write_blobs_csv(dir, 120));
  c.epochs = 1;
  TrainRunOptions run;
  run.out_dir = dir / "out";
  const TrainResult r = train(c, run);
  std::string bytes = read_file(r.checkpoint_path);
  write_file_atomic(dir / "truncated.dpck", std::string_view(bytes).substr(0, bytes.size() / 2));
  bytes[bytes.size() / 3] ^= 0x10;
  write_file_atomic(dir / "flipped.dpck", bytes);
  for (const char* name : {"truncated.dpck", "flipped.dpck"}) {
    try {
      load_train_state(dir / name);
      FAIL() << "expected InputError for " << name;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}

TEST(Trainer, MaxStepsStopsEarlyWithoutCheckpoint) {
  const fs::path dir = fresh_dir("max_steps");
  TrainConfig c = small_config(write_blobs_csv(dir, 3000));
  TrainRunOptions run;
  run.out_dir = dir / "out";
  run.max_steps = 30;
  const TrainResult r = train(c, run);
  EXPECT_EQ(r.epochs.size(), 1u);
  EXPECT_EQ(r.steady_steps, 10u);  // 30 steps minus the 20 excluded warm-up steps
  EXPECT_FALSE(fs::exists(r.checkpoint_path));
}

// Note [Update plan], chosen in one place; Note [Backend capabilities]: the
// split update is decided from what the communicator offers, not from the
// backend's name.
TEST(Trainer, UpdatePlanAsksTheCommunicatorForSharedMemory) {
  comm::CommunicatorOptions two;
  two.world = 2;
  const auto comms = comm::make_communicators(comm::Backend::kThreads, two);
  ASSERT_EQ(comms.size(), 2u);
  EXPECT_TRUE(comms[0]->capabilities().shared_memory);
  TrainConfig c;
  c.workers = 2;
  TrainRunOptions run;
  const auto kind = [&](const TrainConfig& config, const comm::Communicator& comm) {
    return choose_update(config, run, comm).kind;
  };
  EXPECT_EQ(kind(c, *comms[0]), UpdateKind::kSplit);
  EXPECT_TRUE(choose_update(c, run, *comms[0]).shares_params());
  run.split_update = false;
  EXPECT_EQ(kind(c, *comms[0]), UpdateKind::kReplicated);
  run.split_update = true;
  c.grad_dtype = GradDType::kFloat16;
  EXPECT_EQ(kind(c, *comms[0]), UpdateKind::kReplicated);
  c.grad_dtype = GradDType::kFloat32;
  c.optimizer.kind = optim::OptimizerKind::kLars;
  EXPECT_EQ(kind(c, *comms[0]), UpdateKind::kReplicated);
  c.optimizer.kind = optim::OptimizerKind::kSgd;
  c.zero = 1;
  const UpdatePlan zero1 = choose_update(c, run, *comms[0]);
  EXPECT_EQ(zero1.kind, UpdateKind::kZero1);
  EXPECT_TRUE(zero1.sharded());
  EXPECT_FALSE(zero1.shares_params());
  comm::CommunicatorOptions one;
  const auto single = comm::make_communicators(comm::Backend::kThreads, one);
  const TrainConfig one_worker;
  EXPECT_EQ(kind(one_worker, *single[0]), UpdateKind::kReplicated);  // nothing to split
}

}  // namespace
}  // namespace dpeval::parallel
