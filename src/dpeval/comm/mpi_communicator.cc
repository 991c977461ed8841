// The "mpi" backend builds every collective from point-to-point non-blocking
// messages (MPI_Isend / MPI_Irecv of bytes) on its own duplicate of
// MPI_COMM_WORLD, in at most two phases. An allreduce is a reduce-scatter
// phase, in which rank r sends shard s of its buffer (the shard_of() layout) to
// rank s and receives its own shard r from every peer into scratch, then adds
// the world's copies in rank order into shard r; and an all-gather phase, in
// which every rank sends its reduced shard to every peer and receives theirs in
// place. A buffer small enough to travel as one eager message takes a single
// phase instead: every rank sends all of it to every peer and sums all the
// copies locally, in the same order, so with the same bits (Note [Small
// buffers]). reduce_scatter_sum is the first phase alone, allgather the second
// alone, broadcast is the root sending to every peer, and barrier a zero-byte
// exchange between every pair of ranks. Nothing blocks when an operation starts: Work::is_completed() tests
// the requests of the current phase (MPI_Testsome) and, once all of them have
// completed, runs the local sum and posts the next phase; Work::wait() does the
// same until its deadline. Every request belongs to one known peer, so a
// timeout names exactly the ranks whose messages are missing.
#include "dpeval/comm/mpi_communicator.h"

#include <fmt/format.h>
#include <mpi.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

#include "dpeval/comm/internal/rank_sum.h"
#include "dpeval/core/check.h"
#include "dpeval/core/error.h"

namespace dpeval::comm {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Note [Small buffers]
// Two phases cost two message latencies. A buffer of at most kSinglePhaseBytes
// takes one: every rank sends its whole buffer to every peer and adds the
// world's copies itself. Each element is still ((x_0 + x_1) + x_2) + ... in
// rank order, so the result has the same bits as the two-phase path and as the
// threads backend. The limit sits just under OpenMPI's shared-memory eager
// limit (btl_vader_eager_limit, 4 KiB including a header): a larger message
// goes by rendezvous (request, single-copy read, completion), and measured on
// 2 ranks a 4 KiB allreduce took ~5.5 us as one 4 KiB exchange but ~2.8 us as
// two phases of 2 KiB messages, while at 64 B .. 2 KiB one phase saves ~0.8 us.
constexpr size_t kSinglePhaseBytes = 4000;

// Note [Not MPI's collectives]
// MPI_Allreduce and MPI_Reduce_scatter may associate a sum differently from
// rank order for world > 2 (Note [Rank-order sums]), and a pending MPI
// collective cannot say which rank it waits for. For world 2 a + b == b + a, so
// MPI_Iallreduce would give the same bits, but measured on 2 ranks here it was
// slower than these messages at every size (4 KiB: ~7 us against ~3 us; it
// also stalls without frequent tests), so every world takes the same path.
// MPI_Ibcast and MPI_Ibarrier move no arithmetic but would not name a missing
// rank either, so broadcast and barrier are messages too.

// MPI counts are int; a larger message travels as several of at most this size
// (same peer and tag, so MPI's non-overtaking rule keeps them in order).
constexpr size_t kMaxMessageBytes = size_t{1} << 30;

// Note [Waiting]
// MPI_THREAD_FUNNELED: only the thread that owns the communicator calls MPI,
// and MPI makes progress only inside MPI calls, so wait() polls. It spins for
// the first kWaitSpinFor (a small collective completes within it), yields
// between tests until kWaitYieldFor (an operation that is merely moving bytes
// finishes well within it, and yielding lets an oversubscribed peer run), then
// sleeps kWaitSleep between tests: past that point it waits for a slow or lost
// rank and should not burn a core doing so. The clock is read once per
// kTestsPerClockRead tests: on some virtual machines a read costs more than a
// test.
constexpr auto kWaitSpinFor = std::chrono::microseconds(100);
constexpr auto kWaitYieldFor = milliseconds(50);
constexpr auto kWaitSleep = std::chrono::microseconds(200);
constexpr int kTestsPerClockRead = 16;

// Note [MPI process state]
// MPI is initialised once per process and must be finalised at most once, by
// the process, after every communicator's traffic has ended; so this is the
// one piece of process-wide state in the backend (STYLE.md warns against global
// world state, and everything per group lives in MpiGroup). MPI_Finalize is a
// collective of the whole job: after a failure (a timeout, an error, abort()) a
// peer may be hung, and pending requests may never complete, so Finalize could
// block forever. The atexit handler therefore skips it once anything failed,
// once mpi_abort_job() ran, or while operations are still in flight; mpirun
// then reports the job as failed, which it has.
struct MpiProcess {
  std::mutex init_mutex;
  // mpi_launched() as the environment said before MPI started: a singleton
  // MPI_Init sets mpirun's variables itself. -1 while MPI has not started.
  std::atomic<int> launched{-1};
  std::atomic<bool> finalize_unsafe{false};
  std::atomic<int64_t> ops_in_flight{0};
};

MpiProcess& mpi_process() {
  static MpiProcess process;
  return process;
}

bool mpi_is_finalized() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  return finalized != 0;
}

void finalize_mpi_at_exit() {
  MpiProcess& process = mpi_process();
  if (process.finalize_unsafe.load() || process.ops_in_flight.load() > 0) return;
  if (!mpi_is_finalized()) MPI_Finalize();
}

std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<size_t>(length));
}

void ensure_mpi_initialised() {
  MpiProcess& process = mpi_process();
  std::lock_guard<std::mutex> lock(process.init_mutex);
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (initialised) {
    if (!mpi_is_finalized()) return;
    throw CommError("mpi: MPI was already finalised in this process; it cannot start again");
  }
  process.launched.store(mpi_launched() ? 1 : 0);
  int provided = 0;
  const int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  if (rc != MPI_SUCCESS) {
    throw CommError("mpi: MPI_Init_thread failed (" + mpi_error_text(rc) +
                    "); start dpeval with mpirun -np N and check that OpenMPI is installed on every host");
  }
  std::atexit(finalize_mpi_at_exit);  // only when this backend initialised MPI
}

std::string format_seconds(milliseconds t) {
  return fmt::format("{:g} s", static_cast<double>(t.count()) / 1e3);
}

std::string format_ranks(const std::vector<int>& ranks) {
  std::string out = ranks.size() == 1 ? "rank " : "ranks ";
  for (size_t i = 0; i < ranks.size(); ++i) out += (i ? ", " : "") + std::to_string(ranks[i]);
  return out;
}

// One message of a phase: this rank sends `bytes` at `data` to `peer`, or
// receives exactly that many from it.
struct Message {
  int peer = 0;
  bool is_recv = false;
  std::byte* data = nullptr;
  size_t bytes = 0;
};

// The local step after a phase, if any: the n elements at `own` become the
// rank-order sum of the world's copies, this rank's own at its rank's position
// and peer p's at slot slot_of(p, rank) of `scratch` (float32, or 16-bit
// values in `format` when `half`).
struct LocalSum {
  bool active = false;
  bool half = false;
  HalfFormat format = HalfFormat::kFloat16;
  size_t n = 0;
  std::byte* own = nullptr;
  std::byte* scratch = nullptr;
  float scale = 1.0f;  // CollectiveOptions::scale
};

struct Phase {
  std::vector<Message> messages;
  LocalSum sum;
};

// Who a request of the current phase talks to; recv_bytes is the exact size a
// receive expects, -1 for a send.
struct RequestInfo {
  int peer = 0;
  int recv_bytes = -1;
};

// One started collective: its plan (one or two phases) and the requests of
// the phase in flight. Owned by its group's queue and by its Work handles.
struct Op {
  std::string_view kind;  // "allreduce", "barrier", ...
  std::string tag;        // CollectiveOptions::tag
  uint64_t seq = 0;       // per communicator, in issue order
  milliseconds timeout{0};

  std::array<Phase, 2> phases;
  size_t phase_count = 0;
  size_t phase = 0;  // the one in flight
  std::unique_ptr<std::byte[]> scratch;
  size_t scratch_bytes = 0;

  // The current phase's requests (a message over kMaxMessageBytes has
  // several); completed ones become MPI_REQUEST_NULL.
  std::vector<MPI_Request> requests;
  std::vector<RequestInfo> request_info;
  size_t requests_open = 0;

  bool finished = false;  // this op's messages and local steps are all done
  bool retired = false;   // finished, and so is every earlier op of its group

  Phase& add_phase() {
    DPEVAL_CHECK(phase_count < phases.size());
    return phases[phase_count++];
  }

  std::string name() const {
    return tag.empty() ? fmt::format("{} (#{})", kind, seq) : fmt::format("{} '{}' (#{})", kind, tag, seq);
  }
};

// Slot of a peer's copy in scratch: the peers in rank order, without this rank.
size_t slot_of(int peer, int rank) { return static_cast<size_t>(peer < rank ? peer : peer - 1); }

// Ops whose requests were freed while still pending (see Note [Failure
// cleanup]): their scratch must outlive any late write by MPI. Never destroyed.
std::vector<std::shared_ptr<Op>>& lost_ops() {
  static auto* ops = std::make_unique<std::vector<std::shared_ptr<Op>>>().release();
  return *ops;
}

// Note [Tags]
// Every message of op #seq, phase p carries tag (seq mod kSlots) * 2 + p, where
// kSlots fits MPI_TAG_UB (at least 32767; OpenMPI's is 2^31 - 1). Ops in flight
// at once therefore never share a tag unless kSlots of them are pending, and
// the two phases of one op never mix; messages of one (peer, tag) pair arrive
// in posting order (MPI's non-overtaking rule), which the chunks of a large
// message rely on.

// The state of one communicator: its MPI communicator, its queue of started
// ops in issue order, and its failure, if any. Shared by the Communicator and
// its Works, so a Work may outlive the Communicator.
class MpiGroup : public std::enable_shared_from_this<MpiGroup> {
 public:
  MpiGroup(MPI_Comm comm, milliseconds timeout) : comm_(comm), timeout_(timeout) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &world_);
    void* tag_ub = nullptr;
    int found = 0;
    MPI_Comm_get_attr(comm_, MPI_TAG_UB, &tag_ub, &found);
    const int64_t ub = found ? *static_cast<int*>(tag_ub) : 32767;
    tag_slots_ = static_cast<uint64_t>((ub + 1) / 2);
  }

  MpiGroup(const MpiGroup&) = delete;
  MpiGroup& operator=(const MpiGroup&) = delete;

  ~MpiGroup() {
    if (mpi_is_finalized()) return;
    if (!pending_.empty()) {
      // Dropped with operations still in flight: nothing may block here.
      failed_ = true;
      mpi_process().finalize_unsafe.store(true);
    }
    release_requests();
    if (!failed_) MPI_Comm_free(&comm_);
  }

  int rank() const { return rank_; }
  int world() const { return world_; }

  // A new op of this group, numbered in issue order. Throws CommError once the
  // group has failed.
  std::shared_ptr<Op> new_op(std::string_view kind, const CollectiveOptions& options) {
    auto op = std::make_shared<Op>();
    op->kind = kind;
    op->tag = options.tag;
    op->seq = next_seq_++;
    op->timeout = options.timeout.count() > 0 ? options.timeout : timeout_;
    throw_if_failed(*op);
    return op;
  }

  // Scratch of at least `bytes` for op, reused from finished ops when one
  // fits without wasting much: fresh pages cost a fault each, and a large
  // allreduce would otherwise fault in its scratch on every call.
  std::byte* take_scratch(Op& op, size_t bytes) {
    DPEVAL_CHECK(!op.scratch) << "one scratch buffer per op";
    auto best = scratch_pool_.end();
    for (auto it = scratch_pool_.begin(); it != scratch_pool_.end(); ++it) {
      const bool fits = it->first >= bytes && it->first <= 2 * bytes + kScratchSlackBytes;
      if (fits && (best == scratch_pool_.end() || it->first < best->first)) best = it;
    }
    if (best != scratch_pool_.end()) {
      op.scratch_bytes = best->first;
      op.scratch = std::move(best->second);
      scratch_pool_.erase(best);
    } else {
      op.scratch_bytes = std::max<size_t>(bytes, 1);
      op.scratch = std::make_unique_for_overwrite<std::byte[]>(op.scratch_bytes);
    }
    return op.scratch.get();
  }

  // Posts op's first phase and queues it; a Work on it.
  Work start(std::shared_ptr<Op> op) {
    DPEVAL_CHECK(op->phase_count > 0);
    pending_.push_back(op);
    mpi_process().ops_in_flight.fetch_add(1);
    post_phase(*op);
    return Work(std::make_shared<MpiWork>(shared_from_this(), std::move(op)));
  }

  bool test(Op& op) {
    if (op.retired) return true;
    throw_if_failed(op);
    return progress(op);
  }

  void wait(Op& op) {
    if (op.retired) return;
    throw_if_failed(op);
    const Clock::time_point begin = Clock::now();
    const Clock::time_point deadline = begin + op.timeout;
    for (;;) {  // see Note [Waiting]
      for (int i = 0; i < kTestsPerClockRead; ++i) {
        if (progress(op)) return;
      }
      const Clock::time_point now = Clock::now();
      if (now >= deadline) fail_timeout(op);
      if (now - begin < kWaitSpinFor) continue;
      if (now - begin < kWaitYieldFor) {
        std::this_thread::yield();
      } else {
        std::this_thread::sleep_for(kWaitSleep);
      }
    }
  }

  // See Communicator::abort: no MPI call, nothing travels.
  void abort(std::string_view reason) noexcept {
    mpi_process().finalize_unsafe.store(true);
    if (failed_) return;
    failed_ = true;
    try {
      failure_ = "this rank aborted: " + std::string(reason);
    } catch (...) {
    }
  }

 private:
  class MpiWork final : public internal::WorkState {
   public:
    MpiWork(std::shared_ptr<MpiGroup> group, std::shared_ptr<Op> op)
        : group_(std::move(group)), op_(std::move(op)) {}
    void wait() override { group_->wait(*op_); }
    bool test() override { return group_->test(*op_); }

   private:
    std::shared_ptr<MpiGroup> group_;
    std::shared_ptr<Op> op_;
  };

  void throw_if_failed(const Op& op) const {
    if (!failed_) return;
    throw CommError("mpi: " + op.name() + ": communicator unusable after an earlier failure: " + failure_);
  }

  int tag_of(const Op& op) const { return static_cast<int>((op.seq % tag_slots_) * 2 + op.phase); }

  void post_phase(Op& op) {
    const Phase& phase = op.phases[op.phase];
    op.requests.clear();
    op.request_info.clear();
    op.requests.reserve(phase.messages.size());
    op.request_info.reserve(phase.messages.size());
    const int tag = tag_of(op);
    for (const Message& m : phase.messages) {
      size_t offset = 0;
      do {  // at least one request, also for an empty message
        const int bytes = static_cast<int>(std::min(m.bytes - offset, kMaxMessageBytes));
        MPI_Request request = MPI_REQUEST_NULL;
        const int rc = m.is_recv ? MPI_Irecv(m.data + offset, bytes, MPI_BYTE, m.peer, tag, comm_, &request)
                                 : MPI_Isend(m.data + offset, bytes, MPI_BYTE, m.peer, tag, comm_, &request);
        if (rc != MPI_SUCCESS) {
          fail(op, fmt::format("{} rank {} failed: {}", m.is_recv ? "MPI_Irecv from" : "MPI_Isend to", m.peer,
                               mpi_error_text(rc)));
        }
        op.requests.push_back(request);
        op.request_info.push_back({m.peer, m.is_recv ? bytes : -1});
        offset += static_cast<size_t>(bytes);
      } while (offset < m.bytes);
    }
    op.requests_open = op.requests.size();
    if (done_indices_.size() < op.requests.size()) {
      done_indices_.resize(op.requests.size());
      done_statuses_.resize(op.requests.size());
    }
  }

  // Tests op's current phase; while phases complete, runs their local sums
  // and posts the next. Sets op.finished after the last.
  void advance(Op& op) {
    while (!op.finished) {
      if (op.requests_open > 0) {
        int count = 0;
        const int rc = MPI_Testsome(static_cast<int>(op.requests.size()), op.requests.data(), &count,
                                    done_indices_.data(), done_statuses_.data());
        if (rc != MPI_SUCCESS && rc != MPI_ERR_IN_STATUS) {
          fail(op, "MPI_Testsome failed: " + mpi_error_text(rc));
        }
        if (count == MPI_UNDEFINED) count = 0;
        for (int k = 0; k < count; ++k) {
          check_completed(op, op.request_info[static_cast<size_t>(done_indices_[static_cast<size_t>(k)])],
                          done_statuses_[static_cast<size_t>(k)], rc);
        }
        op.requests_open -= static_cast<size_t>(count);
        if (op.requests_open > 0) return;
      }
      run_local_sum(op.phases[op.phase].sum);
      if (++op.phase == op.phase_count) {
        op.finished = true;
      } else {
        post_phase(op);
      }
    }
  }

  void run_local_sum(const LocalSum& sum) {
    if (!sum.active) return;
    const size_t elem = sum.half ? sizeof(uint16_t) : sizeof(float);
    sources_.resize(static_cast<size_t>(world_));
    for (int r = 0; r < world_; ++r) {
      sources_[static_cast<size_t>(r)] =
          r == rank_ ? sum.own : sum.scratch + slot_of(r, rank_) * sum.n * elem;
    }
    if (sum.half) {
      internal::sum_rank_order_half(
          std::span(reinterpret_cast<const uint16_t* const*>(sources_.data()), sources_.size()), sum.n,
          sum.format, reinterpret_cast<uint16_t*>(sum.own), sum.scale);
    } else {
      internal::sum_rank_order(
          std::span(reinterpret_cast<const float* const*>(sources_.data()), sources_.size()), sum.n,
          reinterpret_cast<float*>(sum.own), sum.scale);
    }
  }

  // A completed request: a receive must have brought exactly what was expected.
  void check_completed(Op& op, const RequestInfo& info, const MPI_Status& status, int testsome_rc) {
    const int peer = info.peer;
    const int expected = info.recv_bytes;
    if (testsome_rc == MPI_ERR_IN_STATUS && status.MPI_ERROR != MPI_SUCCESS) {
      if (status.MPI_ERROR == MPI_ERR_TRUNCATE) {
        fail(op,
             fmt::format("rank {} sent more than the {} bytes expected: ranks disagree on the size of this "
                         "collective (all ranks must issue the same collectives with the same sizes)",
                         peer, expected));
      }
      fail(op, fmt::format("message {} rank {} failed: {}", expected < 0 ? "to" : "from", peer,
                           mpi_error_text(status.MPI_ERROR)));
    }
    if (expected < 0) return;
    int received = 0;
    MPI_Get_count(&status, MPI_BYTE, &received);
    if (received != expected) {
      fail(op, fmt::format("rank {} sent {} bytes where {} were expected: ranks disagree on the size of this "
                           "collective (all ranks must issue the same collectives with the same sizes)",
                           peer, received, expected));
    }
  }

  // Advances the ops up to `target` in issue order and retires the finished
  // ones at the front; true once target is retired (see Note [Collective order]).
  bool progress(Op& target) {
    for (size_t i = 0; i < pending_.size(); ++i) {
      const std::shared_ptr<Op> op = pending_[i];  // a copy: a failure clears pending_
      advance(*op);
      if (op.get() == &target) break;
    }
    while (!pending_.empty() && pending_.front()->finished) {
      Op& op = *pending_.front();
      op.retired = true;
      if (op.scratch) {
        scratch_pool_.emplace_back(op.scratch_bytes, std::move(op.scratch));
        if (scratch_pool_.size() > kScratchPoolSize) {
          scratch_pool_.erase(
              std::min_element(scratch_pool_.begin(), scratch_pool_.end(),
                               [](const auto& a, const auto& b) { return a.first < b.first; }));
        }
      }
      mpi_process().ops_in_flight.fetch_sub(1);
      pending_.pop_front();
    }
    return target.retired;
  }

  // The ranks that hold up `op`: those whose messages have not arrived, or,
  // when every receive is in, those that have not taken this rank's messages.
  std::pair<std::vector<int>, bool> missing_ranks(const Op& op) const {
    std::vector<int> recv, send;
    for (size_t i = 0; i < op.requests.size(); ++i) {
      if (op.requests[i] == MPI_REQUEST_NULL) continue;
      (op.request_info[i].recv_bytes >= 0 ? recv : send).push_back(op.request_info[i].peer);
    }
    std::vector<int>& ranks = recv.empty() ? send : recv;
    std::sort(ranks.begin(), ranks.end());
    ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
    return {ranks, !recv.empty()};
  }

  [[noreturn]] void fail_timeout(Op& target) {
    // The earliest unfinished op is the one holding everything up.
    Op* stuck = &target;
    for (const std::shared_ptr<Op>& op : pending_) {
      if (!op->finished) {
        stuck = op.get();
        break;
      }
    }
    const auto [ranks, receiving] = missing_ranks(*stuck);
    const std::string who = format_ranks(ranks);
    const bool one = ranks.size() == 1;
    std::string message =
        receiving ? fmt::format("no message from {} within {} ({} may have died or hung)", who,
                                format_seconds(target.timeout), one ? who : "they")
                  : fmt::format("{} did not take {} message{} within {} ({} may have died or hung)", who,
                                one ? "its" : "their", one ? "" : "s", format_seconds(target.timeout),
                                one ? "it" : "they");
    if (stuck != &target) message += " (while waiting for " + target.name() + ")";
    record_failure("mpi: " + stuck->name() + ": " + message);
    throw TimeoutError(failure_);
  }

  [[noreturn]] void fail(Op& op, const std::string& what) {
    record_failure("mpi: " + op.name() + ": " + what);
    throw CommError(failure_);
  }

  void record_failure(std::string message) {
    failure_ = std::move(message);
    failed_ = true;
    mpi_process().finalize_unsafe.store(true);
    release_requests();
  }

  // Note [Failure cleanup]
  // After a failure nothing may block: receives are cancelled (a receive not
  // yet matched cancels at once, so MPI will not write into the caller's
  // buffer later), everything still active is freed (MPI_Request_free lets a
  // send finish or die on its own), and ops that had requests in flight are
  // kept alive for good, so that their scratch stays valid should a late
  // message still land. A receive already half-received from a peer that
  // stalled mid-message cannot be cancelled; the process is expected to exit.
  void release_requests() noexcept {
    for (const std::shared_ptr<Op>& op : pending_) {
      bool any_left = false;
      for (size_t i = 0; i < op->requests.size(); ++i) {
        MPI_Request& request = op->requests[i];
        if (request == MPI_REQUEST_NULL) continue;
        if (op->request_info[i].recv_bytes >= 0) {
          MPI_Cancel(&request);
          int done = 0;
          MPI_Test(&request, &done, MPI_STATUS_IGNORE);
          if (done) continue;
        }
        MPI_Request_free(&request);
        any_left = true;
      }
      op->requests_open = 0;
      mpi_process().ops_in_flight.fetch_sub(1);
      if (any_left) {
        try {
          lost_ops().push_back(op);
        } catch (...) {
          (void)op->scratch.release();  // leaked on purpose: MPI may still write to it
        }
      }
    }
    pending_.clear();
  }

  static constexpr size_t kScratchPoolSize = 4;
  static constexpr size_t kScratchSlackBytes = 64 * 1024;

  MPI_Comm comm_;
  milliseconds timeout_;
  int rank_ = 0;
  int world_ = 1;
  uint64_t tag_slots_ = 16384;
  uint64_t next_seq_ = 0;
  std::deque<std::shared_ptr<Op>> pending_;
  std::vector<std::pair<size_t, std::unique_ptr<std::byte[]>>> scratch_pool_;
  // Reused by every op: advance() and run_local_sum() are not reentrant.
  std::vector<int> done_indices_;
  std::vector<MPI_Status> done_statuses_;
  std::vector<std::byte*> sources_;
  bool failed_ = false;
  std::string failure_;
};

// Byte view of a slice of elements.
template <typename T>
std::byte* bytes_at(T* base, size_t offset) {
  return reinterpret_cast<std::byte*>(base + offset);
}

std::vector<size_t> offsets_of(std::span<const size_t> counts) {
  std::vector<size_t> offsets(counts.size() + 1, 0);
  for (size_t r = 0; r < counts.size(); ++r) offsets[r + 1] = offsets[r] + counts[r];
  return offsets;
}

// The k-th peer this rank talks to, k = 1 .. world - 1: rank + 1, rank + 2, ...
// (mod world), so that the ranks do not all start with the same one.
int peer_at(int rank, int world, int k) { return (rank + k) % world; }

// What to sum: float32, or 16-bit values in `format`.
struct SumKind {
  bool half = false;
  HalfFormat format = HalfFormat::kFloat16;
  float scale = 1.0f;
};

// Phase: every rank sends slice s (counts) to rank s and receives its own
// slice from every peer into scratch; then sums the world's copies of its
// slice in rank order.
template <typename T>
void plan_reduce_scatter(MpiGroup& group, Op& op, T* data, std::span<const size_t> counts, SumKind kind) {
  const int rank = group.rank(), world = group.world();
  const std::vector<size_t> offsets = offsets_of(counts);
  const size_t mine = counts[static_cast<size_t>(rank)];
  std::byte* scratch = group.take_scratch(op, (static_cast<size_t>(world) - 1) * mine * sizeof(T));
  Phase& phase = op.add_phase();
  phase.messages.reserve(2 * static_cast<size_t>(world - 1));
  for (int k = 1; k < world; ++k) {
    const int peer = peer_at(rank, world, k);
    phase.messages.push_back(
        {peer, true, scratch + slot_of(peer, rank) * mine * sizeof(T), mine * sizeof(T)});
  }
  for (int k = 1; k < world; ++k) {
    const int peer = peer_at(rank, world, k);
    const size_t p = static_cast<size_t>(peer);
    phase.messages.push_back({peer, false, bytes_at(data, offsets[p]), counts[p] * sizeof(T)});
  }
  std::byte* own = bytes_at(data, offsets[static_cast<size_t>(rank)]);
  phase.sum = {true, kind.half, kind.format, mine, own, scratch, kind.scale};
}

// Phase: every rank sends its own slice to every peer and receives theirs in place.
template <typename T>
void plan_allgather(MpiGroup& group, Op& op, T* data, std::span<const size_t> counts) {
  const int rank = group.rank(), world = group.world();
  const std::vector<size_t> offsets = offsets_of(counts);
  const size_t me = static_cast<size_t>(rank);
  Phase& phase = op.add_phase();
  phase.messages.reserve(2 * static_cast<size_t>(world - 1));
  for (int k = 1; k < world; ++k) {
    const int peer = peer_at(rank, world, k);
    const size_t p = static_cast<size_t>(peer);
    phase.messages.push_back({peer, true, bytes_at(data, offsets[p]), counts[p] * sizeof(T)});
  }
  for (int k = 1; k < world; ++k) {
    phase.messages.push_back(
        {peer_at(rank, world, k), false, bytes_at(data, offsets[me]), counts[me] * sizeof(T)});
  }
}

// Phase: every rank sends its whole buffer to every peer and sums all copies
// in rank order (Note [Small buffers]).
template <typename T>
void plan_exchange_and_sum(MpiGroup& group, Op& op, std::span<T> data, SumKind kind) {
  const int rank = group.rank(), world = group.world();
  const size_t n = data.size();
  std::byte* scratch = group.take_scratch(op, (static_cast<size_t>(world) - 1) * n * sizeof(T));
  Phase& phase = op.add_phase();
  phase.messages.reserve(2 * static_cast<size_t>(world - 1));
  for (int k = 1; k < world; ++k) {
    const int peer = peer_at(rank, world, k);
    phase.messages.push_back({peer, true, scratch + slot_of(peer, rank) * n * sizeof(T), n * sizeof(T)});
  }
  for (int k = 1; k < world; ++k) {
    phase.messages.push_back({peer_at(rank, world, k), false, bytes_at(data.data(), 0), n * sizeof(T)});
  }
  phase.sum = {true, kind.half, kind.format, n, bytes_at(data.data(), 0), scratch, kind.scale};
}

template <typename T>
void plan_allreduce(MpiGroup& group, Op& op, std::span<T> data, SumKind kind) {
  if (data.size_bytes() <= kSinglePhaseBytes) {
    plan_exchange_and_sum(group, op, data, kind);
    return;
  }
  const std::vector<size_t> counts = shard_counts(data.size(), group.world());
  plan_reduce_scatter(group, op, data.data(), counts, kind);
  plan_allgather(group, op, data.data(), counts);
}

void check_counts(std::span<const size_t> counts, size_t n, int world, std::string_view what) {
  DPEVAL_CHECK(counts.size() == static_cast<size_t>(world))
      << "mpi: " << what << ": " << counts.size() << " counts for world " << world;
  size_t total = 0;
  for (size_t c : counts) total += c;
  DPEVAL_CHECK(total == n) << "mpi: " << what << ": counts sum to " << total << ", data has " << n;
}

class MpiCommunicator final : public Communicator {
 public:
  explicit MpiCommunicator(std::shared_ptr<MpiGroup> group) : group_(std::move(group)) {}

  int rank() const override { return group_->rank(); }
  int world() const override { return group_->world(); }
  std::string_view backend() const override { return "mpi"; }
  CommunicatorCapabilities capabilities() const override { return {.shared_memory = false}; }

  Work allreduce_sum(std::span<float> data, const CollectiveOptions& options) override {
    std::shared_ptr<Op> op = group_->new_op("allreduce", options);
    if (world() == 1) return scale_alone(data, options.scale);
    plan_allreduce(*group_, *op, data, SumKind{false, HalfFormat::kFloat16, options.scale});
    return group_->start(std::move(op));
  }

  Work allreduce_sum_half(std::span<uint16_t> data, HalfFormat format,
                          const CollectiveOptions& options) override {
    std::shared_ptr<Op> op = group_->new_op("allreduce_half", options);
    if (world() == 1) {  // decoded and rounded once, as for any world
      const uint16_t* own = data.data();
      internal::sum_rank_order_half(std::span(&own, 1), data.size(), format, data.data(), options.scale);
      return Work();
    }
    plan_allreduce(*group_, *op, data, SumKind{true, format, options.scale});
    return group_->start(std::move(op));
  }

  Work reduce_scatter_sum(std::span<float> data, std::span<const size_t> counts,
                          const CollectiveOptions& options) override {
    check_counts(counts, data.size(), world(), "reduce_scatter");
    std::shared_ptr<Op> op = group_->new_op("reduce_scatter", options);
    if (world() == 1) return scale_alone(data, options.scale);
    plan_reduce_scatter(*group_, *op, data.data(), counts,
                        SumKind{false, HalfFormat::kFloat16, options.scale});
    return group_->start(std::move(op));
  }

  Work allgather(std::span<float> data, std::span<const size_t> counts,
                 const CollectiveOptions& options) override {
    check_counts(counts, data.size(), world(), "allgather");
    std::shared_ptr<Op> op = group_->new_op("allgather", options);
    if (world() == 1) return Work();
    plan_allgather(*group_, *op, data.data(), counts);
    return group_->start(std::move(op));
  }

  Work broadcast(std::span<float> data, int root, const CollectiveOptions& options) override {
    DPEVAL_CHECK(root >= 0 && root < world()) << "mpi: broadcast root " << root << " of world " << world();
    std::shared_ptr<Op> op = group_->new_op("broadcast", options);
    if (world() == 1) return Work();
    Phase& phase = op->add_phase();
    if (rank() == root) {
      for (int k = 1; k < world(); ++k) {
        phase.messages.push_back(
            {peer_at(rank(), world(), k), false, bytes_at(data.data(), 0), data.size_bytes()});
      }
    } else {
      phase.messages.push_back({root, true, bytes_at(data.data(), 0), data.size_bytes()});
    }
    return group_->start(std::move(op));
  }

  Work barrier(const CollectiveOptions& options) override {
    std::shared_ptr<Op> op = group_->new_op("barrier", options);
    if (world() == 1) return Work();
    // Zero bytes each way with every peer, so that a missing rank can be named.
    Phase& phase = op->add_phase();
    for (int k = 1; k < world(); ++k) {
      phase.messages.push_back({peer_at(rank(), world(), k), true, &barrier_byte_, 0});
    }
    for (int k = 1; k < world(); ++k) {
      phase.messages.push_back({peer_at(rank(), world(), k), false, &barrier_byte_, 0});
    }
    return group_->start(std::move(op));
  }

  void abort(std::string_view reason) noexcept override { group_->abort(reason); }

 private:
  // A one-rank sum is the data itself; only the scale is left to apply.
  static Work scale_alone(std::span<float> data, float scale) {
    const float* own = data.data();
    if (scale != 1.0f) internal::sum_rank_order(std::span(&own, 1), data.size(), data.data(), scale);
    return Work();
  }

  std::shared_ptr<MpiGroup> group_;
  std::byte barrier_byte_{};
};

}  // namespace

std::vector<std::unique_ptr<Communicator>> make_mpi_communicators(const CommunicatorOptions& options) {
  if (options.world < 0) {
    throw ConfigError("mpi: workers must be 0 (mpirun's -np) or the number of processes, got " +
                      std::to_string(options.world));
  }
  if (options.world > 1 && !mpi_launched()) {
    throw ConfigError(fmt::format(
        "mpi: {} workers requested, but this process was not started by mpirun; the mpi backend runs one "
        "process per worker: use mpirun -np {} dpeval train --backend mpi ...",
        options.world, options.world));
  }
  ensure_mpi_initialised();
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (options.world != 0 && options.world != size) {
    throw ConfigError(fmt::format(
        "mpi: {} workers requested, but mpirun started {} processes; use mpirun -np {} (or leave the worker "
        "count unset to take mpirun's)",
        options.world, size, options.world));
  }
  MPI_Comm comm = MPI_COMM_NULL;
  const int rc = MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  if (rc != MPI_SUCCESS) throw CommError("mpi: MPI_Comm_dup failed: " + mpi_error_text(rc));
  MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
  std::vector<std::unique_ptr<Communicator>> comms;
  comms.push_back(std::make_unique<MpiCommunicator>(std::make_shared<MpiGroup>(comm, options.timeout)));
  return comms;
}

bool mpi_launched() {
  const int known = mpi_process().launched.load();
  if (known >= 0) return known == 1;
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr;
}

void mpi_abort_job(int exit_code) {
  mpi_process().finalize_unsafe.store(true);
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised || mpi_is_finalized()) return;
  MPI_Abort(MPI_COMM_WORLD, exit_code);
}

}  // namespace dpeval::comm
