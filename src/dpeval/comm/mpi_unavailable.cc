// The mpi backend of a build without MPI (Note [MPI is optional] in
// src/dpeval/comm/CMakeLists.txt): the threads backend trains as ever; asking
// for mpi says what is missing.
#include <cstdlib>

#include "dpeval/comm/mpi_communicator.h"
#include "dpeval/core/error.h"

namespace dpeval::comm {

std::vector<std::unique_ptr<Communicator>> make_mpi_communicators(const CommunicatorOptions&) {
  throw NotSupported(
      "mpi: this dpeval was built without MPI (OpenMPI was not found when it was configured); use --backend "
      "threads, or install OpenMPI (Debian: libopenmpi-dev openmpi-bin) and build again");
}

bool mpi_launched() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr;
}

void mpi_abort_job(int) {}

}  // namespace dpeval::comm
