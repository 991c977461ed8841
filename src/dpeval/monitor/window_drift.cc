// See window_drift.h.
#include "dpeval/monitor/window_drift.h"

#include <fmt/format.h>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/monitor/drift.h"

namespace dpeval::monitor {

WindowDrift::WindowDrift(const Profile& reference, WindowDriftInputs inputs)
    : reference_(reference), inputs_(std::move(inputs)) {
  images_ = inputs_.feature_names.empty();
  const char* where =
      reference_.profile_path.empty() ? "the reference profile" : reference_.profile_path.c_str();
  if (images_) {
    if (!reference_.find("mean_intensity") || !reference_.find("std_intensity")) {
      throw InputError(
          fmt::format("{}: not a profile of images (no mean_intensity column), but the model reads "
                      "images: profile the data the model was trained on",
                      where));
    }
  } else {
    for (const std::string& name : inputs_.feature_names) {
      const ColumnProfile* c = reference_.find(name);
      if (!c) {
        throw InputError(fmt::format("{}: no column '{}', a feature the model reads", where, name));
      }
    }
  }
  predictions_ = inputs_.num_classes > 0 && reference_.find(fmt::format("prob_{}", inputs_.num_classes - 1));
}

nlohmann::json WindowDrift::measure(std::span<const float> features, std::span<const float> probs,
                                    size_t n) const {
  DPEVAL_CHECK(features.size() == n * inputs_.num_features && probs.size() == n * inputs_.num_classes)
      << "window drift: " << features.size() << " values, " << probs.size() << " probabilities for " << n
      << " rows";
  SourceData current;
  current.source = "the served window";
  current.rows = n;
  // Every column is made before any is filled: references into the vector stay valid.
  current.columns.reserve((images_ ? 2 : inputs_.num_features) + (predictions_ ? inputs_.num_classes : 0));
  auto column = [&](std::string name) -> ColumnValues& {
    DPEVAL_CHECK(current.columns.size() < current.columns.capacity())
        << "window drift: columns past the reserve";
    ColumnValues& c = current.columns.emplace_back();
    c.name = std::move(name);
    c.numbers.resize(n);
    c.first_number_line = 1;
    return c;
  };
  const size_t f = inputs_.num_features;
  if (images_) {
    ColumnValues& mean = column("mean_intensity");
    ColumnValues& std = column("std_intensity");
    for (size_t i = 0; i < n; ++i) {
      const ImageSummary s = summarize_image(features.subspan(i * f, f));
      mean.numbers[i] = s.mean;
      std.numbers[i] = s.std;
    }
  } else {
    for (size_t j = 0; j < f; ++j) {
      ColumnValues& c = column(inputs_.feature_names[j]);
      for (size_t i = 0; i < n; ++i) c.numbers[i] = features[i * f + j];
    }
  }
  if (predictions_) {
    const size_t k = inputs_.num_classes;
    for (size_t j = 0; j < k; ++j) {
      ColumnValues& c = column(fmt::format("prob_{}", j));
      for (size_t i = 0; i < n; ++i) c.numbers[i] = probs[i * k + j];
    }
  }
  for (ColumnValues& c : current.columns) sort_values(c.numbers);
  const ProfileOptions po = current_profile_options(reference_, current, {});
  const Profile now = build_profile(std::move(current), po);
  DriftOptions options;
  options.threads = 1;
  if (images_) options.columns = {"mean_intensity", "std_intensity"};
  return drift_document(reference_, now, options, nullptr, nullptr);
}

}  // namespace dpeval::monitor
