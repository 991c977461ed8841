// What it costs to move data between the two cores a 2-worker threads run
// uses: the floor under the data-parallel step's communication
// (docs/PERFORMANCE.md, "Why 95 % is out of reach on this machine").
//
// Two threads, pinned to the first two usable CPUs, take turns on shared
// buffers the size of the MLP preset's parameters (535,818 floats) and of one
// rank's half of them. Each case times only this thread's (rank 0's) part,
// 2,000 times after 100 warm-up rounds, and prints one JSON line with the
// median:
//   sum_local        add a buffer this core just wrote into an accumulator;
//   sum_remote       the same, but the other core wrote it (a reduce-scatter
//                    reading a peer's gradients);
//   update_private   SGD-with-momentum over a half-size shard of a parameter
//                    buffer no other core reads (a replicated update);
//   update_shared    the same after the other core read the whole parameter
//                    buffer (the split update: every line written must be
//                    taken back from the peer's cache);
//   read_private     read the whole parameter buffer that only this core wrote;
//   read_shared      read it after the other core updated its half (the next
//                    forward of the split update).
//
//   cross_core_bench [--reps 2000]
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr size_t kParams = 535818;  // the mlp preset: 784-512-256-10
constexpr size_t kShard = kParams / 2;
constexpr int kWarmup = 100;

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<int> usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  return cpus;
}

void pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

// The peer thread runs one task per round: rank 0 posts it and spins until
// the peer reports it done (acquire/release on `round_`).
class Peer {
 public:
  explicit Peer(int cpu)
      : thread_([this, cpu] {
          pin_to(cpu);
          uint64_t seen = 0;
          for (;;) {
            uint64_t r;
            while ((r = posted_.load(std::memory_order_acquire)) == seen) {
            }
            seen = r;
            if (!task_) return;
            task_();
            done_.store(r, std::memory_order_release);
          }
        }) {}
  ~Peer() {
    run(nullptr);
    thread_.join();
  }
  // Runs `task` on the peer core and returns once it finished (at once for
  // nullptr, which ends the thread).
  void run(std::function<void()> task) {
    const bool stop = !task;
    start(std::move(task));
    if (!stop) wait();
  }
  // start() then wait(): the task runs on the peer core while this one works.
  void start(std::function<void()> task) {
    task_ = std::move(task);
    posted_.store(++round_, std::memory_order_release);
  }
  void wait() {
    while (done_.load(std::memory_order_acquire) != round_) {
    }
  }

 private:
  std::function<void()> task_;
  uint64_t round_ = 0;
  std::atomic<uint64_t> posted_{0}, done_{0};
  std::thread thread_;
};

float* aligned_floats(size_t n, float value) {
  const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
  auto* p = static_cast<float*>(std::aligned_alloc(64, bytes));
  if (!p) {
    std::fprintf(stderr, "cross_core_bench: out of memory\n");
    std::exit(1);
  }
  std::fill(p, p + n, value);
  return p;
}

__attribute__((noinline)) void fill(float* __restrict p, size_t n, float v) {
  for (size_t i = 0; i < n; ++i) p[i] = v + static_cast<float>(i & 1023);
}

__attribute__((noinline)) void add_into(float* __restrict acc, const float* __restrict src, size_t n) {
  for (size_t i = 0; i < n; ++i) acc[i] += src[i];
}

__attribute__((noinline)) float read_all(const float* __restrict p, size_t n) {
  float lanes[16] = {};  // independent sums, so the loop vectorizes
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    for (size_t k = 0; k < 16; ++k) lanes[k] += p[i + k];
  }
  for (; i < n; ++i) lanes[0] += p[i];
  float s = 0;
  for (float l : lanes) s += l;
  return s;
}

// m = 0.9 m + g; p -= lr m (sgd's update with momentum).
__attribute__((noinline)) void sgd_update(float* __restrict p, float* __restrict m, const float* __restrict g,
                                          size_t n) {
  for (size_t i = 0; i < n; ++i) {
    m[i] = 0.9f * m[i] + g[i];
    p[i] -= 0.01f * m[i];
  }
}

void report(const char* what, size_t bytes, std::vector<double> times) {
  std::sort(times.begin(), times.end());
  const double med = times[times.size() / 2];
  std::printf(
      "{\"case\": \"%s\", \"bytes\": %zu, \"median_us\": %.1f, \"p10_us\": %.1f, \"p90_us\": %.1f, "
      "\"gbps\": %.2f}\n",
      what, bytes, med * 1e6, times[times.size() / 10] * 1e6, times[times.size() * 9 / 10] * 1e6,
      static_cast<double>(bytes) / med / 1e9);
  std::fflush(stdout);
}

// One case: `setup` (untimed, on either core through `peer`), then `timed` on
// this core, reps times.
void run_case(const char* what, size_t bytes, int reps, const std::function<void()>& setup,
              const std::function<void()>& timed) {
  std::vector<double> times;
  times.reserve(static_cast<size_t>(reps));
  for (int i = 0; i < kWarmup + reps; ++i) {
    setup();
    const double t0 = now();
    timed();
    const double t1 = now();
    if (i >= kWarmup) times.push_back(t1 - t0);
  }
  report(what, bytes, std::move(times));
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 2000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
      reps = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: cross_core_bench [--reps N]\n");
      return 2;
    }
  }
  if (reps < 10) {
    std::fprintf(stderr, "cross_core_bench: --reps must be at least 10\n");
    return 2;
  }
  const std::vector<int> cpus = usable_cpus();
  if (cpus.size() < 2) {
    std::fprintf(stderr, "cross_core_bench: needs two usable CPUs, found %zu\n", cpus.size());
    return 1;
  }
  pin_to(cpus[0]);
  Peer peer(cpus[1]);

  const size_t shard_bytes = kShard * sizeof(float), all_bytes = kParams * sizeof(float);
  float* mine = aligned_floats(kParams, 1.0f);    // written by this core
  float* theirs = aligned_floats(kParams, 2.0f);  // written by the peer
  float* acc = aligned_floats(kParams, 0.0f);
  float* peer_acc = aligned_floats(kParams, 0.0f);
  float* params = aligned_floats(kParams, 0.5f);
  float* momentum = aligned_floats(kShard, 0.0f);
  float* grads = aligned_floats(kShard, 1e-3f);
  float* peer_momentum = aligned_floats(kShard, 0.0f);
  float* peer_grads = aligned_floats(kShard, 1e-3f);
  float peer_sink = 0;
  float sink = 0;
  float v = 0;

  for (size_t n : {kShard, kParams}) {
    const size_t bytes = n * sizeof(float);
    run_case(
        "sum_local", bytes, reps, [&] { fill(mine, n, v += 1); }, [&] { add_into(acc, mine, n); });
    run_case(
        "sum_remote", bytes, reps, [&] { peer.run([&] { fill(theirs, n, v += 1); }); },
        [&] { add_into(acc, theirs, n); });
  }
  // This core owns the first half of the parameters; the peer reads all of
  // them (its forward) before the shared case, and never in the private one.
  run_case(
      "update_private", shard_bytes, reps, [&] { sink += read_all(params, kParams); },
      [&] { sgd_update(params, momentum, grads, kShard); });
  run_case(
      "update_shared", shard_bytes, reps, [&] { peer.run([&] { sink += read_all(params, kParams); }); },
      [&] { sgd_update(params, momentum, grads, kShard); });
  run_case(
      "read_private", all_bytes, reps, [&] { sgd_update(params + kShard, momentum, grads, kShard); },
      [&] { sink += read_all(params, kParams); });
  run_case(
      "read_shared", all_bytes, reps,
      [&] { peer.run([&] { sgd_update(params + kShard, momentum, grads, kShard); }); },
      [&] { sink += read_all(params, kParams); });

  // Both cores at once, as in a step: each reads the other's half of the
  // gradients, each updates its half of the shared parameters, each reads all
  // of them. This core's part is timed; the peer's runs alongside it.
  auto both = [&](const std::function<void()>& on_peer, const std::function<void()>& here) {
    peer.start(on_peer);
    here();
    peer.wait();
  };
  float w = 0;
  run_case(
      "sum_remote_both", shard_bytes, reps,
      [&] { both([&] { fill(theirs, kParams, w); }, [&] { fill(mine, kParams, w += 1); }); },
      [&] {
        peer.start([&] { add_into(peer_acc + kShard, mine + kShard, kParams - kShard); });
        add_into(acc, theirs, kShard);
      });
  peer.wait();
  // The same after each core also dirtied a private working set of 4 MiB, as
  // a step's forward and backward do before the reduction.
  float* scratch = aligned_floats(size_t{1} << 20, 0.0f);
  float* peer_scratch = aligned_floats(size_t{1} << 20, 0.0f);
  run_case(
      "sum_remote_both_busy", shard_bytes, reps,
      [&] {
        both(
            [&] {
              fill(peer_scratch, size_t{1} << 20, w);
              fill(theirs, kParams, w);
            },
            [&] {
              fill(scratch, size_t{1} << 20, w);
              fill(mine, kParams, w += 1);
            });
      },
      [&] {
        peer.start([&] { add_into(peer_acc + kShard, mine + kShard, kParams - kShard); });
        add_into(acc, theirs, kShard);
      });
  peer.wait();
  run_case(
      "update_shared_both", shard_bytes, reps,
      [&] {
        peer.wait();
        both([&] { peer_sink += read_all(params, kParams); }, [&] { sink += read_all(params, kParams); });
      },
      [&] {
        peer.start([&] { sgd_update(params + kShard, peer_momentum, peer_grads, kParams - kShard); });
        sgd_update(params, momentum, grads, kShard);
      });
  peer.wait();
  run_case(
      "read_shared_both", all_bytes, reps,
      [&] {
        peer.wait();
        both([&] { sgd_update(params + kShard, peer_momentum, peer_grads, kParams - kShard); },
             [&] { sgd_update(params, momentum, grads, kShard); });
      },
      [&] {
        peer.start([&] { peer_sink += read_all(params, kParams); });
        sink += read_all(params, kParams);
      });
  peer.wait();

  if (sink + peer_sink == 42.0f) std::printf("\n");  // keeps the reads
  for (float* p : {scratch, peer_scratch, mine, theirs, acc, peer_acc, params, momentum, grads, peer_momentum,
                   peer_grads})
    std::free(p);
  return 0;
}
