// One rank's training loop. Order of a step (every rank, the same collectives
// in the same order; Note [Collective order] in communicator.h):
//   prepare: for each of K micro-batches, gather rows;
//   forward/backward: forward, loss, backward; the Reducer launches bucket
//     collectives from the grad-ready hook during the last micro-batch's
//     backward (none during the first K-1);
//   finalize: Reducer::finalize() waits for every bucket, scales by 1/world;
//   update: the whole buffer, or (ZeRO-1, and every split update, Note
//     [Split update]) this rank's shard followed by an all-gather of the
//     parameters.
// Per epoch: a sharded evaluation whose totals are all-gathered and added in
// rank order, then (rank 0) an atomic checkpoint. See Note [Global batch] in
// train_config.cc for how micro-batches and ranks combine. Timing, tracing,
// progress and fault drills watch from outside: Note [Step observers].
#include "dpeval/parallel/internal/worker.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"
#include "dpeval/core/rng.h"
#include "dpeval/core/tensor.h"
#include "dpeval/core/timer.h"
#include "dpeval/data/data.h"
#include "dpeval/nn/nn.h"
#include "dpeval/optim/optim.h"
#include "dpeval/parallel/evaluate.h"
#include "dpeval/parallel/fingerprint.h"
#include "dpeval/parallel/internal/step_observer.h"
#include "dpeval/parallel/reducer.h"
#include "dpeval/robust/attack.h"

namespace dpeval::parallel::internal {
namespace {

constexpr uint64_t kDropoutPurpose = 0x44524f50;      // "DROP"
constexpr uint64_t kAdversarialPurpose = 0x41445652;  // "ADVR"

// Totals one rank contributes at the end of an epoch.
struct EpochTotals {
  double train_loss_sum = 0;
  uint64_t train_rows = 0;
  EvalSums eval;
};

// All-gathers every rank's totals (bit-exact, five 64-bit words each) and adds
// them in rank order, so every rank gets the same numbers.
EpochTotals combine_totals(comm::Communicator& comm, const EpochTotals& mine,
                           const comm::CollectiveOptions& options) {
  constexpr size_t kFloats = 10;
  const uint64_t words[5] = {std::bit_cast<uint64_t>(mine.train_loss_sum), mine.train_rows,
                             std::bit_cast<uint64_t>(mine.eval.loss_sum), mine.eval.correct, mine.eval.rows};
  const size_t world = static_cast<size_t>(comm.world());
  std::vector<float> all(kFloats * world);
  std::memcpy(all.data() + kFloats * static_cast<size_t>(comm.rank()), words, sizeof(words));
  if (world > 1) comm.allgather(all, std::vector<size_t>(world, kFloats), options).wait();
  EpochTotals sum;
  for (size_t r = 0; r < world; ++r) {
    uint64_t w[5];
    std::memcpy(w, all.data() + kFloats * r, sizeof(w));
    sum.train_loss_sum += std::bit_cast<double>(w[0]);
    sum.train_rows += w[1];
    sum.eval.loss_sum += std::bit_cast<double>(w[2]);
    sum.eval.correct += w[3];
    sum.eval.rows += w[4];
  }
  return sum;
}

// The full optimizer state ([slot 0: n | slot 1: n | ...]) on every rank: a
// copy of the local state, or with ZeRO-1 every rank's shard all-gathered.
std::vector<float> full_optimizer_state(comm::Communicator& comm, const optim::Optimizer& optimizer, size_t n,
                                        const comm::Shard& shard, bool sharded,
                                        const comm::CollectiveOptions& options) {
  const std::span<const float> local = optimizer.state();
  if (!sharded) return {local.begin(), local.end()};
  const size_t slots = optimizer.state_slots();
  std::vector<float> full(slots * n);
  const std::vector<size_t> counts = comm::line_shard_counts(n, comm.world());
  for (size_t s = 0; s < slots; ++s) {
    std::span<float> slot(full.data() + s * n, n);
    std::copy_n(local.begin() + static_cast<std::ptrdiff_t>(s * shard.size), shard.size,
                slot.begin() + static_cast<std::ptrdiff_t>(shard.offset));
    if (comm.world() > 1) comm.allgather(slot, counts, options).wait();
  }
  return full;
}

// How an epoch's rows split into micro-batches and optimizer steps. Note
// [Remainder]: "pad" wraps the permutation so every rank has the same row
// count and keeps a short last batch (the same size on every rank); "drop"
// skips the leftover rows and the short last batch, so every step sees exactly
// global_batch() rows. Either way all ranks take the same number of steps, so
// no rank waits for a step its peers never take.
struct StepPlan {
  uint64_t batch = 0;        // rows per micro-batch (the last one may be short with "pad")
  uint64_t accumulate = 1;   // micro-batches per optimizer step
  uint64_t micro_steps = 0;  // micro-batches per epoch
  uint64_t rows_used = 0;    // rows per epoch on this rank
  uint64_t steps_per_epoch = 0;
  uint64_t total_steps = 0;

  StepPlan(const TrainConfig& config, const data::DistributedSampler& sampler, size_t train_rows, int world) {
    batch = static_cast<uint64_t>(config.batch);
    accumulate = static_cast<uint64_t>(config.accumulate);
    const bool drop = config.remainder == data::RemainderPolicy::kDrop;
    const uint64_t per_rank = sampler.per_rank_size();
    micro_steps = drop ? per_rank / batch : (per_rank + batch - 1) / batch;
    if (micro_steps == 0) {
      throw ConfigError("remainder drop: " + std::to_string(train_rows) +
                        " training rows cannot fill one batch of " + std::to_string(batch) + " on each of " +
                        std::to_string(world) + " workers (use --remainder pad or a smaller --batch)");
    }
    rows_used = drop ? micro_steps * batch : per_rank;
    steps_per_epoch = (micro_steps + accumulate - 1) / accumulate;
    total_steps = steps_per_epoch * static_cast<uint64_t>(config.epochs);
  }
  uint64_t micro_begin(uint64_t step) const { return step * accumulate; }
  uint64_t micro_end(uint64_t step) const { return std::min(micro_steps, micro_begin(step) + accumulate); }
  uint64_t micro_rows(uint64_t m) const { return std::min(batch, rows_used - m * batch); }
  uint64_t step_rows(uint64_t step) const {
    return std::min(rows_used, micro_end(step) * batch) - micro_begin(step) * batch;
  }
};

// One rank's replica and everything a step touches. The step's parts are its
// methods, in the order a step calls them.
class RankStep {
 public:
  RankStep(const RunInputs& in, comm::Communicator& comm, nn::Model& model, optim::Optimizer& optimizer,
           Reducer* reducer, const StepPlan& plan, const comm::Shard& shard,
           const comm::CollectiveOptions& param_options, StepObserver& observers)
      : config_(*in.config),
        train_set_(*in.train_set),
        comm_(comm),
        model_(model),
        optimizer_(optimizer),
        reducer_(reducer),
        plan_(plan),
        shard_(shard),
        sharded_(in.update.sharded()),
        param_options_(param_options),
        param_counts_(comm::line_shard_counts(model.param_count(), comm.world())),
        observers_(observers),
        y_(static_cast<size_t>(plan.batch)) {}

  // Trains optimizer step `info.step` of the epoch whose row order is `order`;
  // adds its loss and rows to `loss_sum` and `rows` (the epoch's totals); returns what it measured.
  StepTimes train(const std::vector<uint32_t>& order, const StepInfo& info, double& loss_sum,
                  uint64_t& rows) {
    StepTimes times;
    times.begin = now_seconds();
    const uint64_t m_begin = plan_.micro_begin(info.step), m_end = plan_.micro_end(info.step);
    const uint64_t step_rows = plan_.step_rows(info.step);
    for (uint64_t m = m_begin; m < m_end; ++m) {
      const double td = now_seconds();
      const size_t count = prepare_batch(order, m);
      const double tc = now_seconds();
      observers_.on_phase(StepPhase::kData, td, tc);
      const float loss = forward_backward(info, m, m_end, count, step_rows);
      const double tb = now_seconds();
      observers_.on_phase(StepPhase::kCompute, tc, tb);
      times.data += tc - td;
      times.compute += tb - tc;
      loss_sum += static_cast<double>(loss) * static_cast<double>(count);
      rows += count;
    }
    if (reducer_) {
      times.comm = reducer_->finalize();
      times.comm_wait = times.comm.wait_seconds;
    }
    const double to = now_seconds();
    update(config_.lr_at(info.global_step, plan_.steps_per_epoch, plan_.total_steps));
    times.end = now_seconds();
    times.optimizer = times.end - to;
    observers_.on_phase(StepPhase::kOptimizer, to, times.end);
    return times;
  }

 private:
  // Micro-batch m's rows of `order` into x_ and y_; returns its row count.
  size_t prepare_batch(const std::vector<uint32_t>& order, uint64_t m) {
    const size_t begin = static_cast<size_t>(m * plan_.batch);
    const size_t count = static_cast<size_t>(plan_.micro_rows(m));
    x_.resize(train_set_.sample_shape().with_outer(static_cast<int64_t>(count)));
    DPEVAL_CHECK(x_.size() == count * static_cast<size_t>(train_set_.sample_numel()));
    train_set_.gather(std::span(order).subspan(begin, count), x_.data(), y_.data());
    return count;
  }

  // Forward, loss and backward of micro-batch m (of [micro_begin, m_end)); the
  // last one's backward launches the Reducer's buckets. Returns the loss.
  float forward_backward(const StepInfo& info, uint64_t m, uint64_t m_end, size_t count, uint64_t step_rows) {
    const uint64_t m_begin = plan_.micro_begin(info.step);
    nn::ForwardOptions forward;
    forward.training = true;
    // The single-worker key is unchanged from one-rank runs; ranks and
    // micro-batches draw distinct dropout masks.
    uint64_t key = mix64(mix64(config_.seed ^ kDropoutPurpose) + info.global_step);
    if (comm_.world() > 1 || plan_.accumulate > 1) {
      key = mix64(key ^ (static_cast<uint64_t>(comm_.rank()) * plan_.accumulate + (m - m_begin) + 1));
    }
    forward.rng_key = key;
    if (!config_.adv_train.empty()) {
      // Adversarial training: the step trains on the batch's attack under the
      // current weights (robust/attack.h); PGD's random starts are keyed like
      // the dropout masks, so runs repeat bit for bit.
      robust::BatchAttack a;
      a.attack = config_.adv_train == "fgsm" ? robust::Attack::kFgsm : robust::Attack::kPgd;
      a.eps = static_cast<float>(config_.adv_eps);
      a.steps = config_.adv_steps;
      a.step_size = static_cast<float>(config_.adv_step_size);
      a.key = mix64(key ^ kAdversarialPurpose);
      robust::attack_batch(model_, x_, std::span<const int32_t>(y_.data(), count), a, adv_);
      std::swap(x_, adv_);
    }
    const Tensor& logits = model_.forward(x_, forward);
    const float loss = nn::softmax_cross_entropy(logits, std::span<const int32_t>(y_.data(), count),
                                                 &dlogits_, config_.label_smoothing);
    if (!std::isfinite(loss)) {
      throw Error("training diverged: loss is " + std::to_string(loss) + " at epoch " +
                  std::to_string(info.epoch + 1) + " step " + std::to_string(info.step + 1) + " on rank " +
                  std::to_string(comm_.rank()) + " (try a smaller --lr)");
    }
    if (m_end - m_begin > 1) {
      const float weight = static_cast<float>(count) / static_cast<float>(step_rows);
      for (float& g : dlogits_.span()) g *= weight;
    }
    if (reducer_) reducer_->begin_step(m + 1 == m_end);
    model_.backward(dlogits_, /*accumulate=*/m > m_begin);
    return loss;
  }

  // The optimizer step: the whole buffer, or this rank's shard and then the
  // parameter all-gather (ZeRO-1, Note [Split update]).
  void update(float lr) {
    if (sharded_) {
      optimizer_.step(model_.params().subspan(shard_.offset, shard_.size),
                      std::span<const float>(model_.grads()).subspan(shard_.offset, shard_.size), lr);
      if (comm_.world() > 1) comm_.allgather(model_.params(), param_counts_, param_options_).wait();
    } else {
      optimizer_.step(model_.params(), model_.grads(), lr);
    }
  }

  const TrainConfig& config_;
  const data::Dataset& train_set_;
  comm::Communicator& comm_;
  nn::Model& model_;
  optim::Optimizer& optimizer_;
  Reducer* reducer_;
  const StepPlan& plan_;
  comm::Shard shard_;
  bool sharded_;
  comm::CollectiveOptions param_options_;
  std::vector<size_t> param_counts_;
  StepObserver& observers_;
  Tensor x_, adv_, dlogits_;
  std::vector<int32_t> y_;
};

// The TrainState rank 0 writes after `record`'s epoch (history: `done` then record).
TrainState checkpoint_state(const RunInputs& in, const nn::Model& model, const optim::Optimizer& optimizer,
                            std::vector<float> optimizer_state, uint64_t global_step,
                            const std::vector<EpochRecord>& done, const EpochRecord& record) {
  const data::Dataset& train_set = *in.train_set;
  TrainState state;
  state.config = *in.config;
  state.params.assign(model.params().begin(), model.params().end());
  state.optimizer_state = std::move(optimizer_state);
  state.optimizer_steps = optimizer.step_count();
  state.epochs_done = record.epoch;
  state.global_step = global_step;
  state.dataset_hash = in.dataset_hash;
  state.sample_shape = train_set.sample_shape();
  state.num_classes = train_set.num_classes();
  state.class_names = train_set.class_names();
  state.data_path = absolute_data_path(in.config->data);
  state.labels_path = absolute_data_path(in.config->labels);
  state.feature_names = train_set.feature_names();
  state.history = done;
  state.history.push_back(record);
  return state;
}

// A step can leave non-finite weights without a non-finite loss (the last
// update of the epoch): say so rather than checkpoint a model that predicts
// NaN. Every rank holds the same weights, so every rank stops.
void check_params_finite(const nn::Model& model, int epoch, uint64_t global_step) {
  for (const float w : model.params()) {
    if (!std::isfinite(w)) {
      throw Error("training diverged: the parameters are not finite after epoch " +
                  std::to_string(epoch + 1) + " (step " + std::to_string(global_step) +
                  "); no checkpoint was written for it (try a smaller --lr)");
    }
  }
}

// This rank's replica: the model, the optimizer over its shard of the
// parameters (all of them unless the update is sharded, Note [Update plan])
// and where training starts (epoch and step; not 0 after a resume).
struct Replica {
  nn::Model model;
  comm::Shard shard;
  std::unique_ptr<optim::Optimizer> optimizer;
  int start_epoch = 0;
  uint64_t global_step = 0;
};

Replica build_replica(const RunInputs& in, int rank, int world) {
  const TrainConfig& config = *in.config;
  Replica r{
      nn::Model::build(config.model_spec, in.train_set->sample_shape(), in.train_set->num_classes()), {}, {}};
  r.model.init_params(config.seed);
  const size_t n = r.model.param_count();
  r.shard = in.update.sharded() ? comm::line_shard_of(n, rank, world) : comm::Shard{0, n};
  // LARS needs the tensor boundaries (its trust ratio is per tensor); ZeRO-1
  // with LARS is rejected by TrainConfig::validate, and never split.
  std::vector<size_t> segment_offsets;
  if (!in.update.sharded()) {
    for (const nn::ParamInfo& p : r.model.param_infos()) segment_offsets.push_back(p.offset);
  }
  r.optimizer = optim::make_optimizer(config.optimizer, r.shard.size, segment_offsets);
  return r;
}

// A resumed run continues from `state`: its weights, this rank's shard of
// the optimizer state, the step count and the epochs done.
void restore_replica(const TrainState& state, Replica& r) {
  const size_t n = r.model.param_count();
  std::copy(state.params.begin(), state.params.end(), r.model.params().begin());
  const size_t slots = r.optimizer->state_slots();
  std::span<float> local = r.optimizer->state();
  for (size_t s = 0; s < slots; ++s) {
    std::copy_n(state.optimizer_state.begin() + static_cast<std::ptrdiff_t>(s * n + r.shard.offset),
                r.shard.size, local.begin() + static_cast<std::ptrdiff_t>(s * r.shard.size));
  }
  r.optimizer->set_step_count(state.optimizer_steps);
  r.start_epoch = state.epochs_done;
  r.global_step = state.global_step;
}

// Before step 0: every rank agrees on what is trained (Note [Fingerprint]),
// then starts from rank 0's weights; with a split update the ranks' models
// then share the one buffer (Note [Split update] in trainer.h).
void agree_before_step_zero(const RunInputs& in, comm::Communicator& comm, nn::Model& model,
                            const comm::CollectiveOptions& options) {
  const int rank = comm.rank(), world = comm.world();
  const auto tagged = [&](const char* tag) {
    comm::CollectiveOptions o = options;
    o.tag = tag;
    return o;
  };
  Fingerprint fingerprint;
  fingerprint.config_hash = in.config->config_hash();
  fingerprint.layout_hash = model.layout_hash();
  fingerprint.dataset_hash = in.dataset_hash;
  fingerprint.world = static_cast<uint64_t>(world);
  fingerprint.version_hash = version_fingerprint();
  if (in.options->fingerprint_hook) in.options->fingerprint_hook(rank, fingerprint);
  check_fingerprints(comm, fingerprint, tagged("fingerprint"));
  if (world > 1) comm.broadcast(model.params(), 0, tagged("parameters")).wait();
  if (in.update.shares_params()) {
    // Every rank now holds rank 0's weights; rank 0 puts them in the one
    // buffer, and nobody reads it before the barrier.
    if (rank == 0) std::copy(model.params().begin(), model.params().end(), in.shared_params.begin());
    comm.barrier(tagged("shared parameters")).wait();
    model.share_params(in.shared_params);
  }
}

// The Reducer, when gradients travel (more than one rank) or are rounded
// (16-bit --grad-dtype), hooked into the model's backward; records its
// buckets in `result`.
void attach_reducer(const RunInputs& in, comm::Communicator& comm, nn::Model& model,
                    std::chrono::milliseconds timeout, std::optional<Reducer>& reducer, TrainResult& result) {
  const GradDType dtype = in.config->grad_dtype;
  if (comm.world() == 1 && dtype == GradDType::kFloat32) return;
  BucketPlanOptions buckets;
  if (in.options->bucket_mb <= 0) {
    buckets.bytes_first = buckets.bytes_cap = std::numeric_limits<size_t>::max();
  } else {
    buckets.bytes_cap = static_cast<size_t>(in.options->bucket_mb * 1024 * 1024);
    buckets.bytes_first = std::min(buckets.bytes_first, buckets.bytes_cap);
  }
  ReducerOptions reducer_options;
  reducer_options.dtype = dtype;
  reducer_options.shard_only = in.update.sharded();
  reducer_options.timeout = timeout;
  reducer.emplace(comm, model.grads(), plan_buckets(model.param_infos(), buckets), reducer_options);
  model.set_on_grad_ready([&reducer](size_t i) { reducer->on_grad_ready(i); });
  result.buckets = reducer->buckets().size();
  result.bucket_bytes = reducer->bucket_bytes();
  for (const size_t b : result.bucket_bytes) result.bytes_reduced_per_step += b;
}

// The epoch's record: each rank evaluates its contiguous slice of the test
// rows, and the training and evaluation totals of all ranks are added in rank
// order, so every rank holds the same figures.
EpochRecord evaluate_epoch(const RunInputs& in, comm::Communicator& comm, nn::Model& model,
                           EpochTotals totals, int epoch, const comm::CollectiveOptions& options) {
  const data::Dataset& test_set = *in.test_set;
  const comm::Shard rows = comm::shard_of(test_set.size(), comm.rank(), comm.world());
  totals.eval = evaluate_rows(model, test_set, in.config->eval_batch, rows.offset, rows.offset + rows.size);
  const EpochTotals sum = combine_totals(comm, totals, options);
  const EvalResult eval = eval_result(sum.eval);
  EpochRecord record;
  record.epoch = epoch + 1;
  record.train_loss = sum.train_loss_sum / static_cast<double>(std::max<uint64_t>(1, sum.train_rows));
  record.test_loss = eval.loss;
  record.test_accuracy = eval.accuracy;
  return record;
}

// The checkpoint after `record`'s epoch: every rank takes part in gathering a
// sharded optimizer state; rank 0 writes (history: `done` then record).
void checkpoint_epoch(const RunInputs& in, comm::Communicator& comm, const Replica& r, uint64_t global_step,
                      const TrainResult& result, const EpochRecord& record,
                      const comm::CollectiveOptions& options) {
  std::vector<float> optimizer_state =
      full_optimizer_state(comm, *r.optimizer, r.model.param_count(), r.shard, in.update.sharded(), options);
  if (comm.rank() != 0) return;
  save_train_state(result.checkpoint_path,
                   checkpoint_state(in, r.model, *r.optimizer, std::move(optimizer_state), global_step,
                                    result.epochs, record));
}

}  // namespace

WorkerOutput run_worker(const RunInputs& in, comm::Communicator& comm) {
  const TrainConfig& config = *in.config;
  const TrainRunOptions& options = *in.options;
  const int rank = comm.rank(), world = comm.world();
  const bool lead = rank == 0;
  comm::CollectiveOptions comm_options;
  comm_options.timeout =
      std::chrono::milliseconds(static_cast<int64_t>(std::llround(options.comm_timeout_s * 1e3)));
  auto tagged = [&](std::string tag) {
    comm::CollectiveOptions o = comm_options;
    o.tag = std::move(tag);
    return o;
  };

  // Set up: the replica (restored on resume), agreement before step 0, the
  // step plan, the Reducer and the observers.
  Replica replica = build_replica(in, rank, world);
  nn::Model& model = replica.model;
  WorkerOutput out;
  TrainResult& result = out.result;
  result.config = config;
  result.backend = options.backend;
  result.rank = rank;
  result.world = world;
  result.params = model.param_count();
  result.dataset_hash = in.dataset_hash;
  result.blas = in.blas;
  result.optimizer_state_bytes = replica.optimizer->state_bytes();
  result.update = in.update.kind;
  result.checkpoint_path = options.out_dir / "checkpoint.dpck";
  if (in.resume) {
    restore_replica(*in.resume, replica);
    result.epochs = in.resume->history;
    result.resumed_from_epoch = replica.start_epoch;
  }
  agree_before_step_zero(in, comm, model, comm_options);

  data::SamplerOptions sampler_options;
  sampler_options.seed = config.seed;
  sampler_options.rank = rank;
  sampler_options.world = world;
  sampler_options.remainder = config.remainder;
  const data::DistributedSampler sampler(in.train_set->size(), sampler_options);
  const StepPlan plan(config, sampler, in.train_set->size(), world);
  std::optional<Reducer> reducer;
  attach_reducer(in, comm, model, comm_options.timeout, reducer, result);

  // Note [Step observers]: the timer first, so that the progress reporter
  // sees an epoch's figures in its record.
  StepObservers observers;
  std::optional<FaultDrill> fault_drill;
  if (options.fault) observers.attach(&fault_drill.emplace(*options.fault, rank, in.job_failed));
  StepTimer timer;
  observers.attach(&timer);
  std::optional<StepTracer> tracer;
  if (options.trace_path) {
    observers.attach(
        &tracer.emplace(rank, in.origin, model, reducer ? &*reducer : nullptr, in.update.sharded()));
  }
  std::optional<ProgressReporter> progress;
  if (lead && options.progress) observers.attach(&progress.emplace(*options.progress, config.epochs));

  std::error_code mkdir_error;
  if (lead) std::filesystem::create_directories(options.out_dir, mkdir_error);
  if (mkdir_error) {
    throw IoError(options.out_dir.string() +
                  ": cannot create the output directory: " + mkdir_error.message());
  }

  // Train: epochs of steps (RankStep::train), each epoch ended by the sharded
  // evaluation and, unless --max-steps cut it, a checkpoint.
  RankStep step(in, comm, model, *replica.optimizer, reducer ? &*reducer : nullptr, plan, replica.shard,
                tagged("parameters"), observers);
  uint64_t global_step = replica.global_step;
  double run_train_seconds = 0;
  uint64_t steps_this_run = 0;
  bool stopped_early = false;
  for (int epoch = replica.start_epoch; epoch < config.epochs && !stopped_early; ++epoch) {
    Stopwatch epoch_clock;
    observers.begin_epoch(epoch);
    const std::vector<uint32_t> order = sampler.epoch_indices(static_cast<uint64_t>(epoch));
    EpochTotals totals;
    for (uint64_t s = 0; s < plan.steps_per_epoch && !stopped_early; ++s) {
      StepInfo info;
      info.epoch = epoch;
      info.step = s;
      info.steps_per_epoch = plan.steps_per_epoch;
      info.global_step = global_step;
      info.global_rows = plan.step_rows(s) * static_cast<uint64_t>(world);
      observers.begin_step(info);
      const StepTimes times = step.train(order, info, totals.train_loss_sum, totals.train_rows);
      ++global_step;
      ++steps_this_run;
      info.epoch_loss_sum = totals.train_loss_sum;
      info.epoch_rows = totals.train_rows;
      observers.end_step(info, times);
      stopped_early = options.max_steps && steps_this_run >= options.max_steps;
    }
    check_params_finite(model, epoch, global_step);
    const double train_s = epoch_clock.seconds();
    result.train_seconds += train_s;
    run_train_seconds += train_s;

    Stopwatch eval_clock;
    const double te = now_seconds();
    EpochRecord record = evaluate_epoch(in, comm, model, totals, epoch, tagged("evaluation"));
    observers.on_phase(StepPhase::kEvaluate, te, now_seconds());
    result.eval_seconds += eval_clock.seconds();
    if (!stopped_early) {
      checkpoint_epoch(in, comm, replica, global_step, result, record, tagged("optimizer state"));
    } else if (lead && options.progress) {
      options.progress->on_message("stopped after " + std::to_string(steps_this_run) +
                                   " steps (--max-steps): epoch " + std::to_string(epoch + 1) +
                                   " is incomplete and not checkpointed");
    }
    record.seconds = epoch_clock.seconds();
    record.train_seconds_cumulative = run_train_seconds;
    observers.end_epoch(record, train_s);
    result.epochs.push_back(record);
  }

  timer.fill(result);
  if (tracer) out.trace = tracer->take_events();
  return out;
}

}  // namespace dpeval::parallel::internal
