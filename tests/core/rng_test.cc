#include "dpeval/core/rng.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace dpeval {
namespace {

TEST(Rng, SameKeySameSequence) {
  Rng a(42), b(42);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.next_u32(), b.next_u32());
}

TEST(Rng, StreamsDiffer) {
  Rng a = Rng::for_stream(1, 0, 0, 0);
  Rng b = Rng::for_stream(1, 0, 1, 0);
  Rng c = Rng::for_stream(1, 0, 0, 1);
  int same_ab = 0, same_ac = 0;
  for (int i = 0; i < 100; ++i) {
    uint32_t x = a.next_u32();
    same_ab += x == b.next_u32();
    same_ac += x == c.next_u32();
  }
  EXPECT_LT(same_ab, 3);
  EXPECT_LT(same_ac, 3);
}

TEST(Rng, SeekRestoresExactPosition) {
  Rng a(7, 3);
  for (int i = 0; i < 13; ++i) a.next_u32();
  const uint64_t pos = a.position();
  std::vector<uint32_t> expected;
  for (int i = 0; i < 20; ++i) expected.push_back(a.next_u32());
  Rng b(7, 3);
  b.seek(pos);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(b.next_u32(), expected[i]) << i;
}

TEST(Rng, UniformFloatInRangeAndMeanHalf) {
  Rng r(9);
  double sum = 0;
  for (int i = 0; i < 100000; ++i) {
    float u = r.uniform_float();
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    sum += u;
  }
  EXPECT_NEAR(sum / 100000, 0.5, 0.01);
}

TEST(Rng, UniformBelowCoversRangeUnbiased) {
  Rng r(11);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) counts[r.uniform_below(7)]++;
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
}

TEST(Rng, NormalMoments) {
  Rng r(5);
  double s = 0, s2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    double x = r.normal();
    s += x;
    s2 += x * x;
  }
  EXPECT_NEAR(s / n, 0.0, 0.01);
  EXPECT_NEAR(s2 / n, 1.0, 0.02);
}

}  // namespace
}  // namespace dpeval
