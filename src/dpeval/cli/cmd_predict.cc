// dpeval predict: runs a trained checkpoint over a dataset and writes class
// probabilities as CSV in the format `dpeval eval` reads:
//   label,prob_0,...,prob_{K-1}[,<categorical columns of the data>]
#include <algorithm>
#include <memory>

#include <fmt/format.h>

#include "dpeval/cli/checkpoint_predictions.h"
#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/cli/csv_field.h"
#include "dpeval/cli/json_output.h"
#include "dpeval/core/atomic_file.h"
#include "dpeval/parallel/evaluate.h"

namespace dpeval::cli {
namespace {

struct PredictArgs {
  std::string checkpoint;
  std::string data;
  std::string split = "test";
  std::string label_col;
  std::string out = "predictions.csv";
  int batch = 1000;
  JsonOutput json;
};

int run_predict(const PredictArgs& a) {
  CommandFiles files;
  files.input("--checkpoint", a.checkpoint);
  files.data_input("--data", a.data);
  files.output("--out", a.out);
  a.json.declare(files);
  files.check();
  run::LoadedCheckpoint loaded = run::load_checkpoint(a.checkpoint, a.data, a.split, a.label_col);
  check_checkpoint_data(files, loaded, a.data);
  const data::Dataset& dataset = loaded.dataset;
  nn::Model& model = loaded.model;
  const int k = loaded.state.num_classes;
  const auto labels = dataset.labels();

  const auto& categorical = dataset.categorical_columns();
  AtomicFileWriter out(a.out);
  std::string line = "label";
  for (int c = 0; c < k; ++c) line += fmt::format(",prob_{}", c);
  for (const auto& column : categorical) {
    line.push_back(',');
    append_csv_field(line, column.name);
  }
  line.push_back('\n');
  out.write(line);

  uint64_t correct = 0;
  std::string buffer;
  // A batch never holds more than the rows there are (see --batch).
  const int batch = static_cast<int>(std::min<size_t>(static_cast<size_t>(a.batch), std::max<size_t>(dataset.size(), 1)));
  parallel::predict_probabilities(model, dataset, batch, [&](size_t first, const Tensor& probs) {
    const size_t rows = probs.size() / static_cast<size_t>(k);
    buffer.clear();
    for (size_t i = 0; i < rows; ++i) {
      const size_t row = first + i;
      const float* p = probs.data() + i * static_cast<size_t>(k);
      fmt::format_to(std::back_inserter(buffer), "{}", labels[row]);
      int best = 0;
      for (int c = 0; c < k; ++c) {
        fmt::format_to(std::back_inserter(buffer), ",{:.7g}", p[c]);
        if (p[c] > p[best]) best = c;
      }
      correct += best == labels[row];
      for (const auto& column : categorical) {
        buffer.push_back(',');
        append_csv_field(buffer, column.values[column.codes[row]]);
      }
      buffer.push_back('\n');
    }
    out.write(buffer);
  });
  out.commit();

  const double accuracy = dataset.size() ? static_cast<double>(correct) / static_cast<double>(dataset.size()) : 0.0;
  fmt::print(stderr, "dpeval predict: {} rows, accuracy {:.4f} -> {}\n", dataset.size(), accuracy, a.out);
  a.json.emit({{"checkpoint", a.checkpoint},
               {"rows", dataset.size()},
               {"classes", k},
               {"accuracy", accuracy},
               {"out", a.out}});
  return kExitOk;
}

}  // namespace

Command add_predict_command(CLI::App& root) {
  auto args = std::make_shared<PredictArgs>();
  PredictArgs& a = *args;
  CLI::App* app = root.add_subcommand("predict", "Write a checkpoint's class probabilities for a dataset as CSV");
  app->footer(R"(Examples:
  dpeval predict --checkpoint runs/mlp/checkpoint.dpck --out preds.csv
  dpeval predict --checkpoint runs/t/checkpoint.dpck --data new_rows.csv --label-col y --out preds.csv --json-out predict.json

Without --data, the checkpoint's own dataset is used (its test split unless --split train or validation).
Output header: label,prob_0,...,prob_{K-1}, then the data's categorical (slice) columns.
The run's own data must be unchanged since training (its hash is in the checkpoint; exit 3
if not). Another table's feature columns are matched to the model's by name (exit 3 naming a
missing one). --out may not be the checkpoint or the data (exit 2).
Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input data or config.)");
  app->add_option("--checkpoint", a.checkpoint, "Checkpoint file written by dpeval train")->required();
  app->add_option("--data", a.data, "Dataset: 'fashion-mnist' or a .csv table (default: the training data)");
  app->add_option("--split", a.split, "Which split of the training data: test, validation or train")
      ->check(CLI::IsMember({"test", "validation", "train"}))
      ->capture_default_str();
  app->add_option("--label-col", a.label_col, "Label column of a CSV table (default: as in training)");
  app->add_option("--out", a.out, "Output CSV (written atomically)")->capture_default_str();
  app->add_option("--batch", a.batch, "Inference batch size (rows per forward pass, 1 to 65536)")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  a.json.add_options(*app);
  return {app, [args] { return run_predict(*args); }};
}

}  // namespace dpeval::cli
