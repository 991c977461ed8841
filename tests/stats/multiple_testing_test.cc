// Benjamini-Hochberg against hand-computed cases.
#include "dpeval/stats/multiple_testing.h"

#include <gtest/gtest.h>

#include <vector>

#include "dpeval/core/error.h"

namespace dpeval::stats {
namespace {

TEST(BenjaminiHochberg, HandComputed) {
  // m = 4, q = 0.05: thresholds i q / m = 0.0125, 0.025, 0.0375, 0.05.
  // Sorted 0.010 <= 0.0125, 0.020 <= 0.025, 0.029 <= 0.0375, 0.5 > 0.05: k = 3.
  const std::vector<double> p = {0.5, 0.020, 0.010, 0.029};
  EXPECT_EQ(benjamini_hochberg(p, 0.05), (std::vector<bool>{false, true, true, true}));
  // Adjusted: 4 * 0.5 / 4 = 0.5; min(0.5, 4 * 0.029 / 3) = 0.038667 carries down
  // (4 * 0.020 / 2 = 0.04 and 4 * 0.010 / 1 = 0.04 are larger).
  const std::vector<double> adjusted = benjamini_hochberg_adjusted(p);
  EXPECT_DOUBLE_EQ(adjusted[0], 0.5);
  for (size_t i = 1; i < 4; ++i) EXPECT_DOUBLE_EQ(adjusted[i], 4 * 0.029 / 3);
}

TEST(BenjaminiHochberg, StepUpRejectsPastAFailedSmallerRank) {
  // m = 3: 0.02 > 0.05 / 3 fails at rank 1, but 0.022 <= 0.05 at rank 3: all rejected.
  EXPECT_EQ(benjamini_hochberg(std::vector<double>{0.022, 0.02, 0.021}, 0.05),
            (std::vector<bool>{true, true, true}));
}

TEST(BenjaminiHochberg, NoneRejectedTiesAndEmpty) {
  EXPECT_EQ(benjamini_hochberg(std::vector<double>{0.3, 0.02, 0.9}, 0.05),
            (std::vector<bool>{false, false, false}));
  EXPECT_EQ(benjamini_hochberg(std::vector<double>{0.04, 0.04}, 0.05), (std::vector<bool>{true, true}));
  EXPECT_TRUE(benjamini_hochberg(std::vector<double>{}, 0.05).empty());
  // One test: plain p <= q.
  EXPECT_EQ(benjamini_hochberg(std::vector<double>{0.05}, 0.05), (std::vector<bool>{true}));
}

TEST(BenjaminiHochberg, BadInput) {
  EXPECT_THROW(benjamini_hochberg(std::vector<double>{0.1}, 0.0), ConfigError);
  EXPECT_THROW(benjamini_hochberg(std::vector<double>{1.5}, 0.05), ConfigError);
  EXPECT_THROW(benjamini_hochberg_adjusted(std::vector<double>{-0.1}), ConfigError);
}

}  // namespace
}  // namespace dpeval::stats
