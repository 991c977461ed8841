// One rank's training loop. Order of a step (every rank, the same collectives
// in the same order; Note [Collective order] in communicator.h):
//   for each of K micro-batches: gather rows, forward, loss, backward — the
//     Reducer launches bucket collectives from the grad-ready hook during the
//     last micro-batch's backward (none during the first K-1);
//   Reducer::finalize(): wait for every bucket, scale by 1/world;
//   optimizer: the whole buffer, or (ZeRO-1, and every split update, Note
//     [Split update]) this rank's shard followed by an all-gather of the
//     parameters.
// Per epoch: a sharded evaluation whose totals are all-gathered and added in
// rank order, then (rank 0) an atomic checkpoint. See Note [Global batch] in
// train_config.cc for how micro-batches and ranks combine.
#include "dpeval/parallel/internal/worker.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <thread>

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
#include "dpeval/parallel/reducer.h"

namespace dpeval::parallel::internal {
namespace {

constexpr uint64_t kDropoutPurpose = 0x44524f50;  // "DROP"

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double pos = q * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(values.size() - 1, lo + 1);
  return values[lo] + (values[hi] - values[lo]) * (pos - static_cast<double>(lo));
}

// Totals one rank contributes at the end of an epoch.
struct EpochTotals {
  double train_loss_sum = 0;
  uint64_t train_rows = 0;
  EvalSums eval;
};

// All-gathers every rank's totals (bit-exact, five 64-bit words each) and adds
// them in rank order, so every rank gets the same numbers.
EpochTotals combine_totals(Communicator& comm, const EpochTotals& mine, const CollectiveOptions& options) {
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
std::vector<float> full_optimizer_state(Communicator& comm, const optim::Optimizer& optimizer, size_t n,
                                        const Shard& shard, bool sharded, const CollectiveOptions& options) {
  const std::span<const float> local = optimizer.state();
  if (!sharded) return {local.begin(), local.end()};
  const size_t slots = optimizer.state_slots();
  std::vector<float> full(slots * n);
  const std::vector<size_t> counts = line_shard_counts(n, comm.world());
  for (size_t s = 0; s < slots; ++s) {
    std::span<float> slot(full.data() + s * n, n);
    std::copy_n(local.begin() + static_cast<std::ptrdiff_t>(s * shard.size), shard.size,
                slot.begin() + static_cast<std::ptrdiff_t>(shard.offset));
    if (comm.world() > 1) comm.allgather(slot, counts, options).wait();
  }
  return full;
}

[[noreturn]] void inject_fault(const FaultInjection& fault, int rank, uint64_t step,
                               const std::atomic<bool>* job_failed) {
  const std::string what = "injected fault: rank " + std::to_string(rank) +
                           " stopped before optimizer step " + std::to_string(step);
  if (fault.kind == FaultInjection::Kind::kHang) {
    // Stop talking, as a hung process would, until the job has given up on us.
    while (!(job_failed && job_failed->load(std::memory_order_acquire))) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  throw Error(what);
}

}  // namespace

WorkerOutput run_worker(const RunInputs& in, Communicator& comm) {
  const TrainConfig& config = *in.config;
  const TrainRunOptions& options = *in.options;
  const data::Dataset& train_set = *in.train_set;
  const data::Dataset& test_set = *in.test_set;
  const int rank = comm.rank(), world = comm.world();
  const bool lead = rank == 0;
  ProgressSink* sink = lead ? options.progress : nullptr;
  auto say = [&](const std::string& line) {
    if (sink) sink->on_message(line);
  };
  CollectiveOptions comm_options;
  comm_options.timeout =
      std::chrono::milliseconds(static_cast<int64_t>(std::llround(options.comm_timeout_s * 1e3)));
  auto tagged = [&](std::string tag) {
    CollectiveOptions o = comm_options;
    o.tag = std::move(tag);
    return o;
  };

  WorkerOutput out;
  std::optional<TraceRecorder> trace;
  if (options.trace_path) trace.emplace(rank, in.origin);

  nn::Model model = nn::Model::build(config.model_spec, train_set.sample_shape(), train_set.num_classes());
  model.init_params(config.seed);
  const size_t n = model.param_count();
  // See Note [Split update] in trainer.h.
  const bool shared = !in.shared_params.empty();
  const bool sharded = config.zero == 1 || shared;
  const Shard shard = sharded ? line_shard_of(n, rank, world) : Shard{0, n};
  // LARS needs the tensor boundaries (its trust ratio is per tensor); ZeRO-1
  // with LARS is rejected by TrainConfig::validate, and never split.
  std::vector<size_t> segment_offsets;
  if (!sharded) {
    for (const nn::ParamInfo& p : model.param_infos()) segment_offsets.push_back(p.offset);
  }
  std::unique_ptr<optim::Optimizer> optimizer =
      optim::make_optimizer(config.optimizer, shard.size, segment_offsets);

  TrainResult& result = out.result;
  result.config = config;
  result.backend = options.backend;
  result.rank = rank;
  result.world = world;
  result.params = n;
  result.dataset_hash = in.dataset_hash;
  result.blas = in.blas;
  result.optimizer_state_bytes = optimizer->state_bytes();
  result.split_update = sharded && world > 1;
  result.checkpoint_path = options.out_dir / "checkpoint.dpck";

  int start_epoch = 0;
  uint64_t global_step = 0;
  if (in.resume) {
    const TrainState& state = *in.resume;
    std::copy(state.params.begin(), state.params.end(), model.params().begin());
    const size_t slots = optimizer->state_slots();
    std::span<float> local = optimizer->state();
    for (size_t s = 0; s < slots; ++s) {
      std::copy_n(state.optimizer_state.begin() + static_cast<std::ptrdiff_t>(s * n + shard.offset),
                  shard.size, local.begin() + static_cast<std::ptrdiff_t>(s * shard.size));
    }
    optimizer->set_step_count(state.optimizer_steps);
    start_epoch = state.epochs_done;
    global_step = state.global_step;
    result.epochs = state.history;
    result.resumed_from_epoch = start_epoch;
  }

  // Before step 0: agree on what is trained, then start from rank 0's weights.
  Fingerprint fingerprint;
  fingerprint.config_hash = config.config_hash();
  fingerprint.layout_hash = model.layout_hash();
  fingerprint.dataset_hash = in.dataset_hash;
  fingerprint.world = static_cast<uint64_t>(world);
  fingerprint.version_hash = version_fingerprint();
  if (options.fingerprint_hook) options.fingerprint_hook(rank, fingerprint);
  check_fingerprints(comm, fingerprint, tagged("fingerprint"));
  if (world > 1) comm.broadcast(model.params(), 0, tagged("parameters")).wait();
  if (shared) {
    // Every rank now holds rank 0's weights; rank 0 puts them in the one
    // buffer, and nobody reads it before the barrier.
    if (lead) std::copy(model.params().begin(), model.params().end(), in.shared_params.begin());
    comm.barrier(tagged("shared parameters")).wait();
    model.share_params(in.shared_params);
  }

  data::SamplerOptions sampler_options;
  sampler_options.seed = config.seed;
  sampler_options.rank = rank;
  sampler_options.world = world;
  sampler_options.remainder =
      config.remainder == "drop" ? data::RemainderPolicy::kDrop : data::RemainderPolicy::kPad;
  const data::DistributedSampler sampler(train_set.size(), sampler_options);
  const uint64_t batch = static_cast<uint64_t>(config.batch);
  const bool drop = config.remainder == "drop";
  // Note [Remainder]: "pad" wraps the permutation so every rank has the same
  // row count and keeps a short last batch (the same size on every rank);
  // "drop" skips the leftover rows and the short last batch, so every step
  // sees exactly global_batch() rows. Either way all ranks take the same
  // number of steps, so no rank waits for a step its peers never take.
  const uint64_t per_rank = sampler.per_rank_size();
  const uint64_t micro_steps = drop ? per_rank / batch : (per_rank + batch - 1) / batch;
  if (micro_steps == 0) {
    throw ConfigError("remainder drop: " + std::to_string(train_set.size()) +
                      " training rows cannot fill one batch of " + std::to_string(batch) + " on each of " +
                      std::to_string(world) + " workers (use --remainder pad or a smaller --batch)");
  }
  const uint64_t rows_used = drop ? micro_steps * batch : per_rank;
  const uint64_t accumulate = static_cast<uint64_t>(config.accumulate);
  const uint64_t steps_per_epoch = (micro_steps + accumulate - 1) / accumulate;
  const uint64_t total_steps = steps_per_epoch * static_cast<uint64_t>(config.epochs);

  const GradDType dtype = parse_grad_dtype(config.grad_dtype);
  const bool use_reducer = world > 1 || dtype != GradDType::kFloat32;
  std::optional<Reducer> reducer;
  if (use_reducer) {
    BucketPlanOptions plan;
    if (options.bucket_mb <= 0) {
      plan.bytes_first = plan.bytes_cap = std::numeric_limits<size_t>::max();
    } else {
      plan.bytes_cap = static_cast<size_t>(options.bucket_mb * 1024 * 1024);
      plan.bytes_first = std::min(plan.bytes_first, plan.bytes_cap);
    }
    ReducerOptions reducer_options;
    reducer_options.dtype = dtype;
    reducer_options.shard_only = sharded;
    reducer_options.timeout = comm_options.timeout;
    reducer.emplace(comm, model.grads(), plan_buckets(model.param_infos(), plan), reducer_options);
    model.set_on_grad_ready([&](size_t i) { reducer->on_grad_ready(i); });
    result.buckets = reducer->buckets().size();
    result.bucket_bytes = reducer->bucket_bytes();
    for (const size_t b : result.bucket_bytes) result.bytes_reduced_per_step += b;
  }
  double trace_mark = 0;
  if (trace) {
    model.set_on_layer_done([&](size_t layer, bool backward) {
      const double t = now_seconds();
      trace->add(std::string(backward ? "backward " : "forward ") + std::to_string(layer) + " " +
                     std::string(model.layer_type(layer)),
                 backward ? "backward" : "forward", 0, trace_mark, t);
      trace_mark = t;
    });
  }

  std::error_code mkdir_error;
  if (lead) std::filesystem::create_directories(options.out_dir, mkdir_error);
  if (mkdir_error) {
    throw IoError(options.out_dir.string() +
                  ": cannot create the output directory: " + mkdir_error.message());
  }

  const int64_t numel = train_set.sample_numel();
  Tensor x, dlogits;
  std::vector<int32_t> y(static_cast<size_t>(batch));
  std::vector<double> step_s, data_s, compute_s, wait_s, opt_s, gbps;
  double steady_time = 0, run_train_seconds = 0, all_steps_time = 0;
  uint64_t steady_samples = 0, steps_this_run = 0, all_steps_samples = 0;
  double epoch_seconds_sum = 0;
  int epochs_timed = 0;
  const std::vector<size_t> param_counts = line_shard_counts(n, world);

  bool stopped_early = false;
  for (int epoch = start_epoch; epoch < config.epochs && !stopped_early; ++epoch) {
    Stopwatch epoch_clock;
    const std::vector<uint32_t> order = sampler.epoch_indices(static_cast<uint64_t>(epoch));
    EpochTotals totals;
    Stopwatch recent_clock;
    uint64_t recent_samples = 0;
    // This epoch's steps, warm-up included (EpochRecord::step_breakdown).
    std::vector<double> epoch_data_s, epoch_compute_s, epoch_wait_s, epoch_opt_s, epoch_gbps;
    uint64_t epoch_samples = 0;
    for (uint64_t s = 0; s < steps_per_epoch; ++s) {
      if (options.fault && options.fault->rank == rank && options.fault->at_step == global_step) {
        inject_fault(*options.fault, rank, global_step, in.job_failed);
      }
      const double t0 = now_seconds();
      const uint64_t m_begin = s * accumulate, m_end = std::min(micro_steps, m_begin + accumulate);
      const uint64_t step_rows = std::min(rows_used, m_end * batch) - m_begin * batch;
      double t_data = 0, t_compute = 0;
      for (uint64_t m = m_begin; m < m_end; ++m) {
        const double td = now_seconds();
        const size_t begin = static_cast<size_t>(m * batch);
        const size_t count = static_cast<size_t>(std::min<uint64_t>(batch, rows_used - m * batch));
        x.resize(train_set.sample_shape().with_outer(static_cast<int64_t>(count)));
        DPEVAL_CHECK(x.size() == count * static_cast<size_t>(numel));
        train_set.gather(std::span(order).subspan(begin, count), x.data(), y.data());
        const double tc = now_seconds();
        t_data += tc - td;
        if (trace) trace->add("data", "data", 0, td, tc);
        trace_mark = tc;

        nn::ForwardOptions forward;
        forward.training = true;
        // The single-worker key is unchanged from one-rank runs; ranks and
        // micro-batches draw distinct dropout masks.
        uint64_t key = mix64(mix64(config.seed ^ kDropoutPurpose) + global_step);
        if (world > 1 || accumulate > 1)
          key = mix64(key ^ (static_cast<uint64_t>(rank) * accumulate + (m - m_begin) + 1));
        forward.rng_key = key;
        const Tensor& logits = model.forward(x, forward);
        const float loss = nn::softmax_cross_entropy(logits, std::span<const int32_t>(y.data(), count),
                                                     &dlogits, config.label_smoothing);
        if (!std::isfinite(loss)) {
          throw Error("training diverged: loss is " + std::to_string(loss) + " at epoch " +
                      std::to_string(epoch + 1) + " step " + std::to_string(s + 1) + " on rank " +
                      std::to_string(rank) + " (try a smaller --lr)");
        }
        if (m_end - m_begin > 1) {
          const float weight = static_cast<float>(count) / static_cast<float>(step_rows);
          for (float& g : dlogits.span()) g *= weight;
        }
        if (reducer) reducer->begin_step(m + 1 == m_end);
        model.backward(dlogits, /*accumulate=*/m > m_begin);
        t_compute += now_seconds() - tc;
        totals.train_loss_sum += static_cast<double>(loss) * static_cast<double>(count);
        totals.train_rows += count;
      }

      double t_wait = 0;
      ReducerStepStats comm_stats;
      if (reducer) {
        comm_stats = reducer->finalize();
        t_wait = comm_stats.wait_seconds;
        if (trace) {
          for (size_t b = 0; b < reducer->buckets().size(); ++b) {
            trace->add("bucket " + std::to_string(b) + (sharded ? " reduce-scatter" : " allreduce"), "comm",
                       1, reducer->launch_times()[b], reducer->done_times()[b]);
          }
        }
      }
      const double to = now_seconds();
      const float lr = config.lr_at(global_step, steps_per_epoch, total_steps);
      if (sharded) {
        optimizer->step(model.params().subspan(shard.offset, shard.size),
                        std::span<const float>(model.grads()).subspan(shard.offset, shard.size), lr);
        if (world > 1) comm.allgather(model.params(), param_counts, tagged("parameters")).wait();
      } else {
        optimizer->step(model.params(), model.grads(), lr);
      }
      const double t1 = now_seconds();
      if (trace) trace->add("optimizer", "optimizer", 0, to, t1);
      const double dt = t1 - t0;

      ++global_step;
      ++steps_this_run;
      const uint64_t global_rows = step_rows * static_cast<uint64_t>(world);
      all_steps_time += dt;
      all_steps_samples += global_rows;
      if (steps_this_run > static_cast<uint64_t>(kWarmupStepsExcluded)) {
        steady_time += dt;
        steady_samples += global_rows;
        step_s.push_back(dt);
        data_s.push_back(t_data);
        compute_s.push_back(t_compute);
        wait_s.push_back(t_wait);
        opt_s.push_back(t1 - to);
        if (comm_stats.done > comm_stats.first_launch) {
          gbps.push_back(static_cast<double>(comm_stats.bytes) / (comm_stats.done - comm_stats.first_launch) /
                         1e9);
        }
      }
      recent_samples += global_rows;
      epoch_samples += global_rows;
      epoch_data_s.push_back(t_data);
      epoch_compute_s.push_back(t_compute);
      epoch_wait_s.push_back(t_wait);
      epoch_opt_s.push_back(t1 - to);
      if (comm_stats.done > comm_stats.first_launch) {
        epoch_gbps.push_back(static_cast<double>(comm_stats.bytes) /
                             (comm_stats.done - comm_stats.first_launch) / 1e9);
      }
      if (options.max_steps && steps_this_run >= options.max_steps) stopped_early = true;
      if (sink && (s % 25 == 24 || s + 1 == steps_per_epoch)) {
        StepProgress p;
        p.epoch = epoch + 1;
        p.epochs = config.epochs;
        p.step = s + 1;
        p.steps = steps_per_epoch;
        p.samples_per_s = static_cast<double>(recent_samples) / std::max(1e-9, recent_clock.seconds());
        p.loss = totals.train_loss_sum / static_cast<double>(std::max<uint64_t>(1, totals.train_rows));
        const double epoch_estimate =
            epochs_timed
                ? epoch_seconds_sum / epochs_timed
                : epoch_clock.seconds() * static_cast<double>(steps_per_epoch) / static_cast<double>(s + 1);
        const double left_this_epoch =
            epoch_clock.seconds() / static_cast<double>(s + 1) * static_cast<double>(steps_per_epoch - s - 1);
        p.eta_s = left_this_epoch + epoch_estimate * (config.epochs - epoch - 1);
        sink->on_step(p);
        recent_clock.restart();
        recent_samples = 0;
      }
      if (stopped_early) break;
    }
    // A step can leave non-finite weights without a non-finite loss (the last
    // update of the epoch): say so here rather than checkpoint a model that
    // predicts NaN. Every rank holds the same weights, so every rank stops.
    for (const float w : model.params()) {
      if (!std::isfinite(w)) {
        throw Error("training diverged: the parameters are not finite after epoch " +
                    std::to_string(epoch + 1) + " (step " + std::to_string(global_step) +
                    "); no checkpoint was written for it (try a smaller --lr)");
      }
    }
    const double train_s = epoch_clock.seconds();
    result.train_seconds += train_s;
    run_train_seconds += train_s;

    // Sharded evaluation: each rank its contiguous slice of the test rows.
    Stopwatch eval_clock;
    const double te = now_seconds();
    const Shard rows = shard_of(test_set.size(), rank, world);
    totals.eval = evaluate_rows(model, test_set, config.eval_batch, rows.offset, rows.offset + rows.size);
    const EpochTotals sum = combine_totals(comm, totals, tagged("evaluation"));
    if (trace) trace->add("evaluate", "eval", 0, te, now_seconds());
    const EvalResult eval = eval_result(sum.eval);
    result.eval_seconds += eval_clock.seconds();

    EpochRecord record;
    record.epoch = epoch + 1;
    record.train_loss = sum.train_loss_sum / static_cast<double>(std::max<uint64_t>(1, sum.train_rows));
    record.test_loss = eval.loss;
    record.test_accuracy = eval.accuracy;
    record.steps = epoch_data_s.size();
    if (!epoch_data_s.empty()) {
      if (train_s > 0) record.samples_per_s = static_cast<double>(epoch_samples) / train_s;
      StepBreakdown breakdown;
      breakdown.data_ms = percentile(epoch_data_s, 0.5) * 1e3;
      breakdown.compute_ms = percentile(epoch_compute_s, 0.5) * 1e3;
      breakdown.comm_wait_ms = percentile(epoch_wait_s, 0.5) * 1e3;
      breakdown.optimizer_ms = percentile(epoch_opt_s, 0.5) * 1e3;
      breakdown.allreduce_gbps = percentile(epoch_gbps, 0.5);
      record.step_breakdown = breakdown;
    }

    if (stopped_early) {
      say("stopped after " + std::to_string(steps_this_run) + " steps (--max-steps): epoch " +
          std::to_string(epoch + 1) + " is incomplete and not checkpointed");
      record.seconds = epoch_clock.seconds();
      record.train_seconds_cumulative = run_train_seconds;
      result.epochs.push_back(record);
      if (sink) sink->on_epoch(record, config.epochs);
      break;
    }
    // Every rank takes part in gathering a sharded optimizer state; rank 0 writes.
    std::vector<float> optimizer_state =
        full_optimizer_state(comm, *optimizer, n, shard, sharded, tagged("optimizer state"));
    if (lead) {
      TrainState state;
      state.config = config;
      state.params.assign(model.params().begin(), model.params().end());
      state.optimizer_state = std::move(optimizer_state);
      state.optimizer_steps = optimizer->step_count();
      state.epochs_done = epoch + 1;
      state.global_step = global_step;
      state.dataset_hash = in.dataset_hash;
      state.sample_shape = train_set.sample_shape();
      state.num_classes = train_set.num_classes();
      state.class_names = train_set.class_names();
      state.data_path = absolute_data_path(config.data);
      state.labels_path = absolute_data_path(config.labels);
      state.feature_names = train_set.feature_names();
      state.history = result.epochs;
      state.history.push_back(record);
      save_train_state(result.checkpoint_path, state);
    }

    record.seconds = epoch_clock.seconds();
    record.train_seconds_cumulative = run_train_seconds;
    epoch_seconds_sum += *record.seconds;
    ++epochs_timed;
    result.epochs.push_back(record);
    if (sink) sink->on_epoch(record, config.epochs);
  }

  result.steady_steps = step_s.size();
  result.steps_run = steps_this_run;
  result.samples_per_s = steady_time > 0 ? static_cast<double>(steady_samples) / steady_time : 0;
  result.samples_per_s_all_steps =
      all_steps_time > 0 ? static_cast<double>(all_steps_samples) / all_steps_time : 0;
  result.step_ms_p50 = percentile(step_s, 0.5) * 1e3;
  result.step_ms_p90 = percentile(step_s, 0.9) * 1e3;
  result.step_ms_p95 = percentile(step_s, 0.95) * 1e3;
  result.breakdown.data_ms = percentile(data_s, 0.5) * 1e3;
  result.breakdown.compute_ms = percentile(compute_s, 0.5) * 1e3;
  result.breakdown.comm_wait_ms = percentile(wait_s, 0.5) * 1e3;
  result.breakdown.optimizer_ms = percentile(opt_s, 0.5) * 1e3;
  result.breakdown.allreduce_gbps = percentile(gbps, 0.5);
  if (trace) out.trace = std::move(trace->events());
  return out;
}

}  // namespace dpeval::parallel::internal
