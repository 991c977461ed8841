// The observers of Note [Step observers]: timing, tracing, progress, fault drills.
#include "dpeval/parallel/internal/step_observer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>

#include "dpeval/core/error.h"
#include "dpeval/core/timer.h"
#include "dpeval/nn/nn.h"

namespace dpeval::parallel::internal {
namespace {

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double pos = q * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(values.size() - 1, lo + 1);
  return values[lo] + (values[hi] - values[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace

void StepObservers::begin_epoch(int epoch) {
  for (StepObserver* o : observers_) o->begin_epoch(epoch);
}
void StepObservers::begin_step(const StepInfo& step) {
  for (StepObserver* o : observers_) o->begin_step(step);
}
void StepObservers::on_phase(StepPhase phase, double begin, double end) {
  for (StepObserver* o : observers_) o->on_phase(phase, begin, end);
}
void StepObservers::end_step(const StepInfo& step, const StepTimes& times) {
  for (StepObserver* o : observers_) o->end_step(step, times);
}
void StepObservers::end_epoch(EpochRecord& record, double train_seconds) {
  for (StepObserver* o : observers_) o->end_epoch(record, train_seconds);
}

void StepTimer::Parts::add(const StepTimes& times) {
  step.push_back(times.end - times.begin);
  data.push_back(times.data);
  compute.push_back(times.compute);
  wait.push_back(times.comm_wait);
  optimizer.push_back(times.optimizer);
  if (times.comm.done > times.comm.first_launch) {
    gbps.push_back(static_cast<double>(times.comm.bytes) / (times.comm.done - times.comm.first_launch) / 1e9);
  }
}

StepBreakdown StepTimer::Parts::medians() const {
  StepBreakdown b;
  b.data_ms = percentile(data, 0.5) * 1e3;
  b.compute_ms = percentile(compute, 0.5) * 1e3;
  b.comm_wait_ms = percentile(wait, 0.5) * 1e3;
  b.optimizer_ms = percentile(optimizer, 0.5) * 1e3;
  b.allreduce_gbps = percentile(gbps, 0.5);
  return b;
}

void StepTimer::begin_epoch(int /*epoch*/) {
  epoch_ = Parts{};
  epoch_samples_ = 0;
}

void StepTimer::end_step(const StepInfo& step, const StepTimes& times) {
  const double dt = times.end - times.begin;
  ++steps_this_run_;
  all_steps_time_ += dt;
  all_steps_samples_ += step.global_rows;
  if (steps_this_run_ > static_cast<uint64_t>(kWarmupStepsExcluded)) {
    steady_time_ += dt;
    steady_samples_ += step.global_rows;
    steady_.add(times);
  }
  epoch_samples_ += step.global_rows;
  epoch_.add(times);
}

void StepTimer::end_epoch(EpochRecord& record, double train_seconds) {
  record.steps = epoch_.step.size();
  if (epoch_.step.empty()) return;
  if (train_seconds > 0) record.samples_per_s = static_cast<double>(epoch_samples_) / train_seconds;
  record.step_breakdown = epoch_.medians();
}

void StepTimer::fill(TrainResult& result) const {
  result.steady_steps = steady_.step.size();
  result.steps_run = steps_this_run_;
  result.samples_per_s = steady_time_ > 0 ? static_cast<double>(steady_samples_) / steady_time_ : 0;
  result.samples_per_s_all_steps =
      all_steps_time_ > 0 ? static_cast<double>(all_steps_samples_) / all_steps_time_ : 0;
  result.step_ms_p50 = percentile(steady_.step, 0.5) * 1e3;
  result.step_ms_p90 = percentile(steady_.step, 0.9) * 1e3;
  result.step_ms_p95 = percentile(steady_.step, 0.95) * 1e3;
  result.breakdown = steady_.medians();
}

StepTracer::StepTracer(int rank, double origin, nn::Model& model, const Reducer* reducer, bool sharded)
    : trace_(rank, origin), reducer_(reducer), sharded_(sharded) {
  model.set_on_layer_done([this, &model](size_t layer, bool backward) {
    const double t = now_seconds();
    trace_.add(std::string(backward ? "backward " : "forward ") + std::to_string(layer) + " " +
                   std::string(model.layer_type(layer)),
               backward ? "backward" : "forward", 0, mark_, t);
    mark_ = t;
  });
}

void StepTracer::on_phase(StepPhase phase, double begin, double end) {
  switch (phase) {
    case StepPhase::kData:
      trace_.add("data", "data", 0, begin, end);
      mark_ = end;
      break;
    case StepPhase::kOptimizer:
      trace_.add("optimizer", "optimizer", 0, begin, end);
      break;
    case StepPhase::kEvaluate:
      trace_.add("evaluate", "eval", 0, begin, end);
      break;
    case StepPhase::kCompute:
    case StepPhase::kCommWait:
      break;  // the layer and bucket spans show these
  }
}

void StepTracer::end_step(const StepInfo& /*step*/, const StepTimes& /*times*/) {
  if (reducer_ == nullptr) return;
  for (size_t b = 0; b < reducer_->buckets().size(); ++b) {
    trace_.add("bucket " + std::to_string(b) + (sharded_ ? " reduce-scatter" : " allreduce"), "comm", 1,
               reducer_->launch_times()[b], reducer_->done_times()[b]);
  }
}

void ProgressReporter::begin_epoch(int /*epoch*/) {
  epoch_start_ = recent_start_ = now_seconds();
  recent_samples_ = 0;
}

void ProgressReporter::end_step(const StepInfo& step, const StepTimes& /*times*/) {
  recent_samples_ += step.global_rows;
  const uint64_t s = step.step;
  if (!(s % 25 == 24 || s + 1 == step.steps_per_epoch)) return;
  const double now = now_seconds(), epoch_s = now - epoch_start_;
  StepProgress p;
  p.epoch = step.epoch + 1;
  p.epochs = epochs_;
  p.step = s + 1;
  p.steps = step.steps_per_epoch;
  p.samples_per_s = static_cast<double>(recent_samples_) / std::max(1e-9, now - recent_start_);
  p.loss = step.epoch_loss_sum / static_cast<double>(std::max<uint64_t>(1, step.epoch_rows));
  const double done = static_cast<double>(s + 1), steps = static_cast<double>(step.steps_per_epoch);
  const double epoch_estimate = epochs_timed_ ? epoch_seconds_sum_ / epochs_timed_ : epoch_s * steps / done;
  const double left_this_epoch = epoch_s / done * (steps - done);
  p.eta_s = left_this_epoch + epoch_estimate * (epochs_ - step.epoch - 1);
  sink_.on_step(p);
  recent_start_ = now_seconds();
  recent_samples_ = 0;
}

void ProgressReporter::end_epoch(EpochRecord& record, double /*train_seconds*/) {
  if (record.seconds) {
    epoch_seconds_sum_ += *record.seconds;
    ++epochs_timed_;
  }
  sink_.on_epoch(record, epochs_);
}

void FaultDrill::begin_step(const StepInfo& step) {
  if (fault_.rank != rank_ || fault_.at_step != step.global_step) return;
  const std::string what = "injected fault: rank " + std::to_string(rank_) +
                           " stopped before optimizer step " + std::to_string(step.global_step);
  if (fault_.kind == FaultInjection::Kind::kHang) {
    // Stop talking, as a hung process would, until the job has given up on us.
    while (!(job_failed_ && job_failed_->load(std::memory_order_acquire))) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  throw Error(what);
}

}  // namespace dpeval::parallel::internal
