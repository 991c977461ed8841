// TrainConfig: everything that determines a training run's result. Two runs
// with equal configs (and worker counts) produce bitwise-identical checkpoints.
// config_hash() covers every field; resume compatibility ignores `epochs`
// (a run may be resumed with a larger epoch budget).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "dpeval/nn/model_spec.h"
#include "dpeval/optim/optimizer.h"
#include "dpeval/optim/schedule.h"

namespace dpeval::parallel {

struct TrainConfig {
  std::string model_name = "mlp";  // preset name or the TOML file it came from
  nn::ModelSpec model_spec;        // resolved spec (presets too)
  std::string data = "fashion-mnist";
  std::string label_col = "label";
  std::string labels;              // labels file for .npy / IDX features
  double test_fraction = 0.2;      // held-out share for a user table without a test file
  // Share of the train split held out as the validation split: never trained
  // on; `dpeval train` fits temperature scaling on it. 0: no validation split.
  double val_fraction = 0.05;
  int epochs = 10;
  int batch = 64;                  // per-worker batch size
  float lr = 0.05f;
  optim::OptimizerConfig optimizer;
  // Default: the learning rate falls by gamma 0.8 after every epoch. The
  // schedule never depends on `epochs`, so a run resumed with a larger epoch
  // budget matches one started with it. See Note [Default schedule].
  optim::ScheduleConfig schedule = default_schedule();
  float label_smoothing = 0.0f;
  uint64_t seed = 0;
  int eval_batch = 1000;

  // Data parallelism. See Note [Global batch] in train_config.cc.
  int workers = 1;                 // data-parallel ranks (threads, or mpirun's -np)
  int accumulate = 1;              // micro-batches per optimizer step (no communication on the first K-1)
  int zero = 0;                    // 0: plain data parallelism; 1: ZeRO-1 sharded optimizer state
  std::string grad_dtype = "fp32";  // gradients on the wire: fp32 | fp16 | bf16
  std::string lr_scaling = "none";  // none | linear (Goyal et al.: lr x global_batch / batch)
  double warmup_epochs = 0;         // with lr_scaling linear: ramp from lr to the scaled lr over these epochs
  std::string remainder = "pad";    // rows left over when N does not divide by workers: pad | drop
  // SHA-256 of the verified dataset manifest (dpeval train --manifest), empty
  // without one. In to_json only when set, so it joins config_hash and with it
  // the fingerprint every rank must agree on before step 0.
  std::string manifest_hash;

  static optim::ScheduleConfig default_schedule() {
    optim::ScheduleConfig s;
    s.kind = "step";
    s.step_size = 0;  // 0 with kind "step": one epoch's worth of steps
    s.gamma = 0.8f;
    return s;
  }
  int global_batch() const { return batch * workers * accumulate; }
  // The learning rate of optimizer step `step` (0-based): the schedule applied
  // to lr, with the linear scaling rule and its warmup when lr_scaling is
  // "linear". See Note [Linear scaling rule].
  float lr_at(uint64_t step, uint64_t steps_per_epoch, uint64_t total_steps) const;

  // The schedule with step_size 0 ("every epoch") turned into steps.
  optim::ScheduleConfig resolved_schedule(uint64_t steps_per_epoch) const;

  // Throws ConfigError naming the field when a value is out of range.
  void validate() const;
  // Canonical JSON of every field (model spec as canonical TOML text).
  nlohmann::json to_json() const;
  static TrainConfig from_json(const nlohmann::json& j);
  // XXH3 of to_json().dump(): the config fingerprint recorded in summaries.
  uint64_t config_hash() const;
  // Throws ConfigError naming the first field (other than epochs) that differs.
  void check_resumable_from(const TrainConfig& saved) const;
};

}  // namespace dpeval::parallel
