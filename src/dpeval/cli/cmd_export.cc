// dpeval export / dpeval import: a checkpoint's weights as safetensors named
// as PyTorch's state_dict, and back (run/safetensors.h).
#include <fmt/format.h>

#include <memory>

#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/cli/json_output.h"
#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/parallel/train_checkpoint.h"
#include "dpeval/run/safetensors.h"

namespace dpeval::cli {
namespace {

struct ExportArgs {
  std::string checkpoint;
  std::string format = "safetensors";
  std::string out;
  JsonOutput json;
};

struct ImportArgs {
  std::string in;
  std::string format = "safetensors";
  std::string out;
  JsonOutput json;
};

int run_export(const ExportArgs& a) {
  CommandFiles files;
  files.input("--checkpoint", a.checkpoint);
  files.output("--out", a.out);
  a.json.declare(files);
  files.check();
  const parallel::TrainState state = parallel::load_train_state(a.checkpoint);
  const std::vector<run::NamedTensor> tensors = run::state_dict_names(state, a.checkpoint);
  const std::string bytes = run::safetensors_bytes(state, tensors);
  write_file_atomic(a.out, bytes);
  nlohmann::json names = nlohmann::json::array();
  for (const run::NamedTensor& t : tensors) names.push_back({{"name", t.name}, {"shape", t.shape.dims()}});
  fmt::print(stderr, "dpeval export: {} tensors, {} parameters -> {}\n", tensors.size(), state.params.size(),
             a.out);
  a.json.emit({{"checkpoint", a.checkpoint},
               {"format", a.format},
               {"out", a.out},
               {"bytes", bytes.size()},
               {"parameters", state.params.size()},
               {"tensors", names}});
  return kExitOk;
}

int run_import(const ImportArgs& a) {
  CommandFiles files;
  files.input("--in", a.in);
  files.output("--out", a.out);
  a.json.declare(files);
  files.check();
  const parallel::TrainState state = run::read_safetensors(a.in);
  parallel::save_train_state(a.out, state);
  fmt::print(stderr, "dpeval import: {} parameters ({} model, {} classes) -> {}\n", state.params.size(),
             state.config.model_spec.name, state.num_classes, a.out);
  a.json.emit({{"in", a.in},
               {"format", a.format},
               {"out", a.out},
               {"parameters", state.params.size()},
               {"model", state.config.model_spec.name},
               {"classes", state.num_classes},
               {"epochs_done", state.epochs_done}});
  return kExitOk;
}

void add_format_option(CLI::App& app, std::string& format) {
  app.add_option("--format", format, "Weights format: safetensors (the only one)")
      ->check(CLI::IsMember({"safetensors"}))
      ->capture_default_str();
}

}  // namespace

Command add_export_command(CLI::App& root) {
  auto args = std::make_shared<ExportArgs>();
  ExportArgs& a = *args;
  CLI::App* app = root.add_subcommand(
      "export", "Write a checkpoint's weights as safetensors, named as PyTorch's state_dict");
  app->footer(R"x(Examples:
  dpeval export --checkpoint runs/mlp/checkpoint.dpck --format safetensors --out mlp.safetensors
  python3 -c "from safetensors.torch import load_file; model.load_state_dict(load_file('mlp.safetensors'))"

Tensors are float32, named as the same model in PyTorch names them: fc1.weight ... for the mlp
preset, conv1.weight ... fc2.bias for the cnn preset (shared/peers/fmnist_ddp.py), layers.<i>.weight
for a TOML model (an nn.Sequential called `layers`). The metadata holds the training config and
progress, so `dpeval import` makes a checkpoint again (without optimizer state). docs/EXPORT.md.
Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input.)x");
  app->add_option("--checkpoint", a.checkpoint, "Checkpoint file written by dpeval train")->required();
  add_format_option(*app, a.format);
  app->add_option("--out", a.out, "The .safetensors file to write (atomically)")->required();
  a.json.add_options(*app);
  return {app, [args] { return run_export(*args); }};
}

Command add_import_command(CLI::App& root) {
  auto args = std::make_shared<ImportArgs>();
  ImportArgs& a = *args;
  CLI::App* app =
      root.add_subcommand("import", "Make a checkpoint from safetensors written by dpeval export");
  app->footer(R"(Examples:
  dpeval import --in mlp.safetensors --out mlp.dpck
  dpeval predict --checkpoint mlp.dpck --out preds.csv

The weights may have been changed elsewhere (fine-tuned in PyTorch and saved with
safetensors.torch.save_file, keeping the metadata): names and shapes must be the model's.
The checkpoint has no optimizer state: it predicts, evaluates and serves as the original;
resuming training from it works only for plain SGD. docs/EXPORT.md.
Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input.)");
  app->add_option("--in", a.in, "A .safetensors file written by dpeval export")->required();
  add_format_option(*app, a.format);
  app->add_option("--out", a.out, "The checkpoint to write (atomically)")->required();
  a.json.add_options(*app);
  return {app, [args] { return run_import(*args); }};
}

}  // namespace dpeval::cli
