// Pins the checkpoint bytes of short deterministic runs, so that a change to
// the training loop (internal/worker.cc) that is meant to keep behaviour keeps
// it bit for bit: same data order, dropout keys, learning rates, gradient sums,
// updates and checkpoint contents.
//
// Note [Pinned checkpoint hashes]
// Each case trains a few steps on a synthetic table and hashes (SHA-256) the
// checkpoint file it writes, after one normalisation: the checkpoint stores the
// data file's absolute path (Note [Checkpoint data identity]), which depends
// on the temp dir and the process id, as does the config's data field, so
// the state is loaded, both are replaced by fixed strings and it is saved
// again before hashing. Everything else
// in the file (config, parameters, optimizer state, progress, history) is
// hashed as written.
// OpenBLAS picks its sgemm kernels from the CPU (Note [OpenBLAS core type] in
// kernels.h), and kernels of different cores may sum in different orders, so
// this binary runs itself under OPENBLAS_CORETYPE=Prescott (SSE3: every
// x86-64 CPU has it): the same kernels, and so the same bytes, on any x86-64
// machine. (Prescott's M-blocking follows the L2 size, but its K-blocking,
// which alone orders each sum, is fixed.) Other cores give other bytes, which
// is why the core is pinned rather than the hash kept per core. A pinned
// value changes only on purpose: say why in the commit.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/hash.h"
#include "dpeval/kernels/kernels.h"
#include "dpeval/parallel/train_checkpoint.h"
#include "dpeval/parallel/trainer.h"
#include "parallel/train_test_util.h"

namespace dpeval::parallel {
namespace {

constexpr const char* kPinnedCore = "Prescott";

// The checkpoint of a run of `config`, hashed as Note [Pinned checkpoint hashes] says.
std::string pinned_hash(const TrainConfig& config, const TrainRunOptions& options) {
  const TrainResult result = train(config, options);
  TrainState state = load_train_state(result.checkpoint_path);
  state.config.data = "blobs.csv";
  state.data_path = "/blobs.csv";
  const fs::path normalised = options.out_dir / "normalised.dpck";
  save_train_state(normalised, state);
  const std::string bytes = read_file(normalised);
  return sha256_hex(std::as_bytes(std::span(bytes.data(), bytes.size())));
}

class CheckpointPin : public ::testing::Test {
 protected:
  void SetUp() override {
    // See Note [Pinned checkpoint hashes]: main() re-executed us under the core.
    ASSERT_NE(std::strstr(kernels::blas_name(), kPinnedCore), nullptr)
        << "expected OpenBLAS core " << kPinnedCore << ", got " << kernels::blas_name();
    dir_ = fresh_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    csv_ = write_blobs_csv(dir_, 200);
  }
  // Two epochs of 200 * 0.8 = 160 training rows at batch 16: ten steps per
  // epoch on one worker, five on two.
  TrainConfig base() const {
    TrainConfig c = small_config(csv_);
    c.epochs = 2;
    c.batch = 16;
    return c;
  }
  TrainRunOptions run(const std::string& name) const {
    TrainRunOptions o;
    o.out_dir = dir_ / name;
    return o;
  }
  fs::path dir_, csv_;
};

TEST_F(CheckpointPin, OneWorkerSgd) {
  EXPECT_EQ(pinned_hash(base(), run("one")),
            "8feb0e34b7a98952bec116f13290299c5f0bbbe5152dc283e1453962704adb5a");
}

// Two threads ranks, sgd: the split update (Note [Split update]).
TEST_F(CheckpointPin, TwoWorkersSplitUpdate) {
  TrainConfig c = base();
  c.workers = 2;
  EXPECT_EQ(pinned_hash(c, run("two")), "6653901c477eb3e3dd704263a1653480f4d11c3c1b32402496cd3594a91f5c5f");
}

// Two ranks, the replicated update through the Reducer with several buckets,
// fp16 gradients on the wire, AdamW, two micro-batches per step and dropout.
TEST_F(CheckpointPin, TwoWorkersReplicatedFp16Accumulate) {
  TrainConfig c = base();
  c.workers = 2;
  c.accumulate = 2;
  c.grad_dtype = GradDType::kFloat16;
  c.optimizer.kind = optim::OptimizerKind::kAdamw;
  c.lr = 0.001f;
  c.model_spec = nn::parse_model_toml(
      "name = \"drop\"\n[[layers]]\ntype = \"linear\"\nout = 32\n[[layers]]\ntype = \"relu\"\n"
      "[[layers]]\ntype = \"dropout\"\np = 0.2\n[[layers]]\ntype = \"linear\"\n",
      "inline.toml");
  TrainRunOptions o = run("replicated");
  o.bucket_mb = 0.0005;  // 524-byte buckets: several per step
  EXPECT_EQ(pinned_hash(c, o), "320f52f992517c61c047870638c02d5c375ac5136099feb3cbe9294f12befac5");
}

// Two ranks, ZeRO-1 with the split update turned off: shard update, then the
// parameter all-gather; the checkpoint gathers the sharded optimizer state.
TEST_F(CheckpointPin, TwoWorkersZero1) {
  TrainConfig c = base();
  c.workers = 2;
  c.zero = 1;
  TrainRunOptions o = run("zero1");
  o.split_update = false;
  EXPECT_EQ(pinned_hash(c, o), "1ff8ea848a2dff88a7ef4fa1876e886c9a9b635d3a946fa79dd70db563a0f8f2");
}

}  // namespace
}  // namespace dpeval::parallel

// See Note [Pinned checkpoint hashes]: OpenBLAS reads OPENBLAS_CORETYPE only
// when it loads, so set it and start again (once: then it is set).
int main(int argc, char** argv) {
  const char* core = std::getenv("OPENBLAS_CORETYPE");
  if (core == nullptr || std::strcmp(core, dpeval::parallel::kPinnedCore) != 0) {
    setenv("OPENBLAS_CORETYPE", dpeval::parallel::kPinnedCore, 1);
    execv("/proc/self/exe", argv);
    // An exec failure leaves the other core: SetUp then fails naming it.
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
