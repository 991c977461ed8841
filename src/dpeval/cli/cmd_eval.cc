// dpeval eval: metrics, calibration, slices with intervals, fairness and
// gates for a prediction file (any model's) or one of our checkpoints; the
// result document of docs/EVAL.md as JSON, HTML and Markdown.
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "dpeval/cli/checkpoint_predictions.h"
#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/cli/json_output.h"
#include "dpeval/cli/options.h"
#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/eval/document.h"
#include "dpeval/eval/gates.h"
#include "dpeval/report/html.h"
#include "dpeval/report/markdown.h"

namespace dpeval::cli {
namespace {

constexpr size_t kDefaultResamples = 1000;

struct EvalArgs {
  std::string predictions;
  std::string checkpoint;
  std::string data;
  std::string task;
  eval::PredictionColumns columns;
  std::vector<std::string> slice_by;
  std::string sensitive;
  bool bootstrap = false;
  size_t bootstrap_resamples = 0;  // 0: --bootstrap's default
  std::vector<std::string> fail_if;
  std::string html, md;
  eval::EvalOptions options;
  JsonOutput json;
};

// The key columns the evaluation needs: slice columns and the sensitive one.
std::vector<std::string> key_columns(const EvalArgs& a) {
  std::vector<std::string> keys = a.slice_by;
  if (!a.sensitive.empty()) keys.push_back(a.sensitive);
  return keys;
}

eval::Predictions load(const EvalArgs& a, CommandFiles& files) {
  if (a.predictions.empty() == a.checkpoint.empty()) {
    throw UsageError("give exactly one of --predictions FILE and --checkpoint CKPT");
  }
  if (!a.checkpoint.empty()) {
    if (!a.task.empty() && a.task != "multiclass" && a.task != "binary") {
      throw UsageError("--task " + a.task + ": a checkpoint's model is a classifier (binary or multiclass)");
    }
    return checkpoint_predictions(a.checkpoint, a.data, key_columns(a), files);
  }
  if (a.task.empty()) throw UsageError("--task binary|multiclass|regression is required with --predictions");
  eval::ReadOptions read;
  read.task = eval::parse_task(a.task);
  read.columns = a.columns;
  read.keep_columns = key_columns(a);
  read.threads = a.options.threads;
  return eval::read_predictions(a.predictions, read);
}

std::string format_value(const nlohmann::json& v) {
  return v.is_number() ? fmt::format("{:.4f}", v.get<double>()) : std::string("null");
}

// The human summary on stdout when --json does not take it.
void print_summary(const nlohmann::json& doc) {
  fmt::print("{} task, {} rows ({})\n", doc["task"].get<std::string>(), doc["n"].get<int64_t>(),
             doc["source"].get<std::string>());
  for (const auto& [name, value] : doc["metrics"].items()) fmt::print("  {:<24} {}\n", name, format_value(value));
  if (doc.contains("calibration")) {
    fmt::print("  {:<24} {}\n", "ece", format_value(doc["calibration"]["ece"]));
  }
  for (const auto& gate : doc["gates"]) {
    fmt::print("  gate {} {} (value {})\n", gate["passed"].get<bool>() ? "PASS" : "FAIL",
               gate["expression"].get<std::string>(), format_value(gate["value"]));
  }
}

int run_eval(EvalArgs& a) {
  a.options.slice_by = a.slice_by;
  a.options.sensitive = a.sensitive;
  a.options.bootstrap = a.bootstrap_resamples > 0 ? a.bootstrap_resamples : a.bootstrap ? kDefaultResamples : 0;
  // Gates are parsed first: a typo is a usage error before minutes of work.
  for (const std::string& g : a.fail_if) eval::parse_gate(g);
  CommandFiles files;
  files.input("--predictions", a.predictions);
  files.input("--checkpoint", a.checkpoint);
  files.data_input("--data", a.data);
  files.output("--html", a.html);
  files.output("--md", a.md);
  a.json.declare(files);
  files.check();
  const eval::Predictions predictions = load(a, files);
  nlohmann::json doc = eval::evaluate_document(predictions, a.options);
  const std::vector<eval::GateResult> gates = eval::evaluate_gates(doc, a.fail_if);
  doc["gates"] = eval::gates_to_json(gates);

  OutputBatch outputs;  // every output is replaced, or none is
  outputs.add(a.html, [&] { return report::render_html(doc); });
  outputs.add(a.md, [&] { return report::render_markdown(doc); });
  outputs.add(a.json.file(), [&] { return json_text(doc); });
  outputs.commit();
  for (const auto& w : doc["warnings"]) fmt::print(stderr, "dpeval eval: warning: {}\n", w.get<std::string>());
  a.json.print(doc);
  if (!a.json.prints_to_stdout()) print_summary(doc);
  size_t failed = 0;
  for (const eval::GateResult& g : gates) failed += g.passed ? 0 : 1;
  if (failed > 0) {
    fmt::print(stderr, "dpeval eval: {} of {} gates failed\n", failed, gates.size());
    return kExitGateFailed;
  }
  return kExitOk;
}

}  // namespace

Command add_eval_command(CLI::App& root) {
  auto args = std::make_shared<EvalArgs>();
  EvalArgs& a = *args;
  CLI::App* app = root.add_subcommand("eval", "Evaluate predictions: metrics, calibration, slices, fairness, gates");
  app->footer(R"(Examples:
  dpeval eval --predictions preds.csv --task binary --json-out out.json --html report.html
  dpeval eval --predictions preds.csv --task multiclass --slice-by region,device --slice-cross --bootstrap-resamples 2000
  dpeval eval --predictions preds.csv --task binary --sensitive sex --fail-if "accuracy < 0.85" \
      --fail-if "ece > 0.05" --fail-if "slice:region=north:recall < 0.7" \
      --fail-if "fairness:equalized_odds_difference > 0.1"
  dpeval eval --checkpoint runs/demo/checkpoint.dpck --html report.html

CSV formats (header row; other columns may be used for --slice-by / --sensitive):
  binary      label (0/1), score (probability of class 1)
  multiclass  label (0..K-1), prob_0 ... prob_{K-1}
  regression  label (target), prediction
A .npy file holds a 2-D float array: (label, score), (label, prob_0..) or (label, prediction).
Gates: "<metric> <op> <number>", "slice:<col>=<value>[&<col2>=<value2>]:<metric> <op> <number>",
"fairness:<figure> <op> <number>"; op one of < <= > >= == !=. A gate fails when its expression
holds, or when its metric is undefined for the data. See docs/EVAL.md.
Exit codes: 0 ok, 1 runtime failure, 2 usage error (also an unknown gate target), 3 bad input,
4 a gate failed.)");
  app->add_option("--predictions", a.predictions, "Prediction file (.csv or .npy)");
  app->add_option("--checkpoint", a.checkpoint, "Evaluate a dpeval checkpoint instead of a file");
  app->add_option("--data", a.data, "With --checkpoint: the dataset (default: its test split)");
  app->add_option("--task", a.task, "binary, multiclass or regression")
      ->check(CLI::IsMember({"binary", "multiclass", "regression"}));
  app->add_option("--label-col", a.columns.label, "Label column")->capture_default_str();
  app->add_option("--score-col", a.columns.score, "Binary score column")->capture_default_str();
  app->add_option("--prob-prefix", a.columns.prob_prefix, "Multiclass probability column prefix")
      ->capture_default_str();
  app->add_option("--prediction-col", a.columns.prediction, "Regression prediction column")->capture_default_str();
  app->add_option("--slice-by", a.slice_by, "Columns to slice by (comma-separated)")->delimiter(',');
  app->add_flag("--slice-cross", a.options.slice_cross, "Also slice by every pair of --slice-by columns");
  app->add_option("--min-slice-size", a.options.min_slice_size, "Smaller slices are reported but not judged")
      ->check(integer_in(0, int64_t{1} << 40))
      ->capture_default_str();
  app->add_option("--bins", a.options.bins, "Calibration bins")->check(integer_in(1, 1000))->capture_default_str();
  app->add_flag("--bootstrap", a.bootstrap, "95 % intervals from 1000 Poisson bootstrap resamples");
  app->add_option("--bootstrap-resamples", a.bootstrap_resamples,
                  "Bootstrap with this many resamples instead (1 to 100000; implies --bootstrap)")
      ->check(integer_in(1, 100000));
  add_seed_option(*app, a.options.seed, "Bootstrap seed");
  app->add_option("--sensitive", a.sensitive, "Binary: column for the fairness figures");
  app->add_option("--fail-if", a.fail_if, "Quality gate; repeatable (exit 4 if any fails)");
  add_threads_option(*app, a.options.threads);
  app->add_option("--html", a.html, "Write a self-contained HTML report");
  app->add_option("--md", a.md, "Write a Markdown summary (for pull-request comments)");
  a.json.add_options(*app);
  return {app, [args] { return run_eval(*args); }};
}

}  // namespace dpeval::cli
