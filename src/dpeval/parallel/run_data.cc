#include "dpeval/parallel/run_data.h"

#include <utility>

#include "dpeval/core/error.h"

namespace dpeval::parallel {

// Note [Validation split]
// A run holds out round(val_fraction * N_train) rows of the train split,
// chosen by data::split_holdout with seed (config.seed XOR
// kValidationSeedSalt), as its validation split. The workers never see them,
// so they are labelled rows the model was not fitted to: `dpeval train` fits
// temperature scaling on them and judges it on the test split. The test split
// stays untouched, whatever val_fraction is. The split depends only on the
// data, val_fraction and the seed, so every rank, a resumed run and the
// evaluation after training carve the same rows. dataset_hash (the
// fingerprint the ranks agree on, and what a resume checks) is the hash of the
// rows trained on, so a different validation split is different training data.
// Checkpoints from before the split existed read as val_fraction 0.
RunData load_run_data(const TrainConfig& config) {
  if (!(config.val_fraction >= 0 && config.val_fraction <= 0.5)) {
    throw ConfigError("val_fraction: expected a number in [0, 0.5], got " + std::to_string(config.val_fraction));
  }
  data::DataSourceOptions source;
  source.label_col = config.label_col;
  source.labels_path = config.labels;
  source.test_fraction = config.test_fraction;
  source.seed = config.seed;
  data::TrainTest sets = data::load_data_source(config.data, source);
  RunData out;
  out.test = std::move(sets.test);
  if (config.val_fraction == 0) {
    out.train = std::move(sets.train);
    return out;
  }
  data::TrainTest carved = data::split_holdout(sets.train, config.val_fraction, config.seed ^ kValidationSeedSalt);
  out.train = std::move(carved.train);
  out.validation = std::move(carved.test);
  return out;
}

}  // namespace dpeval::parallel
