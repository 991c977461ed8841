// Helpers shared by the eval/ tests: the fixture tolerance and a warnings search.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dpeval::eval::testing {

// The tolerance of every comparison with scikit-learn: 1e-9 relative, plus
// 1e-15 absolute so that an exact 0 compares with a rounding-level residue.
constexpr double kRelativeTolerance = 1e-9;
constexpr double kAbsoluteFloor = 1e-15;

inline ::testing::AssertionResult close_to(double actual, double expected) {
  const double error = std::abs(actual - expected);
  if (error <= kRelativeTolerance * std::abs(expected) + kAbsoluteFloor) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "actual " << actual << " vs expected " << expected
                                       << " (relative error " << error / std::abs(expected) << ")";
}

inline ::testing::AssertionResult close_to(const std::optional<double>& actual,
                                           const std::optional<double>& expected) {
  if (!expected) {
    if (!actual) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "expected null, got " << *actual;
  }
  if (!actual) return ::testing::AssertionFailure() << "expected " << *expected << ", got null";
  return close_to(*actual, *expected);
}

// True when some warning contains `needle`.
inline bool has_warning(const std::vector<std::string>& warnings, std::string_view needle) {
  for (const std::string& w : warnings) {
    if (w.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace dpeval::eval::testing
