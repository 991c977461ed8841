// The "mpi" backend: one process per rank, started by mpirun (OpenMPI), within
// one host or across hosts. See Note [Rank-order sums] in communicator.h for
// what it computes; mpi_communicator.cc explains the message pattern.
#pragma once

#include <memory>
#include <vector>

#include "dpeval/comm/communicator.h"

namespace dpeval::comm {

// This process's communicator over MPI_COMM_WORLD (one element). Initialises MPI
// on first use (MPI_Init_thread, MPI_THREAD_FUNNELED: only the calling thread
// talks MPI) and finalises it at process exit unless mpi_abort_job() ran.
// Throws ConfigError when options.world is neither 0 nor the world size mpirun
// started, CommError when MPI cannot start.
std::vector<std::unique_ptr<Communicator>> make_mpi_communicators(const CommunicatorOptions& options);

// True when this process was started by mpirun (its environment says so);
// false for a plain `dpeval train --backend mpi`, which then runs as world 1.
bool mpi_launched();

// Ends the whole MPI job after a failure on this rank, so that no other rank
// is left waiting: MPI_Abort(MPI_COMM_WORLD, exit_code). Returns at once when
// MPI was never initialised. Only cli/ calls it, after printing the error.
void mpi_abort_job(int exit_code);

}  // namespace dpeval::comm
