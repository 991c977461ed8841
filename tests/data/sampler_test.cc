// DistributedSampler: deterministic per (seed, epoch), one permutation shared by
// all ranks, dealt out like torch's DistributedSampler, pad/drop remainders, and
// awkward sizes (0, fewer rows than ranks, non-divisible) over worlds 1..8.
#include "dpeval/data/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "dpeval/core/error.h"

namespace dpeval::data {
namespace {

std::vector<uint32_t> indices(size_t n, int rank, int world, uint64_t epoch, RemainderPolicy policy,
                              uint64_t seed = 7, bool shuffle = true) {
  SamplerOptions o;
  o.seed = seed;
  o.rank = rank;
  o.world = world;
  o.shuffle = shuffle;
  o.remainder = policy;
  return DistributedSampler(n, o).epoch_indices(epoch);
}

TEST(Sampler, DeterministicPerSeedAndEpoch) {
  const auto a = indices(1000, 0, 1, 3, RemainderPolicy::kPad);
  EXPECT_EQ(a, indices(1000, 0, 1, 3, RemainderPolicy::kPad));
  EXPECT_NE(a, indices(1000, 0, 1, 4, RemainderPolicy::kPad));
  EXPECT_NE(a, indices(1000, 0, 1, 3, RemainderPolicy::kPad, 8));
  std::vector<uint32_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  std::vector<uint32_t> iota(1000);
  std::iota(iota.begin(), iota.end(), 0u);
  EXPECT_EQ(sorted, iota);  // world 1: a permutation of every row
  EXPECT_NE(a, iota);       // and actually shuffled
}

TEST(Sampler, PinnedPermutation) {
  // Changing the shuffle changes every run's numbers: make it a visible decision.
  const auto p = indices(10, 0, 1, 0, RemainderPolicy::kPad, 0);
  EXPECT_EQ(p, (std::vector<uint32_t>{9, 3, 5, 4, 1, 0, 7, 8, 6, 2}));
}

TEST(Sampler, NoShuffleDealsInOrder) {
  EXPECT_EQ(indices(10, 1, 3, 0, RemainderPolicy::kPad, 7, false), (std::vector<uint32_t>{1, 4, 7, 0}));
  EXPECT_EQ(indices(10, 1, 3, 0, RemainderPolicy::kDrop, 7, false), (std::vector<uint32_t>{1, 4, 7}));
}

TEST(Sampler, RanksInterleaveOneSharedPermutation) {
  const size_t n = 1200;
  const int world = 4;
  const auto whole = indices(n, 0, 1, 5, RemainderPolicy::kPad);
  for (int r = 0; r < world; ++r) {
    const auto mine = indices(n, r, world, 5, RemainderPolicy::kPad);
    ASSERT_EQ(mine.size(), n / world);
    for (size_t i = 0; i < mine.size(); ++i) EXPECT_EQ(mine[i], whole[i * world + static_cast<size_t>(r)]);
  }
}

// Invariants over many (n, world, policy) combinations.
TEST(Sampler, PartitionInvariantsOverAwkwardSizes) {
  for (size_t n :
       {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{10}, size_t{64}, size_t{101}}) {
    for (int world = 1; world <= 8; ++world) {
      for (RemainderPolicy policy : {RemainderPolicy::kPad, RemainderPolicy::kDrop}) {
        SCOPED_TRACE(testing::Message() << "n=" << n << " world=" << world
                                        << (policy == RemainderPolicy::kPad ? " pad" : " drop"));
        const size_t w = static_cast<size_t>(world);
        const size_t per_rank = policy == RemainderPolicy::kPad ? (n + w - 1) / w : n / w;
        std::map<uint32_t, int> seen;
        for (int r = 0; r < world; ++r) {
          SamplerOptions o;
          o.rank = r;
          o.world = world;
          o.remainder = policy;
          const DistributedSampler sampler(n, o);
          EXPECT_EQ(sampler.per_rank_size(), per_rank);
          const auto mine = sampler.epoch_indices(2);
          ASSERT_EQ(mine.size(), per_rank);
          for (uint32_t i : mine) {
            ASSERT_LT(i, n);
            ++seen[i];
          }
        }
        if (policy == RemainderPolicy::kDrop) {
          EXPECT_EQ(seen.size(), per_rank * w);  // disjoint
          for (const auto& [i, count] : seen) EXPECT_EQ(count, 1);
        } else {
          EXPECT_EQ(seen.size(), n);  // every row is seen
          size_t total = 0;
          for (const auto& [i, count] : seen) total += static_cast<size_t>(count);
          EXPECT_EQ(total, per_rank * w);
          if (n % w == 0) {
            for (const auto& [i, count] : seen) EXPECT_EQ(count, 1);  // an exact partition
          }
        }
      }
    }
  }
}

TEST(Sampler, FewerRowsThanRanksWrapsAround) {
  for (int r = 0; r < 5; ++r) {
    const auto mine = indices(2, r, 5, 0, RemainderPolicy::kPad, 7, false);
    EXPECT_EQ(mine, (std::vector<uint32_t>{static_cast<uint32_t>(r % 2)}));
    EXPECT_TRUE(indices(2, r, 5, 0, RemainderPolicy::kDrop).empty());
  }
}

TEST(Sampler, RejectsBadRankOrWorld) {
  SamplerOptions o;
  o.world = 0;
  EXPECT_THROW(DistributedSampler(10, o), ConfigError);
  o.world = 2;
  o.rank = 2;
  EXPECT_THROW(DistributedSampler(10, o), ConfigError);
  o.rank = -1;
  EXPECT_THROW(DistributedSampler(10, o), ConfigError);
}

}  // namespace
}  // namespace dpeval::data
