// Score keys keep the reverse order of the scores; the radix sort (fast path)
// equals std::sort (reference) on awkward inputs.
#include "dpeval/eval/internal/score_sort.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace dpeval::eval::internal {
namespace {

const std::vector<double> kAwkward = {-std::numeric_limits<double>::max(),
                                      -1.0,
                                      -std::numeric_limits<double>::denorm_min(),
                                      -0.0,
                                      0.0,
                                      std::numeric_limits<double>::denorm_min(),
                                      std::numeric_limits<double>::min(),
                                      0.1,
                                      0.5,
                                      std::nextafter(0.5, 1.0),
                                      1.0 - 1e-16,
                                      1.0,
                                      3.0,
                                      std::numeric_limits<double>::max()};

TEST(ScoreKeys, ReverseTheOrderAndRoundTrip) {
  for (size_t i = 0; i < kAwkward.size(); ++i) {
    EXPECT_EQ(score_from_key_descending(key_descending(kAwkward[i])), kAwkward[i] + 0.0) << kAwkward[i];
    for (size_t j = 0; j < kAwkward.size(); ++j) {
      const double a = kAwkward[i], b = kAwkward[j];
      EXPECT_EQ(a<b, key_descending(a)> key_descending(b)) << a << " vs " << b;
      EXPECT_EQ(a == b, key_descending(a) == key_descending(b)) << a << " vs " << b;
    }
  }
  EXPECT_FALSE(std::signbit(score_from_key_descending(key_descending(-0.0))));
}

BigVector<uint64_t> random_keys(size_t n, uint64_t seed, bool ties) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  BigVector<uint64_t> keys(n);
  for (size_t i = 0; i < n; ++i) {
    double s = u(rng);
    if (ties) s = std::round(s * 100) / 100;
    if (i % 97 == 0) s = kAwkward[i % kAwkward.size()];
    keys[i] = key_descending(s);
  }
  return keys;
}

TEST(ScoreSort, RadixEqualsStdSort) {
  for (size_t n : {0, 1, 2, 4095, 4096, 4097, 100000}) {
    for (bool ties : {false, true}) {
      auto fast = random_keys(n, n + ties, ties);
      auto reference = fast;
      sort_keys(fast);
      sort_keys_reference(reference);
      EXPECT_EQ(fast, reference) << "n = " << n << " ties = " << ties;
    }
  }
}

TEST(ScoreSort, AllEqualKeysSkipEveryPass) {
  BigVector<uint64_t> keys(10000, key_descending(0.25));
  sort_keys(keys);
  EXPECT_EQ(keys, BigVector<uint64_t>(10000, key_descending(0.25)));
}

}  // namespace
}  // namespace dpeval::eval::internal
