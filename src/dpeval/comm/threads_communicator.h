// The "threads" backend: every rank is a thread of this process and the group
// shares memory. See Note [Rank-order sums] in communicator.h for what it
// computes; threads_communicator.cc explains how ranks meet without locks on
// the data path.
#pragma once

#include <memory>
#include <vector>

#include "dpeval/comm/communicator.h"

namespace dpeval::comm {

// options.world communicators of one new group, rank r at index r. Throws
// ConfigError unless 1 <= options.world <= 1024.
std::vector<std::unique_ptr<Communicator>> make_threads_communicators(const CommunicatorOptions& options);

// CPUs this process may run on (its affinity mask; at least 1).
int usable_cpus();

// Note [Pinning rank threads]
// Rank r's thread runs on CPU rank_cpus(world)[r]: the r-th CPU of the
// process's affinity mask, when the group fits (world <= usable_cpus(); else
// the list is empty and the scheduler places the threads). Left to the
// scheduler, two rank threads on two cores sometimes share one core for
// seconds: they wait on each other in turn, so a step takes twice its compute
// and a 4 KiB allreduce a context switch (7-10 us) or a whole time slice
// instead of a cache line's trip between cores (about 1 us on this project's
// VM). One thread per core is also what mpirun does for a small job
// (--bind-to core). Only CPUs in the mask are used: `taskset -c 2,3 dpeval
// train ...` places a job on CPUs 2 and 3, which keeps two jobs on one machine
// off each other's cores. Call rank_cpus on the launching thread, before any
// rank thread pins itself, and pin_this_thread first thing on each rank thread.
std::vector<int> rank_cpus(int world);
// Binds the calling thread to `cpu`; false if the system refused.
bool pin_this_thread(int cpu);

}  // namespace dpeval::comm
