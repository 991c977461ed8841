// The Communicator conformance suite (STYLE.md habit 13), written once and run
// over both backends: every collective (allreduce_sum, allreduce_sum_half,
// reduce_scatter_sum, allgather, broadcast, barrier) over element counts 0, 1,
// 7, 1000, 1001, 2001 and 1000003 (most not divisible by the world size), even
// and uneven layouts with empty shards, each result bitwise equal to a serial
// float32 sum in rank order written out here (independent of the backends'
// internal::rank_sum); then Work handles in flight, waited in reverse and
// polled with is_completed, and a barrier that releases no rank early.
//
// A test body is written against one rank's Communicator& and runs on every
// rank; the oracle is computed from (seed, rank) alone, so any rank can compute
// any other rank's input. A driver instantiates the suites with a
// ConformanceWorld, its way of running a body on every rank:
//   threads_communicator_test.cc  world sizes 1, 2, 3, 4, 5, 7, 8 as threads of
//                                 one process (run_ranks);
//   mpi/mpi_communicator_test.cc  the mpirun job's ranks, one per process
//                                 (ctest runs it at -np 2, 3, 4).
// Cases that only make sense for one backend stay in that backend's driver.
// The failure cases (CommunicatorFailureConformance) are instantiated by the
// threads driver and by mpi/mpi_failure_test.cc (-np 2, 3).
//
// To instantiate (inside namespace dpeval::testing):
//   INSTANTIATE_TEST_SUITE_P(threads_communicator, CommunicatorConformance,
//                            ::testing::ValuesIn(cases), conformance_case_name);
//   INSTANTIATE_TEST_SUITE_P(threads_communicator, CommunicatorWorldConformance,
//                            ::testing::ValuesIn(worlds), conformance_world_name);
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "comm/run_ranks.h"
#include "dpeval/comm/communicator.h"

namespace dpeval::testing {

// A world of ranks that a conformance body runs on.
class ConformanceWorld {
 public:
  virtual ~ConformanceWorld() = default;
  // The number of ranks (>= 1).
  virtual int world() const = 0;
  // Runs body on every rank this process hosts, each on a fresh communicator of
  // one new group whose waits have the default deadline `timeout`, and returns
  // once they all returned. An exception escaping body fails the test naming
  // the rank. A collective call on every rank (mpi: all processes make it).
  virtual void run(const RankBody& body, std::chrono::milliseconds timeout) const = 0;
  void run(const RankBody& body) const { run(body, std::chrono::seconds(20)); }
  // Part of the test name ("w3"; "" where the world is fixed by the launcher).
  virtual std::string name() const = 0;
};

// threads: `world` ranks as threads of this process (run_ranks).
std::shared_ptr<const ConformanceWorld> threads_world(int world);

struct ConformanceCase {
  std::shared_ptr<const ConformanceWorld> ranks;
  size_t n = 0;  // element count
};

// The element counts of CommunicatorConformance. 1000 floats and 2000 halves
// are 4000 bytes, the mpi backend's largest single-phase buffer (Note [Small
// buffers] in mpi_communicator.cc); 1001 and 2001 take two phases; 1000003 is
// prime, so no world size above 1 divides it.
inline constexpr size_t kConformanceCounts[] = {0, 1, 7, 1000, 1001, 2001, 1000003};

// Every (world, count) pair of `worlds` x kConformanceCounts.
std::vector<ConformanceCase> conformance_cases(
    const std::vector<std::shared_ptr<const ConformanceWorld>>& worlds);

// gtest parameter names: "w3_n1000" (or "n1000"), "w3" (or "all").
inline std::string conformance_case_name(const ::testing::TestParamInfo<ConformanceCase>& info) {
  const std::string world = info.param.ranks->name();
  std::string name = world.empty() ? std::string() : world + "_";
  name += "n";
  name += std::to_string(info.param.n);
  return name;
}
inline std::string conformance_world_name(
    const ::testing::TestParamInfo<std::shared_ptr<const ConformanceWorld>>& info) {
  const std::string world = info.param->name();
  return world.empty() ? std::string("all") : world;
}

// Every collective at one element count.
class CommunicatorConformance : public ::testing::TestWithParam<ConformanceCase> {};
// Several collectives per test: operations in flight, many in a row, polling,
// barrier order, uneven layouts.
class CommunicatorWorldConformance
    : public ::testing::TestWithParam<std::shared_ptr<const ConformanceWorld>> {};

// Failure paths (Note [Failures name the rank] in communicator.h), bodies in
// communicator_failure_conformance.cc, a separate object so that a driver
// instantiates them on their own (mpi: a binary that finalizes MPI itself after
// communicators failed on purpose). Each test's rank 1 skips a collective that
// every other rank issues; worlds of 2 ranks or more only.
class CommunicatorFailureConformance
    : public ::testing::TestWithParam<std::shared_ptr<const ConformanceWorld>> {};

// ---- The oracle, shared with the drivers' own tests ----

// Rank `rank`'s input for test `seed`: signed values over 2^-span .. 2^span, so
// float sums round differently in different orders (SumOrderMatters checks).
std::vector<float> input_of(uint64_t seed, int rank, size_t n, int span = 12);
// Arbitrary bit patterns, NaN payloads and signalling NaNs included: what a
// moving collective must deliver untouched.
std::vector<float> bits_of(uint64_t seed, int rank, size_t n);
// ((x_0 + x_1) + x_2) + ... element by element in float32, x_r = input_of(seed, r, n).
std::vector<float> serial_sum(uint64_t seed, int world, size_t n);
// input_of(seed, rank, n, 6) rounded once to `format`.
std::vector<uint16_t> half_input_of(uint64_t seed, int rank, size_t n, comm::HalfFormat format);
// Decoded to float32, summed in rank order, rounded once to `format`.
std::vector<uint16_t> serial_sum_half(uint64_t seed, int world, size_t n, comm::HalfFormat format);
// An uneven layout of n elements with empty shards: rank 1 (and every fourth
// rank) owns nothing, the others shares growing with rank; the last owner takes
// the rest.
std::vector<size_t> uneven_counts(size_t n, int world);
// counts[0] + ... + counts[rank - 1].
size_t offset_of(const std::vector<size_t>& counts, int rank);

// Bit for bit (NaN payloads and signed zeros count); names the first difference.
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
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << "sizes differ: " << got.size() << " vs " << want.size();
  }
  return bitwise_equal(got.data(), want.data(), got.size());
}

// What allgather leaves for layout `counts`: rank r's slice of source(r), a
// vector of n floats.
template <typename Source>
std::vector<float> gathered(const std::vector<size_t>& counts, size_t n, Source source) {
  std::vector<float> all(n, 0.0f);
  size_t offset = 0;
  for (size_t r = 0; r < counts.size(); ++r) {
    const std::vector<float> x = source(static_cast<int>(r));
    if (counts[r] > 0) std::memcpy(all.data() + offset, x.data() + offset, counts[r] * sizeof(float));
    offset += counts[r];
  }
  return all;
}

}  // namespace dpeval::testing
