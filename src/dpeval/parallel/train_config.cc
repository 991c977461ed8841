#include "dpeval/parallel/train_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <type_traits>

#include "dpeval/core/error.h"
#include "dpeval/core/float_text.h"
#include "dpeval/core/hash.h"

namespace dpeval::parallel {

// Note [Default schedule]
// Defaults: SGD, momentum 0.9, lr 0.05, batch 64 (the peer script's settings),
// with the learning rate multiplied by 0.8 after every epoch. A constant 0.05
// (the peer's choice) wanders around 87-88 % on Fashion-MNIST; 0.02 peaks near
// 88.2 % within 10 epochs (PyTorch peer, seed 0). The per-epoch decay reaches
// 89.2 % in 10 epochs (dpeval, seed 0; 0.7 gave 89.1 %). A cosine schedule
// would do as well but depends on the total epoch count, which would make a run
// resumed with a larger --epochs differ from one started with it.

// Note [Global batch]
// With W workers, per-worker batch b and K accumulation micro-steps, one
// optimizer step sees W*K*b rows (global_batch()): rank r's micro-batch is
// cut from its share of the epoch's permutation (data/sampler.h), the
// gradients of the K micro-batches are added with weights count_k / sum(count),
// and the Reducer averages the ranks (Note [Gradient scale] in reducer.h). So
// W workers with batch b train like 1 worker with batch W*b, up to float
// reassociation; tests hold this.
//
// Note [Linear scaling rule]
// Goyal et al. (2017): when the global batch grows k-fold, grow the learning
// rate k-fold, reaching it by a linear ramp over the first warmup epochs that
// starts from the unscaled rate. Here k = global_batch() / batch = workers *
// accumulate, so --lr stays the rate tuned for one worker's batch. The schedule
// (step decay, cosine) applies on top, as a factor.

namespace {

void require(bool ok, const std::string& field, const std::string& expected) {
  if (!ok) throw ConfigError("config field '" + field + "': expected " + expected);
}

// "/optimizer/momentum" for "optimizer.momentum".
nlohmann::json::json_pointer field_pointer(std::string_view key) {
  std::string path = "/" + std::string(key);
  std::replace(path.begin(), path.end(), '.', '/');
  return nlohmann::json::json_pointer(path);
}

// A setting's JSON value: floats as typed (core/float_text.h), enums as their
// spelling. Unset optionals are null (to_json resolves the one there is).
template <typename T>
nlohmann::json field_value(const T& value) {
  if constexpr (IsOptionalSetting<T>::value) {
    return value ? field_value(*value) : nlohmann::json();
  } else if constexpr (std::is_enum_v<T>) {
    return std::string(enum_text(value));
  } else if constexpr (std::is_same_v<T, float>) {
    return as_typed(value);
  } else {
    return value;
  }
}

template <typename T>
void read_field_value(const nlohmann::json& j, const ConfigField& field, T& value) {
  if constexpr (IsOptionalSetting<T>::value) {
    typename T::value_type inner{};
    read_field_value(j, field, inner);
    value = inner;
  } else if constexpr (std::is_enum_v<T>) {
    if (!j.is_string())
      throw InputError("training config: field '" + std::string(field.key) + "': expected a string");
    try {
      value = parse_enum<T>(j.get<std::string>(), field.key);
    } catch (const ConfigError& e) {
      throw InputError(std::string("training config: ") + e.what());
    }
  } else {
    value = j.get<T>();
  }
}

// "an integer in [1, 100000]", "a number in (0, 1]".
std::string range_text(const FieldRange& r, bool integer) {
  return fmt::format("{} in {}{:.17g}, {:.17g}{}", integer ? "an integer" : "a number", r.lo_open ? '(' : '[',
                     r.lo, r.hi, r.hi_open ? ')' : ']');
}

template <typename T>
void check_range(const ConfigField& field, const T& value) {
  if constexpr (IsOptionalSetting<T>::value) {
    if (value) check_range(field, *value);
  } else if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
    if (!field.range) return;
    const FieldRange& r = *field.range;
    const double v = static_cast<double>(value);
    const bool ok =
        std::isfinite(v) && (r.lo_open ? v > r.lo : v >= r.lo) && (r.hi_open ? v < r.hi : v <= r.hi);
    require(ok, std::string(field.key), range_text(r, std::is_integral_v<T>));
  }
}

}  // namespace

void TrainConfig::validate() const {
  for_each_config_field([&](const ConfigField& field, auto member) { check_range(field, member(*this)); });
  optim::validate(resolved_schedule(1));
  optim::validate(optimizer);
  require(warmup_epochs <= epochs, "warmup_epochs", "a number in [0, epochs]");
  if (!adv_train.empty()) {
    require(adv_train == "fgsm" || adv_train == "pgd", "adv_train", "fgsm or pgd");
    require(adv_eps > 0 && adv_eps <= 1, "adv_eps", "a number in (0, 1]");
    require(adv_steps >= 1 && adv_steps <= 1000, "adv_steps", "an integer in [1, 1000]");
    require(adv_step_size >= 0 && adv_step_size <= 1, "adv_step_size",
            "a number in [0, 1] (0: 2.5 eps / steps)");
  }
  require(warmup_epochs == 0 || lr_scaling == LrScaling::kLinear, "warmup_epochs",
          "0 unless lr_scaling is linear (use --warmup-steps for a plain warmup)");
  require(zero == 0 || grad_dtype == GradDType::kFloat32, "grad_dtype",
          "fp32 with zero 1 (sharded gradients travel as fp32)");
  require(zero == 0 || optimizer.kind != optim::OptimizerKind::kLars, "zero",
          "0 with the lars optimizer (its trust ratio needs whole tensors)");
}

float TrainConfig::lr_at(uint64_t step, uint64_t steps_per_epoch, uint64_t total_steps) const {
  const optim::ScheduleConfig s = resolved_schedule(steps_per_epoch);
  if (lr_scaling != LrScaling::kLinear) return optim::lr_at(s, lr, step, total_steps);
  const double k = static_cast<double>(workers) * accumulate;
  const double factor = static_cast<double>(optim::lr_at(s, 1.0f, step, total_steps));
  const double warmup_steps = warmup_epochs * static_cast<double>(steps_per_epoch);
  double scale = k;
  if (static_cast<double>(step) < warmup_steps) {
    scale = 1.0 + (k - 1.0) * (static_cast<double>(step) + 1.0) / warmup_steps;
  }
  return static_cast<float>(static_cast<double>(lr) * scale * factor);
}

// Float settings as typed: see core/float_text.h. from_json reads them back
// as the identical floats.
nlohmann::json TrainConfig::to_json() const {
  TrainConfig resolved = *this;
  resolved.optimizer.weight_decay = optim::effective_weight_decay(optimizer);
  nlohmann::json j;
  for_each_config_field([&](const ConfigField& field, auto member) {
    j[field_pointer(field.key)] = field_value(member(resolved));
  });
  j["model_spec"] = nn::model_spec_to_toml(model_spec);
  if (!manifest_hash.empty()) j["manifest_hash"] = manifest_hash;
  if (!adv_train.empty()) {
    j["adversarial"] = {
        {"attack", adv_train}, {"eps", adv_eps}, {"steps", adv_steps}, {"step_size", adv_step_size}};
  }
  return j;
}

TrainConfig TrainConfig::from_json(const nlohmann::json& j) {
  TrainConfig c;
  for_each_config_field([&](const ConfigField& field, auto member) {
    const nlohmann::json::json_pointer at = field_pointer(field.key);
    if (!j.contains(at)) {
      // Checkpoints written before the validation split existed trained on every train row.
      if (field.key == "val_fraction") {
        c.val_fraction = 0;
        return;
      }
      throw InputError("training config: field '" + std::string(field.key) + "' is missing");
    }
    try {
      read_field_value(j[at], field, member(c));
    } catch (const nlohmann::json::exception& e) {
      throw InputError("training config: field '" + std::string(field.key) + "': " + e.what());
    }
  });
  try {
    c.model_spec = nn::parse_model_toml(j.at("model_spec").get<std::string>(), "checkpoint model spec");
    if (j.contains("manifest_hash")) c.manifest_hash = j.at("manifest_hash").get<std::string>();
    if (j.contains("adversarial")) {
      const nlohmann::json& a = j.at("adversarial");
      c.adv_train = a.at("attack").get<std::string>();
      c.adv_eps = a.at("eps").get<double>();
      c.adv_steps = a.at("steps").get<int>();
      c.adv_step_size = a.at("step_size").get<double>();
    }
  } catch (const nlohmann::json::exception& e) {
    throw InputError(std::string("training config: ") + e.what());
  }
  return c;
}

optim::ScheduleConfig TrainConfig::resolved_schedule(uint64_t steps_per_epoch) const {
  optim::ScheduleConfig s = schedule;
  if (s.kind == optim::ScheduleKind::kStep && s.step_size == 0)
    s.step_size = std::max<uint64_t>(1, steps_per_epoch);
  return s;
}

uint64_t TrainConfig::config_hash() const { return hash64(to_json().dump()); }

void TrainConfig::check_resumable_from(const TrainConfig& saved) const {
  const nlohmann::json mine = to_json(), theirs = saved.to_json();
  const auto differ = [&](std::string_view what, const nlohmann::json::json_pointer& at) {
    const nlohmann::json now = mine.contains(at) ? mine[at] : nlohmann::json();
    const nlohmann::json then = theirs.contains(at) ? theirs[at] : nlohmann::json();
    if (now == then) return;
    throw ConfigError("cannot resume: " + std::string(what) + " is " + now.dump() +
                      " but the checkpoint was trained with " + then.dump() +
                      " (only --epochs may change on resume)");
  };
  for_each_config_field([&](const ConfigField& field, auto) {
    if (!field.may_change_on_resume) differ(field.flag, field_pointer(field.key));
  });
  differ("the model spec", field_pointer("model_spec"));
  differ("the manifest hash (--manifest)", field_pointer("manifest_hash"));
  differ("the adversarial training (--adv-train, --adv-eps, --adv-steps, --adv-step-size)",
         field_pointer("adversarial"));
}

}  // namespace dpeval::parallel
