// Conformance suite of the "mpi" backend (STYLE.md habit 13), run by ctest as
// mpirun -np N with N = 2, 3, 4. Every rank generates every rank's inputs from
// (seed, rank), so each computes the whole oracle locally: a serial float32
// sum in rank order written out here, independent of internal::rank_sum. Each
// result must equal it bitwise. Inputs span many binades, so a sum associated
// in any other order would show (SumOrderMatters checks that it does).
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dpeval/core/error.h"
#include "dpeval/kernels/half.h"
#include "dpeval/parallel/communicator.h"
#include "dpeval/parallel/mpi_communicator.h"
#include "parallel/mpi/mpi_test_runner.h"

namespace dpeval::parallel {
namespace {

using testing::make_mpi_test_communicator;

// 1000 floats and 2000 halves are 4000 bytes, the mpi backend's largest
// single-phase buffer (Note [Small buffers]); 1001 and 2001 take two phases.
const size_t kCounts[] = {0, 1, 7, 1000, 1001, 2001, 1000003};

uint64_t mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t draw(uint64_t seed, int rank, size_t i) {
  return mix(mix(seed * 1000003 + static_cast<uint64_t>(rank)) ^ static_cast<uint64_t>(i));
}

// Rank `rank`'s input: signed values over 2^-12 .. 2^12 (float sums then
// round differently in different orders). `span` narrows the exponent range.
std::vector<float> input_of(uint64_t seed, int rank, size_t n, int span = 12) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t h = draw(seed, rank, i);
    const float mantissa = 1.0f + static_cast<float>(h & 0x7fffff) / 8388608.0f;
    const int exponent = static_cast<int>((h >> 23) % static_cast<uint64_t>(2 * span + 1)) - span;
    v[i] = std::ldexp((h >> 40) & 1 ? -mantissa : mantissa, exponent);
  }
  return v;
}

// Arbitrary bit patterns, NaN payloads and signalling NaNs included: what a
// moving collective must deliver untouched.
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

// The oracle: ((x_0 + x_1) + x_2) + ... element by element, in float32.
std::vector<float> serial_sum(uint64_t seed, int world, size_t n) {
  std::vector<float> sum = input_of(seed, 0, n);
  for (int r = 1; r < world; ++r) {
    const std::vector<float> x = input_of(seed, r, n);
    for (size_t i = 0; i < n; ++i) sum[i] = sum[i] + x[i];
  }
  return sum;
}

std::vector<uint16_t> half_input_of(uint64_t seed, int rank, size_t n, HalfFormat format) {
  const std::vector<float> x = input_of(seed, rank, n, 6);
  std::vector<uint16_t> h(n);
  for (size_t i = 0; i < n; ++i) {
    h[i] = format == HalfFormat::kFloat16 ? kernels::float_to_fp16(x[i]) : kernels::float_to_bf16(x[i]);
  }
  return h;
}

std::vector<uint16_t> serial_sum_half(uint64_t seed, int world, size_t n, HalfFormat format) {
  const bool fp16 = format == HalfFormat::kFloat16;
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

template <typename T>
::testing::AssertionResult bitwise_equal(const T* got, const T* want, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (std::memcmp(got + i, want + i, sizeof(T)) != 0) {
      return ::testing::AssertionFailure() << "first difference at element " << i << " of " << n << ": got "
                                           << +got[i] << ", want " << +want[i];
    }
  }
  return ::testing::AssertionSuccess();
}

template <typename T>
::testing::AssertionResult bitwise_equal(const std::vector<T>& got, const std::vector<T>& want) {
  if (got.size() != want.size()) return ::testing::AssertionFailure() << "sizes differ";
  return bitwise_equal(got.data(), want.data(), got.size());
}

// Uneven layout with a zero shard: rank 1 (and every fourth rank) owns
// nothing, the others shares growing with rank; the last owner takes the rest.
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
  size_t offset = 0;
  for (int r = 0; r < rank; ++r) offset += counts[static_cast<size_t>(r)];
  return offset;
}

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

class MpiCountTest : public MpiTest, public ::testing::WithParamInterface<size_t> {};

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
    make_communicators("mpi", options);
    ADD_FAILURE() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("mpirun -np " + std::to_string(world_ + 1)), std::string::npos)
        << e.what();
  }
}

TEST_F(MpiTest, SumOrderMatters) {
  // The oracle is only a test of the order if another order gives other bits.
  if (world_ < 3) return;  // two ranks: a + b == b + a
  const size_t n = 1000;
  std::vector<float> reversed = input_of(11, world_ - 1, n);
  for (int r = world_ - 2; r >= 0; --r) {
    const std::vector<float> x = input_of(11, r, n);
    for (size_t i = 0; i < n; ++i) reversed[i] = reversed[i] + x[i];
  }
  EXPECT_FALSE(bitwise_equal(reversed, serial_sum(11, world_, n)));
}

TEST_P(MpiCountTest, AllreduceSumIsTheSerialRankOrderSum) {
  const size_t n = GetParam();
  std::vector<float> data = input_of(1, rank_, n);
  CollectiveOptions o;
  o.tag = "allreduce test";
  comm_->allreduce_sum(data, o).wait();
  EXPECT_TRUE(bitwise_equal(data, serial_sum(1, world_, n)));
}

TEST_P(MpiCountTest, AllreduceSumHalfIsTheSerialRankOrderSumRoundedOnce) {
  const size_t n = GetParam();
  for (HalfFormat format : {HalfFormat::kFloat16, HalfFormat::kBFloat16}) {
    std::vector<uint16_t> data = half_input_of(2, rank_, n, format);
    comm_->allreduce_sum_half(data, format).wait();
    EXPECT_TRUE(bitwise_equal(data, serial_sum_half(2, world_, n, format)))
        << (format == HalfFormat::kFloat16 ? "fp16" : "bf16");
  }
}

TEST_P(MpiCountTest, ReduceScatterSumOwnsTheSumOfItsShard) {
  const size_t n = GetParam();
  const std::vector<float> want = serial_sum(3, world_, n);
  {  // the shard_of() layout
    std::vector<float> data = input_of(3, rank_, n);
    comm_->reduce_scatter_sum(data).wait();
    const Shard mine = shard_of(n, rank_, world_);
    EXPECT_TRUE(bitwise_equal(data.data() + mine.offset, want.data() + mine.offset, mine.size));
  }
  {  // uneven counts with zero shards
    const std::vector<size_t> counts = uneven_counts(n, world_);
    std::vector<float> data = input_of(3, rank_, n);
    comm_->reduce_scatter_sum(data, counts).wait();
    const size_t offset = offset_of(counts, rank_);
    EXPECT_TRUE(
        bitwise_equal(data.data() + offset, want.data() + offset, counts[static_cast<size_t>(rank_)]));
  }
}

TEST_P(MpiCountTest, ReducingCollectivesStoreTheSumTimesTheScale) {
  // 1/3 is not a power of two, so the product rounds: it must be sum-then-multiply.
  const size_t n = GetParam();
  const float scale = 1.0f / 3.0f;
  std::vector<float> want = serial_sum(4, world_, n);
  for (float& w : want) w = w * scale;
  CollectiveOptions o;
  o.scale = scale;
  std::vector<float> data = input_of(4, rank_, n);
  comm_->allreduce_sum(data, o).wait();
  EXPECT_TRUE(bitwise_equal(data, want)) << "allreduce";
  data = input_of(4, rank_, n);
  comm_->reduce_scatter_sum(data, o).wait();
  const Shard mine = shard_of(n, rank_, world_);
  EXPECT_TRUE(bitwise_equal(data.data() + mine.offset, want.data() + mine.offset, mine.size)) << "reduce-scatter";
}

TEST_P(MpiCountTest, AllgatherMovesEveryShardBitExactly) {
  const size_t n = GetParam();
  for (const std::vector<size_t>& counts : {shard_counts(n, world_), uneven_counts(n, world_)}) {
    std::vector<float> want(n);
    for (int r = 0; r < world_; ++r) {
      const std::vector<float> bits = bits_of(4, r, n);
      const size_t offset = offset_of(counts, r);
      std::copy(bits.begin() + static_cast<ptrdiff_t>(offset),
                bits.begin() + static_cast<ptrdiff_t>(offset + counts[static_cast<size_t>(r)]),
                want.begin() + static_cast<ptrdiff_t>(offset));
    }
    std::vector<float> data = bits_of(4, rank_, n);  // every slice but its own is overwritten
    for (size_t i = 0; i < n; ++i) {
      if (i < offset_of(counts, rank_) || i >= offset_of(counts, rank_ + 1)) data[i] = -1.0f;
    }
    comm_->allgather(data, counts).wait();
    EXPECT_TRUE(bitwise_equal(data, want));
  }
}

TEST_P(MpiCountTest, BroadcastFromEveryRootMovesBitsExactly) {
  const size_t n = GetParam();
  for (int root = 0; root < world_; ++root) {
    std::vector<float> data = rank_ == root ? bits_of(5, root, n) : std::vector<float>(n, -2.0f);
    comm_->broadcast(data, root).wait();
    EXPECT_TRUE(bitwise_equal(data, bits_of(5, root, n))) << "root " << root;
  }
}

INSTANTIATE_TEST_SUITE_P(Counts, MpiCountTest, ::testing::ValuesIn(kCounts));

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

TEST_F(MpiTest, BarrierReleasesNoRankBeforeTheLastArrives) {
  // Ranks arrive 30 ms apart; the steady clock is one clock for every process
  // on this host, so the times compare.
  std::this_thread::sleep_for(std::chrono::milliseconds(30 * rank_));
  const int64_t entered = now_ns();
  comm_->barrier().wait();
  const int64_t left = now_ns();
  std::vector<float> times(2 * 2 * static_cast<size_t>(world_));  // two int64 per rank, as float bits
  std::memcpy(&times[4 * static_cast<size_t>(rank_)], &entered, sizeof entered);
  std::memcpy(&times[4 * static_cast<size_t>(rank_) + 2], &left, sizeof left);
  comm_->allgather(times).wait();
  int64_t last_entered = 0;
  for (int r = 0; r < world_; ++r) {
    int64_t t = 0;
    std::memcpy(&t, &times[4 * static_cast<size_t>(r)], sizeof t);
    last_entered = std::max(last_entered, t);
  }
  for (int r = 0; r < world_; ++r) {
    int64_t t = 0;
    std::memcpy(&t, &times[4 * static_cast<size_t>(r) + 2], sizeof t);
    EXPECT_GE(t, last_entered) << "rank " << r << " left the barrier before every rank had entered";
  }
}

TEST_F(MpiTest, OpsInFlightWaitedInReverseOrder) {
  const size_t big = 1000003, small = 7;
  std::vector<float> a = input_of(21, rank_, big);
  std::vector<float> b = input_of(22, rank_, small);
  std::vector<uint16_t> c = half_input_of(23, rank_, 1000, HalfFormat::kBFloat16);
  std::vector<float> d = input_of(24, rank_, 5000);
  std::vector<float> e = bits_of(25, rank_, 333);
  std::vector<float> f = rank_ == world_ - 1 ? bits_of(26, world_ - 1, 100000) : std::vector<float>(100000);
  std::vector<Work> works;
  works.push_back(comm_->allreduce_sum(a));
  works.push_back(comm_->allreduce_sum(b));
  works.push_back(comm_->allreduce_sum_half(c, HalfFormat::kBFloat16));
  works.push_back(comm_->reduce_scatter_sum(d));
  works.push_back(comm_->allgather(e));
  works.push_back(comm_->broadcast(f, world_ - 1));
  works.push_back(comm_->barrier());
  for (auto it = works.rbegin(); it != works.rend(); ++it) it->wait();
  for (Work& w : works) EXPECT_TRUE(w.is_completed());

  EXPECT_TRUE(bitwise_equal(a, serial_sum(21, world_, big)));
  EXPECT_TRUE(bitwise_equal(b, serial_sum(22, world_, small)));
  EXPECT_TRUE(bitwise_equal(c, serial_sum_half(23, world_, 1000, HalfFormat::kBFloat16)));
  const Shard mine = shard_of(d.size(), rank_, world_);
  EXPECT_TRUE(
      bitwise_equal(d.data() + mine.offset, serial_sum(24, world_, 5000).data() + mine.offset, mine.size));
  std::vector<float> e_want(e.size());
  for (int r = 0; r < world_; ++r) {
    const Shard s = shard_of(e.size(), r, world_);
    const std::vector<float> bits = bits_of(25, r, e.size());
    std::copy_n(bits.begin() + static_cast<ptrdiff_t>(s.offset), s.size,
                e_want.begin() + static_cast<ptrdiff_t>(s.offset));
  }
  EXPECT_TRUE(bitwise_equal(e, e_want));
  EXPECT_TRUE(bitwise_equal(f, bits_of(26, world_ - 1, 100000)));
}

TEST_F(MpiTest, ManyBackToBackOps) {
  for (int i = 0; i < 300; ++i) {  // issue, wait, issue, wait ...
    const size_t n = static_cast<size_t>(i * 37 % 2003);
    std::vector<float> data = input_of(100 + static_cast<uint64_t>(i), rank_, n);
    comm_->allreduce_sum(data).wait();
    ASSERT_TRUE(bitwise_equal(data, serial_sum(100 + static_cast<uint64_t>(i), world_, n))) << "op " << i;
  }
  std::vector<std::vector<float>> buffers;
  std::vector<Work> works;
  for (int i = 0; i < 100; ++i) {  // 100 in flight, waited in issue order
    buffers.push_back(input_of(500 + static_cast<uint64_t>(i), rank_, static_cast<size_t>(i * 211 % 20011)));
  }
  for (std::vector<float>& b : buffers) works.push_back(comm_->allreduce_sum(b));
  for (Work& w : works) w.wait();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(bitwise_equal(
        buffers[static_cast<size_t>(i)],
        serial_sum(500 + static_cast<uint64_t>(i), world_, buffers[static_cast<size_t>(i)].size())))
        << "op " << i;
  }
}

TEST_F(MpiTest, PollingIsCompletedFinishesTheOp) {
  std::vector<float> data = input_of(31, rank_, 300000);
  Work work = comm_->allreduce_sum(data);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!work.is_completed()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "is_completed() never became true";
    std::this_thread::yield();
  }
  EXPECT_TRUE(bitwise_equal(data, serial_sum(31, world_, 300000)));
  work.wait();  // a completed Work waits at once
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
}  // namespace dpeval::parallel

int main(int argc, char** argv) { return dpeval::testing::run_mpi_tests(argc, argv, {}); }
