// The trainer's state in a checkpoint file (see core/checkpoint_file.h for the
// container: magic, version, XXH3 checksum, atomic save, verified load).
//
// Sections: "config" (TrainConfig JSON), "model.spec" (canonical TOML),
// "params" (float32, the flat parameter buffer), "optimizer.state" (float32,
// mirrors the layout), "progress" (JSON: epochs completed, global step,
// optimizer step count, dataset hash, history without timings).
// Nothing run-specific (paths, clocks) is stored, so identical runs write
// identical bytes: See Note [Bitwise checkpoints].
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "dpeval/core/shape.h"
#include "dpeval/parallel/train_config.h"
#include "dpeval/parallel/trainer.h"

namespace dpeval::parallel {

struct TrainState {
  TrainConfig config;
  std::vector<float> params;
  std::vector<float> optimizer_state;
  uint64_t optimizer_steps = 0;
  int epochs_done = 0;
  uint64_t global_step = 0;
  uint64_t dataset_hash = 0;
  Shape sample_shape;                    // one sample, no batch dim: what the model was built for
  int num_classes = 0;
  std::vector<std::string> class_names;
  std::vector<EpochRecord> history;  // seconds are not stored
};

void save_train_state(const std::filesystem::path& path, const TrainState& state);
// Verifies the container and every section's size. Throws InputError naming the file.
TrainState load_train_state(const std::filesystem::path& path);

}  // namespace dpeval::parallel
