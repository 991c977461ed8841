// The domain classifier of domain_classifier.h: check and subsample the two
// sides, hand them to parallel::train through a temporary directory, score the
// held-out half with the trained model, then AUC and its bootstrap interval
// from eval/.
//
// Note [Domain classifier steps]
// parallel::train reads its data from files (config.data) and writes a
// checkpoint per epoch to out_dir; it has no in-memory entry point. So the
// used rows go to a temporary directory as two NPY files (features [N, F]
// float32, side labels [N] int32), the run's out_dir is a folder in it, and
// the directory is removed on every path out, errors included (TempDir). The
// held-out half is the trainer's own test split: test_fraction 0.5 and the
// seed make load_data_source hold out data::split_holdout(rows, 0.5, seed),
// which the trainer never trains on and evaluates after every epoch (its last
// test accuracy is the result's test_accuracy). We make the same call on the
// same rows in memory to score that half (reading the file back would cost a
// second on Fashion-MNIST, mostly page faults), and check that the trainer's
// dataset_hash (the hash of the rows it trained on) is our train half's, so
// the rows scored are exactly the rows not trained on. That split is not
// stratified by side: with at least kDomainClassifierRowsMin rows per side a
// half without one side has probability below 2^-49, which is checked before
// training (InputError), and the held-out counts per side are reported.
// Files are written with a plain ofstream, not write_file_atomic: nobody else
// reads the private directory and it is deleted; fsync would only cost time.
//
// Note [Domain classifier model]
// Why linear 256, relu, linear 128, relu, linear 2, 8 epochs: the hard case is
// a class that is a fifth of one side and absent from the other
// (Fashion-MNIST without its T-shirts and shirts), where a perfect detector
// of the missing classes gives AUC 0.6. Measured on two cores, 10000 rows per
// side (tests/monitor/domain_classifier_fmnist_test.cc): this model reaches
// 0.585 to 0.588 there over seeds 0 to 4, and 0.497 to 0.516 on unshifted
// data. On the shirt case 4 to 16 epochs, the 512-256 "mlp" preset and lr
// 2e-3 all land in 0.580 to 0.589 (the rows, not the model, set the
// ceiling); a single hidden layer of 256 or 4 epochs lose on brightness x0.7
// (AUC 0.82 and 0.84 against 0.886), a shift spread thinly over every pixel.
// Training is under a second of the ~2.5 s a call takes; the rest is moving
// 63 MB of rows through files (the trainer's loader). AdamW at lr 1e-3 (the
// PyTorch default) needs no tuning per dataset; the cosine schedule ends at
// lr 0, so the last epoch settles rather than jitters.
//
// Note [Interval holds the estimate]
// The percentile interval of a bootstrap need not contain the point estimate
// (a skewed resampling distribution, a small held-out half). A report that
// says "AUC 0.61, 95% interval [0.62, 0.70]" only confuses, so the interval
// is widened to [min(lo, auc), max(hi, auc)]. With thousands of held-out rows
// this never moves either end; it matters only near kDomainClassifierRowsMin.
#include "dpeval/monitor/domain_classifier.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "dpeval/comm/communicator.h"
#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/core/rng.h"
#include "dpeval/core/tensor.h"
#include "dpeval/data/dataset.h"
#include "dpeval/data/npy.h"
#include "dpeval/data/split.h"
#include "dpeval/eval/bootstrap.h"
#include "dpeval/eval/curves.h"
#include "dpeval/nn/model.h"
#include "dpeval/nn/model_spec.h"
#include "dpeval/parallel/evaluate.h"
#include "dpeval/parallel/train_checkpoint.h"
#include "dpeval/parallel/train_config.h"
#include "dpeval/parallel/trainer.h"

namespace dpeval::monitor {
namespace {

namespace fs = std::filesystem;

// Rng purpose of the per-side subsample ("subsamp").
constexpr uint64_t kSubsampleRngPurpose = 0x73756273616d70;
constexpr int kGlobalBatch = 128;
constexpr float kLearningRate = 1e-3f;
constexpr float kWeightDecay = 0.01f;  // AdamW's default, set so kDomainClassifierModel stays true
constexpr int kEvalBatch = 1000;
constexpr size_t kMaxRowsPerSideMax = size_t{1} << 24;  // 16.7M rows: far beyond a few seconds
constexpr size_t kBootstrapResamplesMax = 1000000;
constexpr int kEpochsMax = 100;
constexpr int kCurrentLabel = 1;  // reference rows are 0
constexpr double kHeldOutFraction = 0.5;

nn::ModelSpec domain_classifier_spec() {
  nn::ModelSpec spec;
  spec.name = "domain-classifier";
  spec.layers = {nn::LayerSpec::linear(256), nn::LayerSpec::relu(), nn::LayerSpec::linear(128),
                 nn::LayerSpec::relu(), nn::LayerSpec::linear()};
  return spec;
}

void check_options(const DomainClassifierOptions& o) {
  if (!(o.threshold >= 0.5 && o.threshold < 1.0)) {
    throw ConfigError(
        fmt::format("domain classifier: threshold = {}: expected an AUC in [0.5, 1)", o.threshold));
  }
  if (o.seed > kMaxSeed) {
    throw ConfigError(fmt::format("domain classifier: seed = {}: expected at most {}", o.seed, kMaxSeed));
  }
  if (o.max_rows_per_side < kDomainClassifierRowsMin || o.max_rows_per_side > kMaxRowsPerSideMax) {
    throw ConfigError(fmt::format("domain classifier: max_rows_per_side = {}: expected {} to {}",
                                  o.max_rows_per_side, kDomainClassifierRowsMin, kMaxRowsPerSideMax));
  }
  if (o.bootstrap_resamples < 1 || o.bootstrap_resamples > kBootstrapResamplesMax) {
    throw ConfigError(fmt::format("domain classifier: bootstrap_resamples = {}: expected 1 to {}",
                                  o.bootstrap_resamples, kBootstrapResamplesMax));
  }
  if (!(o.confidence > 0.0 && o.confidence < 1.0)) {
    throw ConfigError(
        fmt::format("domain classifier: confidence = {}: expected a number in (0, 1)", o.confidence));
  }
  if (o.epochs < 1 || o.epochs > kEpochsMax) {
    throw ConfigError(fmt::format("domain classifier: epochs = {}: expected 1 to {}", o.epochs, kEpochsMax));
  }
  if (o.workers < 1 || o.workers > kGlobalBatch || kGlobalBatch % o.workers != 0) {
    throw ConfigError(fmt::format(
        "domain classifier: workers = {}: expected a power of two from 1 to {} (it divides the global batch)",
        o.workers, kGlobalBatch));
  }
}

// InputError naming `side` unless its values are whole rows, at least
// kDomainClassifierRowsMin of them, all finite.
void check_side(const FeatureRows& rows, std::string_view side) {
  if (rows.values.size() % rows.width != 0) {
    throw InputError(fmt::format("{} rows: {} values is not a whole number of rows of {} features", side,
                                 rows.values.size(), rows.width));
  }
  if (rows.rows() < kDomainClassifierRowsMin) {
    throw InputError(
        fmt::format("{} rows: {} rows; the domain classifier needs at least {} per side (half are held out "
                    "to measure it)",
                    side, rows.rows(), kDomainClassifierRowsMin));
  }
  for (size_t i = 0; i < rows.values.size(); ++i) {
    if (!std::isfinite(rows.values[i])) {
      throw InputError(fmt::format("{} rows: row {}, feature {}: {} is not a finite number", side,
                                   i / rows.width + 1, i % rows.width + 1, rows.values[i]));
    }
  }
}

}  // namespace

std::vector<size_t> subsample_rows(size_t n, size_t keep, uint64_t seed, uint64_t side) {
  std::vector<size_t> rows(n);
  std::iota(rows.begin(), rows.end(), size_t{0});
  if (n <= keep) return rows;
  Rng rng = Rng::for_stream(seed, kSubsampleRngPurpose, side, 0);
  for (size_t i = 0; i < keep; ++i) std::swap(rows[i], rows[i + rng.uniform_below(n - i)]);
  rows.resize(keep);
  std::sort(rows.begin(), rows.end());
  return rows;
}

namespace {

// A fresh directory under the system's temporary directory, removed with
// everything in it when this goes out of scope.
class TempDir {
 public:
  // Throws IoError naming the directory when it cannot be made.
  TempDir() {
    std::error_code error;
    const fs::path base = fs::temp_directory_path(error);
    if (error) {
      throw IoError(
          fmt::format("domain classifier: no temporary directory ({}); set TMPDIR to a writable "
                      "directory",
                      error.message()));
    }
    std::string pattern = (base / "dpeval_domain_classifier_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw IoError(
          fmt::format("{}: cannot create the domain classifier's temporary directory ({}); set TMPDIR "
                      "to a writable directory",
                      pattern, std::strerror(errno)));
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The used rows of both sides as one labelled dataset: reference rows first
// (class 0), then current rows (class 1), each side in its original order.
data::Dataset side_rows(const FeatureRows& reference, std::span<const size_t> reference_rows,
                        const FeatureRows& current, std::span<const size_t> current_rows) {
  const size_t width = reference.width, n = reference_rows.size() + current_rows.size();
  std::vector<float> features(n * width);
  std::vector<int32_t> labels(n);
  size_t at = 0;
  auto append = [&](const FeatureRows& side, std::span<const size_t> rows, int32_t label) {
    for (size_t r : rows) {
      std::copy_n(side.values.data() + r * width, width, features.data() + at * width);
      labels[at++] = label;
    }
  };
  append(reference, reference_rows, 0);
  append(current, current_rows, kCurrentLabel);
  return data::Dataset::from_f32("domain classifier rows", Shape{static_cast<int64_t>(width)},
                                 std::move(features), std::move(labels), 2);
}

void write_npy(const fs::path& path, data::NpyArray::DType dtype, std::vector<int64_t> shape,
               std::span<const std::byte> values) {
  data::NpyArray array;
  array.dtype = dtype;
  array.shape = std::move(shape);
  array.data.assign(values.begin(), values.end());
  const std::vector<std::byte> bytes = data::encode_npy(array);
  array.data = {};
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw IoError(fmt::format("{}: cannot write the domain classifier's rows", path.string()));
}

// `rows` as the features file (float32 [N, F]) and labels file (int32 [N]) of
// a training run.
void write_run_data(const data::Dataset& rows, const fs::path& features_path, const fs::path& labels_path) {
  write_npy(features_path, data::NpyArray::DType::kF32,
            {static_cast<int64_t>(rows.size()), rows.sample_numel()}, std::as_bytes(rows.f32_features()));
  write_npy(labels_path, data::NpyArray::DType::kI32, {static_cast<int64_t>(rows.size())},
            std::as_bytes(rows.labels()));
}

size_t current_count(const data::Dataset& rows) {
  const auto labels = rows.labels();
  return static_cast<size_t>(std::count(labels.begin(), labels.end(), kCurrentLabel));
}

// InputError unless `half` holds rows of both sides (see Note [Domain
// classifier steps]: with kDomainClassifierRowsMin rows per side, never seen).
void check_both_sides(const data::Dataset& half, std::string_view name) {
  const size_t current = current_count(half), reference = half.size() - current;
  if (current == 0 || reference == 0) {
    throw InputError(
        fmt::format("domain classifier: the {} half holds {} reference and {} current rows; it needs "
                    "both sides (try another seed)",
                    name, reference, current));
  }
}

parallel::TrainConfig train_config(const fs::path& features_path, const fs::path& labels_path,
                                   const DomainClassifierOptions& options) {
  parallel::TrainConfig config;
  config.model_name = "domain-classifier";
  config.model_spec = domain_classifier_spec();
  config.data = features_path.string();
  config.labels = labels_path.string();
  config.test_fraction = kHeldOutFraction;  // See Note [Domain classifier steps].
  config.val_fraction = 0;
  config.epochs = options.epochs;
  config.workers = options.workers;
  config.batch = kGlobalBatch / options.workers;
  config.lr = kLearningRate;
  config.optimizer.kind = optim::OptimizerKind::kAdamw;
  config.optimizer.weight_decay = kWeightDecay;
  config.schedule = optim::ScheduleConfig{};
  config.schedule.kind = optim::ScheduleKind::kCosine;
  config.seed = options.seed;
  config.eval_batch = kEvalBatch;
  return config;
}

}  // namespace

DomainClassifierResult domain_classifier_drift(FeatureRows reference, FeatureRows current,
                                               const DomainClassifierOptions& options) {
  check_options(options);
  if (reference.width == 0 || current.width == 0) {
    throw InputError(
        fmt::format("domain classifier: rows of {} (reference) and {} (current) features; expected "
                    "at least one feature per row",
                    reference.width, current.width));
  }
  if (reference.width != current.width) {
    throw InputError(
        fmt::format("domain classifier: reference rows have {} features but current rows have {}; "
                    "both sides must be the same kind of row (e.g. 784 for 28x28 images)",
                    reference.width, current.width));
  }
  check_side(reference, "reference");
  check_side(current, "current");

  const std::vector<size_t> reference_rows =
      subsample_rows(reference.rows(), options.max_rows_per_side, options.seed, 0);
  const std::vector<size_t> current_rows =
      subsample_rows(current.rows(), options.max_rows_per_side, options.seed, 1);

  // See Note [Domain classifier steps].
  const TempDir dir;
  const fs::path features_path = dir.path() / "rows.npy", labels_path = dir.path() / "sides.npy";
  data::TrainTest halves;
  {
    const data::Dataset rows = side_rows(reference, reference_rows, current, current_rows);
    write_run_data(rows, features_path, labels_path);
    halves = data::split_holdout(rows, kHeldOutFraction, options.seed);
  }
  check_both_sides(halves.train, "train");
  check_both_sides(halves.test, "held-out");
  const parallel::TrainConfig config = train_config(features_path, labels_path, options);
  parallel::TrainRunOptions run;
  run.backend = comm::Backend::kThreads;
  run.out_dir = dir.path() / "run";
  const parallel::TrainResult trained = parallel::train(config, run);

  const parallel::TrainState state = parallel::load_train_state(trained.checkpoint_path);
  DPEVAL_CHECK(halves.train.content_hash() == trained.dataset_hash)
      << "the trainer trained on other rows than the train half; see Note [Domain classifier steps]";
  const data::Dataset& held_out = halves.test;
  nn::Model model = nn::Model::build(config.model_spec, held_out.sample_shape(), state.num_classes);
  DPEVAL_CHECK(model.param_count() == state.params.size())
      << model.param_count() << " vs " << state.params.size();
  std::copy(state.params.begin(), state.params.end(), model.params().begin());

  const size_t n_test = held_out.size();
  std::vector<double> scores(n_test), labels(n_test);
  std::vector<uint8_t> is_current(n_test);
  parallel::predict_probabilities(model, held_out, kEvalBatch, [&](size_t first, const Tensor& probs) {
    for (size_t i = 0; i < static_cast<size_t>(probs.dim(0)); ++i) {
      scores[first + i] = probs[i * 2 + kCurrentLabel];
    }
  });
  const auto held_out_labels = held_out.labels();
  for (size_t i = 0; i < n_test; ++i) {
    is_current[i] = held_out_labels[i] == kCurrentLabel ? 1 : 0;
    labels[i] = is_current[i];
  }

  DomainClassifierResult result;
  result.n_test_current = current_count(held_out);
  result.n_test_reference = n_test - result.n_test_current;
  eval::Warnings warnings;
  eval::RankingOptions ranking;
  ranking.curve_points_max = 0;
  result.auc = *eval::compute_ranking(is_current, scores, ranking, warnings).roc_auc;

  eval::TaskColumns columns;
  columns.task = eval::Task::binary;
  columns.labels = labels;
  columns.scores = scores;
  eval::BootstrapOptions bootstrap;
  bootstrap.resamples = options.bootstrap_resamples;
  bootstrap.seed = options.seed;
  bootstrap.level = options.confidence;
  bootstrap.threads = options.threads;
  bootstrap.metrics = {"roc_auc"};
  const eval::BootstrapResult intervals = eval::bootstrap_intervals(columns, bootstrap);
  DPEVAL_CHECK(intervals.intervals.size() == 1) << intervals.intervals.size();
  const eval::MetricInterval& interval = intervals.intervals.front();
  // See Note [Interval holds the estimate].
  result.auc_low = std::min(interval.lo.value_or(result.auc), result.auc);
  result.auc_high = std::max(interval.hi.value_or(result.auc), result.auc);
  result.bootstrap_resamples_defined = interval.resamples_defined;

  result.confidence = options.confidence;
  result.threshold = options.threshold;
  result.drift = result.auc > options.threshold;
  result.n_test = n_test;
  result.n_reference_input = reference.rows();
  result.n_current_input = current.rows();
  result.n_reference_used = reference_rows.size();
  result.n_current_used = current_rows.size();
  result.n_train = reference_rows.size() + current_rows.size() - n_test;
  result.test_accuracy = trained.epochs.empty() ? 0.0 : trained.epochs.back().test_accuracy;
  result.seed = options.seed;
  result.bootstrap_resamples = options.bootstrap_resamples;
  result.epochs = options.epochs;
  result.workers = options.workers;
  return result;
}

nlohmann::json to_json(const DomainClassifierResult& result) {
  return {{"method", "domain-classifier"},
          {"auc", result.auc},
          {"auc_ci", {result.auc_low, result.auc_high}},
          {"confidence", result.confidence},
          {"threshold", result.threshold},
          {"drift", result.drift},
          {"n_train", result.n_train},
          {"n_test", result.n_test},
          {"n_reference", result.n_reference_used},
          {"n_current", result.n_current_used},
          {"n_reference_input", result.n_reference_input},
          {"n_current_input", result.n_current_input},
          {"n_test_reference", result.n_test_reference},
          {"n_test_current", result.n_test_current},
          {"test_accuracy", result.test_accuracy},
          {"seed", result.seed},
          {"bootstrap_resamples", result.bootstrap_resamples},
          {"bootstrap_resamples_defined", result.bootstrap_resamples_defined},
          {"model", std::string(result.model)},
          {"epochs", result.epochs},
          {"workers", result.workers}};
}

}  // namespace dpeval::monitor
