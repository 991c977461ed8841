// Drift of one window of served rows against a reference profile: what
// `dpeval serve` measures each time a label-free window closes (online.h).
// The window's inputs become the columns the profile was made of (a table's
// feature columns by name; an image's mean_intensity and std_intensity,
// Note [Drift sources]) and its served probabilities the prob_<k> columns
// (prediction drift, when the profile was made with --checkpoint); then the
// drift document of `dpeval drift` compares them, with its statistics and
// defaults (drift.h: Note [Default method]), no domain classifier.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "dpeval/monitor/profile.h"

namespace dpeval::monitor {

struct WindowDriftInputs {
  // Names of the model's input columns, in input order (a table's features);
  // empty for images, whose rows become mean/std intensity.
  std::vector<std::string> feature_names;
  size_t num_features = 0;  // F: values per row
  size_t num_classes = 0;   // K
};

class WindowDrift {
 public:
  // Throws InputError naming the profile when it lacks a column the inputs
  // feed (a feature name; for images, mean_intensity) or has rows of another
  // kind (an image profile for a table model or the reverse).
  WindowDrift(const Profile& reference, WindowDriftInputs inputs);

  // The drift document (drift.h) of n rows: features n x F, probs n x K, row-major.
  nlohmann::json measure(std::span<const float> features, std::span<const float> probs, size_t n) const;

 private:
  const Profile& reference_;
  WindowDriftInputs inputs_;
  bool images_ = false;
  bool predictions_ = false;  // the profile has prob_<k> columns
};

}  // namespace dpeval::monitor
