#include "dpeval/run/checkpoint_model.h"

#include <algorithm>

#include <fmt/format.h>

#include "dpeval/core/check.h"
#include "dpeval/core/error.h"
#include "dpeval/parallel/evaluate.h"
#include "dpeval/parallel/run_data.h"

namespace dpeval::run {
namespace {

// The checkpoint's data, or another source split the same way (the run's
// test fraction, validation fraction and seed); a .csv other than the run's
// own is read whole.
data::Dataset load_dataset(const parallel::TrainState& state, const std::string& checkpoint,
                           const std::string& data, const std::string& split, const std::string& label_col) {
  const parallel::TrainConfig& config = state.config;
  parallel::TrainConfig source = config;
  if (!data.empty()) source.data = data;
  if (!label_col.empty()) source.label_col = label_col;
  if (source.data != config.data && source.data.ends_with(".csv")) {
    data::CsvOptions csv;
    csv.label_col = source.label_col;
    return data::read_csv_dataset(source.data, csv);
  }
  // The run's own data, checked against the rows it trained on (Note
  // [Checkpoint data identity] in parallel/train_checkpoint.h).
  const bool own = source.data == config.data && source.label_col == config.label_col;
  parallel::RunData sets =
      own ? parallel::load_checkpoint_data(state, checkpoint) : parallel::load_run_data(source);
  if (split == "train") return std::move(sets.train);
  if (split == "validation") return std::move(sets.validation);
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
  data::Dataset dataset = data::align_to_model(load_dataset(state, checkpoint, data, split, label_col),
                                               state.feature_names, state.class_names, checkpoint);
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
  nn::Model model = build_checkpoint_model(state, checkpoint);
  return {std::move(state), std::move(dataset), std::move(model)};
}

nn::Model build_checkpoint_model(const parallel::TrainState& state, const std::string& checkpoint) {
  nn::Model model = nn::Model::build(state.config.model_spec, state.sample_shape, state.num_classes);
  if (model.param_count() != state.params.size()) {
    throw InputError(fmt::format("{}: checkpoint has {} parameters but its model has {}", checkpoint,
                                 state.params.size(), model.param_count()));
  }
  std::copy(state.params.begin(), state.params.end(), model.params().begin());
  return model;
}

eval::Predictions model_predictions(nn::Model& model, const data::Dataset& dataset, size_t num_classes,
                                    const std::string& source, const std::vector<std::string>& keep_columns,
                                    int batch) {
  const size_t k = num_classes;
  const size_t n = dataset.size();
  eval::Predictions p;
  p.task = k == 2 ? eval::Task::binary : eval::Task::multiclass;
  p.source = source;
  p.n = n;
  p.num_classes = k;
  const auto labels = dataset.labels();
  p.labels.assign(labels.begin(), labels.end());
  eval::Column& values = k == 2 ? p.scores : p.probs;
  values.reserve(k == 2 ? n : n * k);
  parallel::predict_probabilities(model, dataset, batch, [&](size_t, const Tensor& probs) {
    DPEVAL_CHECK(probs.size() % k == 0)
        << "model output of " << probs.size() << " values is not rows x " << k;
    const float* v = probs.data();
    for (size_t i = 0; i < probs.size(); ++i) {
      if (k == 2 && i % 2 == 0) continue;
      values.push_back(v[i]);
    }
  });
  for (const std::string& name : keep_columns) {
    if (p.find_key(name) == nullptr) p.keys.push_back(key_column(dataset, name));
  }
  return p;
}

}  // namespace dpeval::run
