#include "dpeval/core/float_text.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

namespace dpeval {
namespace {

TEST(FloatText, SettingsPrintAsTyped) {
  EXPECT_EQ(nlohmann::json(as_typed(0.05f)).dump(), "0.05");
  EXPECT_EQ(nlohmann::json(as_typed(0.9f)).dump(), "0.9");
  EXPECT_EQ(nlohmann::json(as_typed(1e-8f)).dump(), "1e-08");
  EXPECT_EQ(nlohmann::json(as_typed(0.001f)).dump(), "0.001");
  // The widened float is what used to be written.
  EXPECT_EQ(nlohmann::json(static_cast<double>(0.05f)).dump(), "0.05000000074505806");
}

TEST(FloatText, ReadsBackAsTheSameFloat) {
  // Every 65537th bit pattern: normals, subnormals, both signs.
  for (uint64_t bits = 0; bits <= 0xffffffffu; bits += 65537) {
    const float f = std::bit_cast<float>(static_cast<uint32_t>(bits));
    if (!std::isfinite(f)) continue;
    ASSERT_EQ(std::bit_cast<uint32_t>(static_cast<float>(as_typed(f))), static_cast<uint32_t>(bits)) << f;
  }
  EXPECT_TRUE(std::isnan(as_typed(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_EQ(as_typed(std::numeric_limits<float>::infinity()), std::numeric_limits<double>::infinity());
}

}  // namespace
}  // namespace dpeval
