#include "dpeval/core/check.h"

#include <gtest/gtest.h>

namespace dpeval {
namespace {

TEST(Check, PassingCheckDoesNothing) { EXPECT_NO_THROW(DPEVAL_CHECK(1 + 1 == 2) << "math"); }

TEST(Check, FailingCheckThrowsInternalErrorWithContext) {
  try {
    int n = 3;
    DPEVAL_CHECK(n == 4) << "n was " << n;
    FAIL() << "no throw";
  } catch (const InternalError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("n == 4"), std::string::npos) << what;
    EXPECT_NE(what.find("n was 3"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace dpeval
