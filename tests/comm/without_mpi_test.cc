// A build without MPI (Note [MPI is optional]): the threads backend works and
// the mpi backend is refused with a message that says what is missing.
#include <gtest/gtest.h>

#include <string>

#include "dpeval/comm/communicator.h"
#include "dpeval/core/error.h"

namespace dpeval::comm {
namespace {

TEST(WithoutMpi, ThreadsWorkAndMpiIsRefusedNamingWhatIsMissing) {
  CommunicatorOptions two;
  two.world = 2;
  EXPECT_EQ(make_communicators(Backend::kThreads, two).size(), 2u);
  CommunicatorOptions any;
  any.world = 0;
  try {
    make_communicators(Backend::kMpi, any);
    FAIL() << "an mpi communicator without MPI";
  } catch (const NotSupported& e) {
    EXPECT_NE(std::string(e.what()).find("built without MPI"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--backend threads"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dpeval::comm
