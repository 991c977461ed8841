// The threads backend's driver of the Communicator conformance suite
// (communicator_conformance.h, STYLE.md habit 13): every shared case at world
// sizes 1, 2, 3, 4, 5, 7, 8, each world a group of threads in this process
// (run_ranks). Then the cases only the threads backend has: ranks passing one
// shared buffer, line-aligned shards, timeouts and aborts that name the rank, a
// rank arriving after its peers gave up, ranks that disagree on the operation,
// argument checks, and rank threads pinned to CPUs.
#include "dpeval/comm/threads_communicator.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "comm/communicator_conformance.h"
#include "comm/run_ranks.h"
#include "dpeval/comm/communicator.h"
#include "dpeval/core/error.h"

namespace dpeval::testing {
namespace {

std::vector<std::shared_ptr<const ConformanceWorld>> threads_worlds() {
  std::vector<std::shared_ptr<const ConformanceWorld>> worlds;
  for (int world : {1, 2, 3, 4, 5, 7, 8}) worlds.push_back(threads_world(world));
  return worlds;
}

// The failure cases need a rank 1.
std::vector<std::shared_ptr<const ConformanceWorld>> threads_failure_worlds() {
  std::vector<std::shared_ptr<const ConformanceWorld>> worlds = threads_worlds();
  worlds.erase(worlds.begin());
  return worlds;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(threads_communicator, CommunicatorConformance,
                         ::testing::ValuesIn(conformance_cases(threads_worlds())), conformance_case_name);
INSTANTIATE_TEST_SUITE_P(threads_communicator, CommunicatorWorldConformance,
                         ::testing::ValuesIn(threads_worlds()), conformance_world_name);
INSTANTIATE_TEST_SUITE_P(threads_communicator, CommunicatorFailureConformance,
                         ::testing::ValuesIn(threads_failure_worlds()), conformance_world_name);

}  // namespace dpeval::testing

namespace dpeval::comm {
namespace {

using testing::ConformanceCase;
using testing::run_ranks;

class ThreadsCommunicatorCase : public ::testing::TestWithParam<ConformanceCase> {};

// Note [One buffer for all ranks]: ranks passing the same buffer, each having
// written only its own slice, all see every slice once the all-gather is done.
TEST_P(ThreadsCommunicatorCase, AllgatherAndBroadcastOverOneSharedBuffer) {
  const int world = GetParam().ranks->world();
  const size_t n = GetParam().n;
  const std::vector<float> expected =
      testing::gathered(shard_counts(n, world), n, [&](int r) { return testing::input_of(13, r, n); });
  std::vector<float> shared(n, -1.0f);
  GetParam().ranks->run([&](Communicator& comm) {
    const std::vector<float> x = testing::input_of(13, comm.rank(), n);
    for (int round = 0; round < 3; ++round) {
      const Shard s = shard_of(n, comm.rank(), world);
      std::copy_n(x.begin() + static_cast<std::ptrdiff_t>(s.offset), s.size,
                  shared.begin() + static_cast<std::ptrdiff_t>(s.offset));
      comm.allgather(shared).wait();
      EXPECT_TRUE(testing::bitwise_equal(shared, expected))
          << "allgather, rank " << comm.rank() << ", round " << round;
      comm.broadcast(shared, world - 1).wait();
      EXPECT_TRUE(testing::bitwise_equal(shared, expected)) << "broadcast, rank " << comm.rank();
      comm.barrier().wait();  // nobody writes the next round's slice while a peer still reads
    }
  });
}

INSTANTIATE_TEST_SUITE_P(threads_communicator, ThreadsCommunicatorCase,
                         ::testing::ValuesIn(testing::conformance_cases(testing::threads_worlds())),
                         testing::conformance_case_name);

// Note [Shards on cache lines]: the layout of ZeRO-1 and split-update shards.
TEST(LineShards, TileTheBufferInRankOrderWithBoundariesOnLines) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{1000}, size_t{535818},
                   size_t{1000003}}) {
    for (int world = 1; world <= 8; ++world) {
      const std::vector<size_t> counts = line_shard_counts(n, world);
      ASSERT_EQ(counts.size(), static_cast<size_t>(world));
      size_t next = 0, smallest = n, largest = 0;
      for (int r = 0; r < world; ++r) {
        const Shard s = line_shard_of(n, r, world);
        EXPECT_EQ(s.offset, next) << "n " << n << " world " << world << " rank " << r;
        EXPECT_EQ(s.offset % kShardAlign, 0u) << "n " << n << " world " << world << " rank " << r;
        EXPECT_EQ(s.size, counts[static_cast<size_t>(r)]);
        next = s.offset + s.size;
        smallest = std::min(smallest, s.size);
        largest = std::max(largest, s.size);
      }
      EXPECT_EQ(next, n) << "n " << n << " world " << world;
      EXPECT_LT(largest - smallest, 2 * kShardAlign) << "n " << n << " world " << world;
    }
  }
  // The MLP preset's 535,818 parameters on two workers: shard_of would split
  // at 267,909, off a 16-element boundary.
  EXPECT_EQ(line_shard_of(535818, 1, 2).offset, 267904u);
}

TEST(ThreadsCommunicator, TimeoutNamesTheMissingRanksAndBreaksTheCommunicator) {
  struct Scenario {
    int world;
    int first_absent;   // this rank and the later ones never take part
    const char* named;  // what the others' errors must say
  };
  for (const Scenario& scenario : {Scenario{3, 2, "rank 2 did not take part within 0.2 s"},
                                   Scenario{4, 2, "ranks 2, 3 did not take part within 0.2 s"}}) {
    std::vector<std::string> errors(static_cast<size_t>(scenario.world)), later(errors.size());
    std::latch started(scenario.first_absent);  // the present ranks start together
    run_ranks(scenario.world, [&](Communicator& comm) {
      const size_t me = static_cast<size_t>(comm.rank());
      if (comm.rank() >= scenario.first_absent) return;
      std::vector<float> x(1000, 1.0f);
      started.arrive_and_wait();
      try {
        comm.allreduce_sum(x, {.timeout = std::chrono::milliseconds(200), .tag = "bucket 0"}).wait();
      } catch (const TimeoutError& e) {
        errors[me] = e.what();
      }
      try {
        comm.barrier().wait();
      } catch (const CommError& e) {
        later[me] = e.what();
      }
    });
    for (int r = 0; r < scenario.first_absent; ++r) {
      const std::string& error = errors[static_cast<size_t>(r)];
      EXPECT_NE(error.find("threads: allreduce 'bucket 0' (#0): "), std::string::npos) << error;
      EXPECT_NE(error.find(scenario.named), std::string::npos) << error;
      EXPECT_NE(later[static_cast<size_t>(r)].find("no longer communicate"), std::string::npos)
          << later[static_cast<size_t>(r)];
    }
  }
}

// A rank arriving after its peers gave up must fail, not read their (freed)
// buffers: ASan builds would catch the read.
TEST(ThreadsCommunicator, RankArrivingAfterPeersTimedOutFailsWithoutReading) {
  for (size_t n : {size_t{1000}, size_t{50000}}) {  // the one-handshake path and the three-phase one
    std::string late;
    run_ranks(3, [&](Communicator& comm) {
      if (comm.rank() == 2) {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        std::vector<float> x(n, 1.0f);
        try {
          comm.allreduce_sum(x).wait();
        } catch (const CommError& e) {
          late = e.what();
        }
        return;
      }
      std::vector<float> x(n, 1.0f);
      EXPECT_THROW(comm.allreduce_sum(x, {.timeout = std::chrono::milliseconds(50), .tag = {}}).wait(),
                   TimeoutError);
    });
    EXPECT_NE(late.find("gave up on allreduce (#0) waiting for rank 2"), std::string::npos) << late;
  }
}

TEST(ThreadsCommunicator, AbortFailsPeersAtOnceNamingTheRank) {
  const int world = 3;
  std::vector<std::string> errors(world);
  std::string own;
  std::vector<std::chrono::steady_clock::duration> took(world);
  run_ranks(world, [&](Communicator& comm) {
    const size_t me = static_cast<size_t>(comm.rank());
    if (comm.rank() == 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // peers are waiting by now
      comm.abort("boom");
      comm.abort("again");  // idempotent: the first reason stands
      try {
        comm.barrier();
      } catch (const CommError& e) {
        own = e.what();
      }
      return;
    }
    std::vector<float> x(10, 1.0f), y(100000, 1.0f);
    const auto start = std::chrono::steady_clock::now();
    try {
      Work small = comm.allreduce_sum(x);
      Work large = comm.allreduce_sum(y);
      large.wait();
    } catch (const CommError& e) {
      errors[me] = e.what();
    }
    took[me] = std::chrono::steady_clock::now() - start;
  });
  for (int r : {0, 2}) {
    const std::string& error = errors[static_cast<size_t>(r)];
    EXPECT_EQ(error, "threads: rank 1 failed: boom");
    // The default timeout is 60 s: failing well before it shows the abort was seen.
    EXPECT_LT(took[static_cast<size_t>(r)], std::chrono::seconds(5));
  }
  EXPECT_NE(own.find("rank 1 can no longer communicate"), std::string::npos) << own;
}

TEST(ThreadsCommunicator, RanksThatDisagreeOnTheOperationAllFail) {
  const int world = 3;
  std::vector<std::string> errors(world);
  run_ranks(world, [&](Communicator& comm) {
    const size_t me = static_cast<size_t>(comm.rank());
    std::vector<float> x(comm.rank() == 2 ? 50001 : 50000, 1.0f);
    try {
      comm.allreduce_sum(x).wait();
    } catch (const InternalError& e) {
      errors[me] = e.what();
    }
  });
  EXPECT_NE(
      errors[0].find("rank 0 started a allreduce of 50000 elements, rank 2 started a allreduce of 50001"),
      std::string::npos)
      << errors[0];
  EXPECT_NE(errors[1].find("(ranks differing from rank 1: 2)"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("(ranks differing from rank 2: 0, 1)"), std::string::npos) << errors[2];
}

TEST(ThreadsCommunicator, BadCountsAreInternalErrors) {
  CommunicatorOptions options;
  options.world = 2;
  auto comms = make_communicators(Backend::kThreads, options);
  std::vector<float> x(10);
  const std::vector<size_t> three = {5, 5, 0}, short_sum = {5, 4};
  EXPECT_THROW(comms[0]->reduce_scatter_sum(x, three), InternalError);
  EXPECT_THROW(comms[0]->allgather(x, short_sum), InternalError);
  EXPECT_THROW(comms[0]->broadcast(x, 2), InternalError);
}

TEST(ThreadsCommunicator, BadWorldIsConfigErrorAndUnknownBackendToo) {
  CommunicatorOptions options;
  for (int world : {0, -1, 1025}) {
    options.world = world;
    EXPECT_THROW(make_communicators(Backend::kThreads, options), ConfigError) << world;
  }
  options.world = 1024;
  EXPECT_EQ(make_communicators(Backend::kThreads, options).size(), 1024u);
  options.world = 2;
}

// Note [Pinning rank threads]: a group that fits gets one distinct CPU of the
// affinity mask per rank, and a pinned thread runs only there; one that does
// not fit (or a single rank) is left to the scheduler.
TEST(ThreadsCommunicator, RankThreadsGetDistinctCpusOfTheMaskWhenTheGroupFits) {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  ASSERT_EQ(sched_getaffinity(0, sizeof(mask), &mask), 0);
  const int cpus = usable_cpus();
  ASSERT_EQ(cpus, CPU_COUNT(&mask));
  EXPECT_TRUE(rank_cpus(1).empty());
  EXPECT_TRUE(rank_cpus(cpus + 1).empty());
  if (cpus < 2) GTEST_SKIP() << "one CPU: no group of two fits";
  const std::vector<int> chosen = rank_cpus(cpus);
  ASSERT_EQ(static_cast<int>(chosen.size()), cpus);
  for (size_t i = 0; i < chosen.size(); ++i) {
    EXPECT_TRUE(CPU_ISSET(chosen[i], &mask)) << chosen[i];
    if (i > 0) {
      EXPECT_LT(chosen[i - 1], chosen[i]);
    }
  }
  std::vector<int> ran_on(chosen.size(), -1);
  std::vector<std::thread> threads;
  for (size_t r = 0; r < chosen.size(); ++r) {
    threads.emplace_back([&, r] {
      if (!pin_this_thread(chosen[r])) return;
      cpu_set_t now;
      CPU_ZERO(&now);
      if (sched_getaffinity(0, sizeof(now), &now) == 0 && CPU_COUNT(&now) == 1) ran_on[r] = sched_getcpu();
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t r = 0; r < chosen.size(); ++r) EXPECT_EQ(ran_on[r], chosen[r]) << "rank " << r;
}

}  // namespace
}  // namespace dpeval::comm
