// Learning-rate schedules at their key points: warmup ramp and its end, step
// boundaries, the cosine midpoint and end; validation of each kind's fields.
#include "dpeval/optim/schedule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "dpeval/core/error.h"

namespace dpeval::optim {
namespace {

TEST(Schedule, ConstantIsTheBaseRate) {
  const ScheduleConfig c;
  validate(c);
  EXPECT_EQ(lr_at(c, 0.05f, 0, 100), 0.05f);
  EXPECT_EQ(lr_at(c, 0.05f, 99, 100), 0.05f);
  EXPECT_EQ(lr_at(c, 0.05f, 1000, 100), 0.05f);  // past the end too
}

TEST(Schedule, WarmupRampsLinearlyToTheBaseRate) {
  ScheduleConfig c;
  c.warmup_steps = 10;
  EXPECT_FLOAT_EQ(lr_at(c, 1.0f, 0, 100), 0.1f);  // ~0, never exactly 0
  EXPECT_FLOAT_EQ(lr_at(c, 1.0f, 4, 100), 0.5f);
  EXPECT_EQ(lr_at(c, 1.0f, 9, 100), 1.0f);  // last warmup step reaches the base
  EXPECT_EQ(lr_at(c, 1.0f, 10, 100), 1.0f);
  for (uint64_t s = 0; s + 1 < 10; ++s) EXPECT_LT(lr_at(c, 1.0f, s, 100), lr_at(c, 1.0f, s + 1, 100));
}

TEST(Schedule, StepDecaysByGammaAtEachBoundaryAfterWarmup) {
  ScheduleConfig c;
  c.kind = ScheduleKind::kStep;
  c.step_size = 30;
  c.gamma = 0.5f;
  c.warmup_steps = 5;
  validate(c);
  EXPECT_FLOAT_EQ(lr_at(c, 0.8f, 4, 1000), 0.8f);   // warmup end
  EXPECT_FLOAT_EQ(lr_at(c, 0.8f, 5, 1000), 0.8f);   // s = 0
  EXPECT_FLOAT_EQ(lr_at(c, 0.8f, 34, 1000), 0.8f);  // s = 29: last step before the boundary
  EXPECT_FLOAT_EQ(lr_at(c, 0.8f, 35, 1000), 0.4f);  // s = 30
  EXPECT_FLOAT_EQ(lr_at(c, 0.8f, 64, 1000), 0.4f);  // s = 59
  EXPECT_FLOAT_EQ(lr_at(c, 0.8f, 65, 1000), 0.2f);  // s = 60
  EXPECT_FLOAT_EQ(lr_at(c, 0.8f, 95, 1000), 0.1f);  // s = 90
}

TEST(Schedule, CosineGoesFromBaseToMinOverTheStepsAfterWarmup) {
  ScheduleConfig c;
  c.kind = ScheduleKind::kCosine;
  c.min_lr = 0.1f;
  validate(c);
  EXPECT_FLOAT_EQ(lr_at(c, 1.0f, 0, 100), 1.0f);
  EXPECT_FLOAT_EQ(lr_at(c, 1.0f, 50, 100), 0.55f);  // midpoint: (base + min) / 2
  EXPECT_FLOAT_EQ(lr_at(c, 1.0f, 25, 100), 0.1f + 0.9f * 0.5f * (1.0f + std::sqrt(0.5f)));
  EXPECT_FLOAT_EQ(lr_at(c, 1.0f, 100, 100), 0.1f);
  EXPECT_FLOAT_EQ(lr_at(c, 1.0f, 500, 100), 0.1f);  // clamped past the end

  c.warmup_steps = 20;  // cosine over the remaining 80 steps
  EXPECT_FLOAT_EQ(lr_at(c, 1.0f, 19, 100), 1.0f);
  EXPECT_FLOAT_EQ(lr_at(c, 1.0f, 20, 100), 1.0f);
  EXPECT_FLOAT_EQ(lr_at(c, 1.0f, 60, 100), 0.55f);
  EXPECT_FLOAT_EQ(lr_at(c, 1.0f, 100, 100), 0.1f);
  for (uint64_t s = 20; s < 100; ++s) EXPECT_GE(lr_at(c, 1.0f, s, 100), lr_at(c, 1.0f, s + 1, 100));
}

TEST(Schedule, CosineWithNoStepsAfterWarmupIsTheMinimum) {
  ScheduleConfig c;
  c.kind = ScheduleKind::kCosine;
  c.min_lr = 0.01f;
  c.warmup_steps = 10;
  EXPECT_FLOAT_EQ(lr_at(c, 1.0f, 9, 10), 1.0f);
  EXPECT_FLOAT_EQ(lr_at(c, 1.0f, 10, 10), 0.01f);
  EXPECT_FLOAT_EQ(lr_at(c, 1.0f, 10, 5), 0.01f);
}

// The message of the ConfigError validate() throws for `c`, or "" if none.
std::string config_error(const ScheduleConfig& c) {
  try {
    validate(c);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Schedule, BadConfigsThrowConfigErrorNamingTheField) {
  EXPECT_THROW(parse_enum<ScheduleKind>("linear", "schedule.kind"), ConfigError);
  ScheduleConfig c;
  c.kind = ScheduleKind::kStep;  // step_size 0
  EXPECT_NE(config_error(c).find("schedule.step_size"), std::string::npos);
  c.step_size = 10;
  EXPECT_EQ(config_error(c), "");
  for (float gamma : {0.0f, -0.5f, 1.5f, NAN}) {
    c.gamma = gamma;
    EXPECT_NE(config_error(c).find("schedule.gamma"), std::string::npos) << gamma;
  }

  c = {};
  c.kind = ScheduleKind::kCosine;
  for (float min_lr : {-0.1f, INFINITY, NAN}) {
    c.min_lr = min_lr;
    EXPECT_NE(config_error(c).find("schedule.min_lr"), std::string::npos) << min_lr;
  }
}

}  // namespace
}  // namespace dpeval::optim
