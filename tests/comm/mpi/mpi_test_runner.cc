// See mpi_test_runner.h.
#include "comm/mpi/mpi_test_runner.h"

#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "dpeval/comm/mpi_communicator.h"

namespace dpeval::testing {
namespace {

// On ranks other than 0: prints failed assertions only, naming the rank.
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}

  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: Failure\n%s\n", rank_,
                 result.file_name() ? result.file_name() : "?", result.line_number(), result.message());
  }
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (info.result()->Failed()) {
      std::fprintf(stderr, "[rank %d] [  FAILED  ] %s.%s\n", rank_, info.test_suite_name(), info.name());
    }
  }

 private:
  int rank_;
};

}  // namespace

std::unique_ptr<comm::Communicator> make_mpi_test_communicator(std::chrono::milliseconds timeout) {
  comm::CommunicatorOptions options;
  options.world = 0;
  options.timeout = timeout;
  return std::move(comm::make_communicators(comm::Backend::kMpi, options).at(0));
}

int run_mpi_tests(int argc, char** argv, const MpiTestRunOptions& options) {
  ::testing::InitGoogleTest(&argc, argv);
  int expected_world = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--world=", 8) == 0) expected_world = std::atoi(argv[i] + 8);
  }
  if (expected_world < 1 || !comm::mpi_launched()) {
    std::fprintf(stderr, "mpi test: FAILED: run me as mpirun -np N %s --world=N\n", argv[0]);
    return 1;
  }

  std::unique_ptr<comm::Communicator> verdict;
  try {
    comm::CommunicatorOptions comm_options;
    comm_options.world = expected_world;
    comm_options.timeout = std::chrono::seconds(60);
    verdict = std::move(comm::make_communicators(comm::Backend::kMpi, comm_options).at(0));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpi test: FAILED: MPI could not start: %s\n", e.what());
    return 1;
  }
  const int rank = verdict->rank(), world = verdict->world();
  if (rank != 0) {
    ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
    std::unique_ptr<::testing::TestEventListener> printer(
        listeners.Release(listeners.default_result_printer()));
    listeners.Append(std::make_unique<RankFailurePrinter>(rank).release());  // gtest owns it
  }

  const int run_rc = RUN_ALL_TESTS();
  const ::testing::UnitTest& unit = *::testing::UnitTest::GetInstance();
  const float failed = run_rc != 0 ? static_cast<float>(std::max(unit.failed_test_count(), 1)) : 0.0f;

  std::vector<float> failures(static_cast<size_t>(world), 0.0f);
  failures[static_cast<size_t>(rank)] = failed;
  try {
    comm::CollectiveOptions o;
    o.tag = "test verdict";
    verdict->allgather(failures, o).wait();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "[rank %d] mpi test: FAILED: could not collect the verdict: %s\n", rank, e.what());
    return 1;
  }
  bool all_passed = true;
  for (int r = 0; r < world; ++r) {
    const float f = failures[static_cast<size_t>(r)];
    if (f == 0.0f) continue;
    all_passed = false;
    if (rank == 0) std::fprintf(stderr, "mpi test: rank %d: %d test(s) FAILED\n", r, static_cast<int>(f));
  }
  if (rank == 0 && all_passed) std::printf("mpi test: all %d ranks passed\n", world);
  std::fflush(stdout);
  std::fflush(stderr);
  if (!all_passed) return 1;
  if (options.finalize_after_agreement) {
    verdict.reset();
    MPI_Finalize();
  }
  return 0;
}

}  // namespace dpeval::testing
