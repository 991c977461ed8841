// Failure paths of the "mpi" backend, run by ctest as mpirun -np 2 and -np 3
// (Note [Failures name the rank] in communicator.h): the conformance suite's
// failure cases (CommunicatorFailureConformance in
// ../communicator_conformance.h: a rank that skips an allreduce, a barrier or
// the root of a broadcast is named within the deadline), then the mpi
// backend's own: its wording, ranks that disagree on a size, abort. In each
// test rank 1 misbehaves on a fresh communicator; afterwards every rank meets
// on a second, healthy communicator, so the ranks stay in step; the runner then
// finalizes MPI itself once all agree (the backend skips MPI_Finalize after a
// failure).
#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "comm/communicator_conformance.h"
#include "comm/mpi/mpi_test_runner.h"
#include "dpeval/comm/communicator.h"
#include "dpeval/core/error.h"

namespace dpeval::testing {
namespace {

// The mpirun job, one rank per process: each run gets a fresh communicator
// for the test and a second, healthy one on which every rank, healthy or
// not, meets afterwards, so the ranks stay in step.
class MpiFailureWorld final : public ConformanceWorld {
 public:
  int world() const override {
    int size = 0;
    MPI_Comm_size(MPI_COMM_WORLD, &size);  // MPI is up: run_mpi_tests started it
    return size;
  }
  void run(const RankBody& body, std::chrono::milliseconds timeout) const override {
    std::unique_ptr<comm::Communicator> comm = make_mpi_test_communicator(timeout);
    std::unique_ptr<comm::Communicator> sync = make_mpi_test_communicator();
    try {
      body(*comm);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "rank " << comm->rank() << ": " << e.what();
    }
    comm::CollectiveOptions o;
    o.tag = "resync";
    sync->barrier(o).wait();
  }
  std::string name() const override { return ""; }  // the world is in the ctest name (_np<N>)
};

std::vector<std::shared_ptr<const ConformanceWorld>> mpi_worlds() {
  return {std::make_shared<const MpiFailureWorld>()};
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(mpi_failure, CommunicatorFailureConformance, ::testing::ValuesIn(mpi_worlds()),
                         conformance_world_name);

}  // namespace dpeval::testing

namespace dpeval::comm {
namespace {

using std::chrono::milliseconds;
using testing::make_mpi_test_communicator;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class MpiFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    comm_ = make_mpi_test_communicator();
    sync_ = make_mpi_test_communicator();
    rank_ = comm_->rank();
    world_ = comm_->world();
  }

  // Every rank, healthy or not, meets here before the next test.
  void TearDown() override {
    CollectiveOptions o;
    o.tag = "resync";
    sync_->barrier(o).wait();
  }

  std::unique_ptr<Communicator> comm_, sync_;
  int rank_ = 0;
  int world_ = 1;
};

// The mpi backend's wording, for a small allreduce: which way the message did
// not travel, and the communicator naming the earlier failure when used again.
TEST_F(MpiFailureTest, TimeoutSaysNoMessageAndLaterUseSaysWhy) {
  if (rank_ == 1) return;
  std::vector<float> data(5, 1.0f);
  CollectiveOptions o;
  o.timeout = milliseconds(300);
  o.tag = "skipped by rank 1";
  try {
    comm_->allreduce_sum(data, o).wait();
    ADD_FAILURE() << "expected TimeoutError";
  } catch (const TimeoutError& e) {
    EXPECT_TRUE(
        contains(e.what(), "mpi: allreduce 'skipped by rank 1' (#0): no message from rank 1 within 0.3 s"))
        << e.what();
  }
  std::vector<float> more(3, 1.0f);
  try {
    comm_->allreduce_sum(more).wait();
    ADD_FAILURE() << "expected CommError";
  } catch (const CommError& e) {
    EXPECT_TRUE(contains(e.what(), "unusable after an earlier failure")) << e.what();
    EXPECT_TRUE(contains(e.what(), "rank 1")) << e.what();
  }
}

TEST_F(MpiFailureTest, MismatchedSizesAreACommErrorNamingAPeer) {
  // Rank r reduces 10 * (r + 1) elements: every rank hears a wrong size.
  std::vector<float> data(10 * static_cast<size_t>(rank_ + 1), 1.0f);
  try {
    comm_->allreduce_sum(data).wait();
    ADD_FAILURE() << "expected CommError";
  } catch (const TimeoutError& e) {
    ADD_FAILURE() << "a size mismatch should not wait for the deadline: " << e.what();
  } catch (const CommError& e) {
    EXPECT_TRUE(contains(e.what(), "ranks disagree on the size")) << e.what();
    if (world_ == 2) {
      EXPECT_TRUE(contains(e.what(), "rank " + std::to_string(1 - rank_))) << e.what();
    }
  }
}

TEST_F(MpiFailureTest, AbortFailsLaterWaitsWithTheReason) {
  std::vector<float> data(4, 1.0f);
  Work pending = comm_->allreduce_sum(data);
  comm_->abort("drill: injected fault");
  comm_->abort("a second abort changes nothing");
  EXPECT_THROW(pending.wait(), CommError);
  try {
    comm_->barrier();
    ADD_FAILURE() << "expected CommError";
  } catch (const CommError& e) {
    EXPECT_TRUE(contains(e.what(), "this rank aborted: drill: injected fault")) << e.what();
  }
}

}  // namespace
}  // namespace dpeval::comm

int main(int argc, char** argv) {
  dpeval::testing::MpiTestRunOptions options;
  options.finalize_after_agreement = true;
  return dpeval::testing::run_mpi_tests(argc, argv, options);
}
