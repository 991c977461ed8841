// Score keys keep the reverse order of the scores; the radix sort (fast path)
// equals std::sort (reference) on awkward inputs.
#include "dpeval/eval/internal/score_sort.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "dpeval/eval/sort_values.h"

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

// eval::sort_ascending (Note [Sorting doubles in place]) against std::sort:
// negatives, -0.0, ties, constant runs, sizes around the radix threshold, and
// values that share their top digits (passes skipped, odd pass counts), and
// runs of one prefix around Note [Prefix passes]' insertion limit (some sorted
// by insertion, some whole).
TEST(SortAscending, EqualsStdSortWithNegativeZeroFolded) {
  std::mt19937_64 rng(7);
  for (size_t n : {0, 1, 2, 4095, 4096, 4097, 100000}) {
    for (int shape = 0; shape < 5; ++shape) {
      std::vector<double> v(n);
      for (double& x : v) {
        switch (shape) {
          case 0:
            x = std::normal_distribution<double>(0, 3)(rng);
            break;
          case 1:
            x = static_cast<double>(static_cast<int>(rng() % 21) - 10);
            break;  // ties, zeros
          case 2:
            x = 0.5 + static_cast<double>(rng() % 1000) * 1e-9;
            break;  // shared top bits
          case 3:
            x = (rng() % 2) ? -0.0 : 0.0;
            break;  // signed zeros only
          default:  // n / 20 prefixes (a signed power of two times 1 + k 2^-18), ~20 values each
            x = std::ldexp(1.0 + std::ldexp(static_cast<double>(rng() % std::max<size_t>(1, n / 120)), -18) +
                               std::ldexp(static_cast<double>(rng() % 1000), -45),
                           static_cast<int>(rng() % 3)) *
                ((rng() % 2) ? -1 : 1);
            break;
        }
      }
      std::vector<double> reference = v;
      std::sort(reference.begin(), reference.end());
      for (double& x : reference) x += 0.0;
      eval::sort_ascending(v);
      ASSERT_EQ(v.size(), reference.size());
      for (size_t i = 0; i < n; ++i) {
        ASSERT_EQ(std::bit_cast<uint64_t>(v[i]), std::bit_cast<uint64_t>(reference[i]))
            << "n " << n << " shape " << shape << " at " << i;
      }
    }
  }
}

}  // namespace
}  // namespace dpeval::eval::internal
