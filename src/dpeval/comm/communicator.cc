// Shard layout, Work, and the by-name factory of communicators.
#include "dpeval/comm/communicator.h"

#include "dpeval/comm/mpi_communicator.h"
#include "dpeval/comm/threads_communicator.h"
#include "dpeval/core/check.h"
#include "dpeval/core/error.h"

namespace dpeval::comm {

Shard shard_of(size_t n, int rank, int world) {
  DPEVAL_CHECK(world >= 1 && rank >= 0 && rank < world) << "shard_of: rank " << rank << " of world " << world;
  const size_t w = static_cast<size_t>(world), r = static_cast<size_t>(rank);
  const size_t base = n / w, extra = n % w;
  Shard shard;
  shard.size = base + (r < extra ? 1 : 0);
  shard.offset = r * base + std::min(r, extra);
  return shard;
}

namespace {

// Start of rank r's line-aligned slice; line_boundary(n, world, world) == n.
size_t line_boundary(size_t n, size_t r, size_t world) {
  if (r >= world) return n;
  return n * r / world / kShardAlign * kShardAlign;  // n * r: parameter counts are far below 2^64 / world
}

}  // namespace

Shard line_shard_of(size_t n, int rank, int world) {
  DPEVAL_CHECK(world >= 1 && rank >= 0 && rank < world)
      << "line_shard_of: rank " << rank << " of world " << world;
  const size_t w = static_cast<size_t>(world), r = static_cast<size_t>(rank);
  const size_t begin = line_boundary(n, r, w);
  return Shard{begin, line_boundary(n, r + 1, w) - begin};
}

std::vector<size_t> line_shard_counts(size_t n, int world) {
  std::vector<size_t> counts(static_cast<size_t>(world));
  for (int r = 0; r < world; ++r) counts[static_cast<size_t>(r)] = line_shard_of(n, r, world).size;
  return counts;
}

std::vector<size_t> shard_counts(size_t n, int world) {
  std::vector<size_t> counts(static_cast<size_t>(world));
  for (int r = 0; r < world; ++r) counts[static_cast<size_t>(r)] = shard_of(n, r, world).size;
  return counts;
}

void Work::wait() {
  if (state_) state_->wait();
}

bool Work::is_completed() { return !state_ || state_->test(); }

Work Communicator::reduce_scatter_sum(std::span<float> data, const CollectiveOptions& options) {
  const std::vector<size_t> counts = shard_counts(data.size(), world());
  return reduce_scatter_sum(data, counts, options);
}

Work Communicator::allgather(std::span<float> data, const CollectiveOptions& options) {
  const std::vector<size_t> counts = shard_counts(data.size(), world());
  return allgather(data, counts, options);
}

std::vector<std::unique_ptr<Communicator>> make_communicators(Backend backend,
                                                              const CommunicatorOptions& options) {
  if (options.timeout.count() <= 0) {
    throw ConfigError("comm timeout: expected a positive number of seconds, got " +
                      std::to_string(options.timeout.count() / 1000.0));
  }
  switch (backend) {
    case Backend::kThreads:
      return make_threads_communicators(options);
    case Backend::kMpi:
      return make_mpi_communicators(options);
  }
  DPEVAL_CHECK(false) << "backend " << static_cast<int>(backend);
  return {};
}

}  // namespace dpeval::comm
