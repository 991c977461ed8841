// Communicator: the collectives data-parallel training needs, over one group of
// `world` ranks, behind one narrow interface (STYLE.md habit 5). A backend moves
// bytes and knows nothing of layers or optimizers; the Reducer and the trainer
// decide what to send and when (habit 7).
//
// Backends, made by name with make_communicators():
//   "threads"  every rank is a thread of this process; shared memory.
//   "mpi"      one process per rank, started by mpirun (OpenMPI).
//
// Note [Rank-order sums]
// Every sum a backend computes is, element by element, the serial sum
// ((x_0 + x_1) + x_2) + ... + x_{world-1} in rank order, in float32 (half
// formats: decoded to float32, summed in that order, rounded once at the end).
// Both backends implement it as a reduce-scatter, where the rank that owns a
// shard adds every rank's copy of it in rank order, then an all-gather. So a
// result is bitwise reproducible run after run, equal on every rank, and equal
// between the two backends; it does not depend on timing or on how messages
// were scheduled. (MPI's own MPI_Allreduce may associate differently for
// world > 2, which is why the mpi backend does not use it for sums.)
//
// Note [Collective order]
// All ranks must issue the same collectives, with the same sizes, in the same
// order. Each call starts an operation and returns a Work handle at once; the
// caller must keep the buffer alive and must not touch it until the Work has
// completed. Operations complete in issue order: waiting on a later Work first
// completes the earlier ones of this communicator.
//
// Note [Failures name the rank]
// Every wait has a deadline (CollectiveOptions::timeout, or the communicator's
// default). A rank that does not take part in time makes the wait throw
// TimeoutError naming the operation and the ranks still missing, e.g.
// "threads: allreduce 'bucket 2' (#57): rank 1 did not take part within 10 s".
// A rank that fails calls abort(); the threads backend then fails every other
// rank's pending and later waits at once with CommError naming the failed rank.
//
// Thread safety: a Communicator belongs to its rank's one thread. Distinct
// Communicators of one "threads" group are used concurrently by their threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/core/enum_text.h"

namespace dpeval::comm {

// A 16-bit floating-point wire format for compressed gradients.
enum class HalfFormat { kFloat16, kBFloat16 };

// Options of every collective (habit 6).
struct CollectiveOptions {
  // 0: the communicator's default (CommunicatorOptions::timeout).
  std::chrono::milliseconds timeout{0};
  // Names the operation in errors and traces ("bucket 3", "fingerprint").
  std::string tag;
  // Reducing collectives (allreduce_sum, allreduce_sum_half, reduce_scatter_sum)
  // store each rank-order sum multiplied by `scale`, in float32 (half formats:
  // before the one rounding), with the multiply fused into the summing pass.
  // So a mean costs no extra pass over the buffer (the Reducer's 1/world, Note
  // [Gradient scale] in reducer.h). 1 stores the plain sum. Every rank passes
  // the same value. Ignored by collectives that only move bits.
  float scale = 1.0f;
};

// ZeRO-1 and reduce-scatter layout: the slice of n elements that `rank` of
// `world` owns. Slices are contiguous, in rank order, cover [0, n) exactly once,
// and differ in size by at most one (the first n % world ranks get one more).
// Preconditions (DPEVAL_CHECK): world >= 1, 0 <= rank < world.
struct Shard {
  size_t offset = 0;
  size_t size = 0;
};
Shard shard_of(size_t n, int rank, int world);
// shard_of(n, r, world).size for every rank r.
std::vector<size_t> shard_counts(size_t n, int world);

// Note [Shards on cache lines]
// The gradient and parameter shards of ZeRO-1 and the split update: like
// shard_of, but every boundary between two ranks' slices is rounded down to a
// multiple of kShardAlign float32 elements (64 bytes). Each rank's slice then
// has the alignment of the buffer's start (a cache line, when the buffer
// starts on one), so its summing and update loops run on aligned vectors.
// Sizes differ by less than 2 * kShardAlign. Boundaries change no sum: each element
// is still summed in rank order. On two workers the MLP's second shard
// started at element 267,909; that rank's part of the reduce-scatter of the
// first layer took 110-160 us for 133,499 elements, against 60-90 us for its
// 134,410 aligned elements of the other bucket. Aligned, it takes 83 us.
inline constexpr size_t kShardAlign = 16;
Shard line_shard_of(size_t n, int rank, int world);
// line_shard_of(n, r, world).size for every rank r.
std::vector<size_t> line_shard_counts(size_t n, int world);

namespace internal {
class WorkState;  // backend-specific
}  // namespace internal

// A handle on one started collective. Default-constructed: already complete.
// Copyable; copies refer to the same operation.
class Work {
 public:
  Work() = default;
  explicit Work(std::shared_ptr<internal::WorkState> state) : state_(std::move(state)) {}

  // Blocks until the operation (and every earlier one of its communicator) has
  // completed. Throws TimeoutError or CommError per Note [Failures name the rank];
  // after a throw the communicator is unusable.
  void wait();
  // Makes whatever progress is possible without blocking; true once complete.
  // Throws like wait() when the operation has failed.
  bool is_completed();

 private:
  std::shared_ptr<internal::WorkState> state_;
};

namespace internal {
// What a backend implements for each started operation.
class WorkState {
 public:
  virtual ~WorkState() = default;
  virtual void wait() = 0;
  virtual bool test() = 0;
};
}  // namespace internal

// Note [Backend capabilities]
// What the trainer may rely on is asked of the Communicator, never read from
// its backend() name, so a new backend (NCCL) says what it offers in one place.
// shared_memory: every rank of the group lives in this process and address
// space (threads: yes; mpi: no, even with one rank per machine). Then ranks may
// share one buffer (Note [Split update] in trainer.h) and each rank's results
// (its trace events) are at hand without a collective.
struct CommunicatorCapabilities {
  bool shared_memory = false;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  virtual int rank() const = 0;
  virtual int world() const = 0;
  // "threads" or "mpi".
  virtual std::string_view backend() const = 0;
  // See Note [Backend capabilities]. The same on every rank of a group.
  virtual CommunicatorCapabilities capabilities() const = 0;

  // In place: data becomes the element-wise sum over ranks (Note [Rank-order
  // sums]), times options.scale. Every rank passes the same length (0 allowed).
  virtual Work allreduce_sum(std::span<float> data, const CollectiveOptions& options = {}) = 0;

  // The same over a 16-bit format: each element is decoded to float32, summed
  // in rank order, and the sum rounded to `format` once (round to nearest even).
  // Half the bytes of allreduce_sum on the wire.
  virtual Work allreduce_sum_half(std::span<uint16_t> data, HalfFormat format,
                                  const CollectiveOptions& options = {}) = 0;

  // In place: afterwards this rank's slice of data (counts[r] elements at
  // offset counts[0] + ... + counts[r-1]) holds the rank-order sum of that
  // slice over ranks; the rest of data is unspecified. counts has world()
  // entries summing to data.size(), equal on every rank.
  virtual Work reduce_scatter_sum(std::span<float> data, std::span<const size_t> counts,
                                  const CollectiveOptions& options = {}) = 0;

  // In place: each rank contributes its slice of data (the layout of
  // reduce_scatter_sum); afterwards every rank's data holds every slice.
  // Moves bits, no arithmetic: any float bit pattern (NaN payloads too) arrives
  // unchanged, so packed integers travel safely.
  virtual Work allgather(std::span<float> data, std::span<const size_t> counts,
                         const CollectiveOptions& options = {}) = 0;

  // In place: every rank's data becomes root's. Moves bits, like allgather.
  virtual Work broadcast(std::span<float> data, int root, const CollectiveOptions& options = {}) = 0;

  // Completes once every rank has entered the barrier.
  virtual Work barrier(const CollectiveOptions& options = {}) = 0;

  // This rank has failed (an exception, or a fault injected by a test) and will
  // issue no more collectives. threads: every other rank's waits fail with
  // CommError naming this rank and `reason`. mpi: nothing travels (the process
  // is expected to exit; mpirun then ends the job). Idempotent, noexcept.
  virtual void abort(std::string_view reason) noexcept = 0;

  // Shorthands with the shard_of() layout.
  Work reduce_scatter_sum(std::span<float> data, const CollectiveOptions& options = {});
  Work allgather(std::span<float> data, const CollectiveOptions& options = {});

 protected:
  Communicator() = default;
};

// How ranks talk: threads of this process over shared memory, or processes
// started by mpirun.
enum class Backend { kThreads, kMpi };
inline constexpr EnumText<Backend> kBackendTexts[] = {{Backend::kThreads, "threads"}, {Backend::kMpi, "mpi"}};
constexpr const auto& enum_texts(Backend) { return kBackendTexts; }

struct CommunicatorOptions {
  // threads: how many ranks (threads) the group has, >= 1. mpi: 0 or the
  // world size mpirun started (ConfigError otherwise).
  int world = 1;
  // Default deadline of every wait (Note [Failures name the rank]).
  std::chrono::milliseconds timeout{std::chrono::seconds(300)};
};

// The communicators of the ranks this process hosts, in rank order:
//   kThreads: all options.world ranks of one new group, to be driven by one
//             thread each;
//   kMpi:     this process's rank (initialising MPI on first use; world size
//             and rank from mpirun).
// Throws ConfigError for a bad world size, CommError when MPI cannot start,
// NotSupported for kMpi in a build without MPI.
std::vector<std::unique_ptr<Communicator>> make_communicators(Backend backend,
                                                              const CommunicatorOptions& options);

}  // namespace dpeval::comm
