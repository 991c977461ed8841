// Allreduce latency and bandwidth of dpeval's communicators, with the protocol
// of ../shared/peers/mpi_allreduce.c and allreduce_bench.py: for 4 KiB, 256 KiB,
// 4 MiB and 64 MiB of float32, 5 warm-up calls then 20 timed calls of an
// in-place allreduce_sum; a barrier precedes each timed call and a call's time
// is the max over ranks. Prints one JSON line per size (rank 0):
//   algbw = bytes / median time; busbw = algbw * 2 (n - 1) / n.
// Also, with --backend threads, a single-thread memcpy of each size: the floor.
//
//   allreduce_bench --backend threads [--world 2]
//   mpirun -np 2 allreduce_bench --backend mpi
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "dpeval/comm/communicator.h"
#include "dpeval/comm/threads_communicator.h"

namespace {

using dpeval::comm::Communicator;
constexpr int kWarmup = 5, kIters = 20;
constexpr size_t kSizes[] = {size_t{4} << 10, size_t{256} << 10, size_t{4} << 20, size_t{64} << 20};

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(pos), hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

void report(const char* what, size_t bytes, int world, const std::vector<double>& times) {
  const double med = percentile(times, 0.5), algbw = static_cast<double>(bytes) / med / 1e9;
  std::printf(
      "{\"impl\": \"%s\", \"bytes\": %zu, \"world\": %d, \"median_us\": %.2f, \"p10_us\": %.2f, \"p90_us\": "
      "%.2f, "
      "\"algbw_gbps\": %.3f, \"busbw_gbps\": %.3f}\n",
      what, bytes, world, med * 1e6, percentile(times, 0.1) * 1e6, percentile(times, 0.9) * 1e6, algbw,
      algbw * 2.0 * (world - 1) / world);
  std::fflush(stdout);
}

// Times every size on this rank; `times[i]` gets this rank's duration of call i,
// then the max over ranks is taken with an allreduce of the times (exact: max
// is found by rank 0 from an allgather).
void run_rank(dpeval::comm::Communicator& comm, const char* name) {
  const int world = comm.world();
  for (size_t bytes : kSizes) {
    std::vector<float> buf(bytes / sizeof(float), 1.0f);
    for (int i = 0; i < kWarmup; ++i) comm.allreduce_sum(buf).wait();
    std::vector<float> mine(static_cast<size_t>(kIters) * static_cast<size_t>(world), 0.0f);
    for (int i = 0; i < kIters; ++i) {
      comm.barrier().wait();
      const double t0 = now();
      comm.allreduce_sum(buf).wait();
      mine[static_cast<size_t>(i * world + comm.rank())] = static_cast<float>(now() - t0);
    }
    // Gather every rank's times (each rank owns column `rank` of each row: an
    // allreduce of zeros elsewhere places them).
    comm.allreduce_sum(mine).wait();
    if (comm.rank() == 0) {
      std::vector<double> worst(kIters);
      for (int i = 0; i < kIters; ++i) {
        double m = 0;
        for (int r = 0; r < world; ++r)
          m = std::max(m, static_cast<double>(mine[static_cast<size_t>(i * world + r)]));
        worst[static_cast<size_t>(i)] = m;
      }
      report(name, bytes, world, worst);
    }
  }
}

void run_memcpy() {
  for (size_t bytes : kSizes) {
    std::vector<char> a(bytes, 1), b(bytes, 2);
    std::vector<double> times;
    for (int i = 0; i < kWarmup + kIters; ++i) {
      const double t0 = now();
      std::memcpy(b.data(), a.data(), bytes);
      asm volatile("" : : "r"(b.data()) : "memory");
      if (i >= kWarmup) times.push_back(now() - t0);
    }
    report("memcpy", bytes, 1, times);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string backend = "threads";
  int world = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--backend") backend = argv[i + 1];
    if (std::string(argv[i]) == "--world") world = std::stoi(argv[i + 1]);
  }
  dpeval::comm::CommunicatorOptions options;
  options.world = backend == "mpi" ? 0 : world;
  auto comms = dpeval::comm::make_communicators(
      dpeval::parse_enum<dpeval::comm::Backend>(backend, "--backend"), options);
  const std::string name = "dpeval-" + backend;
  if (comms.size() == 1) {
    run_rank(*comms[0], name.c_str());
  } else {
    // Note [Pinning rank threads], as dpeval train does.
    const std::vector<int> cpus = dpeval::comm::rank_cpus(static_cast<int>(comms.size()));
    auto rank_thread = [&](size_t r) {
      if (!cpus.empty()) dpeval::comm::pin_this_thread(cpus[r]);
      run_rank(*comms[r], name.c_str());
    };
    std::vector<std::thread> threads;
    for (size_t r = 1; r < comms.size(); ++r) threads.emplace_back(rank_thread, r);
    rank_thread(0);
    for (auto& t : threads) t.join();
  }
  if (backend == "threads") run_memcpy();
  return 0;
}
