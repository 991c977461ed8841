#include "dpeval/parallel/train_checkpoint.h"

#include <nlohmann/json.hpp>

#include "dpeval/core/checkpoint_file.h"
#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"

namespace dpeval::parallel {

// Note [Bitwise checkpoints]
// Two runs with the same config, seed and worker count must write byte-identical
// checkpoints, and a run resumed from epoch k must end with the same bytes as one
// never stopped. So the checkpoint holds only state that is a pure function of the
// config and the step count: no wall-clock timings, output paths, host names or
// process ids. JSON sections are dumped with sorted keys (nlohmann's default map).

void save_train_state(const std::filesystem::path& path, const TrainState& state) {
  CheckpointFile file;
  file.put_string("config", state.config.to_json().dump());
  file.put_floats("params", state.params);
  file.put_floats("optimizer.state", state.optimizer_state);
  nlohmann::json progress;
  progress["epochs_done"] = state.epochs_done;
  progress["global_step"] = state.global_step;
  progress["optimizer_steps"] = state.optimizer_steps;
  progress["params"] = state.params.size();
  progress["optimizer_state"] = state.optimizer_state.size();
  progress["dataset_hash"] = hex64(state.dataset_hash);
  progress["sample_shape"] = state.sample_shape.dims();
  progress["num_classes"] = state.num_classes;
  progress["class_names"] = state.class_names;
  nlohmann::json history = nlohmann::json::array();
  for (const EpochRecord& e : state.history) {
    history.push_back({{"epoch", e.epoch},
                       {"train_loss", e.train_loss},
                       {"test_loss", e.test_loss},
                       {"test_accuracy", e.test_accuracy}});
  }
  progress["history"] = history;
  file.put_string("progress", progress.dump());
  file.save(path);
}

TrainState load_train_state(const std::filesystem::path& path) {
  const CheckpointFile file = CheckpointFile::load(path);
  const std::string where = path.string();
  TrainState state;
  nlohmann::json config, progress;
  try {
    config = nlohmann::json::parse(file.get_string("config"));
    progress = nlohmann::json::parse(file.get_string("progress"));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where + ": section 'config' or 'progress' is not valid JSON: " + e.what());
  }
  try {
    state.config = TrainConfig::from_json(config);
  } catch (const Error& e) {
    throw InputError(where + ": section 'config': " + e.what());
  }
  try {
    state.epochs_done = progress.at("epochs_done").get<int>();
    state.global_step = progress.at("global_step").get<uint64_t>();
    state.optimizer_steps = progress.at("optimizer_steps").get<uint64_t>();
    const auto n_params = progress.at("params").get<size_t>();
    const auto n_state = progress.at("optimizer_state").get<size_t>();
    state.dataset_hash = std::stoull(progress.at("dataset_hash").get<std::string>(), nullptr, 16);
    state.sample_shape = Shape(progress.at("sample_shape").get<std::vector<int64_t>>());
    state.num_classes = progress.at("num_classes").get<int>();
    state.class_names = progress.at("class_names").get<std::vector<std::string>>();
    for (const auto& e : progress.at("history")) {
      EpochRecord r;
      r.epoch = e.at("epoch").get<int>();
      r.train_loss = e.at("train_loss").get<double>();
      r.test_loss = e.at("test_loss").get<double>();
      r.test_accuracy = e.at("test_accuracy").get<double>();
      state.history.push_back(r);
    }
    state.params = file.get_floats("params", n_params);
    state.optimizer_state = file.get_floats("optimizer.state", n_state);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where + ": section 'progress': " + e.what());
  } catch (const std::logic_error& e) {
    throw InputError(where + ": section 'progress': bad dataset_hash");
  }
  if (state.num_classes < 1 || state.sample_shape.rank() < 1 || state.sample_shape.numel() < 1) {
    throw InputError(where + ": section 'progress': invalid sample_shape or num_classes");
  }
  if (state.epochs_done < 1 || state.epochs_done != static_cast<int>(state.history.size())) {
    throw InputError(where + ": section 'progress': epochs_done " + std::to_string(state.epochs_done) +
                     " does not match its history of " + std::to_string(state.history.size()) + " epochs");
  }
  return state;
}

}  // namespace dpeval::parallel
