// TrainConfig: everything that determines a training run's result. Two runs
// with equal configs (and worker counts) produce bitwise-identical checkpoints.
// config_hash() covers every field; resume compatibility ignores `epochs`
// (a run may be resumed with a larger epoch budget).
//
// Note [Config fields]
// Every setting of TrainConfig is one line of for_each_config_field(): its
// JSON key, its `dpeval train` option, that option's help and its range. The
// JSON (to_json, from_json, so config_hash and the checkpoint), validate()'s
// ranges, the resume check, the command-line options (cli/config_options.h)
// and the command that reproduces a run all walk that table, so a new setting
// is a member and a line. Two members are not settings and are written beside
// the table: model_spec (resolved from model_name, stored as TOML) and
// manifest_hash (set by --manifest, in the JSON only when set). Values with a
// fixed set of spellings are enums, parsed once where they enter
// (core/enum_text.h).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "dpeval/core/enum_text.h"
#include "dpeval/core/rng.h"
#include "dpeval/data/sampler.h"
#include "dpeval/nn/model_spec.h"
#include "dpeval/optim/optimizer.h"
#include "dpeval/optim/schedule.h"
#include "dpeval/parallel/grad_dtype.h"

namespace dpeval::parallel {

// --lr-scaling: the learning rate as given, or grown with the global batch
// (Note [Linear scaling rule]).
enum class LrScaling { kNone, kLinear };
inline constexpr EnumText<LrScaling> kLrScalingTexts[] = {{LrScaling::kNone, "none"},
                                                          {LrScaling::kLinear, "linear"}};
constexpr const auto& enum_texts(LrScaling) { return kLrScalingTexts; }

struct TrainConfig {
  std::string model_name = "mlp";  // preset name or the TOML file it came from
  nn::ModelSpec model_spec;        // resolved spec (presets too)
  std::string data = "fashion-mnist";
  std::string label_col = "label";
  std::string labels;          // labels file for .npy / IDX features
  double test_fraction = 0.2;  // held-out share for a user table without a test file
  // Share of the train split held out as the validation split: never trained
  // on; `dpeval train` fits temperature scaling on it. 0: no validation split.
  double val_fraction = 0.05;
  int epochs = 10;
  int batch = 64;  // per-worker batch size
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
  int workers = 1;     // data-parallel ranks (threads, or mpirun's -np)
  int accumulate = 1;  // micro-batches per optimizer step (no communication on the first K-1)
  int zero = 0;        // 0: plain data parallelism; 1: ZeRO-1 sharded optimizer state
  GradDType grad_dtype = GradDType::kFloat32;  // gradients on the wire
  LrScaling lr_scaling = LrScaling::kNone;     // linear: Goyal et al., lr x global_batch / batch
  double warmup_epochs = 0;  // with lr_scaling linear: ramp from lr to the scaled lr over these epochs
  // Rows left over when N does not divide by workers (Note [Remainder] in worker.cc).
  data::RemainderPolicy remainder = data::RemainderPolicy::kPad;
  // SHA-256 of the verified dataset manifest (dpeval train --manifest), empty
  // without one. In to_json only when set, so it joins config_hash and with it
  // the fingerprint every rank must agree on before step 0.
  std::string manifest_hash;
  // Adversarial training (dpeval train --adv-train; Note [FGSM and PGD] in
  // robust/attack.h): every batch is replaced by its attack under the current
  // weights before the step. Empty: off. Like manifest_hash, in to_json (and
  // so in config_hash and the resume check) only when on.
  std::string adv_train;  // "", "fgsm" or "pgd"
  double adv_eps = 0.1;
  int adv_steps = 7;
  double adv_step_size = 0;  // 0: 2.5 eps / steps

  static optim::ScheduleConfig default_schedule() {
    optim::ScheduleConfig s;
    s.kind = optim::ScheduleKind::kStep;
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

  // Throws ConfigError naming the field when a value is out of its range
  // (the table's) or two values do not go together.
  void validate() const;
  // Canonical JSON of every field (model spec as canonical TOML text; the
  // weight decay the optimizer uses, its default when unset).
  nlohmann::json to_json() const;
  // Throws InputError naming the field for a missing field, a wrong type or
  // an unknown spelling.
  static TrainConfig from_json(const nlohmann::json& j);
  // XXH3 of to_json().dump(): the config fingerprint recorded in summaries.
  uint64_t config_hash() const;
  // Throws ConfigError naming the option of the first setting (other than
  // epochs) that differs from `saved`'s.
  void check_resumable_from(const TrainConfig& saved) const;
};

// A setting's bounds: [lo, hi], either end open when said. Integer settings
// take integers only.
struct FieldRange {
  double lo = 0, hi = 0;
  bool lo_open = false, hi_open = false;
};

// One row of Note [Config fields].
struct ConfigField {
  std::string_view key;   // JSON key; "optimizer.momentum" lives at /optimizer/momentum
  std::string_view flag;  // the `dpeval train` option
  std::string_view help;
  std::optional<FieldRange> range;    // numbers only
  bool may_change_on_resume = false;  // epochs only
};

// Step counts (--warmup-steps, --step-size): at most 10^12.
inline constexpr double kMaxConfigSteps = 1e12;

// Whether a setting's type is std::optional<V> (optimizer.weight_decay): the
// walkers of the table treat it as V when set.
template <typename T>
struct IsOptionalSetting : std::false_type {};
template <typename T>
struct IsOptionalSetting<std::optional<T>> : std::true_type {};

// Calls visit(field, member) for each setting, in table order, where
// `member(config)` is that setting of a TrainConfig (const or not): the one
// place that lists TrainConfig's settings (Note [Config fields]). The member's
// type is a number (int, uint64_t, float, double), bool, std::string, an enum
// with enum_texts(), or std::optional<float>.
template <typename Visit>
void for_each_config_field(Visit&& visit) {
  using R = FieldRange;
  visit(
      ConfigField{"model_name", "--model", "Model: preset 'mlp' or 'cnn', or a model .toml file",
                  std::nullopt},
      [](auto& c) -> auto& { return c.model_name; });
  visit(
      ConfigField{"data", "--data",
                  "Dataset: 'fashion-mnist', a .csv/.tsv table, or .npy / IDX features with --labels",
                  std::nullopt},
      [](auto& c) -> auto& { return c.data; });
  visit(
      ConfigField{"label_col", "--label-col", "Label column of a CSV table", std::nullopt},
      [](auto& c) -> auto& { return c.label_col; });
  visit(
      ConfigField{"labels", "--labels", "Labels file (.npy or IDX) for .npy or IDX features", std::nullopt},
      [](auto& c) -> auto& { return c.labels; });
  visit(
      ConfigField{"test_fraction", "--test-fraction", "Held-out share of a table that has no test split",
                  R{0, 1, true, true}},
      [](auto& c) -> auto& { return c.test_fraction; });
  visit(
      ConfigField{"val_fraction", "--val-fraction",
                  "Share of the train split held out as the validation split (never trained on; temperature "
                  "scaling is fitted on it); 0: none",
                  R{0, 0.5}},
      [](auto& c) -> auto& { return c.val_fraction; });
  visit(
      ConfigField{"epochs", "--epochs", "Number of epochs", R{1, 100000}, /*may_change_on_resume=*/true},
      [](auto& c) -> auto& { return c.epochs; });
  visit(
      ConfigField{"batch", "--batch", "Batch size (per worker)", R{1, 1 << 20}},
      [](auto& c) -> auto& { return c.batch; });
  visit(
      ConfigField{"lr", "--lr", "Base learning rate", R{0, 1000, true}},
      [](auto& c) -> auto& { return c.lr; });
  visit(
      ConfigField{"optimizer.name", "--optimizer",
                  "sgd, adamw or lars (layer-wise trust ratio, for large batches)", std::nullopt},
      [](auto& c) -> auto& { return c.optimizer.kind; });
  visit(
      ConfigField{"optimizer.momentum", "--momentum", "SGD and LARS momentum", R{0, 1, false, true}},
      [](auto& c) -> auto& { return c.optimizer.momentum; });
  visit(
      ConfigField{"optimizer.nesterov", "--nesterov", "Nesterov momentum (SGD)", std::nullopt},
      [](auto& c) -> auto& { return c.optimizer.nesterov; });
  visit(
      ConfigField{"optimizer.weight_decay", "--weight-decay",
                  "Weight decay (default: 0 for sgd and lars, 0.01 for adamw)", R{0, 10}},
      [](auto& c) -> auto& { return c.optimizer.weight_decay; });
  visit(
      ConfigField{"optimizer.beta1", "--beta1", "AdamW beta1", R{0, 1, false, true}},
      [](auto& c) -> auto& { return c.optimizer.beta1; });
  visit(
      ConfigField{"optimizer.beta2", "--beta2", "AdamW beta2", R{0, 1, false, true}},
      [](auto& c) -> auto& { return c.optimizer.beta2; });
  visit(
      ConfigField{"optimizer.eps", "--eps", "AdamW eps (denominator); LARS eps (trust ratio)", R{0, 1}},
      [](auto& c) -> auto& { return c.optimizer.eps; });
  visit(
      ConfigField{"optimizer.trust_coefficient", "--trust-coefficient", "LARS trust coefficient (eta)",
                  R{0, 10, true}},
      [](auto& c) -> auto& { return c.optimizer.trust_coefficient; });
  visit(
      ConfigField{"schedule.kind", "--schedule", "LR schedule: constant, step or cosine", std::nullopt},
      [](auto& c) -> auto& { return c.schedule.kind; });
  visit(
      ConfigField{"schedule.warmup_steps", "--warmup-steps", "Linear LR warmup steps", R{0, kMaxConfigSteps}},
      [](auto& c) -> auto& { return c.schedule.warmup_steps; });
  visit(
      ConfigField{"schedule.step_size", "--step-size", "Steps between decays (schedule step; 0 = one epoch)",
                  R{0, kMaxConfigSteps}},
      [](auto& c) -> auto& { return c.schedule.step_size; });
  visit(
      ConfigField{"schedule.gamma", "--gamma", "Decay factor (schedule step)", R{0, 1, true}},
      [](auto& c) -> auto& { return c.schedule.gamma; });
  visit(
      ConfigField{"schedule.min_lr", "--min-lr", "Final LR (schedule cosine)", R{0, 1000}},
      [](auto& c) -> auto& { return c.schedule.min_lr; });
  visit(
      ConfigField{"label_smoothing", "--label-smoothing", "Label smoothing in [0, 1)", R{0, 1, false, true}},
      [](auto& c) -> auto& { return c.label_smoothing; });
  visit(
      ConfigField{"seed", "--seed", "Random seed (init, shuffling, dropout)",
                  R{0, static_cast<double>(kMaxSeed)}},
      [](auto& c) -> auto& { return c.seed; });
  visit(
      ConfigField{"eval_batch", "--eval-batch", "Evaluation batch size", R{1, 1 << 20}},
      [](auto& c) -> auto& { return c.eval_batch; });
  visit(
      ConfigField{"workers", "--workers", "Data-parallel workers (threads backend; mpi: mpirun's -np)",
                  R{1, 1024}},
      [](auto& c) -> auto& { return c.workers; });
  visit(
      ConfigField{"accumulate", "--accumulate",
                  "Micro-batches per optimizer step (gradient accumulation; communicates on the last only)",
                  R{1, 4096}},
      [](auto& c) -> auto& { return c.accumulate; });
  visit(
      ConfigField{"zero", "--zero", "1: ZeRO-1, optimizer state sharded across workers", R{0, 1}},
      [](auto& c) -> auto& { return c.zero; });
  visit(
      ConfigField{"grad_dtype", "--grad-dtype", "Gradients on the wire: fp32, fp16 or bf16", std::nullopt},
      [](auto& c) -> auto& { return c.grad_dtype; });
  visit(
      ConfigField{"lr_scaling", "--lr-scaling",
                  "linear: lr x (global batch / batch), Goyal et al.; none: lr as given", std::nullopt},
      [](auto& c) -> auto& { return c.lr_scaling; });
  visit(
      ConfigField{"warmup_epochs", "--warmup-epochs",
                  "With --lr-scaling linear: ramp from lr to the scaled lr over these epochs", R{0, 100000}},
      [](auto& c) -> auto& { return c.warmup_epochs; });
  visit(
      ConfigField{"remainder", "--remainder",
                  "Rows that do not fill workers x batch: pad (repeat a few rows; default) or drop",
                  std::nullopt},
      [](auto& c) -> auto& { return c.remainder; });
}

}  // namespace dpeval::parallel
