// Launch checks and the output-directory lock; see launch.h.
#include "dpeval/comm/launch.h"

#include <cstdlib>
#include <string>

#include "dpeval/core/error.h"

namespace dpeval::comm {
namespace {

// The first of `names` set to a non-negative integer, or -1.
int env_int(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') continue;
    char* end = nullptr;
    const long x = std::strtol(v, &end, 10);
    if (*end == '\0' && x >= 0 && x <= 1 << 24) return static_cast<int>(x);
  }
  return -1;
}

}  // namespace

LaunchInfo launch_from_environment() {
  LaunchInfo info;
  const int world = env_int({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"});
  const int rank = env_int({"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"});
  if (world > 0) info.world = world;
  if (rank >= 0) info.rank = rank;
  return info;
}

void check_launch(Backend backend) {
  const LaunchInfo info = launch_from_environment();
  if (backend == Backend::kThreads && info.world > 1) {
    throw UsageError(
        "this process is rank " + std::to_string(info.rank) + " of " + std::to_string(info.world) +
        " started by mpirun, but --backend is threads: each rank would run its own training into "
        "the same directory; add --backend mpi (or run without mpirun)");
  }
}

std::unique_ptr<DirLock> lock_run_dir(const std::filesystem::path& out_dir, Backend backend) {
  if (backend == Backend::kMpi && launch_from_environment().rank != 0) return nullptr;
  return std::make_unique<DirLock>(out_dir);
}

}  // namespace dpeval::comm
