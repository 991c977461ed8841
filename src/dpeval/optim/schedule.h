// Learning-rate schedules: lr_at(config, base_lr, step, total_steps) is the
// learning rate of optimizer step `step` (0-based) in a run of total_steps.
//
// Warmup (any kind): for step < warmup_steps, lr = base_lr * (step + 1) / warmup_steps,
// a linear ramp whose last warmup step reaches base_lr. After warmup the kind
// applies to s = step - warmup_steps:
//   "constant": base_lr
//   "step":     base_lr * gamma^floor(s / step_size)
//   "cosine":   min_lr + (base_lr - min_lr) * (1 + cos(pi * min(s, D) / D)) / 2,
//               D = total_steps - warmup_steps; base_lr at s = 0, min_lr from s = D on
//               (and min_lr throughout when D <= 0).
#pragma once

#include <cstdint>
#include <string>

#include "dpeval/core/enum_text.h"

namespace dpeval::optim {

enum class ScheduleKind { kConstant, kStep, kCosine };
inline constexpr EnumText<ScheduleKind> kScheduleKindTexts[] = {
    {ScheduleKind::kConstant, "constant"}, {ScheduleKind::kStep, "step"}, {ScheduleKind::kCosine, "cosine"}};
constexpr const auto& enum_texts(ScheduleKind) { return kScheduleKindTexts; }

struct ScheduleConfig {
  ScheduleKind kind = ScheduleKind::kConstant;
  uint64_t warmup_steps = 0;  // linear warmup, applies on top of any kind
  uint64_t step_size = 0;     // "step": decay every step_size steps after warmup (>= 1)
  float gamma = 0.1f;         // "step": multiplier per decay, in (0, 1]
  float min_lr = 0.0f;        // "cosine": final learning rate, finite and >= 0
};

// Throws ConfigError naming the field ("schedule.step_size = 0: expected >= 1
// with kind 'step'") for an out-of-range field of that kind.
void validate(const ScheduleConfig& config);

// The learning rate of step `step`. Preconditions: validate(config) passed;
// base_lr finite. Pure and cheap (one call per
// step); computed in double, rounded to float once.
float lr_at(const ScheduleConfig& config, float base_lr, uint64_t step, uint64_t total_steps);

}  // namespace dpeval::optim
