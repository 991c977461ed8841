// The Optimizer base (state ownership, contract checks), config validation and
// the factory that makes an optimizer by name.
#include "dpeval/optim/optimizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/optim/adamw.h"
#include "dpeval/optim/lars.h"
#include "dpeval/optim/sgd.h"

namespace dpeval::optim {
namespace {

constexpr float kSgdDefaultWeightDecay = 0.0f;     // torch.optim.SGD
constexpr float kAdamwDefaultWeightDecay = 0.01f;  // torch.optim.AdamW
constexpr float kLarsDefaultWeightDecay = 0.0f;    // torchlars, Lightning Bolts

// Throws ConfigError("optimizer.<field> = <value>: expected <expected>") unless ok.
void require(bool ok, std::string_view field, float value, std::string_view expected) {
  if (!ok) throw ConfigError(fmt::format("optimizer.{} = {}: expected {}", field, value, expected));
}

void require_unit_interval(std::string_view field, float value) {
  require(std::isfinite(value) && value >= 0.0f && value < 1.0f, field, value, "a number in [0, 1)");
}

}  // namespace

float effective_weight_decay(const OptimizerConfig& config) {
  if (config.weight_decay) return *config.weight_decay;
  switch (config.kind) {
    case OptimizerKind::kAdamw:
      return kAdamwDefaultWeightDecay;
    case OptimizerKind::kLars:
      return kLarsDefaultWeightDecay;
    case OptimizerKind::kSgd:
      break;
  }
  return kSgdDefaultWeightDecay;
}

void validate(const OptimizerConfig& config) {
  const float weight_decay = effective_weight_decay(config);
  require(std::isfinite(weight_decay) && weight_decay >= 0.0f, "weight_decay", weight_decay,
          "a finite number >= 0");
  if (config.kind == OptimizerKind::kSgd) {
    require_unit_interval("momentum", config.momentum);
    if (config.nesterov && config.momentum == 0.0f) {
      throw ConfigError(
          "optimizer.nesterov = true: expected momentum > 0 (Nesterov momentum needs a momentum)");
    }
  } else if (config.kind == OptimizerKind::kLars) {
    require_unit_interval("momentum", config.momentum);
    require(std::isfinite(config.trust_coefficient) && config.trust_coefficient > 0.0f, "trust_coefficient",
            config.trust_coefficient, "a finite number > 0");
    require(std::isfinite(config.eps) && config.eps >= 0.0f, "eps", config.eps, "a finite number >= 0");
    if (config.nesterov) {
      throw ConfigError("optimizer.nesterov = true: expected false with lars (nesterov applies to sgd only)");
    }
  } else {
    require_unit_interval("beta1", config.beta1);
    require_unit_interval("beta2", config.beta2);
    require(std::isfinite(config.eps) && config.eps > 0.0f, "eps", config.eps, "a finite number > 0");
    if (config.nesterov) {
      throw ConfigError(
          "optimizer.nesterov = true: expected false with adamw (nesterov applies to sgd only)");
    }
  }
}

Optimizer::Optimizer(size_t param_count, size_t state_slots)
    : param_count_(param_count), state_slots_(state_slots), state_(param_count * state_slots, 0.0f) {}

std::span<float> Optimizer::state_slot(size_t slot) {
  DPEVAL_CHECK(slot < state_slots_) << "slot " << slot << " of " << state_slots_;
  return std::span<float>(state_).subspan(slot * param_count_, param_count_);
}

void Optimizer::step_range(std::span<float> params, std::span<const float> grads, size_t begin, size_t end,
                           float lr) {
  DPEVAL_CHECK(params.size() == param_count_)
      << "params has " << params.size() << " floats, expected " << param_count_;
  DPEVAL_CHECK(grads.size() == param_count_)
      << "grads has " << grads.size() << " floats, expected " << param_count_;
  DPEVAL_CHECK(begin <= end && end <= param_count_)
      << "range [" << begin << ", " << end << ") of " << param_count_;
  DPEVAL_CHECK(std::isfinite(lr) && lr >= 0.0f) << "lr " << lr;
  if (begin == end) return;
  update_range(params, grads, begin, end, lr);
}

void Optimizer::step(std::span<float> params, std::span<const float> grads, float lr) {
  step_range(params, grads, 0, param_count_, lr);
  finish_step();
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& config, size_t param_count,
                                          std::span<const size_t> segment_offsets) {
  validate(config);
  if (!segment_offsets.empty()) {
    DPEVAL_CHECK(segment_offsets.front() == 0) << "the first segment starts at " << segment_offsets.front();
    DPEVAL_CHECK(std::is_sorted(segment_offsets.begin(), segment_offsets.end()) &&
                 segment_offsets.back() <= param_count)
        << "segment offsets must be non-decreasing and <= " << param_count;
  }
  const float weight_decay = effective_weight_decay(config);
  if (config.kind == OptimizerKind::kLars) {
    return std::make_unique<Lars>(param_count, segment_offsets,
                                  LarsOptions{.momentum = config.momentum,
                                              .weight_decay = weight_decay,
                                              .trust_coefficient = config.trust_coefficient,
                                              .eps = config.eps});
  }
  if (config.kind == OptimizerKind::kSgd) {
    return std::make_unique<Sgd>(
        param_count,
        SgdOptions{.momentum = config.momentum, .nesterov = config.nesterov, .weight_decay = weight_decay});
  }
  return std::make_unique<AdamW>(
      param_count,
      AdamWOptions{
          .beta1 = config.beta1, .beta2 = config.beta2, .eps = config.eps, .weight_decay = weight_decay});
}

}  // namespace dpeval::optim
