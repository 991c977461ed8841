// A trained model with the dataset it is to be run on: what `dpeval predict`
// streams to CSV, what `dpeval eval --checkpoint` evaluates and what `dpeval
// train` evaluates at the end of a run.
#pragma once

#include <string>
#include <vector>

#include "dpeval/data/data.h"
#include "dpeval/eval/predictions.h"
#include "dpeval/nn/nn.h"
#include "dpeval/parallel/train_checkpoint.h"

namespace dpeval::run {

struct LoadedCheckpoint {
  parallel::TrainState state;
  data::Dataset dataset;
  nn::Model model;
};

// The checkpoint's model with its parameters, and the data: without `data`,
// the training data's `split` ("test", "validation" or "train": the rows
// trained on, as parallel::load_run_data carves them); a .csv path other than
// the run's own, all its rows.
// Throws InputError when the data does not fit the model (sample shape, a
// label outside its classes) or the checkpoint does not fit its own model.
LoadedCheckpoint load_checkpoint(const std::string& checkpoint, const std::string& data, const std::string& split,
                                 const std::string& label_col);

// The model `state` describes (spec, sample shape, classes) holding its
// parameters. `checkpoint` names the file in messages. Throws InputError when
// the parameter count does not fit the model.
nn::Model build_checkpoint_model(const parallel::TrainState& state, const std::string& checkpoint);

// `model`'s class probabilities on every row of `dataset` (eval mode, batches
// of `batch` rows) as an evaluation input: binary (score = P(class 1)) when
// num_classes is 2, multiclass (n x K) otherwise; the dataset's categorical
// columns named in keep_columns as key columns (InputError for one it lacks).
// Requires num_classes == the model's output width and labels below it.
eval::Predictions model_predictions(nn::Model& model, const data::Dataset& dataset, size_t num_classes,
                                    const std::string& source, const std::vector<std::string>& keep_columns,
                                    int batch = 1000);

}  // namespace dpeval::run
