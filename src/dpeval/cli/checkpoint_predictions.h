// A trained checkpoint with the dataset it is to be run on: what `dpeval
// predict` streams to CSV and what `dpeval eval --checkpoint` evaluates.
#pragma once

#include <string>
#include <vector>

#include "dpeval/data/data.h"
#include "dpeval/eval/predictions.h"
#include "dpeval/nn/nn.h"
#include "dpeval/parallel/train_checkpoint.h"

namespace dpeval::cli {

struct LoadedCheckpoint {
  parallel::TrainState state;
  data::Dataset dataset;
  nn::Model model;
};

// The checkpoint's model with its parameters, and the data: without `data`,
// the training data's `split` ("test" or "train"); a .csv path, all its rows.
// Throws InputError when the data does not fit the model (sample shape, a
// label outside its classes) or the checkpoint does not fit its own model.
LoadedCheckpoint load_checkpoint(const std::string& checkpoint, const std::string& data, const std::string& split,
                                 const std::string& label_col);

// The model's class probabilities on `data` (see load_checkpoint; the test
// split by default) as an evaluation input: binary (score = P(class 1)) when
// the model has 2 classes, multiclass otherwise; the data's categorical
// columns named in keep_columns as key columns (InputError for one it lacks).
eval::Predictions checkpoint_predictions(const std::string& checkpoint, const std::string& data,
                                         const std::vector<std::string>& keep_columns);

}  // namespace dpeval::cli
