// See checkpoint_predictions.h.
#include "dpeval/cli/checkpoint_predictions.h"

namespace dpeval::cli {

void check_checkpoint_data(CommandFiles& files, const run::LoadedCheckpoint& loaded, const std::string& data) {
  if (!data.empty()) return;  // --data was declared by the command
  files.data_input("the checkpoint's --data", loaded.state.config.data);
  files.input("the checkpoint's --labels", loaded.state.config.labels);
  files.check();
}

eval::Predictions checkpoint_predictions(const std::string& checkpoint, const std::string& data,
                                         const std::vector<std::string>& keep_columns, CommandFiles& files) {
  run::LoadedCheckpoint loaded = run::load_checkpoint(checkpoint, data, "test", "");
  check_checkpoint_data(files, loaded, data);
  return run::model_predictions(loaded.model, loaded.dataset, static_cast<size_t>(loaded.state.num_classes),
                           checkpoint + " on " + loaded.dataset.name(), keep_columns);
}

}  // namespace dpeval::cli
