#include "dpeval/cli/checkpoint_predictions.h"

#include <algorithm>

#include <fmt/format.h>

#include "dpeval/core/error.h"
#include "dpeval/parallel/evaluate.h"

namespace dpeval::cli {
namespace {

data::Dataset load_dataset(const parallel::TrainConfig& config, const std::string& data, const std::string& split,
                           const std::string& label_col) {
  const std::string spec = data.empty() ? config.data : data;
  data::DataSourceOptions source;
  source.label_col = label_col.empty() ? config.label_col : label_col;
  source.labels_path = config.labels;
  source.test_fraction = config.test_fraction;
  source.seed = config.seed;
  if (spec != config.data && spec.ends_with(".csv")) {
    data::CsvOptions csv;
    csv.label_col = source.label_col;
    return data::read_csv_dataset(spec, csv);
  }
  data::TrainTest sets = data::load_data_source(spec, source);
  if (split == "train") return std::move(sets.train);
  return std::move(sets.test);
}

eval::KeyColumn key_column(const data::Dataset& dataset, const std::string& name) {
  std::string known;
  for (const auto& column : dataset.categorical_columns()) {
    if (column.name == name) return {column.name, column.values, column.codes};
    known += (known.empty() ? "" : ", ") + column.name;
  }
  throw InputError(fmt::format("{}: no categorical column '{}' to slice by (it has: {})", dataset.name(), name,
                               known.empty() ? "none" : known));
}

}  // namespace

LoadedCheckpoint load_checkpoint(const std::string& checkpoint, const std::string& data, const std::string& split,
                                 const std::string& label_col) {
  parallel::TrainState state = parallel::load_train_state(checkpoint);
  data::Dataset dataset = load_dataset(state.config, data, split, label_col);
  if (dataset.sample_shape() != state.sample_shape) {
    throw InputError(fmt::format("{}: samples have shape {} but the checkpoint's model takes {}", dataset.name(),
                                 dataset.sample_shape().to_string(), state.sample_shape.to_string()));
  }
  const auto labels = dataset.labels();
  for (size_t row = 0; row < labels.size(); ++row) {
    if (labels[row] >= state.num_classes) {
      throw InputError(fmt::format("{}: row {}: label {} is outside the checkpoint's {} classes", dataset.name(),
                                   row + 1, labels[row], state.num_classes));
    }
  }
  nn::Model model = nn::Model::build(state.config.model_spec, state.sample_shape, state.num_classes);
  if (model.param_count() != state.params.size()) {
    throw InputError(fmt::format("{}: checkpoint has {} parameters but its model has {}", checkpoint,
                                 state.params.size(), model.param_count()));
  }
  std::copy(state.params.begin(), state.params.end(), model.params().begin());
  return {std::move(state), std::move(dataset), std::move(model)};
}

eval::Predictions checkpoint_predictions(const std::string& checkpoint, const std::string& data,
                                         const std::vector<std::string>& keep_columns) {
  LoadedCheckpoint loaded = load_checkpoint(checkpoint, data, "test", "");
  const size_t k = static_cast<size_t>(loaded.state.num_classes);
  const size_t n = loaded.dataset.size();
  eval::Predictions p;
  p.task = k == 2 ? eval::Task::binary : eval::Task::multiclass;
  p.source = checkpoint + " on " + loaded.dataset.name();
  p.n = n;
  p.num_classes = k;
  const auto labels = loaded.dataset.labels();
  p.labels.assign(labels.begin(), labels.end());
  (k == 2 ? p.scores : p.probs).reserve(k == 2 ? n : n * k);
  parallel::predict_probabilities(loaded.model, loaded.dataset, 1000, [&](size_t, const Tensor& probs) {
    const float* v = probs.data();
    for (size_t i = 0; i < probs.size(); ++i) {
      if (k == 2 && i % 2 == 0) continue;
      (k == 2 ? p.scores : p.probs).push_back(v[i]);
    }
  });
  for (const std::string& name : keep_columns) {
    if (p.find_key(name) == nullptr) p.keys.push_back(key_column(loaded.dataset, name));
  }
  return p;
}

}  // namespace dpeval::cli
