// Learning-rate schedules (warmup, step, cosine).
#include "dpeval/optim/schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"

namespace dpeval::optim {

void validate(const ScheduleConfig& config) {
  switch (config.kind) {
    case ScheduleKind::kConstant:
      return;
    case ScheduleKind::kStep:
      if (config.step_size < 1) {
        throw ConfigError(
            fmt::format("schedule.step_size = {}: expected >= 1 with kind 'step'", config.step_size));
      }
      if (!(std::isfinite(config.gamma) && config.gamma > 0.0f && config.gamma <= 1.0f)) {
        throw ConfigError(fmt::format("schedule.gamma = {}: expected a number in (0, 1]", config.gamma));
      }
      return;
    case ScheduleKind::kCosine:
      if (!(std::isfinite(config.min_lr) && config.min_lr >= 0.0f)) {
        throw ConfigError(fmt::format("schedule.min_lr = {}: expected a finite number >= 0", config.min_lr));
      }
      return;
  }
}

float lr_at(const ScheduleConfig& config, float base_lr, uint64_t step, uint64_t total_steps) {
  const double base = base_lr;
  if (step < config.warmup_steps) {
    return static_cast<float>(base * static_cast<double>(step + 1) /
                              static_cast<double>(config.warmup_steps));
  }
  const uint64_t s = step - config.warmup_steps;
  if (config.kind == ScheduleKind::kConstant) return base_lr;
  if (config.kind == ScheduleKind::kStep) {
    DPEVAL_CHECK(config.step_size >= 1) << "schedule not validated";
    return static_cast<float>(
        base * std::pow(static_cast<double>(config.gamma), static_cast<double>(s / config.step_size)));
  }
  const double min_lr = config.min_lr;
  if (total_steps <= config.warmup_steps) return config.min_lr;
  const uint64_t decay_steps = total_steps - config.warmup_steps;
  const double progress = static_cast<double>(std::min(s, decay_steps)) / static_cast<double>(decay_steps);
  return static_cast<float>(min_lr + (base - min_lr) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress)));
}

}  // namespace dpeval::optim
