// Runs a GoogleTest binary on every rank of an mpirun job, so that the mpi
// backend's suites count every rank: each rank runs the same tests in the same
// order (they issue the same collectives), then the ranks exchange how many
// tests failed on each, rank 0 prints the verdict, and every rank exits non-zero
// when any rank failed, so mpirun does too. Ranks other than 0 print only their
// failures, prefixed with "[rank r]". The suite FAILS (never skips) when MPI
// cannot start or mpirun started a different number of ranks than --world=N.
#pragma once

#include <chrono>
#include <memory>

#include "dpeval/comm/communicator.h"

namespace dpeval::testing {

struct MpiTestRunOptions {
  // Finalize MPI explicitly once all ranks agree every test passed. For suites
  // that fail communicators on purpose: the backend then skips MPI_Finalize at
  // exit (Note [MPI process state] in mpi_communicator.cc), and mpirun counts a
  // process that exits without it as failed.
  bool finalize_after_agreement = false;
};

// main() of an mpi test binary. Arguments: GoogleTest's, plus --world=N (the
// number of ranks mpirun must have started).
int run_mpi_tests(int argc, char** argv, const MpiTestRunOptions& options);

// A fresh communicator over the whole job (a collective call: every rank must
// make it at the same point), with a deadline short enough that a broken test
// fails well within ctest's TIMEOUT.
std::unique_ptr<comm::Communicator> make_mpi_test_communicator(
    std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace dpeval::testing
