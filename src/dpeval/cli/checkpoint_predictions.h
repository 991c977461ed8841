// A checkpoint's predictions for the commands that read one (predict, eval
// --checkpoint): run/checkpoint_model.h's model and data, with the data
// declared as the command's inputs (Note [Outputs are not inputs]).
#pragma once

#include <string>
#include <vector>

#include "dpeval/cli/command_files.h"
#include "dpeval/eval/predictions.h"
#include "dpeval/run/checkpoint_model.h"

namespace dpeval::cli {

// Without `data` (the run's own data), declares the data the checkpoint names
// as inputs of `files` and checks them (Note [Outputs are not inputs]).
void check_checkpoint_data(CommandFiles& files, const run::LoadedCheckpoint& loaded, const std::string& data);

// model_predictions() of the checkpoint's model on `data` (see
// load_checkpoint; the test split by default), after check_checkpoint_data.
eval::Predictions checkpoint_predictions(const std::string& checkpoint, const std::string& data,
                                         const std::vector<std::string>& keep_columns, CommandFiles& files);

}  // namespace dpeval::cli
