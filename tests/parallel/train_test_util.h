// Shared by the trainer tests: temp dirs, a small synthetic table, a config.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/rng.h"
#include "dpeval/nn/model_spec.h"
#include "dpeval/parallel/train_config.h"

namespace dpeval::parallel {

namespace fs = std::filesystem;

inline fs::path fresh_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("dpeval_trainer_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Three Gaussian blobs in 6 dimensions plus a categorical column.
inline fs::path write_blobs_csv(const fs::path& dir, int rows) {
  Rng rng(1234);
  std::string text = "f0,f1,f2,f3,f4,f5,group,label\n";
  for (int r = 0; r < rows; ++r) {
    const int label = r % 3;
    for (int f = 0; f < 6; ++f) {
      const double center = (f % 3 == label) ? 2.0 : 0.0;
      text += std::to_string(center + 0.7 * rng.normal()) + ",";
    }
    text += (r % 2 ? "a," : "b,") + std::to_string(label) + "\n";
  }
  const fs::path path = dir / "blobs.csv";
  write_file_atomic(path, text);
  return path;
}

inline TrainConfig small_config(const fs::path& csv) {
  TrainConfig c;
  c.model_name = "mlp";
  c.model_spec = nn::model_spec_preset("mlp");
  c.data = csv.string();
  c.epochs = 3;
  c.batch = 32;
  c.lr = 0.02f;
  c.seed = 5;
  c.val_fraction = 0;  // the tests count steps from the training rows: all of the train split
  return c;
}

}  // namespace dpeval::parallel
