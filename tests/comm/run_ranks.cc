// See run_ranks.h.
#include "comm/run_ranks.h"

#include <gtest/gtest.h>

#include <exception>
#include <memory>
#include <thread>
#include <vector>

namespace dpeval::testing {

void run_ranks(int world, const RankBody& body, std::chrono::milliseconds timeout) {
  comm::CommunicatorOptions options;
  options.world = world;
  options.timeout = timeout;
  std::vector<std::unique_ptr<comm::Communicator>> comms =
      comm::make_communicators(comm::Backend::kThreads, options);
  std::vector<std::thread> threads;
  threads.reserve(comms.size());
  for (size_t r = 0; r < comms.size(); ++r) {
    threads.emplace_back([&, r] {
      try {
        body(*comms[r]);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "rank " << r << ": " << e.what();
      }
    });
  }
  for (std::thread& t : threads) t.join();
}

}  // namespace dpeval::testing
