// The data-parallel trainer: data → N replicas' forward/backward → bucketed
// gradient sums overlapped with backward (Reducer over a Communicator) →
// optimizer step (whole, or this rank's ZeRO-1 shard then an all-gather) →
// sharded evaluation and a checkpoint per epoch. train() hosts the ranks of
// this process: all `workers` ranks as threads for the threads backend, its
// one rank for mpi. The per-rank loop is in internal/worker.cc.
//
// Timing definitions match ../shared/peers/fmnist_ddp.py so figures compare:
//   step time     = from just before gathering the batch to just after the
//                   optimizer step returns;
//   samples_per_s = global samples (all ranks) / summed step times of rank 0
//                   over all its steps except the first kWarmupStepsExcluded
//                   (evaluation excluded). Ranks step in lockstep, so this is
//                   the job's throughput.
//
// Note [Split update]
// On the threads backend with more than one worker, an optimizer that works
// element by element (sgd, adamw) and float32 gradients, the ranks' Models
// share one parameter buffer (Note [Shared parameters] in nn/model.h) and the
// update is split as in ZeRO-1: gradients are reduce-scattered, each rank
// updates its shard of the buffer with its shard of the optimizer state, and
// the all-gather that follows copies nothing (Note [One buffer for all ranks]
// in threads_communicator.cc); it only orders the writes before the next
// forward. The weights are bitwise those of the replicated update (the same
// rank-order sums, the same element-wise arithmetic), but each rank does 1/N
// of the update and no parameter bytes move: on two workers the MLP step lost
// about 0.1 ms to the parameter copy and 0.12 ms to the duplicated update.
// The summary says "optimizer_update": "split" and reports the state bytes
// per rank, which fall by N as with --zero 1. LARS (per-tensor norms), 16-bit
// gradients and the mpi backend keep the replicated update.
//
// Note [Update plan]
// A step's update is one of three, chosen once per run by choose_update() and
// then only read:
//   replicated  every rank updates the whole buffer with the whole optimizer
//               state (the Reducer all-reduces each bucket);
//   zero1       --zero 1: each rank keeps the optimizer state of its line
//               shard, the Reducer reduce-scatters, the rank updates its shard
//               and the parameters are all-gathered;
//   split       Note [Split update]: zero1's step over one parameter buffer
//               the ranks share, so the all-gather copies nothing.
// zero1 and split are "sharded" (the same step); split also "shares params".
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/comm/communicator.h"
#include "dpeval/parallel/train_config.h"

namespace dpeval::parallel {

inline constexpr int kWarmupStepsExcluded = 20;

// Medians of where a step's time goes on rank 0 (milliseconds).
struct StepBreakdown {
  double data_ms = 0;       // gathering and converting the batch
  double compute_ms = 0;    // forward + backward (bucket launches included)
  double comm_wait_ms = 0;  // blocked in Reducer::finalize(): communication not hidden by backward
  double optimizer_ms = 0;  // optimizer update (+ ZeRO-1 parameter all-gather)
  // Gradient bytes per step / (last bucket done - first bucket launched), GB/s;
  // 0 without communication.
  double allreduce_gbps = 0;
};

struct EpochRecord {
  int epoch = 0;          // 1-based
  double train_loss = 0;  // mean training loss over the epoch's samples
  double test_loss = 0;
  double test_accuracy = 0;
  // Training + evaluation wall time; unknown for epochs restored from a checkpoint.
  std::optional<double> seconds;
  // Training time (evaluation excluded) from the start of this process's run
  // to the end of this epoch: time-to-accuracy. Unknown for restored epochs.
  std::optional<double> train_seconds_cumulative;
  // This run's figures for the epoch (rank 0's clocks); unknown (nullopt) for
  // epochs restored from a checkpoint, which stores no timings.
  // Global samples (all ranks) trained in the epoch / its training seconds
  // (evaluation and checkpoint excluded); warm-up steps included.
  std::optional<double> samples_per_s;
  // Optimizer steps taken in the epoch (fewer than planned when --max-steps cut it).
  std::optional<uint64_t> steps;
  // Medians over every step of the epoch (warm-up included), each part
  // measured as for TrainResult::breakdown.
  std::optional<StepBreakdown> step_breakdown;
};

// A snapshot for progress displays, sent every few steps.
struct StepProgress {
  int epoch = 0, epochs = 0;     // 1-based current epoch, total
  uint64_t step = 0, steps = 0;  // step within the epoch, steps per epoch
  double samples_per_s = 0;      // recent throughput
  double loss = 0;               // running mean loss this epoch
  double eta_s = 0;              // estimate for the rest of the run
};

// Receives progress; the CLI draws it (live bar on a terminal, plain lines otherwise).
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void on_step(const StepProgress& progress) = 0;
  virtual void on_epoch(const EpochRecord& record, int epochs) = 0;
  virtual void on_message(std::string_view line) = 0;
};

// Tests and drills: make one rank fail on purpose at an optimizer step.
struct FaultInjection {
  enum class Kind { kThrow, kHang };
  int rank = -1;             // -1: none
  uint64_t at_step = 0;      // optimizer step (global, 0-based) before which the rank fails
  Kind kind = Kind::kThrow;  // kThrow: the rank fails at once; kHang: it stops talking (until the job ends)
};

struct Fingerprint;

struct TrainRunOptions {
  // How ranks talk: kThreads (config.workers threads of this process) or
  // kMpi (this process is one rank of mpirun's world; config.workers must
  // equal the world size, or be set from it by the caller).
  comm::Backend backend = comm::Backend::kThreads;
  // mpi: take config.workers from mpirun's world size instead of checking it.
  bool workers_from_backend = false;
  double bucket_mb = 25;  // cap of every bucket after the first (1 MiB, or less if this is less); 0: one
                          // bucket after backward
  double comm_timeout_s = 300;                      // deadline of every collective wait
  std::optional<std::filesystem::path> trace_path;  // Chrome trace of the whole run (rank 0 writes it)
  std::optional<FaultInjection> fault;
  // Tests: lets a rank alter its fingerprint before the exchange.
  std::function<void(int rank, Fingerprint& fingerprint)> fingerprint_hook;

  std::filesystem::path out_dir;                     // checkpoint.dpck is written here after every epoch
  std::optional<std::filesystem::path> resume_from;  // a checkpoint to continue exactly
  ProgressSink* progress = nullptr;                  // may be null
  // Throughput runs only: stop after this many steps of this process (0: no
  // limit). The cut epoch is evaluated but not checkpointed (it is incomplete).
  uint64_t max_steps = 0;
  // Note [Split update] where it applies; false keeps one parameter copy per
  // rank and the replicated update (tests and A/B measurements).
  bool split_update = true;
  // The names the run's report will give the classes (--class-names), when
  // given: checked against the data before step 0 (check_class_names), not
  // after the training they would otherwise waste.
  std::vector<std::string> class_names;
};

// The longest class name: 200 bytes.
inline constexpr size_t kClassNameBytesMax = 200;

// Throws ConfigError naming --class-names unless there is one name per class
// (`classes` of them, in `data`), each 1 to kClassNameBytesMax bytes.
void check_class_names(const std::vector<std::string>& names, size_t classes, const std::string& data);

// Note [Update plan].
enum class UpdateKind { kReplicated, kZero1, kSplit };
inline constexpr EnumText<UpdateKind> kUpdateKindTexts[] = {
    {UpdateKind::kReplicated, "replicated"}, {UpdateKind::kZero1, "zero1"}, {UpdateKind::kSplit, "split"}};
constexpr const auto& enum_texts(UpdateKind) { return kUpdateKindTexts; }

struct UpdatePlan {
  UpdateKind kind = UpdateKind::kReplicated;
  // Each rank updates its line shard (line_shard_of) and owns only that
  // shard's optimizer state; the Reducer reduce-scatters.
  bool sharded() const { return kind != UpdateKind::kReplicated; }
  // The ranks' Models share one parameter buffer (Note [Split update]).
  bool shares_params() const { return kind == UpdateKind::kSplit; }
};

// The update of a run of `config` over `comm`'s group: zero1 for --zero 1;
// split where Note [Split update] applies (options.split_update, ranks that
// share memory per Note [Backend capabilities] in communicator.h, more than
// one rank, an element-wise optimizer, fp32 gradients); replicated otherwise.
UpdatePlan choose_update(const TrainConfig& config, const TrainRunOptions& options,
                         const comm::Communicator& comm);

struct TrainResult {
  TrainConfig config;
  comm::Backend backend = comm::Backend::kThreads;
  int rank = 0;  // the rank whose view this is (rank 0 reports)
  int world = 1;
  size_t optimizer_state_bytes =
      0;  // this rank's optimizer state (falls by world with ZeRO-1 or a split update)
  UpdateKind update = UpdateKind::kReplicated;  // Note [Update plan]
  size_t buckets = 0;
  // Each Reducer bucket's size on the wire (its elements times the bytes of
  // the --grad-dtype), in bucket order (Note [Bucket order] in reducer.h);
  // empty without a Reducer (one worker, fp32 gradients).
  std::vector<size_t> bucket_bytes;
  // Bytes one rank hands to gradient collectives per optimizer step: the whole
  // gradient buffer in its wire dtype (the sum of bucket_bytes); 0 without a Reducer.
  size_t bytes_reduced_per_step = 0;
  StepBreakdown breakdown;
  double step_ms_p95 = 0;
  std::optional<std::filesystem::path> trace_path;
  size_t params = 0;
  std::vector<EpochRecord> epochs;  // all epochs, restored ones included
  // Steady state, see the file comment; 0 when the run took kWarmupStepsExcluded
  // steps or fewer (no steady-state window: steady_steps 0).
  double samples_per_s = 0;
  uint64_t steady_steps = 0;  // steps counted in samples_per_s
  uint64_t steps_run = 0;     // optimizer steps this run took (after a resume: since it)
  // Over every step this run took, warm-up included (0 when none ran): the
  // figure a run too short for the steady state can still report.
  double samples_per_s_all_steps = 0;
  double step_ms_p50 = 0, step_ms_p90 = 0;
  double train_seconds = 0, eval_seconds = 0;
  int resumed_from_epoch = 0;  // 0 when not resumed
  std::filesystem::path checkpoint_path;
  uint64_t dataset_hash = 0;
  std::string blas;
};

// Runs (or resumes) training. Throws InputError/ConfigError for bad data, spec or
// checkpoint, IoError when the output cannot be written.
TrainResult train(const TrainConfig& config, const TrainRunOptions& options);

// Peak resident set size of this process in MiB (getrusage).
double peak_rss_mb();

}  // namespace dpeval::parallel
