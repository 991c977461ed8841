// The trainer's state in a checkpoint file (see core/checkpoint_file.h for the
// container: magic, version, XXH3 checksum, atomic save, verified load).
//
// Sections: "config" (TrainConfig JSON), "model.spec" (canonical TOML),
// "params" (float32, the flat parameter buffer), "optimizer.state" (float32,
// mirrors the layout), "progress" (JSON: epochs completed, global step,
// optimizer step count, dataset hash, history without timings, and what the
// data looked like: its absolute path and the CSV feature column names).
// Nothing run-specific (output paths, clocks) is stored, so identical runs on
// the same data file write identical bytes: See Note [Bitwise checkpoints].
//
// Note [Checkpoint data identity]
// predict and eval --checkpoint re-read the run's data to find its split. So
// that they never report numbers for other rows or other columns than the run
// trained on, the checkpoint records (1) dataset_hash, the hash of the rows
// trained on, checked when the run's data is re-read (load_checkpoint_data);
// (2) data_path and labels_path, the data files made absolute when the run
// trained, so a later command finds them from any working directory; (3)
// feature_names, the CSV feature columns in model input order, so other tables
// are matched by column name, not position (data::select_features).
// Checkpoints written before these fields existed read with data_path empty
// (config.data is then used as written, relative to the working directory)
// and feature_names empty (columns are taken by position, as before); the
// dataset hash was always stored, so the changed-data check applies to them too.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/core/shape.h"
#include "dpeval/parallel/run_data.h"
#include "dpeval/parallel/train_config.h"
#include "dpeval/parallel/trainer.h"

namespace dpeval::parallel {

struct TrainState {
  TrainConfig config;
  std::vector<float> params;
  std::vector<float> optimizer_state;
  uint64_t optimizer_steps = 0;
  int epochs_done = 0;  // on load: 1..kMaxCheckpointEpochs, and the history's length
  uint64_t global_step = 0;
  uint64_t dataset_hash = 0;
  Shape sample_shape;  // one sample, no batch dim: what the model was built for
  int num_classes = 0;
  std::vector<std::string> class_names;
  std::vector<EpochRecord> history;  // seconds are not stored
  // See Note [Checkpoint data identity]; empty in older checkpoints.
  std::string data_path;                   // absolute path of config.data ("" for fashion-mnist)
  std::string labels_path;                 // absolute path of config.labels ("" when none)
  std::vector<std::string> feature_names;  // CSV feature columns in input order; empty for images/arrays
};

// The largest epochs_done a checkpoint may hold (TrainConfig::validate's epoch bound).
inline constexpr int kMaxCheckpointEpochs = 100000;

// `spec` as a checkpoint stores it: a file path made absolute and lexically
// normal; "" for "" and for the built-in "fashion-mnist".
std::string absolute_data_path(const std::string& spec);

void save_train_state(const std::filesystem::path& path, const TrainState& state);
// Verifies the container, every section's size and every field's range
// (epochs_done, num_classes, sample_shape), and that every parameter is finite:
// a checkpoint of a diverged run (NaN or infinite weights) would predict NaN.
// Throws InputError naming the file.
TrainState load_train_state(const std::filesystem::path& path);

// The checkpoint's "progress" section: every field of `state` but the config
// and the float arrays (whose lengths it records), as JSON text.
std::string train_state_progress(const TrainState& state);
// load_train_state's reading and checks, from a checkpoint's sections held
// elsewhere (run/safetensors.h): the config and progress JSON texts, and
// floats(section, n) giving section "params" or "optimizer.state" with the
// length progress records (throwing InputError when it has another). `where`
// names the source in messages.
TrainState train_state_from_sections(
    std::string_view config_text, std::string_view progress_text,
    const std::function<std::vector<float>(std::string_view, size_t)>& floats, const std::string& where);

// The run's own data as `state` trained on it (parallel::load_run_data on the
// stored absolute paths when present), after checking that its train split is
// the one trained on (dataset_hash). Throws InputError naming the data file
// and the checkpoint when the data changed; as load_run_data otherwise.
RunData load_checkpoint_data(const TrainState& state, const std::string& checkpoint);

}  // namespace dpeval::parallel
