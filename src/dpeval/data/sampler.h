// DistributedSampler: which rows each data-parallel rank trains on, epoch by epoch.
//
// Every epoch has one seeded permutation of [0, N), the same on every rank (a
// Fisher-Yates shuffle driven by Rng::for_stream(seed, kSamplerRngPurpose, 0, epoch),
// so ranks agree without talking). The permutation is dealt out like cards, as
// torch.utils.data.DistributedSampler does: rank r takes positions r, r + W,
// r + 2W, ... With RemainderPolicy::kPad (torch's drop_last=False) the permutation
// is first extended by wrapping around to ceil(N / W) * W entries, so every rank
// sees ceil(N / W) rows and a few rows are seen twice; with kDrop it is cut to
// floor(N / W) * W entries and the last N mod W rows of the permutation are skipped.
// Thread safety: all members are const; safe to share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dpeval/core/enum_text.h"

namespace dpeval::data {

enum class RemainderPolicy { kPad, kDrop };
inline constexpr EnumText<RemainderPolicy> kRemainderPolicyTexts[] = {{RemainderPolicy::kPad, "pad"},
                                                                      {RemainderPolicy::kDrop, "drop"}};
constexpr const auto& enum_texts(RemainderPolicy) { return kRemainderPolicyTexts; }

struct SamplerOptions {
  uint64_t seed = 0;
  int rank = 0;         // 0 <= rank < world
  int world = 1;        // number of data-parallel ranks, >= 1
  bool shuffle = true;  // false: the identity permutation (evaluation order)
  RemainderPolicy remainder = RemainderPolicy::kPad;
};

// Rng purpose of the sampler's shuffle ("sampler").
inline constexpr uint64_t kSamplerRngPurpose = 0x73616d706c6572;

class DistributedSampler {
 public:
  // Throws ConfigError unless world >= 1 and 0 <= rank < world.
  // Precondition (DPEVAL_CHECK): dataset_size < 2^32 (indices are uint32).
  DistributedSampler(size_t dataset_size, SamplerOptions options);

  // Rows this rank sees per epoch: ceil(N / W) for kPad, floor(N / W) for kDrop;
  // 0 when N == 0. The same on every rank.
  size_t per_rank_size() const { return per_rank_; }
  size_t dataset_size() const { return size_; }
  const SamplerOptions& options() const { return options_; }

  // This rank's per_rank_size() row indices for `epoch`, in the order to train on
  // them. A pure function of (dataset size, options, epoch): O(N) time and memory.
  std::vector<uint32_t> epoch_indices(uint64_t epoch) const;

 private:
  size_t size_;
  SamplerOptions options_;
  size_t per_rank_;
};

}  // namespace dpeval::data
