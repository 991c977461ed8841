// The "threads" backend. Ranks are threads sharing memory; a collective reads
// peers' buffers directly, with no lock on the data path and no copy into a
// staging area (except small allreduces, Note [Eager small allreduce]).
//
// Every rank keeps two monotonic counters that its peers read:
//   launched[r]  collectives rank r has started (its buffer pointer and what
//                op k is are published in ring slot k % kRing before
//                launched[r] = k + 1);
//   progress[r]  3k + p once rank r has finished phase p (1..3) of op k.
// Op k runs in up to three phases on each rank, in issue order:
//   1 reduce  once every rank launched op k (and agrees on what it is, Note
//             [Agreement]): add every rank's copy of MY shard in rank order
//             (Note [Rank-order sums]) into my own buffer;
//   2 gather  once every rank finished phase 1: copy every other rank's
//             (reduced) shard from its buffer into mine;
//   3 done    once every rank finished phase 2: nobody reads my buffer any
//             more, so the op is complete and the caller may touch it again.
// An operation skips the waits it does not need: an all-gather or a broadcast
// copies as soon as every rank launched (nobody writes what it reads), and a
// reduce-scatter is done once every rank finished reducing (nobody reads my
// buffer after that). Small allreduces and barriers take a one-phase path
// (Note [Eager small allreduce]). Note [Why three phases] says why no rank
// reads stale or half-written data, Note [Ring slots] when a slot may be
// reused, Note [After a failure] what a timeout or an abort does to the group.
#include "dpeval/comm/threads_communicator.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "dpeval/comm/internal/rank_sum.h"
#include "dpeval/core/check.h"
#include "dpeval/core/error.h"

namespace dpeval::comm {
namespace {

using Clock = std::chrono::steady_clock;

// Note [Ring slots]
// A rank publishes op k in its slot k % kRing (and a small allreduce's input in
// its staging slot k % kEagerRing). Before it launches op k it waits until
// every rank has finished op k - kRing (k - kEagerRing for a staged op), so no
// peer can still be reading the slot it overwrites. It first finishes that op
// itself (peers may be waiting on its part; a rank that waited on itself here
// would hang), so two ranks waiting here never wait on each other.
constexpr uint64_t kRing = 256;

// Note [Why three phases]
// Phase 1 writes only my own shard of my own buffer, which peers never read in
// phase 1 (each reads only its own shard everywhere). Phase 2 reads peers'
// shards after they finished writing them (everyone passed phase 1) and writes
// the other shards of my buffer, which nobody reads in phase 2 (peers read only
// my shard). Phase 3 keeps my buffer untouched until every peer is done copying
// my shard from it. Acquire loads of the counters pair with the release stores
// that end each phase, so the bytes written in a phase are visible to every
// peer that saw its counter move.

// Note [Eager small allreduce]
// A small allreduce is latency-bound: three rounds of cross-core handshakes
// cost more than the data. Instead each rank copies its input into its own
// staging slot at launch; once every rank has launched, each sums all staging
// slots in rank order straight into its own buffer and is done (one
// handshake). Nobody reads the caller's buffer, so the op completes at once. A
// barrier is the same path with nothing to add. Every rank reads world * n
// values here (n in three phases), so "small" shrinks as the world grows:
// eager_bytes_for(world). That also bounds a group's staging memory to
// kEagerRing * kEagerGroupBytes, which is zeroed when the group is made: left
// untouched, the first use of each slot would pay page faults (a 4 KiB
// allreduce between 2 threads measured 16 us instead of 7.5 us right after
// start-up in bench/allreduce).
constexpr size_t kEagerBytes = 16 << 10;
constexpr size_t kEagerGroupBytes = 128 << 10;
constexpr uint64_t kEagerRing = 64;

// Bytes of one rank's staging slot: the largest eager allreduce in a group of
// `world` ranks (16 KiB up to 8 ranks, then less; at least one cache line).
size_t eager_bytes_for(int world) {
  const size_t per_rank = std::min(kEagerBytes, kEagerGroupBytes / static_cast<size_t>(world));
  return std::max<size_t>(64, per_rank / 64 * 64);
}

// Note [Backoff]
// A waiting rank spins first: a peer on another core answers within a
// microsecond or two. When every rank has a core of its own (the group fits
// the CPUs, Note [Pinning rank threads]), spinning takes nothing from anyone,
// so a rank re-checks for about 100 us before it gives its core up: yielding
// or sleeping lets the core go idle, and waking it again costs more than a
// small allreduce. In an oversubscribed group it spins only briefly. Then it
// yields (the peer it waits for may need this core), then sleeps 50 us
// (nobody is coming soon: leave the cores to those who work). The spin has no
// pause instruction: under KVM, a loop of pauses is taken for a spinning lock
// and the virtual CPU is descheduled (a 4 KiB allreduce measured 400 us with
// one). Failures and deadlines are checked between pauses, so an abort is
// seen within one pause.
class Backoff {
 public:
  explicit Backoff(bool fits_cores) : spins_(fits_cores ? kLongSpins : kShortSpins) {}
  void pause() {
    ++idle_;
    if (idle_ < spins_) return;
    if (idle_ < spins_ + kYields) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  void reset() { idle_ = 0; }

 private:
  static constexpr int kShortSpins = 64;
  static constexpr int kLongSpins = 2048;  // a check costs about 50 ns
  static constexpr int kYields = 2048;
  int spins_;
  int idle_ = 0;
};

enum class OpKind { kAllreduce, kAllreduceHalf, kReduceScatter, kAllgather, kBroadcast, kBarrier };

const char* op_name(OpKind kind) {
  switch (kind) {
    case OpKind::kAllreduce:
      return "allreduce";
    case OpKind::kAllreduceHalf:
      return "allreduce (16-bit)";
    case OpKind::kReduceScatter:
      return "reduce-scatter";
    case OpKind::kAllgather:
      return "allgather";
    case OpKind::kBroadcast:
      return "broadcast";
    case OpKind::kBarrier:
      return "barrier";
  }
  return "?";
}

bool op_reduces(OpKind kind) {
  return kind == OpKind::kAllreduce || kind == OpKind::kAllreduceHalf || kind == OpKind::kReduceScatter;
}

// What a rank launched as op k, published in its ring slot.
//
// Note [Agreement]
// Ranks that issue different collectives (Note [Collective order]) would read
// past the end of a peer's buffer, or wait on a phase the peer never reaches.
// So once every rank launched op k, each compares every rank's slot with its
// own before touching any buffer. If any two ranks differ, every rank differs
// from at least one other, so every rank throws InternalError (naming the
// ranks that disagree with it) and nobody hangs or reads out of bounds.
struct Slot {
  void* data = nullptr;
  size_t n = 0;
  OpKind kind = OpKind::kBarrier;
  int root = 0;
  HalfFormat format = HalfFormat::kFloat16;
  uint64_t counts_hash = 0;  // FNV-1a of the shard counts
  float scale = 1.0f;        // CollectiveOptions::scale of a reducing op, else 1
};

bool slot_matches(const Slot& a, const Slot& b) {
  return a.n == b.n && a.kind == b.kind && a.root == b.root && a.format == b.format &&
         a.counts_hash == b.counts_hash &&
         std::bit_cast<uint32_t>(a.scale) == std::bit_cast<uint32_t>(b.scale);
}

std::string slot_describe(const Slot& slot) {
  std::string text = std::string(op_name(slot.kind)) + " of " + std::to_string(slot.n) + " elements";
  if (slot.kind == OpKind::kBroadcast) text += " from root " + std::to_string(slot.root);
  if (slot.kind == OpKind::kAllreduceHalf)
    text += slot.format == HalfFormat::kFloat16 ? " (fp16)" : " (bf16)";
  if (slot.scale != 1.0f) text += " scaled by " + std::to_string(slot.scale);
  return text;
}

uint64_t counts_hash(const std::vector<size_t>& counts) {
  uint64_t h = 1469598103934665603ull;
  for (size_t c : counts) h = (h ^ static_cast<uint64_t>(c)) * 1099511628211ull;
  return h;
}

struct alignas(64) RankState {
  explicit RankState(size_t staging_bytes) : staging(staging_bytes) {}

  std::atomic<uint64_t> launched{0};
  std::atomic<uint64_t> progress{0};
  Slot slots[kRing];
  std::vector<char> staging;  // kEagerRing slots, Note [Eager small allreduce]
};

// Note [After a failure]
// The group records its first failure: an abort, or a rank giving up on a
// timeout. An abort fails every other rank's waits at once (the aborted rank
// will never come). A timeout does not: each waiting rank keeps waiting until
// its own deadline and then names the ranks it is still missing itself. Either
// way, no rank starts reading peers' buffers any more (a rank that gave up may
// already have freed its own), so a late rank fails instead of reading freed
// memory. A rank that threw is unusable: its later calls throw CommError.
class Group {
 public:
  explicit Group(int world)
      : world_(world), fits_cores_(world <= usable_cpus()), eager_bytes_(eager_bytes_for(world)) {
    for (int r = 0; r < world; ++r) ranks_.emplace_back(kEagerRing * eager_bytes_);
  }

  int world() const { return world_; }
  // Whether every rank can have a core of its own (Note [Backoff]).
  bool fits_cores() const { return fits_cores_; }
  // The size of a staging slot: allreduces up to this many bytes are eager.
  size_t eager_bytes() const { return eager_bytes_; }
  RankState& rank(int r) { return ranks_[static_cast<size_t>(r)]; }

  void fail(int rank, std::string_view reason, bool aborted) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (failed_rank_.load(std::memory_order_relaxed) >= 0) return;
    failure_ = "threads: rank " + std::to_string(rank) + " failed: " + std::string(reason);
    aborted_ = aborted;
    failed_rank_.store(rank, std::memory_order_release);
  }
  // Throws CommError when a rank other than `me` has failed and either it
  // aborted or this rank is about to read peers' buffers.
  void check_failed(int me, bool reading) {
    const int failed = failed_rank_.load(std::memory_order_acquire);
    if (failed < 0 || failed == me || (!reading && !aborted_)) return;
    std::lock_guard<std::mutex> lock(mutex_);
    throw CommError(failure_);
  }

 private:
  int world_;
  bool fits_cores_;
  size_t eager_bytes_;
  std::deque<RankState> ranks_;  // deque: atomics are not movable
  std::mutex mutex_;
  std::atomic<int> failed_rank_{-1};
  bool aborted_ = false;  // written before failed_rank_ is released
  std::string failure_;
};

struct Op {
  Slot slot;  // what was published; slot.data is this rank's buffer
  uint64_t seq = 0;
  size_t elem = 4;              // bytes per element
  std::vector<size_t> counts;   // per-rank shard sizes, elements
  std::vector<size_t> offsets;  // per-rank shard offsets, elements
  std::string tag;
  std::chrono::milliseconds timeout{0};
  Clock::time_point started;
  int phase = 0;  // phases finished
  bool eager = false;

  char* data() const { return static_cast<char*>(slot.data); }
  bool timed_out() const { return Clock::now() - started > timeout; }
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
      : group_(std::move(group)),
        rank_(rank),
        timeout_(timeout),
        sources_(static_cast<size_t>(group_->world())),
        sources_half_(static_cast<size_t>(group_->world())) {}

  int rank() const override { return rank_; }
  int world() const override { return group_->world(); }
  std::string_view backend() const override { return "threads"; }
  CommunicatorCapabilities capabilities() const override { return {.shared_memory = true}; }

  Work allreduce_sum(std::span<float> data, const CollectiveOptions& options) override {
    return launch(OpKind::kAllreduce, data.data(), sizeof(float), data.size(),
                  shard_counts(data.size(), world()), 0, HalfFormat::kFloat16, options);
  }
  Work allreduce_sum_half(std::span<uint16_t> data, HalfFormat format,
                          const CollectiveOptions& options) override {
    return launch(OpKind::kAllreduceHalf, data.data(), sizeof(uint16_t), data.size(),
                  shard_counts(data.size(), world()), 0, format, options);
  }
  Work reduce_scatter_sum(std::span<float> data, std::span<const size_t> counts,
                          const CollectiveOptions& options) override {
    return launch(OpKind::kReduceScatter, data.data(), sizeof(float), data.size(),
                  checked_counts(counts, data.size()), 0, HalfFormat::kFloat16, options);
  }
  Work allgather(std::span<float> data, std::span<const size_t> counts,
                 const CollectiveOptions& options) override {
    return launch(OpKind::kAllgather, data.data(), sizeof(float), data.size(),
                  checked_counts(counts, data.size()), 0, HalfFormat::kFloat16, options);
  }
  Work broadcast(std::span<float> data, int root, const CollectiveOptions& options) override {
    DPEVAL_CHECK(root >= 0 && root < world()) << "broadcast root " << root << " of world " << world();
    return launch(OpKind::kBroadcast, data.data(), sizeof(float), data.size(),
                  shard_counts(data.size(), world()), root, HalfFormat::kFloat16, options);
  }
  Work barrier(const CollectiveOptions& options) override {
    return launch(OpKind::kBarrier, nullptr, 1, 0, shard_counts(0, world()), 0, HalfFormat::kFloat16,
                  options);
  }
  using Communicator::allgather;
  using Communicator::reduce_scatter_sum;

  void abort(std::string_view reason) noexcept override {
    try {
      group_->fail(rank_, reason, /*aborted=*/true);
    } catch (...) {  // an allocation failure: peers then time out instead
    }
    broken_ = true;
  }

  // Advances pending ops in order as far as possible without blocking; true
  // once op `seq` is complete. With `block`, waits (Note [Backoff]) until it
  // is, or throws at the deadline.
  bool advance(uint64_t seq, bool block);

 private:
  enum class Counter { kLaunched, kProgress };

  std::vector<size_t> checked_counts(std::span<const size_t> counts, size_t n) const {
    DPEVAL_CHECK(counts.size() == static_cast<size_t>(world()))
        << "counts has " << counts.size() << " entries for world " << world();
    size_t sum = 0;
    for (size_t c : counts) sum += c;
    DPEVAL_CHECK(sum == n) << "counts sum to " << sum << ", data has " << n << " elements";
    return {counts.begin(), counts.end()};
  }

  Work launch(OpKind kind, void* data, size_t elem, size_t n, std::vector<size_t> counts, int root,
              HalfFormat format, const CollectiveOptions& options);
  // Blocks until every rank finished op `done` (Note [Ring slots]); `op` is
  // the op being launched, for its deadline and error messages.
  void wait_everyone_finished(uint64_t done, const Op& op);
  // Tries to finish the next phase of the front op; true if it did.
  bool try_phase(Op& op);
  bool finish_phase(Op& op, int phase);
  void check_agreement(const Op& op);
  void sum_staging(const Op& op);
  void reduce_my_shard(const Op& op);
  void gather(const Op& op);
  bool everyone_reached(Counter counter, uint64_t need);
  // "rank 2" or "ranks 1, 3": the ranks whose counter is below `need`.
  std::string missing_ranks(Counter counter, uint64_t need);
  // "allreduce 'bucket 2' (#57)".
  std::string op_label(const Op& op) const;
  [[noreturn]] void throw_timeout(const Op& op, const std::string& missing);
  [[noreturn]] void throw_broken() const {
    throw CommError("threads: rank " + std::to_string(rank_) + " can no longer communicate after a failure");
  }

  std::shared_ptr<Group> group_;
  int rank_;
  std::chrono::milliseconds timeout_;
  std::deque<Op> pending_;  // launched, not complete; front is the oldest
  uint64_t launched_ = 0, completed_ = 0;
  bool broken_ = false;
  std::vector<const float*> sources_;          // scratch of the rank-order sums
  std::vector<const uint16_t*> sources_half_;  // the same, 16-bit
};

Work ThreadsCommunicator::launch(OpKind kind, void* data, size_t elem, size_t n, std::vector<size_t> counts,
                                 int root, HalfFormat format, const CollectiveOptions& options) {
  if (broken_) throw_broken();
  group_->check_failed(rank_, /*reading=*/false);
  Op op;
  op.slot = Slot{data, n, kind, root, format, 0, op_reduces(kind) ? options.scale : 1.0f};
  if (kind == OpKind::kReduceScatter || kind == OpKind::kAllgather) op.slot.counts_hash = counts_hash(counts);
  op.seq = launched_;
  op.elem = elem;
  op.offsets.resize(counts.size());
  size_t offset = 0;
  for (size_t r = 0; r < counts.size(); ++r) {
    op.offsets[r] = offset;
    offset += counts[r];
  }
  op.counts = std::move(counts);
  op.tag = options.tag;
  op.timeout = options.timeout.count() > 0 ? options.timeout : timeout_;
  op.started = Clock::now();
  op.eager = kind == OpKind::kBarrier || ((kind == OpKind::kAllreduce || kind == OpKind::kAllreduceHalf) &&
                                          n * elem <= group_->eager_bytes());
  const bool staged = op.eager && n > 0;
  // Note [Ring slots]: the staging ring is the shorter one.
  const uint64_t ring = staged ? kEagerRing : kRing;
  if (op.seq >= ring) wait_everyone_finished(op.seq - ring, op);

  RankState& me = group_->rank(rank_);
  if (staged) std::memcpy(me.staging.data() + (op.seq % kEagerRing) * group_->eager_bytes(), data, n * elem);
  me.slots[op.seq % kRing] = op.slot;
  me.launched.store(op.seq + 1, std::memory_order_release);
  pending_.push_back(std::move(op));
  const uint64_t seq = launched_++;
  advance(seq, /*block=*/false);  // a rank arriving last does its part at once
  return Work(std::make_shared<ThreadsWork>(this, seq));
}

void ThreadsCommunicator::wait_everyone_finished(uint64_t done, const Op& op) {
  advance(done, /*block=*/true);  // my own part first: peers may be waiting on it
  Backoff backoff(group_->fits_cores());
  while (!everyone_reached(Counter::kProgress, 3 * done + 3)) {
    group_->check_failed(rank_, /*reading=*/false);
    if (op.timed_out()) throw_timeout(op, missing_ranks(Counter::kProgress, 3 * done + 3));
    backoff.pause();
  }
}

bool ThreadsCommunicator::everyone_reached(Counter counter, uint64_t need) {
  for (int r = 0; r < group_->world(); ++r) {
    RankState& state = group_->rank(r);
    const auto& value = counter == Counter::kLaunched ? state.launched : state.progress;
    if (value.load(std::memory_order_acquire) < need) return false;
  }
  return true;
}

bool ThreadsCommunicator::finish_phase(Op& op, int phase) {
  op.phase = phase;
  group_->rank(rank_).progress.store(3 * op.seq + static_cast<uint64_t>(phase), std::memory_order_release);
  return true;
}

bool ThreadsCommunicator::try_phase(Op& op) {
  const uint64_t k = op.seq;
  switch (op.phase) {
    case 0:
      if (!everyone_reached(Counter::kLaunched, k + 1)) return false;
      check_agreement(op);
      if (op.eager) {
        if (op.slot.n > 0) {
          group_->check_failed(rank_, /*reading=*/true);
          sum_staging(op);
        }
        return finish_phase(op, 3);
      }
      if (op_reduces(op.slot.kind)) {
        group_->check_failed(rank_, /*reading=*/true);
        reduce_my_shard(op);
      }
      return finish_phase(op, 1);
    case 1:
      // An all-gather or broadcast reads only data nobody writes during the op.
      if (op_reduces(op.slot.kind) && !everyone_reached(Counter::kProgress, 3 * k + 1)) return false;
      // Every rank finished reducing, so nobody reads my buffer any more.
      if (op.slot.kind == OpKind::kReduceScatter) return finish_phase(op, 3);
      group_->check_failed(rank_, /*reading=*/true);
      gather(op);
      return finish_phase(op, 2);
    case 2:
      if (!everyone_reached(Counter::kProgress, 3 * k + 2)) return false;
      return finish_phase(op, 3);
    default:
      return false;
  }
}

void ThreadsCommunicator::check_agreement(const Op& op) {
  const size_t slot = op.seq % kRing;
  std::string disagree;
  int first = -1;
  for (int r = 0; r < group_->world(); ++r) {
    if (slot_matches(group_->rank(r).slots[slot], op.slot)) continue;
    if (first < 0) first = r;
    disagree += (disagree.empty() ? "" : ", ") + std::to_string(r);
  }
  if (first < 0) return;
  broken_ = true;
  const Slot& theirs = group_->rank(first).slots[slot];
  std::string what = "rank " + std::to_string(first) + " started a " + slot_describe(theirs);
  if (slot_matches(Slot{theirs.data, theirs.n, theirs.kind, theirs.root, theirs.format, op.slot.counts_hash,
                        theirs.scale},
                   op.slot)) {
    what += " with other shard counts";
  }
  throw InternalError("threads: " + op_label(op) +
                      ": ranks disagree on the operation (see Note [Collective order]): rank " +
                      std::to_string(rank_) + " started a " + slot_describe(op.slot) + ", " + what +
                      " (ranks differing from rank " + std::to_string(rank_) + ": " + disagree + ")");
}

void ThreadsCommunicator::sum_staging(const Op& op) {
  const size_t offset = (op.seq % kEagerRing) * group_->eager_bytes();
  const int world = group_->world();
  if (op.slot.kind == OpKind::kAllreduceHalf) {
    for (int r = 0; r < world; ++r) {
      sources_half_[static_cast<size_t>(r)] =
          reinterpret_cast<const uint16_t*>(group_->rank(r).staging.data() + offset);
    }
    internal::sum_rank_order_half(sources_half_, op.slot.n, op.slot.format,
                                  static_cast<uint16_t*>(op.slot.data), op.slot.scale);
  } else {
    for (int r = 0; r < world; ++r) {
      sources_[static_cast<size_t>(r)] =
          reinterpret_cast<const float*>(group_->rank(r).staging.data() + offset);
    }
    internal::sum_rank_order(sources_, op.slot.n, static_cast<float*>(op.slot.data), op.slot.scale);
  }
}

void ThreadsCommunicator::reduce_my_shard(const Op& op) {
  const size_t mine = static_cast<size_t>(rank_);
  const size_t count = op.counts[mine], offset = op.offsets[mine];
  if (count == 0) return;
  const size_t slot = op.seq % kRing;
  const int world = group_->world();
  if (op.slot.kind == OpKind::kAllreduceHalf) {
    for (int r = 0; r < world; ++r) {
      sources_half_[static_cast<size_t>(r)] =
          static_cast<const uint16_t*>(group_->rank(r).slots[slot].data) + offset;
    }
    internal::sum_rank_order_half(sources_half_, count, op.slot.format,
                                  static_cast<uint16_t*>(op.slot.data) + offset, op.slot.scale);
  } else {
    for (int r = 0; r < world; ++r) {
      sources_[static_cast<size_t>(r)] = static_cast<const float*>(group_->rank(r).slots[slot].data) + offset;
    }
    internal::sum_rank_order(sources_, count, static_cast<float*>(op.slot.data) + offset, op.slot.scale);
  }
}

void ThreadsCommunicator::gather(const Op& op) {
  const size_t slot = op.seq % kRing;
  // Note [One buffer for all ranks]
  // Ranks may pass the same buffer (the trainer's shared parameters, Note
  // [Shared parameters] in nn/model.h). A peer's slice is then already in
  // place: nothing is copied, and the op only orders the peers' writes before
  // this rank's reads (its phases, as for any all-gather or broadcast).
  if (op.slot.kind == OpKind::kBroadcast) {
    const void* src = group_->rank(op.slot.root).slots[slot].data;
    if (rank_ != op.slot.root && op.slot.n > 0 && src != op.slot.data) {
      std::memcpy(op.data(), src, op.slot.n * op.elem);
    }
    return;
  }
  for (int r = 0; r < group_->world(); ++r) {
    const size_t rr = static_cast<size_t>(r);
    if (r == rank_ || op.counts[rr] == 0) continue;
    const char* src = static_cast<const char*>(group_->rank(r).slots[slot].data);
    if (src == op.data()) continue;
    const size_t at = op.offsets[rr] * op.elem;
    std::memcpy(op.data() + at, src + at, op.counts[rr] * op.elem);
  }
}

std::string ThreadsCommunicator::missing_ranks(Counter counter, uint64_t need) {
  std::vector<int> missing;
  for (int r = 0; r < group_->world(); ++r) {
    RankState& state = group_->rank(r);
    const auto& value = counter == Counter::kLaunched ? state.launched : state.progress;
    if (value.load(std::memory_order_acquire) < need) missing.push_back(r);
  }
  std::string text = missing.size() == 1 ? "rank " : "ranks ";
  for (size_t i = 0; i < missing.size(); ++i) text += (i ? ", " : "") + std::to_string(missing[i]);
  return text;
}

std::string ThreadsCommunicator::op_label(const Op& op) const {
  return std::string(op_name(op.slot.kind)) + (op.tag.empty() ? "" : " '" + op.tag + "'") + " (#" +
         std::to_string(op.seq) + ")";
}

void ThreadsCommunicator::throw_timeout(const Op& op, const std::string& missing) {
  char limit[32];
  std::snprintf(limit, sizeof(limit), "%g", static_cast<double>(op.timeout.count()) / 1000.0);
  const std::string label = op_label(op);
  broken_ = true;
  // Note [After a failure]: late peers must not read my buffer any more.
  group_->fail(rank_, "gave up on " + label + " waiting for " + missing, /*aborted=*/false);
  throw TimeoutError("threads: " + label + ": " + missing + " did not take part within " + limit +
                     " s (hung or lost; see --comm-timeout-s)");
}

bool ThreadsCommunicator::advance(uint64_t seq, bool block) {
  if (seq < completed_) return true;
  if (broken_) throw_broken();
  Backoff backoff(group_->fits_cores());
  while (completed_ <= seq) {
    Op& op = pending_.front();
    if (try_phase(op)) {
      backoff.reset();
      if (op.phase == 3) {
        pending_.pop_front();
        ++completed_;
      }
      continue;
    }
    group_->check_failed(rank_, /*reading=*/false);
    if (!block) return false;
    if (op.timed_out()) {
      const uint64_t k = op.seq;
      throw_timeout(op, op.phase == 0
                            ? missing_ranks(Counter::kLaunched, k + 1)
                            : missing_ranks(Counter::kProgress, 3 * k + static_cast<uint64_t>(op.phase)));
    }
    backoff.pause();
  }
  return true;
}

void ThreadsWork::wait() { comm_->advance(seq_, /*block=*/true); }
bool ThreadsWork::test() { return comm_->advance(seq_, /*block=*/false); }

}  // namespace

namespace {

// The CPUs this process may run on (its affinity mask), in order; empty if unknown.
std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

}  // namespace

int usable_cpus() { return std::max(1, static_cast<int>(allowed_cpus().size())); }

std::vector<int> rank_cpus(int world) {
  std::vector<int> cpus = allowed_cpus();
  if (world < 2 || world > static_cast<int>(cpus.size())) return {};
  cpus.resize(static_cast<size_t>(world));
  return cpus;
}

bool pin_this_thread(int cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  return sched_setaffinity(0, sizeof(one), &one) == 0;
}

std::vector<std::unique_ptr<Communicator>> make_threads_communicators(const CommunicatorOptions& options) {
  if (options.world < 1 || options.world > 1024) {
    throw ConfigError("workers: expected an integer in [1, 1024] for the threads backend, got " +
                      std::to_string(options.world));
  }
  auto group = std::make_shared<Group>(options.world);
  std::vector<std::unique_ptr<Communicator>> comms;
  for (int r = 0; r < options.world; ++r)
    comms.push_back(std::make_unique<ThreadsCommunicator>(group, r, options.timeout));
  return comms;
}

}  // namespace dpeval::comm
