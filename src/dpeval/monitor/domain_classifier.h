// Model-based drift for high-dimensional rows (images, embeddings): a domain
// classifier, as Evidently measures drift of embeddings. A small MLP is
// trained with dpeval's own data-parallel trainer (parallel::train) to tell
// reference rows from current rows; its ROC AUC on rows it never trained on
// says how far apart the two samples are. AUC near 0.5: the model cannot tell
// them apart (no drift); AUC near 1: every row betrays its side.
//
// Layout: each side is a row-major float32 matrix, rows x width (width = F
// features per row, e.g. 784 for a flattened 28x28 image with values in
// [0, 1]). Labels: reference rows are class 0, current rows class 1, so the
// classifier's score is P(current | row) and AUC = P(score of a current row >
// score of a reference row), ties counted one half.
//
// The steps (Note [Domain classifier steps] in domain_classifier.cc has why):
//   1. each side above max_rows_per_side is subsampled uniformly without
//      replacement (seeded), rows kept in their original order;
//   2. the rows are split in half (data::split_holdout, seeded, the trainer's
//      own test split): the train half and the held-out half;
//   3. the MLP kDomainClassifierModel is trained on the train half for
//      `epochs` epochs by parallel::train over `workers` threads, in a
//      temporary directory that is removed before returning;
//   4. ROC AUC of P(current) on the held-out half (eval::compute_ranking), and
//      its percentile interval from eval::bootstrap_intervals (Poisson
//      bootstrap of the held-out rows).
//   drift = auc > threshold.
//
// Determinism: the result is a pure function of the rows, the options' seed,
// epochs and workers: the same inputs give a bitwise identical result, run
// after run (on another CPU the BLAS kernels may round differently, as for
// any training run). `threads` (the bootstrap's) never changes it. `workers`
// does, in the last bits (global-batch semantics hold up to float
// reassociation), so it is a setting of the method, not of the machine.
//
// Cost (two cores, Fashion-MNIST, defaults: 2 x 10000 rows of 784): about
// 2.5 s per call (3 s of CPU), under one of it training, and about 250 MB at
// peak beyond the caller's rows; the measurements are in
// tests/monitor/domain_classifier_fmnist_test.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>
#include <vector>

namespace dpeval::monitor {

// The classifier every call trains, as the result's "model" names it: two
// hidden ReLU layers, AdamW with a cosine learning-rate schedule, global batch
// 128. See Note [Domain classifier model] in domain_classifier.cc.
inline constexpr std::string_view kDomainClassifierModel =
    "mlp: linear 256, relu, linear 128, relu, linear 2; adamw lr 0.001 weight decay 0.01, cosine schedule, "
    "batch 128";

// Fewer rows than this on either side: InputError. Half of each side is held
// out, so the AUC rests on at least 25 rows of each side.
inline constexpr size_t kDomainClassifierRowsMin = 50;

// One side's rows: values.size() == rows() * width, row r at
// [r * width, (r + 1) * width). A view; the caller owns the values.
struct FeatureRows {
  std::span<const float> values;
  size_t width = 0;
  size_t rows() const { return width == 0 ? 0 : values.size() / width; }
};

// `keep` of `n` rows, uniformly without replacement (a partial Fisher-Yates
// shuffle of the seed's stream `side`: 0 reference, 1 current), in increasing
// order; all rows when n <= keep. The classifier's step 1, public so that a
// reference profile keeps exactly the rows the classifier would draw.
std::vector<size_t> subsample_rows(size_t n, size_t keep, uint64_t seed, uint64_t side);

struct DomainClassifierOptions {
  double threshold = 0.55;  // drift when auc > threshold; in [0.5, 1)
  uint64_t seed = 0;        // subsample, split, initialisation, shuffling and bootstrap; <= kMaxSeed
  // Rows kept per side; a side with more is subsampled uniformly (seeded).
  // 10000 keeps a call at a few seconds on two cores and leaves 5000 held-out
  // rows per side, where the AUC's standard error is about 0.006: a shift that
  // lifts the AUC to 0.58 clears 0.55 by five standard errors. At least
  // kDomainClassifierRowsMin.
  size_t max_rows_per_side = 10000;
  size_t bootstrap_resamples = 1000;  // >= 1
  double confidence = 0.95;           // of the AUC interval; in (0, 1)
  size_t threads = 0;                 // bootstrap threads; 0: all cores. Never changes the result.
  // Passes over the train half; in [1, 100]. On Fashion-MNIST 4 epochs lose
  // on brightness x0.7 (AUC 0.84 against 0.886) and 16 gain nothing on the
  // shirt case (Note [Domain classifier model] in domain_classifier.cc).
  int epochs = 8;
  // Data-parallel training ranks (threads of this process); one of 1, 2, 4,
  // 8, 16, 32, 64, 128 (they divide the global batch). Part of the method: see
  // "Determinism" above.
  int workers = 2;
};

struct DomainClassifierResult {
  double auc = 0.5;  // ROC AUC of P(current) on the held-out half
  // Percentile bootstrap interval at `confidence`, widened where needed so
  // that auc_low <= auc <= auc_high (Note [Interval holds the estimate]).
  double auc_low = 0.5, auc_high = 0.5;
  double confidence = 0.95;
  double threshold = 0.55;
  bool drift = false;                                 // auc > threshold
  size_t n_train = 0, n_test = 0;                     // rows trained on / held out, both sides
  size_t n_reference_input = 0, n_current_input = 0;  // rows given
  size_t n_reference_used = 0, n_current_used = 0;    // after subsampling (train + held out)
  size_t n_test_reference = 0, n_test_current = 0;    // held-out rows per side
  double test_accuracy = 0;  // the classifier's accuracy (argmax) on the held-out half
  uint64_t seed = 0;
  size_t bootstrap_resamples = 0;
  int64_t bootstrap_resamples_defined = 0;  // resamples whose AUC is defined (both sides drawn)
  int epochs = 0;
  int workers = 0;
  std::string_view model = kDomainClassifierModel;
};

// Trains the domain classifier on `reference` against `current` and reports
// its held-out AUC. See the file comment for the steps.
// Throws:
//   InputError  the widths differ or are 0; a side's values are not a whole
//               number of rows; a side has fewer than kDomainClassifierRowsMin
//               rows; a value is NaN or infinite (naming the side and row);
//   ConfigError an option outside its range (naming it);
//   IoError     the temporary directory cannot be written.
// Side effects: parallel::train sets the process's BLAS to one thread (as
// every training run does) and pins its rank threads to CPUs. Each call has
// its own temporary directory; calls from several threads at once are not
// tested.
DomainClassifierResult domain_classifier_drift(FeatureRows reference, FeatureRows current,
                                               const DomainClassifierOptions& options = {});

// {"method": "domain-classifier", "auc", "auc_ci": [lo, hi], "confidence",
//  "threshold", "drift", "n_train", "n_test", "n_reference", "n_current"
//  (rows used), "n_reference_input", "n_current_input" (rows given),
//  "n_test_reference", "n_test_current", "test_accuracy", "seed",
//  "bootstrap_resamples", "bootstrap_resamples_defined", "model", "epochs",
//  "workers"}.
nlohmann::json to_json(const DomainClassifierResult& result);

}  // namespace dpeval::monitor
