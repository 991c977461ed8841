#include "dpeval/parallel/train_checkpoint.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "dpeval/core/checkpoint_file.h"
#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"
#include "dpeval/data/class_check.h"
#include "dpeval/parallel/run_data.h"

namespace dpeval::parallel {

// Note [Bitwise checkpoints]
// Two runs with the same config, seed and worker count must write byte-identical
// checkpoints, and a run resumed from epoch k must end with the same bytes as one
// never stopped. So the checkpoint holds only state that is a pure function of the
// config and the step count: no wall-clock timings, output paths, host names or
// process ids. JSON sections are dumped with sorted keys (nlohmann's default map).

std::string train_state_progress(const TrainState& state) {
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
  // See Note [Checkpoint data identity]; only when known, so older readers see what they knew.
  if (!state.data_path.empty()) progress["data_path"] = state.data_path;
  if (!state.labels_path.empty()) progress["labels_path"] = state.labels_path;
  if (!state.feature_names.empty()) progress["feature_names"] = state.feature_names;
  return progress.dump();
}

void save_train_state(const std::filesystem::path& path, const TrainState& state) {
  CheckpointFile file;
  file.put_string("config", state.config.to_json().dump());
  file.put_floats("params", state.params);
  file.put_floats("optimizer.state", state.optimizer_state);
  file.put_string("progress", train_state_progress(state));
  file.save(path);
}

namespace {

// progress[key] as an integer in [lo, hi]; InputError naming the field otherwise
// (a huge value must not wrap into a negative int).
int64_t bounded_integer(const nlohmann::json& j, const char* key, int64_t lo, int64_t hi,
                        const std::string& where) {
  const nlohmann::json& v = j.at(key);
  bool ok = false;
  int64_t out = 0;
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    ok = u <= static_cast<uint64_t>(hi);
    out = ok ? static_cast<int64_t>(u) : 0;
  } else if (v.is_number_integer()) {
    out = v.get<int64_t>();
    ok = true;
  }
  if (!ok || out < lo || out > hi) {
    throw InputError(fmt::format("{}: section 'progress': {} is {}; expected an integer in [{}, {}]", where,
                                 key, v.dump(), lo, hi));
  }
  return out;
}

}  // namespace

std::string absolute_data_path(const std::string& spec) {
  if (spec.empty() || spec == "fashion-mnist") return "";
  return std::filesystem::absolute(spec).lexically_normal().string();
}

RunData load_checkpoint_data(const TrainState& state, const std::string& checkpoint) {
  TrainConfig config = state.config;
  if (!state.data_path.empty()) config.data = state.data_path;
  if (!state.labels_path.empty()) config.labels = state.labels_path;
  RunData sets = load_run_data(config);
  const uint64_t now = sets.train.content_hash();
  if (now != state.dataset_hash) {
    throw InputError(fmt::format(
        "{}: the data changed since {} was trained on it (dataset hash of the rows trained on {}, now {}): "
        "its splits would be other rows, so the numbers would not describe this model; use the data the run "
        "trained on, or give the new file with --data to read all of its rows",
        config.data, checkpoint, hex64(state.dataset_hash), hex64(now)));
  }
  return sets;
}

TrainState load_train_state(const std::filesystem::path& path) {
  const CheckpointFile file = CheckpointFile::load(path);
  return train_state_from_sections(
      file.get_string("config"), file.get_string("progress"),
      [&](std::string_view section, size_t n) { return file.get_floats(section, n); }, path.string());
}

TrainState train_state_from_sections(
    std::string_view config_text, std::string_view progress_text,
    const std::function<std::vector<float>(std::string_view, size_t)>& floats, const std::string& where) {
  TrainState state;
  nlohmann::json config, progress;
  try {
    config = nlohmann::json::parse(config_text);
    progress = nlohmann::json::parse(progress_text);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where + ": section 'config' or 'progress' is not valid JSON: " + e.what());
  }
  try {
    state.config = TrainConfig::from_json(config);
  } catch (const Error& e) {
    throw InputError(where + ": section 'config': " + e.what());
  }
  try {
    state.epochs_done =
        static_cast<int>(bounded_integer(progress, "epochs_done", 1, kMaxCheckpointEpochs, where));
    state.global_step = progress.at("global_step").get<uint64_t>();
    state.optimizer_steps = progress.at("optimizer_steps").get<uint64_t>();
    const auto n_params = progress.at("params").get<size_t>();
    const auto n_state = progress.at("optimizer_state").get<size_t>();
    state.dataset_hash = std::stoull(progress.at("dataset_hash").get<std::string>(), nullptr, 16);
    state.sample_shape = Shape(progress.at("sample_shape").get<std::vector<int64_t>>());
    state.num_classes =
        static_cast<int>(bounded_integer(progress, "num_classes", 1, data::kMaxClasses, where));
    state.class_names = progress.at("class_names").get<std::vector<std::string>>();
    for (const auto& e : progress.at("history")) {
      EpochRecord r;
      r.epoch = static_cast<int>(bounded_integer(e, "epoch", 1, kMaxCheckpointEpochs, where));
      r.train_loss = e.at("train_loss").get<double>();
      r.test_loss = e.at("test_loss").get<double>();
      r.test_accuracy = e.at("test_accuracy").get<double>();
      state.history.push_back(r);
    }
    state.data_path = progress.value("data_path", std::string());
    state.labels_path = progress.value("labels_path", std::string());
    state.feature_names = progress.value("feature_names", std::vector<std::string>());
    state.params = floats("params", n_params);
    state.optimizer_state = floats("optimizer.state", n_state);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(where + ": section 'progress': " + e.what());
  } catch (const std::logic_error& e) {
    throw InputError(where + ": section 'progress': bad dataset_hash");
  }
  uint64_t numel = 1;
  for (int64_t d : state.sample_shape.dims()) {
    if (d < 1 || d > (int64_t{1} << 31) || (numel *= static_cast<uint64_t>(d)) > (uint64_t{1} << 31))
      numel = 0;
    if (numel == 0) break;
  }
  if (state.sample_shape.rank() < 1 || numel == 0) {
    throw InputError(where + ": section 'progress': invalid sample_shape " +
                     progress.at("sample_shape").dump() +
                     "; expected dimensions >= 1 and at most 2^31 elements");
  }
  if (state.class_names.size() != static_cast<size_t>(state.num_classes)) {
    throw InputError(fmt::format("{}: section 'progress': {} class names for {} classes", where,
                                 state.class_names.size(), state.num_classes));
  }
  if (!state.feature_names.empty() && state.feature_names.size() != numel) {
    throw InputError(fmt::format("{}: section 'progress': {} feature names for samples of {} features", where,
                                 state.feature_names.size(), numel));
  }
  for (size_t i = 0; i < state.params.size(); ++i) {
    if (!std::isfinite(state.params[i])) {
      throw InputError(fmt::format(
          "{}: parameter {} of {} is {}: the training that wrote this checkpoint diverged; its model "
          "cannot be used (retrain, e.g. with a smaller --lr)",
          where, i, state.params.size(), state.params[i]));
    }
  }
  if (state.epochs_done < 1 || state.epochs_done != static_cast<int>(state.history.size())) {
    throw InputError(where + ": section 'progress': epochs_done " + std::to_string(state.epochs_done) +
                     " does not match its history of " + std::to_string(state.history.size()) + " epochs");
  }
  return state;
}

}  // namespace dpeval::parallel
