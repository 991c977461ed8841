// The "threads" backend: every rank is a thread of this process and the group
// shares memory. See Note [Rank-order sums] in communicator.h for what it
// computes; threads_communicator.cc explains how ranks meet without locks on
// the data path.
#pragma once

#include <memory>
#include <vector>

#include "dpeval/parallel/communicator.h"

namespace dpeval::parallel {

// options.world communicators of one new group, rank r at index r. Throws
// ConfigError unless 1 <= options.world <= 1024.
std::vector<std::unique_ptr<Communicator>> make_threads_communicators(const CommunicatorOptions& options);

}  // namespace dpeval::parallel
