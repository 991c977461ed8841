// The data a training run uses, loaded the one way every command agrees on:
// config.data's train and test splits (data::load_data_source, with the
// config's label column, labels file, test fraction and seed), then the
// validation split carved out of the train split. See Note [Validation split].
#pragma once

#include <cstdint>

#include "dpeval/data/data.h"
#include "dpeval/parallel/train_config.h"

namespace dpeval::parallel {

struct RunData {
  data::Dataset train;       // what the workers train on
  data::Dataset validation;  // held out of the train split; empty when val_fraction is 0
  data::Dataset test;
};

// Throws as data::load_data_source; ConfigError for a val_fraction outside [0, 0.5].
RunData load_run_data(const TrainConfig& config);

// Salt that separates the validation split's permutation from the test
// split's (both are data::split_holdout permutations of the run's seed).
inline constexpr uint64_t kValidationSeedSalt = 0x76616c6964617465;  // "validate"

}  // namespace dpeval::parallel
