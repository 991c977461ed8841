// What watches a rank's training loop without steering it: timing, tracing,
// progress and fault drills, attached to run_worker (worker.cc) as observers.
//
// Note [Step observers]
// run_worker reads as the step itself: prepare the batch, forward/backward
// with the Reducer's hooks, finalize, update, end of epoch. Everything that
// only watches the step (the clocks behind TrainResult's figures and
// EpochRecord's per-epoch ones, the Chrome trace, the progress display) and
// the fault drill that stops a rank on purpose are StepObservers, called at a
// few fixed points:
//   begin_epoch → per step: begin_step, on_phase (each micro-batch's data and
//   compute, then comm_wait and optimizer), end_step → end_epoch (with the
//   finished record; observers may add their figures to it).
// The loop takes the clock once at each phase boundary and hands the times
// over, so every observer sees the same instants, and the step's definitions
// (trainer.h's file comment) live in one place. Observers never touch the
// weights, the data order or a collective, so attaching or removing one cannot
// change a checkpoint (tests/parallel/checkpoint_pin_test.cc holds this).
// They run in the order they were attached; a throwing observer (the fault
// drill) fails the rank as any error in the step would.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "dpeval/parallel/reducer.h"
#include "dpeval/parallel/trace.h"
#include "dpeval/parallel/trainer.h"

namespace dpeval::nn {
class Model;
}

namespace dpeval::parallel::internal {

enum class StepPhase { kData, kCompute, kCommWait, kOptimizer, kEvaluate };

// Where the loop is. Times are now_seconds().
struct StepInfo {
  int epoch = 0;      // 0-based
  uint64_t step = 0;  // within the epoch, 0-based
  uint64_t steps_per_epoch = 0;
  uint64_t global_step = 0;   // 0-based, before this step's update
  uint64_t global_rows = 0;   // rows this step trained on, all ranks
  double epoch_loss_sum = 0;  // this rank's running loss sum this epoch (after the step)
  uint64_t epoch_rows = 0;    // and its row count
};

// What one step measured, in seconds (each part summed over micro-batches).
struct StepTimes {
  double begin = 0, end = 0;  // now_seconds() before the batch and after the update
  double data = 0, compute = 0, comm_wait = 0, optimizer = 0;
  ReducerStepStats comm;  // zero without a Reducer
};

class StepObserver {
 public:
  virtual ~StepObserver() = default;
  virtual void begin_epoch(int /*epoch*/) {}
  virtual void begin_step(const StepInfo& /*step*/) {}
  virtual void on_phase(StepPhase /*phase*/, double /*begin*/, double /*end*/) {}
  virtual void end_step(const StepInfo& /*step*/, const StepTimes& /*times*/) {}
  // `train_seconds`: the epoch's training time (evaluation excluded). `record`
  // is complete (seconds included) and not yet in TrainResult::epochs.
  virtual void end_epoch(EpochRecord& /*record*/, double /*train_seconds*/) {}
};

// Fans each hook out to the attached observers in order.
class StepObservers final : public StepObserver {
 public:
  void attach(StepObserver* observer) { observers_.push_back(observer); }
  void begin_epoch(int epoch) override;
  void begin_step(const StepInfo& step) override;
  void on_phase(StepPhase phase, double begin, double end) override;
  void end_step(const StepInfo& step, const StepTimes& times) override;
  void end_epoch(EpochRecord& record, double train_seconds) override;

 private:
  std::vector<StepObserver*> observers_;
};

// The clocks behind TrainResult's throughput and breakdown (over the run, after
// kWarmupStepsExcluded steps) and EpochRecord's per-epoch figures (every step
// of the epoch).
class StepTimer final : public StepObserver {
 public:
  void begin_epoch(int epoch) override;
  void end_step(const StepInfo& step, const StepTimes& times) override;
  void end_epoch(EpochRecord& record, double train_seconds) override;
  uint64_t steps_this_run() const { return steps_this_run_; }
  // Fills steady_steps, steps_run, samples_per_s(_all_steps), step_ms_p*, breakdown.
  void fill(TrainResult& result) const;

 private:
  struct Parts {
    std::vector<double> step, data, compute, wait, optimizer, gbps;
    void add(const StepTimes& times);
    StepBreakdown medians() const;
  };
  Parts steady_, epoch_;
  double steady_time_ = 0, all_steps_time_ = 0;
  uint64_t steady_samples_ = 0, all_steps_samples_ = 0, epoch_samples_ = 0, steps_this_run_ = 0;
};

// The rank's Chrome trace: a span per layer's forward and backward, per
// micro-batch's data, per bucket's collective, per update and evaluation.
class StepTracer final : public StepObserver {
 public:
  // Installs the layer hook on `model`; both must outlive the tracer's use.
  StepTracer(int rank, double origin, nn::Model& model, const Reducer* reducer, bool sharded);
  void on_phase(StepPhase phase, double begin, double end) override;
  void end_step(const StepInfo& step, const StepTimes& times) override;
  std::vector<TraceEvent> take_events() { return std::move(trace_.events()); }

 private:
  TraceRecorder trace_;
  const Reducer* reducer_;
  bool sharded_;
  double mark_ = 0;  // end of the last span on row 0: where the next layer's span starts
};

// Rank 0's progress display: a StepProgress every 25 steps and at the end of
// each epoch, then the epoch's record.
class ProgressReporter final : public StepObserver {
 public:
  ProgressReporter(ProgressSink& sink, int epochs) : sink_(sink), epochs_(epochs) {}
  void begin_epoch(int epoch) override;
  void end_step(const StepInfo& step, const StepTimes& times) override;
  void end_epoch(EpochRecord& record, double train_seconds) override;

 private:
  ProgressSink& sink_;
  int epochs_;
  double epoch_start_ = 0, recent_start_ = 0;
  uint64_t recent_samples_ = 0;
  double epoch_seconds_sum_ = 0;
  int epochs_timed_ = 0;
};

// FaultInjection: this rank fails (or hangs until the job has failed) before
// the optimizer step it names.
class FaultDrill final : public StepObserver {
 public:
  FaultDrill(const FaultInjection& fault, int rank, const std::atomic<bool>* job_failed)
      : fault_(fault), rank_(rank), job_failed_(job_failed) {}
  void begin_step(const StepInfo& step) override;

 private:
  FaultInjection fault_;
  int rank_;
  const std::atomic<bool>* job_failed_;
};

}  // namespace dpeval::parallel::internal
