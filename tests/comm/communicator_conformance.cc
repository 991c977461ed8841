// The Communicator conformance suite's bodies and oracle: see
// communicator_conformance.h. Each test computes its oracle before running the
// ranks (once per process: the threads ranks share it) and each rank then
// checks its own result against it.
#include "comm/communicator_conformance.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <thread>

#include "dpeval/kernels/half.h"

namespace dpeval::testing {

using comm::CollectiveOptions;
using comm::Communicator;
using comm::HalfFormat;
using comm::Shard;
using comm::Work;

// ---- Worlds and cases ----

namespace {

class ThreadsWorld final : public ConformanceWorld {
 public:
  explicit ThreadsWorld(int world) : world_(world) {}
  int world() const override { return world_; }
  void run(const RankBody& body, std::chrono::milliseconds timeout) const override {
    run_ranks(world_, body, timeout);
  }
  std::string name() const override {
    std::string name = "w";  // not "w" + ...: GCC 12's false -Wrestrict
    name += std::to_string(world_);
    return name;
  }

 private:
  int world_;
};

}  // namespace

std::shared_ptr<const ConformanceWorld> threads_world(int world) {
  return std::make_shared<const ThreadsWorld>(world);
}

std::vector<ConformanceCase> conformance_cases(
    const std::vector<std::shared_ptr<const ConformanceWorld>>& worlds) {
  std::vector<ConformanceCase> cases;
  for (const auto& ranks : worlds) {
    for (size_t n : kConformanceCounts) cases.push_back({ranks, n});
  }
  return cases;
}

// ---- The oracle ----

namespace {

uint64_t mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t draw(uint64_t seed, int rank, size_t i) {
  return mix(mix(seed * 1000003 + static_cast<uint64_t>(rank)) ^ static_cast<uint64_t>(i));
}

}  // namespace

std::vector<float> input_of(uint64_t seed, int rank, size_t n, int span) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t h = draw(seed, rank, i);
    const float mantissa = 1.0f + static_cast<float>(h & 0x7fffff) / 8388608.0f;
    const int exponent = static_cast<int>((h >> 23) % static_cast<uint64_t>(2 * span + 1)) - span;
    v[i] = std::ldexp((h >> 40) & 1 ? -mantissa : mantissa, exponent);
  }
  return v;
}

std::vector<float> bits_of(uint64_t seed, int rank, size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t bits = static_cast<uint32_t>(draw(seed, rank, i));
    if (i % 5 == 0)
      bits = 0x7f800001u | (bits & 0x803fffffu);  // a NaN with a payload (signalling when bit 22 is 0)
    std::memcpy(&v[i], &bits, sizeof bits);
  }
  return v;
}

std::vector<float> serial_sum(uint64_t seed, int world, size_t n) {
  std::vector<float> sum = input_of(seed, 0, n);
  for (int r = 1; r < world; ++r) {
    const std::vector<float> x = input_of(seed, r, n);
    for (size_t i = 0; i < n; ++i) sum[i] = sum[i] + x[i];
  }
  return sum;
}

std::vector<uint16_t> half_input_of(uint64_t seed, int rank, size_t n, comm::HalfFormat format) {
  const std::vector<float> x = input_of(seed, rank, n, 6);
  std::vector<uint16_t> h(n);
  for (size_t i = 0; i < n; ++i) {
    h[i] = format == comm::HalfFormat::kFloat16 ? kernels::float_to_fp16(x[i]) : kernels::float_to_bf16(x[i]);
  }
  return h;
}

std::vector<uint16_t> serial_sum_half(uint64_t seed, int world, size_t n, comm::HalfFormat format) {
  const bool fp16 = format == comm::HalfFormat::kFloat16;
  std::vector<float> sum(n, 0.0f);
  for (int r = 0; r < world; ++r) {
    const std::vector<uint16_t> x = half_input_of(seed, r, n, format);
    for (size_t i = 0; i < n; ++i) {
      const float v = fp16 ? kernels::fp16_to_float(x[i]) : kernels::bf16_to_float(x[i]);
      sum[i] = r == 0 ? v : sum[i] + v;
    }
  }
  std::vector<uint16_t> out(n);
  for (size_t i = 0; i < n; ++i)
    out[i] = fp16 ? kernels::float_to_fp16(sum[i]) : kernels::float_to_bf16(sum[i]);
  return out;
}

std::vector<size_t> uneven_counts(size_t n, int world) {
  std::vector<size_t> counts(static_cast<size_t>(world), 0);
  size_t weight_sum = 0;
  for (int r = 0; r < world; ++r) weight_sum += r % 4 == 1 ? 0 : static_cast<size_t>(r + 1);
  size_t given = 0;
  int last = 0;
  for (int r = 0; r < world; ++r) {
    if (r % 4 == 1) continue;
    counts[static_cast<size_t>(r)] = n * static_cast<size_t>(r + 1) / weight_sum;
    given += counts[static_cast<size_t>(r)];
    last = r;
  }
  counts[static_cast<size_t>(last)] += n - given;
  return counts;
}

size_t offset_of(const std::vector<size_t>& counts, int rank) {
  return std::accumulate(counts.begin(), counts.begin() + rank, size_t{0});
}

// ---- Every collective at one element count ----

namespace {

const char* format_name(comm::HalfFormat format) {
  return format == comm::HalfFormat::kFloat16 ? "fp16" : "bf16";
}

// this rank's slice of `got` equals the same slice of `want`.
::testing::AssertionResult shard_equal(const std::vector<float>& got, const std::vector<float>& want,
                                       size_t offset, size_t size) {
  return bitwise_equal(got.data() + offset, want.data() + offset, size);
}

}  // namespace

TEST_P(CommunicatorConformance, AllreduceIsTheRankOrderSum) {
  const auto& ranks = GetParam().ranks;
  const size_t n = GetParam().n;
  const std::vector<float> want = serial_sum(1, ranks->world(), n);
  ranks->run([&](comm::Communicator& comm) {
    std::vector<float> data = input_of(1, comm.rank(), n);
    comm::CollectiveOptions o;
    o.tag = "allreduce test";
    comm.allreduce_sum(data, o).wait();
    EXPECT_TRUE(bitwise_equal(data, want)) << "rank " << comm.rank();
  });
}

TEST_P(CommunicatorConformance, AllreduceSumHalfIsTheRankOrderSumRoundedOnce) {
  const auto& ranks = GetParam().ranks;
  const size_t n = GetParam().n;
  for (comm::HalfFormat format : {comm::HalfFormat::kFloat16, comm::HalfFormat::kBFloat16}) {
    const std::vector<uint16_t> want = serial_sum_half(2, ranks->world(), n, format);
    ranks->run([&](comm::Communicator& comm) {
      std::vector<uint16_t> data = half_input_of(2, comm.rank(), n, format);
      comm.allreduce_sum_half(data, format).wait();
      EXPECT_TRUE(bitwise_equal(data, want)) << format_name(format) << ", rank " << comm.rank();
    });
  }
}

TEST_P(CommunicatorConformance, ReduceScatterLeavesEachRankTheSumOfItsShard) {
  const auto& ranks = GetParam().ranks;
  const size_t n = GetParam().n;
  const int world = ranks->world();
  const std::vector<float> want = serial_sum(3, world, n);
  const std::vector<size_t> counts = uneven_counts(n, world);
  ranks->run([&](comm::Communicator& comm) {
    const int rank = comm.rank();
    {  // the shard_of() layout
      std::vector<float> data = input_of(3, rank, n);
      comm.reduce_scatter_sum(data).wait();
      const comm::Shard mine = comm::shard_of(n, rank, world);
      EXPECT_TRUE(shard_equal(data, want, mine.offset, mine.size)) << "even, rank " << rank;
    }
    {  // uneven counts with empty shards
      std::vector<float> data = input_of(3, rank, n);
      comm.reduce_scatter_sum(data, counts).wait();
      EXPECT_TRUE(shard_equal(data, want, offset_of(counts, rank), counts[static_cast<size_t>(rank)]))
          << "uneven, rank " << rank;
    }
  });
}

TEST_P(CommunicatorConformance, ReducingCollectivesStoreTheSumTimesTheScale) {
  // 1/3 is not a power of two, so the product rounds: it must be sum-then-multiply.
  const auto& ranks = GetParam().ranks;
  const size_t n = GetParam().n;
  const int world = ranks->world();
  const float scale = 1.0f / 3.0f;
  std::vector<float> want = serial_sum(4, world, n);
  for (float& w : want) w = w * scale;
  ranks->run([&](comm::Communicator& comm) {
    comm::CollectiveOptions o;
    o.scale = scale;
    std::vector<float> data = input_of(4, comm.rank(), n);
    comm.allreduce_sum(data, o).wait();
    EXPECT_TRUE(bitwise_equal(data, want)) << "allreduce, rank " << comm.rank();
    data = input_of(4, comm.rank(), n);
    comm.reduce_scatter_sum(data, o).wait();
    const comm::Shard mine = comm::shard_of(n, comm.rank(), world);
    EXPECT_TRUE(shard_equal(data, want, mine.offset, mine.size)) << "reduce-scatter, rank " << comm.rank();
  });
}

TEST_P(CommunicatorConformance, AllgatherMovesEveryShardBitExactly) {
  const auto& ranks = GetParam().ranks;
  const size_t n = GetParam().n;
  const int world = ranks->world();
  for (const std::vector<size_t>& counts : {comm::shard_counts(n, world), uneven_counts(n, world)}) {
    const std::vector<float> want = gathered(counts, n, [&](int r) { return bits_of(4, r, n); });
    ranks->run([&](comm::Communicator& comm) {
      const int rank = comm.rank();
      std::vector<float> data = bits_of(4, rank, n);  // every slice but its own is overwritten
      const size_t begin = offset_of(counts, rank), end = begin + counts[static_cast<size_t>(rank)];
      for (size_t i = 0; i < n; ++i) {
        if (i < begin || i >= end) data[i] = -1.0f;
      }
      comm.allgather(data, counts).wait();
      EXPECT_TRUE(bitwise_equal(data, want)) << "rank " << rank;
    });
  }
}

TEST_P(CommunicatorConformance, BroadcastFromEveryRootMovesBitsExactly) {
  const auto& ranks = GetParam().ranks;
  const size_t n = GetParam().n;
  const int world = ranks->world();
  std::vector<std::vector<float>> want;
  for (int root = 0; root < world; ++root) want.push_back(bits_of(5, root, n));
  ranks->run([&](comm::Communicator& comm) {
    for (int root = 0; root < world; ++root) {
      std::vector<float> data =
          comm.rank() == root ? want[static_cast<size_t>(root)] : std::vector<float>(n, -2.0f);
      comm.broadcast(data, root).wait();
      EXPECT_TRUE(bitwise_equal(data, want[static_cast<size_t>(root)]))
          << "root " << root << ", rank " << comm.rank();
    }
    comm.barrier().wait();
  });
}

// ---- Several collectives per test ----

TEST_P(CommunicatorWorldConformance, SumOrderMatters) {
  // The oracle is only a test of the order if another order gives other bits.
  const int world = GetParam()->world();
  if (world < 3) return;  // two ranks: a + b == b + a
  const size_t n = 1000;
  std::vector<float> reversed = input_of(11, world - 1, n);
  for (int r = world - 2; r >= 0; --r) {
    const std::vector<float> x = input_of(11, r, n);
    for (size_t i = 0; i < n; ++i) reversed[i] = reversed[i] + x[i];
  }
  EXPECT_FALSE(bitwise_equal(reversed, serial_sum(11, world, n)));
}

TEST_P(CommunicatorWorldConformance, UnevenCountsIncludingEmptyShards) {
  // Even ranks, rank 0 first, own nothing: {0, 3, 0, 5} on four ranks.
  const int world = GetParam()->world();
  std::vector<size_t> counts(static_cast<size_t>(world));
  for (int r = 0; r < world; ++r)
    counts[static_cast<size_t>(r)] = r % 2 == 0 ? 0 : static_cast<size_t>(r) + 2;
  const size_t n = std::accumulate(counts.begin(), counts.end(), size_t{0});
  const std::vector<float> sum = serial_sum(12, world, n);
  const std::vector<float> moved = gathered(counts, n, [&](int r) { return input_of(12, r, n); });
  GetParam()->run([&](comm::Communicator& comm) {
    std::vector<float> x = input_of(12, comm.rank(), n);
    comm.reduce_scatter_sum(x, counts).wait();
    comm.allgather(x, counts).wait();
    EXPECT_TRUE(bitwise_equal(x, sum)) << "reduce-scatter then allgather, rank " << comm.rank();
    std::vector<float> y = input_of(12, comm.rank(), n);
    comm.allgather(y, counts).wait();
    EXPECT_TRUE(bitwise_equal(y, moved)) << "allgather, rank " << comm.rank();
  });
}

TEST_P(CommunicatorWorldConformance, EveryKindInFlightAtOnceWaitedInReverse) {
  const int world = GetParam()->world();
  const size_t big = 1000003, mid = 20011, small = 7;  // mid: above one handshake, not divisible by 2..8
  const std::vector<size_t> uneven = uneven_counts(mid, world);
  const std::vector<float> a_want = serial_sum(21, world, big), b_want = serial_sum(22, world, small),
                           d_want = serial_sum(24, world, 5000), g_want = serial_sum(28, world, mid);
  const std::vector<uint16_t> c_want = serial_sum_half(23, world, 1000, comm::HalfFormat::kBFloat16),
                              h_want = serial_sum_half(27, world, mid, comm::HalfFormat::kFloat16);
  const std::vector<float> e_want =
      gathered(comm::shard_counts(333, world), 333, [](int r) { return bits_of(25, r, 333); });
  const std::vector<float> i_want = gathered(uneven, mid, [&](int r) { return bits_of(29, r, mid); });
  const std::vector<float> f_want = bits_of(26, world - 1, 100000);
  GetParam()->run([&](comm::Communicator& comm) {
    const int rank = comm.rank();
    std::vector<float> a = input_of(21, rank, big), b = input_of(22, rank, small),
                       d = input_of(24, rank, 5000), e = bits_of(25, rank, 333),
                       f = rank == world - 1 ? f_want : std::vector<float>(100000),
                       g = input_of(28, rank, mid), i = bits_of(29, rank, mid);
    std::vector<uint16_t> c = half_input_of(23, rank, 1000, comm::HalfFormat::kBFloat16),
                          h = half_input_of(27, rank, mid, comm::HalfFormat::kFloat16);
    std::vector<comm::Work> works = {comm.allreduce_sum(a, {.tag = "a"}),
                                     comm.broadcast(f, world - 1),
                                     comm.reduce_scatter_sum(g, uneven),
                                     comm.barrier(),
                                     comm.allgather(i, uneven),
                                     comm.allreduce_sum_half(c, comm::HalfFormat::kBFloat16),
                                     comm.allreduce_sum(b),
                                     comm.reduce_scatter_sum(d),
                                     comm.allgather(e),
                                     comm.allreduce_sum_half(h, comm::HalfFormat::kFloat16)};
    for (auto it = works.rbegin(); it != works.rend(); ++it) it->wait();
    for (comm::Work& w : works) EXPECT_TRUE(w.is_completed());
    EXPECT_TRUE(bitwise_equal(a, a_want)) << "allreduce, rank " << rank;
    EXPECT_TRUE(bitwise_equal(f, f_want)) << "broadcast, rank " << rank;
    EXPECT_TRUE(shard_equal(g, g_want, offset_of(uneven, rank), uneven[static_cast<size_t>(rank)]))
        << "uneven reduce-scatter, rank " << rank;
    EXPECT_TRUE(bitwise_equal(i, i_want)) << "uneven allgather, rank " << rank;
    EXPECT_TRUE(bitwise_equal(c, c_want)) << "bf16 allreduce, rank " << rank;
    EXPECT_TRUE(bitwise_equal(b, b_want)) << "small allreduce, rank " << rank;
    const comm::Shard mine = comm::shard_of(d.size(), rank, world);
    EXPECT_TRUE(shard_equal(d, d_want, mine.offset, mine.size)) << "reduce-scatter, rank " << rank;
    EXPECT_TRUE(bitwise_equal(e, e_want)) << "allgather, rank " << rank;
    EXPECT_TRUE(bitwise_equal(h, h_want)) << "fp16 allreduce, rank " << rank;
  });
}

TEST_P(CommunicatorWorldConformance, ManyInFlightWaitedInReverseAndRingReuse) {
  const int world = GetParam()->world();
  const std::vector<float> small = serial_sum(61, world, 7), large = serial_sum(61, world, 5000);
  GetParam()->run([&](comm::Communicator& comm) {
    std::vector<std::vector<float>> bufs;
    for (int i = 0; i < 6; ++i) bufs.push_back(input_of(61, comm.rank(), i % 2 ? 7 : 5000));
    std::vector<comm::Work> work;
    for (auto& b : bufs) work.push_back(comm.allreduce_sum(b));
    for (size_t i = work.size(); i-- > 0;) work[i].wait();
    for (size_t i = 0; i < bufs.size(); ++i) EXPECT_TRUE(bitwise_equal(bufs[i], i % 2 ? small : large));
    // Far more operations than a ring has slots, large and small.
    for (int i = 0; i < 600; ++i) {
      std::vector<float> x = input_of(61, comm.rank(), i % 3 ? 7 : 5000);
      comm::Work w = comm.allreduce_sum(x);
      if (i % 2) {
        w.wait();
      } else {
        while (!w.is_completed()) std::this_thread::yield();  // polling alone must also finish
      }
      ASSERT_TRUE(bitwise_equal(x, i % 3 ? small : large)) << "iteration " << i << ", rank " << comm.rank();
    }
  });
}

// More operations in flight than the threads backend's rings have slots, issued
// before waiting on any, with ranks starting at different times: a rank that
// must reuse a slot has to finish its own old operations first instead of
// waiting on itself. Waiting on the last completes every earlier one (Note
// [Collective order]).
TEST_P(CommunicatorWorldConformance, MoreInFlightThanRingSlotsBeforeAnyWait) {
  const int world = GetParam()->world();
  const std::vector<float> small = serial_sum(62, world, 7), large = serial_sum(62, world, 5000);
  GetParam()->run([&](comm::Communicator& comm) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10 * comm.rank()));
    std::vector<std::vector<float>> bufs;
    for (int i = 0; i < 300; ++i) bufs.push_back(input_of(62, comm.rank(), i % 10 ? 7 : 5000));
    std::vector<comm::Work> work;
    for (auto& b : bufs) work.push_back(comm.allreduce_sum(b));
    work.push_back(comm.barrier());
    work.back().wait();
    for (size_t i = 0; i < bufs.size(); ++i) {
      ASSERT_TRUE(work[i].is_completed());
      ASSERT_TRUE(bitwise_equal(bufs[i], i % 10 ? small : large)) << "op " << i << ", rank " << comm.rank();
    }
  });
}

TEST_P(CommunicatorWorldConformance, ManyBackToBackOps) {
  const int world = GetParam()->world();
  std::vector<std::vector<float>> one_by_one, in_flight;
  for (int i = 0; i < 300; ++i)
    one_by_one.push_back(
        serial_sum(100 + static_cast<uint64_t>(i), world, static_cast<size_t>(i * 37 % 2003)));
  for (int i = 0; i < 100; ++i)
    in_flight.push_back(
        serial_sum(500 + static_cast<uint64_t>(i), world, static_cast<size_t>(i * 211 % 20011)));
  GetParam()->run([&](comm::Communicator& comm) {
    for (size_t i = 0; i < one_by_one.size(); ++i) {  // issue, wait, issue, wait ...
      std::vector<float> data = input_of(100 + i, comm.rank(), one_by_one[i].size());
      comm.allreduce_sum(data).wait();
      ASSERT_TRUE(bitwise_equal(data, one_by_one[i])) << "op " << i << ", rank " << comm.rank();
    }
    std::vector<std::vector<float>> buffers;
    std::vector<comm::Work> works;
    for (size_t i = 0; i < in_flight.size(); ++i)  // 100 in flight, waited in issue order
      buffers.push_back(input_of(500 + i, comm.rank(), in_flight[i].size()));
    for (std::vector<float>& b : buffers) works.push_back(comm.allreduce_sum(b));
    for (comm::Work& w : works) w.wait();
    for (size_t i = 0; i < buffers.size(); ++i)
      ASSERT_TRUE(bitwise_equal(buffers[i], in_flight[i])) << "op " << i << ", rank " << comm.rank();
  });
}

TEST_P(CommunicatorWorldConformance, PollingIsCompletedFinishesTheOp) {
  const int world = GetParam()->world();
  const std::vector<float> want = serial_sum(31, world, 300000);
  GetParam()->run([&](comm::Communicator& comm) {
    std::vector<float> data = input_of(31, comm.rank(), 300000);
    comm::Work work = comm.allreduce_sum(data);
    // Not a speed limit: a bound so that a Work that never completes fails here.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!work.is_completed()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "is_completed() never became true";
      std::this_thread::yield();
    }
    EXPECT_TRUE(bitwise_equal(data, want)) << "rank " << comm.rank();
    work.wait();  // a completed Work waits at once
  });
}

TEST_P(CommunicatorWorldConformance, BarrierReleasesNoRankBeforeTheLastArrives) {
  // Ranks arrive 30 ms apart; the steady clock is one clock for every thread
  // and every process on this host, so the times compare.
  GetParam()->run([&](comm::Communicator& comm) {
    const int rank = comm.rank(), world = comm.world();
    const auto now_ns = [] {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
    std::this_thread::sleep_for(std::chrono::milliseconds(30 * rank));
    const int64_t entered = now_ns();
    comm.barrier().wait();
    const int64_t left = now_ns();
    std::vector<float> times(2 * 2 * static_cast<size_t>(world));  // two int64 per rank, as float bits
    std::memcpy(&times[4 * static_cast<size_t>(rank)], &entered, sizeof entered);
    std::memcpy(&times[4 * static_cast<size_t>(rank) + 2], &left, sizeof left);
    comm.allgather(times).wait();
    int64_t last_entered = 0;
    for (int r = 0; r < world; ++r) {
      int64_t t = 0;
      std::memcpy(&t, &times[4 * static_cast<size_t>(r)], sizeof t);
      last_entered = std::max(last_entered, t);
    }
    for (int r = 0; r < world; ++r) {
      int64_t t = 0;
      std::memcpy(&t, &times[4 * static_cast<size_t>(r) + 2], sizeof t);
      EXPECT_GE(t, last_entered) << "rank " << r
                                 << " left the barrier before every rank had entered (seen by rank " << rank
                                 << ")";
    }
  });
}

}  // namespace dpeval::testing
