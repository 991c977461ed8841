// Feature columns matched by name, labels by class name: see model_inputs.h.
#include "dpeval/data/model_inputs.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "dpeval/core/error.h"

namespace dpeval::data {
namespace {

std::string name_list(const std::vector<std::string>& names, size_t limit = 10) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < limit; ++i) out += (i ? ", '" : "'") + names[i] + "'";
  if (names.size() > limit) out += fmt::format(", ... ({} in all)", names.size());
  return out;
}

// Column index of every model feature in `have`; throws naming the missing ones.
std::vector<size_t> feature_columns(const Dataset& dataset, const std::vector<std::string>& want,
                                    std::string_view model) {
  const std::vector<std::string>& have = dataset.feature_names();
  std::unordered_map<std::string_view, size_t> index;
  for (size_t j = 0; j < have.size(); ++j) index.emplace(have[j], j);
  std::vector<size_t> columns;
  std::vector<std::string> missing;
  for (const std::string& name : want) {
    const auto it = index.find(name);
    if (it == index.end()) {
      missing.push_back(name);
    } else {
      columns.push_back(it->second);
    }
  }
  if (!missing.empty()) {
    std::vector<std::string> unknown;
    for (const std::string& name : have) {
      if (std::find(want.begin(), want.end(), name) == want.end()) unknown.push_back(name);
    }
    throw InputError(fmt::format(
        "{}: no numeric feature column {} that the model {} was trained on (columns are matched by name){}",
        dataset.name(), name_list(missing), model,
        unknown.empty()
            ? std::string()
            : fmt::format("; the table has numeric columns the model does not know: {} (renamed?)",
                          name_list(unknown))));
  }
  return columns;
}

}  // namespace

Dataset align_to_model(const Dataset& dataset, const std::vector<std::string>& feature_names,
                       const std::vector<std::string>& class_names, std::string_view model) {
  const bool reorder = !feature_names.empty() && !dataset.feature_names().empty() &&
                       dataset.feature_names() != feature_names &&
                       dataset.feature_type() == FeatureType::kF32;
  const bool relabel = dataset.class_names() != class_names;
  if (!reorder && !relabel) return dataset;

  // Labels: the dataset's class k is the model's class map[k].
  std::vector<int32_t> labels(dataset.labels().begin(), dataset.labels().end());
  if (relabel) {
    std::unordered_map<std::string_view, int32_t> model_class;
    for (size_t k = 0; k < class_names.size(); ++k)
      model_class.emplace(class_names[k], static_cast<int32_t>(k));
    std::vector<int32_t> map(dataset.class_names().size(), -1);
    for (size_t k = 0; k < map.size(); ++k) {
      const auto it = model_class.find(dataset.class_names()[k]);
      if (it != model_class.end()) map[k] = it->second;
    }
    for (size_t r = 0; r < labels.size(); ++r) {
      const int32_t to = map[static_cast<size_t>(labels[r])];
      if (to < 0) {
        throw InputError(
            fmt::format("{}: data row {}: label '{}' is not one of the {} classes of the model {} ({})",
                        dataset.name(), r + 1, dataset.class_names()[static_cast<size_t>(labels[r])],
                        class_names.size(), model, name_list(class_names)));
      }
      labels[r] = to;
    }
  }

  Dataset out;
  if (reorder) {
    const std::vector<size_t> columns = feature_columns(dataset, feature_names, model);
    const auto width = static_cast<size_t>(dataset.sample_numel());
    const size_t f = columns.size();
    const std::span<const float> in = dataset.f32_features();
    std::vector<float> features(dataset.size() * f);
    for (size_t r = 0; r < dataset.size(); ++r) {
      for (size_t k = 0; k < f; ++k) features[r * f + k] = in[r * width + columns[k]];
    }
    out = Dataset::from_f32(dataset.name(), Shape{static_cast<int64_t>(f)}, std::move(features),
                            std::move(labels), static_cast<int>(class_names.size()));
    out.set_feature_names(feature_names);
  } else if (dataset.feature_type() == FeatureType::kU8) {
    const auto in = dataset.u8_features();
    out = Dataset::from_u8(dataset.name(), dataset.sample_shape(), std::vector<uint8_t>(in.begin(), in.end()),
                           dataset.u8_scale(), std::move(labels), static_cast<int>(class_names.size()));
    out.set_feature_names(dataset.feature_names());
  } else {
    const auto in = dataset.f32_features();
    out = Dataset::from_f32(dataset.name(), dataset.sample_shape(), std::vector<float>(in.begin(), in.end()),
                            std::move(labels), static_cast<int>(class_names.size()));
    out.set_feature_names(dataset.feature_names());
  }
  out.set_class_names(class_names);
  for (const CategoricalColumn& column : dataset.categorical_columns()) out.add_categorical_column(column);
  return out;
}

}  // namespace dpeval::data
