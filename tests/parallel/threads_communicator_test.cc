// Conformance suite of the threads backend (STYLE.md habit 13): every
// collective over world sizes 1..8 and awkward element counts, run as threads
// in one process, bitwise equal to a serial sum in rank order computed here
// independently; plus every kind of operation in flight at once, more
// operations in flight than the rings have slots, uneven counts, timeouts and
// aborts that name the rank, a rank arriving after its peers gave up, and
// ranks that disagree on the operation.
#include "dpeval/parallel/threads_communicator.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <latch>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>

#include "dpeval/core/error.h"
#include "dpeval/core/rng.h"
#include "dpeval/kernels/half.h"
#include "dpeval/parallel/communicator.h"

namespace dpeval::parallel {
namespace {

// Inputs whose sums depend on the order of addition: magnitudes from 1e-4 to
// 1e4. Generated once per (rank, n) and shared by the rank threads.
const std::vector<float>& inputs(int rank, size_t n) {
  static std::mutex mutex;
  static std::map<std::pair<int, size_t>, std::vector<float>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  std::vector<float>& v = cache[{rank, n}];
  if (v.size() != n) {
    Rng rng(static_cast<uint64_t>(rank) * 7919 + n);
    v.resize(n);
    for (float& x : v) x = static_cast<float>(rng.normal() * std::pow(10.0, rng.uniform(-4.0f, 4.0f)));
  }
  return v;
}

std::vector<float> serial_sum(int world, size_t n) {
  std::vector<float> sum = inputs(0, n);
  for (int r = 1; r < world; ++r) {
    const std::vector<float>& x = inputs(r, n);
    for (size_t i = 0; i < n; ++i) sum[i] += x[i];
  }
  return sum;
}

// 16-bit inputs: the float inputs scaled into fp16's range, rounded once.
std::vector<uint16_t> half_inputs(int rank, size_t n, HalfFormat format) {
  const std::vector<float>& x = inputs(rank, n);
  std::vector<uint16_t> h(n);
  for (size_t i = 0; i < n; ++i) {
    h[i] = format == HalfFormat::kFloat16 ? kernels::float_to_fp16(x[i] * 1e-2f)
                                          : kernels::float_to_bf16(x[i] * 1e-2f);
  }
  return h;
}

// Decoded to float, summed in rank order in float, rounded once.
std::vector<uint16_t> half_serial_sum(int world, size_t n, HalfFormat format) {
  const bool fp16 = format == HalfFormat::kFloat16;
  std::vector<std::vector<uint16_t>> all;
  for (int r = 0; r < world; ++r) all.push_back(half_inputs(r, n, format));
  std::vector<uint16_t> sum(n);
  for (size_t i = 0; i < n; ++i) {
    float acc = fp16 ? kernels::fp16_to_float(all[0][i]) : kernels::bf16_to_float(all[0][i]);
    for (size_t r = 1; r < all.size(); ++r)
      acc += fp16 ? kernels::fp16_to_float(all[r][i]) : kernels::bf16_to_float(all[r][i]);
    sum[i] = fp16 ? kernels::float_to_fp16(acc) : kernels::float_to_bf16(acc);
  }
  return sum;
}

// The allgather result for `counts`: rank r's slice from rank r's inputs.
std::vector<float> gathered(const std::vector<size_t>& counts, size_t n) {
  std::vector<float> all(n);
  size_t offset = 0;
  for (size_t r = 0; r < counts.size(); ++r) {
    const std::vector<float>& x = inputs(static_cast<int>(r), n);
    std::copy_n(x.begin() + static_cast<std::ptrdiff_t>(offset), counts[r],
                all.begin() + static_cast<std::ptrdiff_t>(offset));
    offset += counts[r];
  }
  return all;
}

// Runs body(comm) on one thread per rank of a fresh group. An exception a
// body does not catch fails the test (its peers then time out) instead of
// ending the process.
void run_world(int world, const std::function<void(Communicator&)>& body,
               std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  CommunicatorOptions options;
  options.world = world;
  options.timeout = timeout;
  auto comms = make_communicators("threads", options);
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) {
    threads.emplace_back([&, r] {
      try {
        body(*comms[static_cast<size_t>(r)]);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "rank " << r << ": " << e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
}

bool bitwise_equal(std::span<const float> a, std::span<const float> b) {
  // memcmp must not see the null pointers of empty vectors.
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

struct Case {
  int world;
  size_t n;
};

class ThreadsConformance : public ::testing::TestWithParam<Case> {};

TEST_P(ThreadsConformance, AllreduceIsTheRankOrderSum) {
  const auto [world, n] = GetParam();
  const std::vector<float> expected = serial_sum(world, n);
  run_world(world, [&](Communicator& comm) {
    std::vector<float> x = inputs(comm.rank(), n);
    comm.allreduce_sum(x).wait();
    EXPECT_TRUE(bitwise_equal(x, expected)) << "rank " << comm.rank();
  });
}

TEST_P(ThreadsConformance, ReduceScatterLeavesEachRankItsShard) {
  const auto [world, n] = GetParam();
  const std::vector<float> expected = serial_sum(world, n);
  run_world(world, [&](Communicator& comm) {
    std::vector<float> x = inputs(comm.rank(), n);
    comm.reduce_scatter_sum(x).wait();
    const Shard s = shard_of(n, comm.rank(), world);
    EXPECT_TRUE(
        bitwise_equal(std::span(x).subspan(s.offset, s.size), std::span(expected).subspan(s.offset, s.size)))
        << "rank " << comm.rank();
  });
}

TEST_P(ThreadsConformance, AllgatherAndBroadcastMoveBits) {
  const auto [world, n] = GetParam();
  const std::vector<float> expected = gathered(shard_counts(n, world), n);
  run_world(world, [&](Communicator& comm) {
    std::vector<float> x = inputs(comm.rank(), n);
    comm.allgather(x).wait();
    EXPECT_TRUE(bitwise_equal(x, expected)) << "allgather, rank " << comm.rank();
    for (int root : {0, world - 1}) {
      std::vector<float> y = inputs(comm.rank(), n);
      comm.broadcast(y, root).wait();
      EXPECT_TRUE(bitwise_equal(y, inputs(root, n))) << "broadcast from " << root << ", rank " << comm.rank();
    }
    comm.barrier().wait();
  });
}

TEST_P(ThreadsConformance, ReducingCollectivesStoreTheSumTimesTheScale) {
  // 1/3 is not a power of two, so the product rounds: it must be sum-then-multiply.
  const auto [world, n] = GetParam();
  const float scale = 1.0f / 3.0f;
  std::vector<float> expected = serial_sum(world, n);
  for (float& e : expected) e = e * scale;
  run_world(world, [&](Communicator& comm) {
    CollectiveOptions o;
    o.scale = scale;
    std::vector<float> x = inputs(comm.rank(), n);
    comm.allreduce_sum(x, o).wait();
    EXPECT_TRUE(bitwise_equal(x, expected)) << "allreduce, rank " << comm.rank();
    x = inputs(comm.rank(), n);
    comm.reduce_scatter_sum(x, o).wait();
    const Shard s = shard_of(n, comm.rank(), world);
    EXPECT_TRUE(
        bitwise_equal(std::span(x).subspan(s.offset, s.size), std::span(expected).subspan(s.offset, s.size)))
        << "reduce-scatter, rank " << comm.rank();
  });
}

// Note [One buffer for all ranks]: ranks passing the same buffer, each having
// written only its own slice, all see every slice once the all-gather is done.
TEST_P(ThreadsConformance, AllgatherAndBroadcastOverOneSharedBuffer) {
  const auto [world, n] = GetParam();
  const std::vector<float> expected = gathered(shard_counts(n, world), n);
  std::vector<float> shared(n, -1.0f);
  run_world(world, [&](Communicator& comm) {
    for (int round = 0; round < 3; ++round) {
      const Shard s = shard_of(n, comm.rank(), world);
      const std::vector<float> x = inputs(comm.rank(), n);
      std::copy_n(x.begin() + static_cast<std::ptrdiff_t>(s.offset), s.size,
                  shared.begin() + static_cast<std::ptrdiff_t>(s.offset));
      comm.allgather(shared).wait();
      EXPECT_TRUE(bitwise_equal(shared, expected))
          << "allgather, rank " << comm.rank() << ", round " << round;
      comm.broadcast(shared, world - 1).wait();
      EXPECT_TRUE(bitwise_equal(shared, expected)) << "broadcast, rank " << comm.rank();
      comm.barrier().wait();  // nobody writes the next round's slice while a peer still reads
    }
  });
}

TEST_P(ThreadsConformance, HalfAllreduceDecodesSumsAndRoundsOnce) {
  const auto [world, n] = GetParam();
  for (HalfFormat format : {HalfFormat::kFloat16, HalfFormat::kBFloat16}) {
    const std::vector<uint16_t> expected = half_serial_sum(world, n, format);
    run_world(world, [&](Communicator& comm) {
      std::vector<uint16_t> h = half_inputs(comm.rank(), n, format);
      comm.allreduce_sum_half(h, format).wait();
      EXPECT_EQ(h, expected) << (format == HalfFormat::kFloat16 ? "fp16" : "bf16") << ", rank "
                             << comm.rank();
    });
  }
}

std::vector<Case> cases() {
  std::vector<Case> all;
  for (int world : {1, 2, 3, 4, 5, 7, 8}) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{1000}, size_t{1000003}})
      all.push_back({world, n});
  }
  return all;
}

INSTANTIATE_TEST_SUITE_P(Worlds, ThreadsConformance, ::testing::ValuesIn(cases()), [](const auto& info) {
  return "w" + std::to_string(info.param.world) + "_n" + std::to_string(info.param.n);
});

TEST(ThreadsCommunicator, UnevenCountsIncludingEmptyShards) {
  const int world = 4;
  const std::vector<size_t> counts = {0, 5, 0, 3};
  const std::vector<float> expected = serial_sum(world, 8);
  const std::vector<float> moved = gathered(counts, 8);
  run_world(world, [&](Communicator& comm) {
    std::vector<float> x = inputs(comm.rank(), 8);
    comm.reduce_scatter_sum(x, counts).wait();
    comm.allgather(x, counts).wait();
    EXPECT_TRUE(bitwise_equal(x, expected)) << "reduce-scatter then allgather, rank " << comm.rank();
    std::vector<float> y = inputs(comm.rank(), 8);
    comm.allgather(y, counts).wait();
    EXPECT_TRUE(bitwise_equal(y, moved)) << "allgather, rank " << comm.rank();
  });
}

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

TEST(ThreadsCommunicator, EveryKindInFlightAtOnceWaitedInReverse) {
  const int world = 4;
  const size_t n = 20011;  // above the one-handshake size, not divisible by 4
  const std::vector<size_t> counts = {0, n - 10, 3, 7};
  const std::vector<float> sum = serial_sum(world, n), moved = gathered(counts, n),
                           small = serial_sum(world, 7);
  const std::vector<uint16_t> half_sum = half_serial_sum(world, n, HalfFormat::kBFloat16);
  run_world(world, [&](Communicator& comm) {
    const int rank = comm.rank();
    std::vector<float> a = inputs(rank, n), b = inputs(rank, n), c = inputs(rank, n), d = inputs(rank, n),
                       e = inputs(rank, 7);
    std::vector<uint16_t> h = half_inputs(rank, n, HalfFormat::kBFloat16);
    std::vector<Work> work = {comm.allreduce_sum(a, {.tag = "a"}),
                              comm.broadcast(b, world - 1),
                              comm.reduce_scatter_sum(c, counts),
                              comm.barrier(),
                              comm.allgather(d, counts),
                              comm.allreduce_sum_half(h, HalfFormat::kBFloat16),
                              comm.allreduce_sum(e)};
    for (size_t i = work.size(); i-- > 0;) work[i].wait();
    for (Work& w : work) EXPECT_TRUE(w.is_completed());
    EXPECT_TRUE(bitwise_equal(a, sum)) << "allreduce, rank " << rank;
    EXPECT_TRUE(bitwise_equal(b, inputs(world - 1, n))) << "broadcast, rank " << rank;
    const size_t offset = std::accumulate(counts.begin(), counts.begin() + rank, size_t{0});
    const size_t count = counts[static_cast<size_t>(rank)];
    EXPECT_TRUE(bitwise_equal(std::span(c).subspan(offset, count), std::span(sum).subspan(offset, count)))
        << "reduce-scatter, rank " << rank;
    EXPECT_TRUE(bitwise_equal(d, moved)) << "allgather, rank " << rank;
    EXPECT_EQ(h, half_sum) << "bf16 allreduce, rank " << rank;
    EXPECT_TRUE(bitwise_equal(e, small)) << "small allreduce, rank " << rank;
  });
}

TEST(ThreadsCommunicator, ManyInFlightWaitedInReverseAndRingReuse) {
  const int world = 3;
  const std::vector<float> small = serial_sum(world, 7), large = serial_sum(world, 5000);
  run_world(world, [&](Communicator& comm) {
    std::vector<std::vector<float>> bufs;
    for (int i = 0; i < 6; ++i) bufs.push_back(inputs(comm.rank(), i % 2 ? 7 : 5000));
    std::vector<Work> work;
    for (auto& b : bufs) work.push_back(comm.allreduce_sum(b));
    for (size_t i = work.size(); i-- > 0;) work[i].wait();
    for (size_t i = 0; i < bufs.size(); ++i) EXPECT_TRUE(bitwise_equal(bufs[i], i % 2 ? small : large));
    // Far more operations than the ring has slots, large and small.
    for (int i = 0; i < 600; ++i) {
      std::vector<float> x = inputs(comm.rank(), i % 3 ? 7 : 5000);
      Work w = comm.allreduce_sum(x);
      if (i % 2) {
        w.wait();
      } else {
        while (!w.is_completed()) std::this_thread::yield();  // polling alone must also finish
      }
      ASSERT_TRUE(bitwise_equal(x, i % 3 ? small : large)) << "iteration " << i;
    }
  });
}

// More operations in flight than either ring has slots, issued before waiting
// on any, with ranks starting at different times: a rank that must reuse a
// slot has to finish its own old operations first instead of waiting on itself.
TEST(ThreadsCommunicator, MoreInFlightThanRingSlotsBeforeAnyWait) {
  const int world = 3;
  const std::vector<float> small = serial_sum(world, 7), large = serial_sum(world, 5000);
  run_world(
      world,
      [&](Communicator& comm) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10 * comm.rank()));
        std::vector<std::vector<float>> bufs;
        for (int i = 0; i < 300; ++i) bufs.push_back(inputs(comm.rank(), i % 10 ? 7 : 5000));
        std::vector<Work> work;
        for (auto& b : bufs) work.push_back(comm.allreduce_sum(b));
        work.push_back(comm.barrier());
        work.back().wait();
        for (size_t i = 0; i < bufs.size(); ++i) {
          ASSERT_TRUE(work[i].is_completed());
          ASSERT_TRUE(bitwise_equal(bufs[i], i % 10 ? small : large))
              << "op " << i << ", rank " << comm.rank();
        }
      },
      std::chrono::seconds(5));
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
    run_world(scenario.world, [&](Communicator& comm) {
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
    run_world(3, [&](Communicator& comm) {
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
  run_world(world, [&](Communicator& comm) {
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
  run_world(world, [&](Communicator& comm) {
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
  auto comms = make_communicators("threads", options);
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
    EXPECT_THROW(make_communicators("threads", options), ConfigError) << world;
  }
  options.world = 1024;
  EXPECT_EQ(make_communicators("threads", options).size(), 1024u);
  options.world = 2;
  EXPECT_THROW(make_communicators("nccl", options), ConfigError);
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
}  // namespace dpeval::parallel
