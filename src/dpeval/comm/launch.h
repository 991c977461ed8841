// How a training run was launched, checked before it starts: which MPI rank
// this process is (from mpirun's environment, before MPI is initialized) and
// whether the backend fits the launch; and the lock rank 0 holds on the run's
// output directory for the whole command.
//
// Note [One run per directory]
// Two runs writing into one --out directory at once both succeed and leave
// one run's summary beside the other's checkpoint. So the process hosting
// rank 0 locks the directory (core/dir_lock.h) before it loads any data and
// holds the lock until the command has written its last file; a second run
// fails at once naming the directory and the holder's pid. Under mpirun only
// rank 0 writes, so only rank 0 locks. A plain `mpirun -np 2 dpeval train`
// (threads backend) would start two independent trainings into one directory:
// check_launch refuses it.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "dpeval/comm/communicator.h"
#include "dpeval/core/dir_lock.h"

namespace dpeval::comm {

// The world size and rank mpirun (OpenMPI, MPICH/PMI, PMIx) put in the
// environment; {1, 0} when the process was not started by a launcher.
struct LaunchInfo {
  int world = 1;
  int rank = 0;
};
LaunchInfo launch_from_environment();

// Throws UsageError when `backend` is kThreads but the process is one of
// several started by mpirun: each would train on its own into the same
// directory (hint: add --backend mpi).
void check_launch(Backend backend);

// Locks `out_dir` for this run (creating it) when this process hosts rank 0:
// always for kThreads, rank 0 only for kMpi. nullptr on other ranks.
// Throws as DirLock. See Note [One run per directory].
std::unique_ptr<DirLock> lock_run_dir(const std::filesystem::path& out_dir, Backend backend);

}  // namespace dpeval::comm
