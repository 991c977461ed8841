// Conformance suite of the threads backend (STYLE.md habit 13): every
// collective over world sizes 1..8 and awkward element counts, run as threads
// in one process, bitwise equal to a serial sum in rank order computed here
// independently; plus several operations in flight, slot reuse, timeouts and
// aborts that name the rank.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
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

// Runs body(comm) on one thread per rank of a fresh group.
void run_world(int world, const std::function<void(Communicator&)>& body,
               std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  CommunicatorOptions options;
  options.world = world;
  options.timeout = timeout;
  auto comms = make_communicators("threads", options);
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) threads.emplace_back([&, r] { body(*comms[static_cast<size_t>(r)]); });
  for (auto& t : threads) t.join();
}

bool bitwise_equal(std::span<const float> a, std::span<const float> b) {
  // memcmp must not see the null pointers of empty vectors.
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
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
    EXPECT_TRUE(bitwise_equal(std::span(x).subspan(s.offset, s.size), std::span(expected).subspan(s.offset, s.size)))
        << "rank " << comm.rank();
  });
}

TEST_P(ThreadsConformance, AllgatherAndBroadcastMoveBits) {
  const auto [world, n] = GetParam();
  // Expected allgather: rank r's shard from rank r's inputs.
  std::vector<float> expected(n);
  for (int r = 0; r < world; ++r) {
    const Shard s = shard_of(n, r, world);
    const std::vector<float>& x = inputs(r, n);
    std::copy_n(x.begin() + static_cast<std::ptrdiff_t>(s.offset), s.size,
                expected.begin() + static_cast<std::ptrdiff_t>(s.offset));
  }
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

TEST_P(ThreadsConformance, HalfAllreduceDecodesSumsAndRoundsOnce) {
  const auto [world, n] = GetParam();
  for (HalfFormat format : {HalfFormat::kFloat16, HalfFormat::kBFloat16}) {
    const bool fp16 = format == HalfFormat::kFloat16;
    auto encode = [&](float v) { return fp16 ? kernels::float_to_fp16(v) : kernels::float_to_bf16(v); };
    auto decode = [&](uint16_t h) { return fp16 ? kernels::fp16_to_float(h) : kernels::bf16_to_float(h); };
    auto half_inputs = [&](int rank) {
      std::vector<uint16_t> h(n);
      const std::vector<float> x = inputs(rank, n);
      for (size_t i = 0; i < n; ++i) h[i] = encode(x[i] * 1e-2f);
      return h;
    };
    std::vector<std::vector<uint16_t>> all;
    for (int r = 0; r < world; ++r) all.push_back(half_inputs(r));
    std::vector<uint16_t> expected(n);
    for (size_t i = 0; i < n; ++i) {
      float sum = decode(all[0][i]);
      for (int r = 1; r < world; ++r) sum += decode(all[static_cast<size_t>(r)][i]);
      expected[i] = encode(sum);
    }
    run_world(world, [&](Communicator& comm) {
      std::vector<uint16_t> h = half_inputs(comm.rank());
      comm.allreduce_sum_half(h, format).wait();
      EXPECT_EQ(h, expected) << (fp16 ? "fp16" : "bf16") << ", rank " << comm.rank();
    });
  }
}

std::vector<Case> cases() {
  std::vector<Case> all;
  for (int world : {1, 2, 3, 4, 5, 7, 8}) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{1000}, size_t{1000003}}) all.push_back({world, n});
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
  run_world(world, [&](Communicator& comm) {
    std::vector<float> x = inputs(comm.rank(), 8);
    comm.reduce_scatter_sum(x, counts).wait();
    comm.allgather(x, counts).wait();
    EXPECT_TRUE(bitwise_equal(x, expected)) << "rank " << comm.rank();
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

TEST(ThreadsCommunicator, TimeoutNamesTheMissingRank) {
  const int world = 3;
  std::vector<std::string> errors(world);
  run_world(
      world,
      [&](Communicator& comm) {
        if (comm.rank() == 2) return;  // never takes part
        std::vector<float> x(1000, 1.0f);
        try {
          comm.allreduce_sum(x, {.timeout = std::chrono::milliseconds(200), .tag = "bucket 0"}).wait();
        } catch (const TimeoutError& e) {
          errors[static_cast<size_t>(comm.rank())] = e.what();
        }
      },
      std::chrono::seconds(60));
  for (int r = 0; r < 2; ++r) {
    EXPECT_NE(errors[r].find("rank 2"), std::string::npos) << errors[r];
    EXPECT_NE(errors[r].find("bucket 0"), std::string::npos) << errors[r];
  }
}

TEST(ThreadsCommunicator, AbortFailsPeersAtOnceNamingTheRank) {
  const int world = 3;
  std::vector<std::string> errors(world);
  const auto start = std::chrono::steady_clock::now();
  run_world(world, [&](Communicator& comm) {
    if (comm.rank() == 1) {
      comm.abort("boom");
      return;
    }
    std::vector<float> x(10, 1.0f);
    try {
      comm.allreduce_sum(x).wait();
    } catch (const CommError& e) {
      errors[static_cast<size_t>(comm.rank())] = e.what();
    }
  });
  // The default timeout is 60 s: failing well before it shows the abort was seen.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  for (int r : {0, 2}) {
    EXPECT_NE(errors[static_cast<size_t>(r)].find("rank 1"), std::string::npos) << errors[static_cast<size_t>(r)];
    EXPECT_NE(errors[static_cast<size_t>(r)].find("boom"), std::string::npos) << errors[static_cast<size_t>(r)];
  }
}

TEST(ThreadsCommunicator, BadWorldIsConfigErrorAndUnknownBackendToo) {
  CommunicatorOptions options;
  options.world = 0;
  EXPECT_THROW(make_communicators("threads", options), ConfigError);
  options.world = 2;
  EXPECT_THROW(make_communicators("nccl", options), ConfigError);
}

}  // namespace
}  // namespace dpeval::parallel
