// The mpi backend's driver of the Communicator conformance suite
// (communicator_conformance.h, STYLE.md habit 13), run by ctest as mpirun -np N
// with N = 2, 3, 4: every shared case on the job's ranks, one per process. Every
// rank generates every rank's inputs from (seed, rank), so each computes the
// whole oracle locally. Then the cases only the mpi backend has: the world is
// mpirun's, a Work outlives its communicator, two communicators of one process
// stay apart.
#include "dpeval/comm/mpi_communicator.h"

#include <gtest/gtest.h>
#include <mpi.h>

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

// The mpirun job: this process's rank, on a fresh communicator per run (a
// collective call, so every rank makes it at the same point of the same test).
class MpiWorld final : public ConformanceWorld {
 public:
  int world() const override {
    int size = 0;
    MPI_Comm_size(MPI_COMM_WORLD, &size);  // MPI is up: run_mpi_tests started it
    return size;
  }
  void run(const RankBody& body, std::chrono::milliseconds timeout) const override {
    std::unique_ptr<comm::Communicator> comm = make_mpi_test_communicator(timeout);
    try {
      body(*comm);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "rank " << comm->rank() << ": " << e.what();
    }
  }
  std::string name() const override { return ""; }  // the world is in the ctest name (_np<N>)
};

std::vector<std::shared_ptr<const ConformanceWorld>> mpi_worlds() {
  return {std::make_shared<const MpiWorld>()};
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(mpi_communicator, CommunicatorConformance,
                         ::testing::ValuesIn(conformance_cases(mpi_worlds())), conformance_case_name);
INSTANTIATE_TEST_SUITE_P(mpi_communicator, CommunicatorWorldConformance, ::testing::ValuesIn(mpi_worlds()),
                         conformance_world_name);

}  // namespace dpeval::testing

namespace dpeval::comm {
namespace {

using testing::bitwise_equal;
using testing::input_of;
using testing::make_mpi_test_communicator;
using testing::serial_sum;

class MpiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    comm_ = make_mpi_test_communicator();
    rank_ = comm_->rank();
    world_ = comm_->world();
  }

  std::unique_ptr<Communicator> comm_;
  int rank_ = 0;
  int world_ = 1;
};

TEST_F(MpiTest, RunsAsMpirunsWorld) {
  EXPECT_TRUE(mpi_launched());
  EXPECT_EQ(comm_->backend(), "mpi");
  EXPECT_GE(world_, 2);
  EXPECT_GE(rank_, 0);
  EXPECT_LT(rank_, world_);
}

TEST_F(MpiTest, WrongWorldSizeIsAConfigErrorThatSaysMpirun) {
  CommunicatorOptions options;
  options.world = world_ + 1;
  try {
    make_communicators(Backend::kMpi, options);
    ADD_FAILURE() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("mpirun -np " + std::to_string(world_ + 1)), std::string::npos)
        << e.what();
  }
}

TEST_F(MpiTest, WorkOutlivesItsCommunicator) {
  std::vector<float> data = input_of(41, rank_, 100000);
  Work work = comm_->allreduce_sum(data);
  comm_.reset();
  work.wait();
  EXPECT_TRUE(bitwise_equal(data, serial_sum(41, world_, 100000)));
}

TEST_F(MpiTest, CommunicatorsAreIndependent) {
  // Two communicators of one process: ops interleave without mixing messages.
  std::unique_ptr<Communicator> other = make_mpi_test_communicator();
  std::vector<float> x = input_of(51, rank_, 20000), y = input_of(52, rank_, 20000);
  Work wy = other->allreduce_sum(y);
  Work wx = comm_->allreduce_sum(x);
  wx.wait();
  wy.wait();
  EXPECT_TRUE(bitwise_equal(x, serial_sum(51, world_, 20000)));
  EXPECT_TRUE(bitwise_equal(y, serial_sum(52, world_, 20000)));
}

}  // namespace
}  // namespace dpeval::comm

int main(int argc, char** argv) { return dpeval::testing::run_mpi_tests(argc, argv, {}); }
