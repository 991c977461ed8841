// Failure paths of the "mpi" backend, run by ctest as mpirun -np 2 and -np 3
// (Note [Failures name the rank] in communicator.h). In each test rank 1
// misbehaves on a fresh communicator: the others' waits must throw within
// their deadline, naming rank 1 and only rank 1, and leave nothing that could
// hang. Afterwards every rank meets on a second, healthy communicator, so the
// ranks stay in step; the runner then finalizes MPI itself once all agree (the
// backend skips MPI_Finalize after a failure).
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dpeval/core/error.h"
#include "dpeval/parallel/communicator.h"
#include "parallel/mpi/mpi_test_runner.h"

namespace dpeval::parallel {
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

  // Rank 1 skips the collective that `start` issues; every other rank issues
  // it and must time out within 300 ms naming rank 1 alone.
  template <typename Start>
  void expect_timeout_naming_rank_1(const std::string& what, Start start) {
    if (rank_ == 1) return;
    CollectiveOptions o;
    o.timeout = milliseconds(300);
    o.tag = "skipped by rank 1";
    Work work = start(o);
    const auto begin = std::chrono::steady_clock::now();
    try {
      work.wait();
      ADD_FAILURE() << "expected TimeoutError";
    } catch (const TimeoutError& e) {
      const std::string message = e.what();
      if (rank_ == 0) std::printf("rank 0 got: %s\n", message.c_str());
      EXPECT_TRUE(contains(message, "mpi: " + what + " 'skipped by rank 1' (#0)")) << message;
      EXPECT_TRUE(contains(message, "no message from rank 1 within 0.3 s")) << message;
      for (int r = 0; r < world_; ++r) {
        if (r != 1) {
          EXPECT_FALSE(contains(message, "rank " + std::to_string(r))) << message;
        }
      }
    }
    const auto waited = std::chrono::steady_clock::now() - begin;
    EXPECT_GE(waited, milliseconds(300));
    EXPECT_LT(waited, milliseconds(5000));

    // The communicator is unusable afterwards, and says why.
    std::vector<float> more(3, 1.0f);
    try {
      comm_->allreduce_sum(more).wait();
      ADD_FAILURE() << "expected CommError";
    } catch (const CommError& e) {
      EXPECT_TRUE(contains(e.what(), "unusable after an earlier failure")) << e.what();
      EXPECT_TRUE(contains(e.what(), "rank 1")) << e.what();
    }
  }

  std::unique_ptr<Communicator> comm_, sync_;
  int rank_ = 0;
  int world_ = 1;
};

TEST_F(MpiFailureTest, AllreduceTimeoutNamesTheRankThatSkipped) {
  std::vector<float> data(5, 1.0f);
  expect_timeout_naming_rank_1("allreduce",
                               [&](const CollectiveOptions& o) { return comm_->allreduce_sum(data, o); });
}

TEST_F(MpiFailureTest, TwoPhaseAllreduceTimeoutNamesTheRankThatSkipped) {
  std::vector<float> data(100000, 1.0f);  // over the single-phase limit
  expect_timeout_naming_rank_1("allreduce",
                               [&](const CollectiveOptions& o) { return comm_->allreduce_sum(data, o); });
}

TEST_F(MpiFailureTest, BarrierTimeoutNamesTheRankThatSkipped) {
  expect_timeout_naming_rank_1("barrier", [&](const CollectiveOptions& o) { return comm_->barrier(o); });
}

TEST_F(MpiFailureTest, BroadcastFromAMissingRootNamesIt) {
  std::vector<float> data(10, 0.0f);
  expect_timeout_naming_rank_1("broadcast",
                               [&](const CollectiveOptions& o) { return comm_->broadcast(data, 1, o); });
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
}  // namespace dpeval::parallel

int main(int argc, char** argv) {
  dpeval::testing::MpiTestRunOptions options;
  options.finalize_after_agreement = true;
  return dpeval::testing::run_mpi_tests(argc, argv, options);
}
