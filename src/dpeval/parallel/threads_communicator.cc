// The "threads" backend. Ranks are threads sharing memory; a collective reads
// peers' buffers directly, with no copy into a staging area and no lock on
// the data path.
//
// Every rank keeps two monotonic counters that its peers read:
//   launched[r]  collectives rank r has started (its buffer pointer for op k is
//                published in ring slot k % kRing before launched[r] = k + 1);
//   progress[r]  3k + p once rank r has finished phase p (1..3) of op k.
// Op k runs in three phases on each rank, in issue order:
//   1 reduce  once every rank launched op k: add every rank's copy of MY shard
//             in rank order (Note [Rank-order sums]) into my own buffer;
//   2 gather  once every rank finished phase 1: copy every other rank's
//             (reduced) shard from its buffer into mine;
//   3 done    once every rank finished phase 2: nobody reads my buffer any
//             more, so the op is complete and the caller may touch it again.
// Small allreduces (Note [Eager small allreduce]) take a one-phase path.
// Phases that an operation does not need (no reduce in an all-gather, no
// gather in a reduce-scatter) still synchronise, which keeps one code path.
// See Note [Why three phases] for why no rank can read stale or half-written
// data, and Note [Ring slots] for when a slot may be reused.
#include "dpeval/parallel/threads_communicator.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/parallel/internal/rank_sum.h"

namespace dpeval::parallel {
namespace {

// Note [Ring slots]
// A rank publishes its buffer pointer for op k in slot k % kRing and may have
// at most kRing ops launched but not complete. Op k completes on rank r only
// after every rank finished reading r's buffer for op k (phase 3), so when r
// launches op k + kRing nobody still needs slot k % kRing of rank r.
constexpr uint64_t kRing = 256;

// Note [Why three phases]
// Phase 1 writes only my own shard of my own buffer, which peers never read in
// phase 1 (each reads only its own shard everywhere). Phase 2 reads peers'
// shards after they finished writing them (everyone passed phase 1) and writes
// the other shards of my buffer, which nobody reads in phase 2 (peers read only
// my shard). Phase 3 keeps my buffer untouched until every peer is done copying
// my shard from it.

// Note [Eager small allreduce]
// An allreduce of at most kEagerBytes is latency-bound: three rounds of
// cross-core handshakes cost more than the data. Instead each rank copies its
// input into its own staging slot at launch; once every rank has launched, each
// sums all staging slots in rank order straight into its own buffer and is
// done (one handshake). Nobody reads the caller's buffer, so the op completes at
// once. A staging slot is reused kEagerRing ops later, after every rank has
// finished that older op (checked at launch).
constexpr size_t kEagerBytes = 16 << 10;
constexpr uint64_t kEagerRing = 64;

enum class OpKind { kAllreduce, kAllreduceHalf, kReduceScatter, kAllgather, kBroadcast, kBarrier };

const char* op_name(OpKind kind) {
  switch (kind) {
    case OpKind::kAllreduce: return "allreduce";
    case OpKind::kAllreduceHalf: return "allreduce (16-bit)";
    case OpKind::kReduceScatter: return "reduce-scatter";
    case OpKind::kAllgather: return "allgather";
    case OpKind::kBroadcast: return "broadcast";
    case OpKind::kBarrier: return "barrier";
  }
  return "?";
}

struct alignas(64) RankCounters {
  std::atomic<uint64_t> launched{0};
  std::atomic<uint64_t> progress{0};
  void* slots[kRing] = {};
  std::vector<char> staging = std::vector<char>(kEagerBytes * kEagerRing);  // Note [Eager small allreduce]
};

class Group {
 public:
  explicit Group(int world) : world_(world), ranks_(static_cast<size_t>(world)) {}

  int world() const { return world_; }
  RankCounters& rank(int r) { return ranks_[static_cast<size_t>(r)]; }

  void fail(int rank, std::string_view reason) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (failed_rank_.load(std::memory_order_relaxed) >= 0) return;
    failure_ = "threads: rank " + std::to_string(rank) + " failed: " + std::string(reason);
    failed_rank_.store(rank, std::memory_order_release);
  }
  // Throws CommError when a rank other than `me` has failed.
  void check_failed(int me) {
    const int failed = failed_rank_.load(std::memory_order_acquire);
    if (failed < 0 || failed == me) return;
    std::lock_guard<std::mutex> lock(mutex_);
    throw CommError(failure_);
  }

 private:
  int world_;
  std::deque<RankCounters> ranks_;  // deque: atomics are not movable
  std::mutex mutex_;
  std::atomic<int> failed_rank_{-1};
  std::string failure_;
};

struct Op {
  OpKind kind = OpKind::kBarrier;
  uint64_t seq = 0;
  char* data = nullptr;         // this rank's buffer
  size_t elem = 4;              // bytes per element
  std::vector<size_t> counts;   // per-rank shard sizes, elements
  std::vector<size_t> offsets;  // per-rank shard offsets, elements
  size_t n = 0;
  int root = 0;
  HalfFormat format = HalfFormat::kFloat16;
  std::string tag;
  std::chrono::milliseconds timeout{0};
  std::chrono::steady_clock::time_point started;
  int phase = 0;  // phases finished
  bool eager = false;
};

class ThreadsCommunicator;

class ThreadsWork final : public internal::WorkState {
 public:
  ThreadsWork(ThreadsCommunicator* comm, uint64_t seq) : comm_(comm), seq_(seq) {}
  void wait() override;
  bool test() override;

 private:
  ThreadsCommunicator* comm_;
  uint64_t seq_;
};

class ThreadsCommunicator final : public Communicator {
 public:
  ThreadsCommunicator(std::shared_ptr<Group> group, int rank, std::chrono::milliseconds timeout)
      : group_(std::move(group)), rank_(rank), timeout_(timeout) {}

  int rank() const override { return rank_; }
  int world() const override { return group_->world(); }
  std::string_view backend() const override { return "threads"; }

  Work allreduce_sum(std::span<float> data, const CollectiveOptions& options) override {
    return launch(OpKind::kAllreduce, reinterpret_cast<char*>(data.data()), sizeof(float), data.size(),
                  shard_counts(data.size(), world()), 0, HalfFormat::kFloat16, options);
  }
  Work allreduce_sum_half(std::span<uint16_t> data, HalfFormat format, const CollectiveOptions& options) override {
    return launch(OpKind::kAllreduceHalf, reinterpret_cast<char*>(data.data()), sizeof(uint16_t), data.size(),
                  shard_counts(data.size(), world()), 0, format, options);
  }
  Work reduce_scatter_sum(std::span<float> data, std::span<const size_t> counts,
                          const CollectiveOptions& options) override {
    return launch(OpKind::kReduceScatter, reinterpret_cast<char*>(data.data()), sizeof(float), data.size(),
                  checked_counts(counts, data.size()), 0, HalfFormat::kFloat16, options);
  }
  Work allgather(std::span<float> data, std::span<const size_t> counts, const CollectiveOptions& options) override {
    return launch(OpKind::kAllgather, reinterpret_cast<char*>(data.data()), sizeof(float), data.size(),
                  checked_counts(counts, data.size()), 0, HalfFormat::kFloat16, options);
  }
  Work broadcast(std::span<float> data, int root, const CollectiveOptions& options) override {
    DPEVAL_CHECK(root >= 0 && root < world()) << "broadcast root " << root << " of world " << world();
    return launch(OpKind::kBroadcast, reinterpret_cast<char*>(data.data()), sizeof(float), data.size(),
                  shard_counts(data.size(), world()), root, HalfFormat::kFloat16, options);
  }
  Work barrier(const CollectiveOptions& options) override {
    return launch(OpKind::kBarrier, nullptr, 1, 0, shard_counts(0, world()), 0, HalfFormat::kFloat16, options);
  }
  using Communicator::allgather;
  using Communicator::reduce_scatter_sum;

  void abort(std::string_view reason) noexcept override {
    try {
      group_->fail(rank_, reason);
    } catch (...) {
    }
    broken_ = true;
  }

  // Advances pending ops in order as far as possible without blocking; true
  // once op `seq` is complete. With `block`, waits (spinning, then yielding,
  // then sleeping) until it is, or throws at the deadline.
  bool advance(uint64_t seq, bool block);

 private:
  std::vector<size_t> checked_counts(std::span<const size_t> counts, size_t n) const {
    DPEVAL_CHECK(counts.size() == static_cast<size_t>(world()))
        << "counts has " << counts.size() << " entries for world " << world();
    size_t sum = 0;
    for (size_t c : counts) sum += c;
    DPEVAL_CHECK(sum == n) << "counts sum to " << sum << ", data has " << n << " elements";
    return {counts.begin(), counts.end()};
  }

  Work launch(OpKind kind, char* data, size_t elem, size_t n, std::vector<size_t> counts, int root, HalfFormat format,
              const CollectiveOptions& options);
  // Tries to finish the next phase of the front op; true if it did.
  bool try_phase(Op& op);
  // Ranks whose counter is below `need` (for error messages).
  std::string missing_ranks(bool launched_counter, uint64_t need);
  [[noreturn]] void throw_timeout(const Op& op);

  std::shared_ptr<Group> group_;
  int rank_;
  std::chrono::milliseconds timeout_;
  std::deque<Op> pending_;  // launched, not complete; front is the oldest
  uint64_t launched_ = 0, completed_ = 0;
  bool broken_ = false;
};

Work ThreadsCommunicator::launch(OpKind kind, char* data, size_t elem, size_t n, std::vector<size_t> counts, int root,
                                 HalfFormat format, const CollectiveOptions& options) {
  if (broken_) throw CommError("threads: rank " + std::to_string(rank_) + " can no longer communicate after a failure");
  group_->check_failed(rank_);
  // Note [Ring slots]: never more than kRing ops in flight.
  if (launched_ - completed_ >= kRing) advance(launched_ - kRing, /*block=*/true);
  Op op;
  op.kind = kind;
  op.seq = launched_;
  op.data = data;
  op.elem = elem;
  op.n = n;
  op.offsets.resize(counts.size());
  size_t offset = 0;
  for (size_t r = 0; r < counts.size(); ++r) {
    op.offsets[r] = offset;
    offset += counts[r];
  }
  op.counts = std::move(counts);
  op.root = root;
  op.format = format;
  op.tag = options.tag;
  op.timeout = options.timeout.count() > 0 ? options.timeout : timeout_;
  op.started = std::chrono::steady_clock::now();
  RankCounters& me = group_->rank(rank_);
  // A barrier is the eager path with nothing to add: done once all ranks launched it.
  op.eager = kind == OpKind::kBarrier ||
             ((kind == OpKind::kAllreduce || kind == OpKind::kAllreduceHalf) && n * elem <= kEagerBytes);
  if (op.eager && n > 0) {
    // The slot's previous user, op seq - kEagerRing, must be finished everywhere.
    if (op.seq >= kEagerRing) {
      const uint64_t need = 3 * (op.seq - kEagerRing) + 3;
      for (int r = 0; r < world(); ++r) {
        while (group_->rank(r).progress.load(std::memory_order_acquire) < need) {
          group_->check_failed(rank_);
          if (std::chrono::steady_clock::now() - op.started > op.timeout) throw_timeout(op);
          std::this_thread::yield();
        }
      }
    }
    std::memcpy(me.staging.data() + (op.seq % kEagerRing) * kEagerBytes, data, n * elem);
  }
  me.slots[op.seq % kRing] = data;
  me.launched.store(op.seq + 1, std::memory_order_release);
  pending_.push_back(std::move(op));
  ++launched_;
  const uint64_t seq = launched_ - 1;
  advance(seq, /*block=*/false);  // a rank arriving last does its part at once
  return Work(std::make_shared<ThreadsWork>(this, seq));
}

bool ThreadsCommunicator::try_phase(Op& op) {
  const int world = group_->world();
  const uint64_t k = op.seq;
  auto all_at_least = [&](bool launched_counter, uint64_t need) {
    for (int r = 0; r < world; ++r) {
      RankCounters& c = group_->rank(r);
      const uint64_t v = (launched_counter ? c.launched : c.progress).load(std::memory_order_acquire);
      if (v < need) return false;
    }
    return true;
  };
  RankCounters& me = group_->rank(rank_);
  const size_t mine = static_cast<size_t>(rank_);
  if (op.phase == 0 && op.eager) {
    if (!all_at_least(true, k + 1)) return false;
    if (op.n > 0) {
      const size_t slot = (k % kEagerRing) * kEagerBytes;
      if (op.kind == OpKind::kAllreduceHalf) {
        std::vector<const uint16_t*> sources(static_cast<size_t>(world));
        for (int r = 0; r < world; ++r) {
          sources[static_cast<size_t>(r)] = reinterpret_cast<const uint16_t*>(group_->rank(r).staging.data() + slot);
        }
        internal::sum_rank_order_half(sources, op.n, op.format, reinterpret_cast<uint16_t*>(op.data));
      } else {
        std::vector<const float*> sources(static_cast<size_t>(world));
        for (int r = 0; r < world; ++r) {
          sources[static_cast<size_t>(r)] = reinterpret_cast<const float*>(group_->rank(r).staging.data() + slot);
        }
        internal::sum_rank_order(sources, op.n, reinterpret_cast<float*>(op.data));
      }
    }
    op.phase = 3;
    me.progress.store(3 * k + 3, std::memory_order_release);
    return true;
  }
  if (op.phase == 0) {
    if (!all_at_least(true, k + 1)) return false;
    if (op.kind == OpKind::kAllreduce || op.kind == OpKind::kReduceScatter || op.kind == OpKind::kAllreduceHalf) {
      const size_t count = op.counts[mine], offset = op.offsets[mine];
      if (count > 0) {
        if (op.kind == OpKind::kAllreduceHalf) {
          std::vector<const uint16_t*> sources(static_cast<size_t>(world));
          for (int r = 0; r < world; ++r) {
            sources[static_cast<size_t>(r)] = static_cast<const uint16_t*>(group_->rank(r).slots[k % kRing]) + offset;
          }
          internal::sum_rank_order_half(sources, count, op.format, reinterpret_cast<uint16_t*>(op.data) + offset);
        } else {
          std::vector<const float*> sources(static_cast<size_t>(world));
          for (int r = 0; r < world; ++r) {
            sources[static_cast<size_t>(r)] = static_cast<const float*>(group_->rank(r).slots[k % kRing]) + offset;
          }
          internal::sum_rank_order(sources, count, reinterpret_cast<float*>(op.data) + offset);
        }
      }
    }
    op.phase = 1;
    me.progress.store(3 * k + 1, std::memory_order_release);
    return true;
  }
  if (op.phase == 1) {
    if (!all_at_least(false, 3 * k + 1)) return false;
    if (op.kind == OpKind::kAllreduce || op.kind == OpKind::kAllreduceHalf || op.kind == OpKind::kAllgather) {
      for (int r = 0; r < world; ++r) {
        const size_t rr = static_cast<size_t>(r);
        if (r == rank_ || op.counts[rr] == 0) continue;
        const char* src = static_cast<const char*>(group_->rank(r).slots[k % kRing]);
        std::memcpy(op.data + op.offsets[rr] * op.elem, src + op.offsets[rr] * op.elem, op.counts[rr] * op.elem);
      }
    } else if (op.kind == OpKind::kBroadcast && rank_ != op.root && op.n > 0) {
      std::memcpy(op.data, group_->rank(op.root).slots[k % kRing], op.n * op.elem);
    }
    op.phase = 2;
    me.progress.store(3 * k + 2, std::memory_order_release);
    return true;
  }
  if (op.phase == 2) {
    if (!all_at_least(false, 3 * k + 2)) return false;
    op.phase = 3;
    me.progress.store(3 * k + 3, std::memory_order_release);
    return true;
  }
  return false;
}

std::string ThreadsCommunicator::missing_ranks(bool launched_counter, uint64_t need) {
  std::vector<int> missing;
  for (int r = 0; r < group_->world(); ++r) {
    RankCounters& c = group_->rank(r);
    if ((launched_counter ? c.launched : c.progress).load(std::memory_order_acquire) < need) missing.push_back(r);
  }
  std::string text = missing.size() == 1 ? "rank " : "ranks ";
  for (size_t i = 0; i < missing.size(); ++i) text += (i ? ", " : "") + std::to_string(missing[i]);
  return text;
}

void ThreadsCommunicator::throw_timeout(const Op& op) {
  const uint64_t k = op.seq;
  const std::string who = op.phase == 0 ? missing_ranks(true, k + 1) : missing_ranks(false, 3 * k + op.phase);
  const double seconds = static_cast<double>(op.timeout.count()) / 1000.0;
  char limit[32];
  std::snprintf(limit, sizeof(limit), "%g", seconds);
  broken_ = true;
  throw TimeoutError("threads: " + std::string(op_name(op.kind)) + (op.tag.empty() ? "" : " '" + op.tag + "'") +
                     " (#" + std::to_string(k) + "): " + who + " did not take part within " + limit +
                     " s (hung or lost; see --comm-timeout-s)");
}

bool ThreadsCommunicator::advance(uint64_t seq, bool block) {
  if (seq < completed_) return true;
  if (broken_) throw CommError("threads: rank " + std::to_string(rank_) + " can no longer communicate after a failure");
  int idle = 0;
  while (completed_ <= seq) {
    Op& op = pending_.front();
    if (try_phase(op)) {
      idle = 0;
      if (op.phase == 3) {
        pending_.pop_front();
        ++completed_;
      }
      continue;
    }
    group_->check_failed(rank_);
    if (!block) return false;
    if (std::chrono::steady_clock::now() - op.started > op.timeout) throw_timeout(op);
    // Back off: spin briefly (peers on other cores answer in microseconds),
    // then yield, then sleep so an oversubscribed group still progresses.
    ++idle;
    if (idle < 64) {
      continue;
    } else if (idle < 2048) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  return true;
}

void ThreadsWork::wait() { comm_->advance(seq_, /*block=*/true); }
bool ThreadsWork::test() { return comm_->advance(seq_, /*block=*/false); }

}  // namespace

std::vector<std::unique_ptr<Communicator>> make_threads_communicators(const CommunicatorOptions& options) {
  if (options.world < 1 || options.world > 1024) {
    throw ConfigError("workers: expected an integer in [1, 1024] for the threads backend, got " +
                      std::to_string(options.world));
  }
  auto group = std::make_shared<Group>(options.world);
  std::vector<std::unique_ptr<Communicator>> comms;
  for (int r = 0; r < options.world; ++r) comms.push_back(std::make_unique<ThreadsCommunicator>(group, r, options.timeout));
  return comms;
}

}  // namespace dpeval::parallel
