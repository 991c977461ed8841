#include "dpeval/core/rng.h"

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <vector>

namespace dpeval {
namespace {

// Random123's known-answer vectors (kat_vectors, "philox4x32 10" lines:
// counter[4] key[2] -> output[4], hex words, counter and key low word first).
struct PhiloxKat {
  std::array<uint32_t, 4> counter;
  std::array<uint32_t, 2> key;
  std::array<uint32_t, 4> expected;
};
constexpr PhiloxKat kPhiloxKats[] = {
    {{0x00000000, 0x00000000, 0x00000000, 0x00000000},
     {0x00000000, 0x00000000},
     {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
    {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
     {0xffffffff, 0xffffffff},
     {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
    {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
     {0xa4093822, 0x299f31d0},
     {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
};

TEST(Philox, BlockMatchesRandom123KnownAnswers) {
  for (const PhiloxKat& kat : kPhiloxKats) {
    EXPECT_EQ(philox4x32_10(kat.counter, kat.key), kat.expected) << std::hex << "counter " << kat.counter[0];
  }
}

// Rng draws the block words in order, counter = (block index, stream) and
// key = its 64-bit key, low words first: the all-zero vector through the
// public stream, and every vector's key/stream halves where the block index
// fits a position.
TEST(Philox, RngStreamIsTheBlockFunctionInOrder) {
  Rng zero(0, 0);
  for (uint32_t want : kPhiloxKats[0].expected) EXPECT_EQ(zero.next_u32(), want);
  for (const PhiloxKat& kat : kPhiloxKats) {
    const uint64_t key = (uint64_t{kat.key[1]} << 32) | kat.key[0];
    const uint64_t stream = (uint64_t{kat.counter[3]} << 32) | kat.counter[2];
    const uint64_t block = 12345;
    Rng r(key, stream);
    r.seek(block * 4);
    const auto expected =
        philox4x32_10({static_cast<uint32_t>(block), 0, kat.counter[2], kat.counter[3]}, kat.key);
    for (uint32_t want : expected) EXPECT_EQ(r.next_u32(), want);
  }
}

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
