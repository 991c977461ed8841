// Single-replica training loop; see trainer.h for the timing definitions.
#include "dpeval/parallel/trainer.h"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"
#include "dpeval/core/rng.h"
#include "dpeval/core/tensor.h"
#include "dpeval/core/timer.h"
#include "dpeval/data/data.h"
#include "dpeval/kernels/kernels.h"
#include "dpeval/nn/nn.h"
#include "dpeval/optim/optim.h"
#include "dpeval/parallel/evaluate.h"
#include "dpeval/parallel/train_checkpoint.h"

namespace dpeval::parallel {
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

}  // namespace

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

TrainResult train(const TrainConfig& config, const TrainRunOptions& options) {
  config.validate();
  kernels::blas_set_threads(1);
  ProgressSink* sink = options.progress;
  auto say = [&](const std::string& line) {
    if (sink) sink->on_message(line);
  };

  data::DataSourceOptions source;
  source.label_col = config.label_col;
  source.labels_path = config.labels;
  source.test_fraction = config.test_fraction;
  source.seed = config.seed;
  const data::TrainTest sets = data::load_data_source(config.data, source);
  const data::Dataset& train_set = sets.train;
  const data::Dataset& test_set = sets.test;
  if (train_set.size() == 0) throw InputError(config.data + ": the training split is empty");

  nn::Model model = nn::Model::build(config.model_spec, train_set.sample_shape(), train_set.num_classes());
  model.init_params(config.seed);
  std::unique_ptr<optim::Optimizer> optimizer = optim::make_optimizer(config.optimizer, model.param_count());

  TrainResult result;
  result.config = config;
  result.params = model.param_count();
  result.dataset_hash = train_set.content_hash();
  result.blas = kernels::blas_name();

  int start_epoch = 0;
  uint64_t global_step = 0;
  if (options.resume_from) {
    TrainState state = load_train_state(*options.resume_from);
    config.check_resumable_from(state.config);
    if (state.dataset_hash != result.dataset_hash) {
      throw InputError(options.resume_from->string() + ": checkpoint was trained on different data (dataset hash " +
                       hex64(state.dataset_hash) + ", now " + hex64(result.dataset_hash) + ")");
    }
    if (state.params.size() != model.param_count() || state.optimizer_state.size() != optimizer->state().size()) {
      throw InputError(options.resume_from->string() + ": checkpoint holds " + std::to_string(state.params.size()) +
                       " parameters, the model has " + std::to_string(model.param_count()));
    }
    std::copy(state.params.begin(), state.params.end(), model.params().begin());
    std::copy(state.optimizer_state.begin(), state.optimizer_state.end(), optimizer->state().begin());
    optimizer->set_step_count(state.optimizer_steps);
    start_epoch = state.epochs_done;
    global_step = state.global_step;
    result.epochs = state.history;
    result.resumed_from_epoch = start_epoch;
    say("resumed from " + options.resume_from->string() + " after epoch " + std::to_string(start_epoch));
  }

  data::SamplerOptions sampler_options;
  sampler_options.seed = config.seed;
  const data::DistributedSampler sampler(train_set.size(), sampler_options);
  const uint64_t per_epoch = sampler.per_rank_size();
  const uint64_t steps_per_epoch = (per_epoch + static_cast<uint64_t>(config.batch) - 1) / config.batch;
  const uint64_t total_steps = steps_per_epoch * static_cast<uint64_t>(config.epochs);
  const optim::ScheduleConfig schedule = config.resolved_schedule(steps_per_epoch);

  std::error_code mkdir_error;
  std::filesystem::create_directories(options.out_dir, mkdir_error);
  if (mkdir_error) {
    throw IoError(options.out_dir.string() + ": cannot create the output directory: " + mkdir_error.message());
  }
  result.checkpoint_path = options.out_dir / "checkpoint.dpck";

  const int64_t numel = train_set.sample_numel();
  Tensor x, dlogits;
  std::vector<int32_t> y(static_cast<size_t>(config.batch));
  std::vector<double> step_seconds;
  double steady_time = 0;
  uint64_t steady_samples = 0, steps_this_run = 0;
  double epoch_seconds_sum = 0;
  int epochs_timed = 0;

  bool stopped_early = false;
  for (int epoch = start_epoch; epoch < config.epochs && !stopped_early; ++epoch) {
    Stopwatch epoch_clock;
    const std::vector<uint32_t> order = sampler.epoch_indices(static_cast<uint64_t>(epoch));
    double loss_sum = 0;
    uint64_t seen = 0;
    Stopwatch recent_clock;
    uint64_t recent_samples = 0;
    for (uint64_t s = 0; s < steps_per_epoch; ++s) {
      const double t0 = now_seconds();
      const size_t begin = static_cast<size_t>(s) * static_cast<size_t>(config.batch);
      const size_t count = std::min<size_t>(static_cast<size_t>(config.batch), order.size() - begin);
      x.resize(train_set.sample_shape().with_outer(static_cast<int64_t>(count)));
      DPEVAL_CHECK(x.size() == count * static_cast<size_t>(numel));
      train_set.gather(std::span(order).subspan(begin, count), x.data(), y.data());

      nn::ForwardOptions forward;
      forward.training = true;
      forward.rng_key = mix64(mix64(config.seed ^ kDropoutPurpose) + global_step);
      const Tensor& logits = model.forward(x, forward);
      const float loss = nn::softmax_cross_entropy(logits, std::span<const int32_t>(y.data(), count), &dlogits,
                                                   config.label_smoothing);
      model.backward(dlogits);
      const float lr = optim::lr_at(schedule, config.lr, global_step, total_steps);
      optimizer->step(model.params(), model.grads(), lr);
      const double dt = now_seconds() - t0;

      if (!std::isfinite(loss)) {
        throw Error("training diverged: loss is " + std::to_string(loss) + " at epoch " + std::to_string(epoch + 1) +
                    " step " + std::to_string(s + 1) + " (try a smaller --lr)");
      }
      loss_sum += static_cast<double>(loss) * static_cast<double>(count);
      seen += count;
      ++global_step;
      ++steps_this_run;
      if (steps_this_run > static_cast<uint64_t>(kWarmupStepsExcluded)) {
        steady_time += dt;
        steady_samples += count;
        step_seconds.push_back(dt);
      }
      recent_samples += count;
      if (options.max_steps && steps_this_run >= options.max_steps) stopped_early = true;
      if (sink && (s % 25 == 24 || s + 1 == steps_per_epoch)) {
        StepProgress p;
        p.epoch = epoch + 1;
        p.epochs = config.epochs;
        p.step = s + 1;
        p.steps = steps_per_epoch;
        p.samples_per_s = static_cast<double>(recent_samples) / std::max(1e-9, recent_clock.seconds());
        p.loss = loss_sum / static_cast<double>(seen);
        const double epoch_estimate =
            epochs_timed ? epoch_seconds_sum / epochs_timed
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
    const double train_s = epoch_clock.seconds();
    result.train_seconds += train_s;

    Stopwatch eval_clock;
    const EvalResult eval = evaluate(model, test_set, config.eval_batch);
    result.eval_seconds += eval_clock.seconds();

    EpochRecord record;
    record.epoch = epoch + 1;
    record.train_loss = loss_sum / static_cast<double>(std::max<uint64_t>(1, seen));
    record.test_loss = eval.loss;
    record.test_accuracy = eval.accuracy;

    if (stopped_early) {
      say("stopped after " + std::to_string(steps_this_run) + " steps (--max-steps): epoch " +
          std::to_string(epoch + 1) + " is incomplete and not checkpointed");
      record.seconds = epoch_clock.seconds();
      result.epochs.push_back(record);
      if (sink) sink->on_epoch(record, config.epochs);
      break;
    }
    TrainState state;
    state.config = config;
    state.params.assign(model.params().begin(), model.params().end());
    state.optimizer_state.assign(optimizer->state().begin(), optimizer->state().end());
    state.optimizer_steps = optimizer->step_count();
    state.epochs_done = epoch + 1;
    state.global_step = global_step;
    state.dataset_hash = result.dataset_hash;
    state.sample_shape = train_set.sample_shape();
    state.num_classes = train_set.num_classes();
    state.class_names = train_set.class_names();
    state.history = result.epochs;
    state.history.push_back(record);
    save_train_state(result.checkpoint_path, state);

    record.seconds = epoch_clock.seconds();
    epoch_seconds_sum += *record.seconds;
    ++epochs_timed;
    result.epochs.push_back(record);
    if (sink) sink->on_epoch(record, config.epochs);
  }

  result.steady_steps = step_seconds.size();
  result.samples_per_s = steady_time > 0 ? static_cast<double>(steady_samples) / steady_time : 0;
  result.step_ms_p50 = percentile(step_seconds, 0.5) * 1e3;
  result.step_ms_p90 = percentile(step_seconds, 0.9) * 1e3;
  return result;
}

}  // namespace dpeval::parallel
