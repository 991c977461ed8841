#include "dpeval/data/sampler.h"

#include <limits>
#include <numeric>
#include <string>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/core/rng.h"

namespace dpeval::data {

DistributedSampler::DistributedSampler(size_t dataset_size, SamplerOptions options)
    : size_(dataset_size), options_(options) {
  if (options_.world < 1) {
    throw ConfigError("sampler: world size " + std::to_string(options_.world) + " is invalid; expected >= 1");
  }
  if (options_.rank < 0 || options_.rank >= options_.world) {
    throw ConfigError("sampler: rank " + std::to_string(options_.rank) +
                      " is out of range; expected 0 <= rank < " + std::to_string(options_.world));
  }
  DPEVAL_CHECK(size_ <= std::numeric_limits<uint32_t>::max()) << size_ << " rows";
  const auto world = static_cast<size_t>(options_.world);
  per_rank_ = options_.remainder == RemainderPolicy::kPad ? (size_ + world - 1) / world : size_ / world;
}

std::vector<uint32_t> DistributedSampler::epoch_indices(uint64_t epoch) const {
  std::vector<uint32_t> out;
  if (per_rank_ == 0) return out;
  std::vector<uint32_t> order(size_);
  std::iota(order.begin(), order.end(), 0u);
  if (options_.shuffle) {
    Rng rng = Rng::for_stream(options_.seed, kSamplerRngPurpose, 0, epoch);
    for (size_t i = size_; i > 1; --i) std::swap(order[i - 1], order[rng.uniform_below(i)]);
  }
  const auto world = static_cast<size_t>(options_.world);
  const size_t total = per_rank_ * world;
  out.reserve(per_rank_);
  for (size_t k = static_cast<size_t>(options_.rank); k < total; k += world) out.push_back(order[k % size_]);
  return out;
}

}  // namespace dpeval::data
