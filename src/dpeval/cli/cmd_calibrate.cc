// dpeval calibrate: fits a recalibration map (temperature, Platt, isotonic) on
// one labelled prediction file and applies it to another, reporting the
// calibration of the held-out file before and after. The output CSV has the
// input's format (label, score or prob_*, then the input's other columns), so
// `dpeval eval` reads it as it reads any prediction file.
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/cli/csv_field.h"
#include "dpeval/cli/json_output.h"
#include "dpeval/cli/options.h"
#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/data/table.h"
#include "dpeval/eval/document.h"
#include "dpeval/eval/metrics.h"
#include "dpeval/eval/recalibrate.h"

namespace dpeval::cli {
namespace {

using nlohmann::json;

struct CalibrateArgs {
  std::string method = "temperature";
  std::string fit, apply, out;
  std::string task = "multiclass";
  eval::PredictionColumns columns;
  size_t bins = 15;
  JsonOutput json;
};

// The header's column names, read by the one table reader (data/table.h:
// quotes, "" escapes, BOM, CR/LF/CRLF, .tsv, .gz), to keep the columns that
// carry no prediction and to see whether logits are there.
std::vector<std::string> header_names(const std::string& path) { return data::read_table_header(path); }

bool has_prefix_column(const std::vector<std::string>& names, const std::string& prefix) {
  for (const std::string& n : names) {
    if (n == prefix + "0") return true;
  }
  return false;
}

// Columns that are not the label, the score or a prob_/logit_ column.
std::vector<std::string> other_columns(const std::vector<std::string>& names, const eval::PredictionColumns& c) {
  std::vector<std::string> keep;
  for (const std::string& n : names) {
    if (n == c.label || n == c.score || n.starts_with(c.prob_prefix) || n.starts_with(c.logit_prefix)) continue;
    keep.push_back(n);
  }
  return keep;
}

struct Loaded {
  eval::Predictions p;
  eval::ScoreScale scale = eval::ScoreScale::kProbability;
  std::span<const double> values() const {
    if (p.task == eval::Task::binary) return p.scores;
    return scale == eval::ScoreScale::kLogit ? std::span<const double>(p.logits) : std::span<const double>(p.probs);
  }
};

Loaded load(const CalibrateArgs& a, const std::string& path, bool keep_others) {
  const std::vector<std::string> names = header_names(path);
  eval::ReadOptions read;
  read.task = eval::parse_task(a.task);
  read.columns = a.columns;
  Loaded l;
  if (read.task == eval::Task::multiclass && has_prefix_column(names, a.columns.logit_prefix)) {
    read.want_logits = true;
    l.scale = eval::ScoreScale::kLogit;
  }
  if (keep_others) read.keep_columns = other_columns(names, a.columns);
  l.p = eval::read_predictions(path, read);
  return l;
}

eval::Recalibrator fit(const CalibrateArgs& a, const Loaded& l) {
  const eval::RecalibrationMethod method = eval::parse_recalibration_method(a.method);
  if (l.p.task == eval::Task::binary) return eval::fit_binary(method, l.p.labels, l.values(), l.scale);
  return eval::fit_multiclass(method, l.p.labels, l.values(), l.p.num_classes, l.scale);
}

// label, score | prob_0..prob_{K-1}, then the kept columns, as CSV text.
std::string calibrated_csv(const Loaded& l, const std::vector<double>& calibrated, const eval::PredictionColumns& c) {
  const eval::Predictions& p = l.p;
  const size_t k = p.task == eval::Task::binary ? 1 : p.num_classes;
  std::string text;
  append_csv_field(text, c.label);
  for (size_t j = 0; j < k; ++j) {
    text.push_back(',');
    append_csv_field(text, p.task == eval::Task::binary ? c.score : c.prob_prefix + std::to_string(j));
  }
  for (const eval::KeyColumn& key : p.keys) {
    text.push_back(',');
    append_csv_field(text, key.name);
  }
  text.push_back('\n');
  for (size_t i = 0; i < p.n; ++i) {
    fmt::format_to(std::back_inserter(text), "{}", p.labels[i]);
    for (size_t j = 0; j < k; ++j) fmt::format_to(std::back_inserter(text), ",{:.17g}", calibrated[i * k + j]);
    for (const eval::KeyColumn& key : p.keys) {
      text.push_back(',');
      append_csv_field(text, key.values[key.codes[i]]);
    }
    text.push_back('\n');
  }
  return text;
}

// Runs `step` on `file`'s rows; an InputError that does not name the file
// (a fit that cannot converge, one class only) is given its name.
template <typename Step>
auto on_file(const std::string& file, Step step) {
  try {
    return step();
  } catch (const InputError& e) {
    const std::string what = e.what();
    if (what.starts_with(file + ":")) throw;
    throw InputError(file + ": " + what);
  }
}

// ECE and log loss of `probs` (binary: scores) on the held-out labels.
json held_out_figures(const eval::Predictions& p, const std::vector<double>& probs, size_t bins) {
  const json calibration = eval::calibration_json(p.task, p.labels, probs, p.num_classes, bins);
  const std::optional<double> log_loss = p.task == eval::Task::binary
                                             ? eval::compute_binary(p.labels, probs).log_loss
                                             : eval::compute_multiclass(p.labels, probs, p.num_classes).log_loss;
  return {{"ece", calibration["ece"]}, {"mce", calibration["mce"]},
          {"log_loss", log_loss ? json(*log_loss) : json(nullptr)}, {"calibration", calibration}};
}

int run_calibrate(const CalibrateArgs& a) {
  if (a.task != "binary" && a.task != "multiclass") {
    throw UsageError("--task " + a.task + ": calibration is for binary or multiclass predictions");
  }
  CommandFiles files;
  files.input("--fit", a.fit);
  files.input("--apply", a.apply);
  files.output("--out", a.out);
  a.json.declare(files);
  files.check();
  const Loaded fit_set = on_file(a.fit, [&] { return load(a, a.fit, false); });
  const eval::Recalibrator recalibrator = on_file(a.fit, [&] { return fit(a, fit_set); });
  const Loaded held_out = on_file(a.apply, [&] { return load(a, a.apply, true); });
  const eval::Predictions& p = held_out.p;
  const bool binary = p.task == eval::Task::binary;
  const std::vector<double> before =
      binary ? eval::as_probabilities_binary(held_out.values(), held_out.scale)
             : eval::as_probabilities_multiclass(held_out.values(), p.num_classes, held_out.scale);
  const std::vector<double> after = on_file(a.apply, [&] {
    return binary ? recalibrator.apply_binary(held_out.values(), held_out.scale)
                  : recalibrator.apply_multiclass(held_out.values(), p.num_classes, held_out.scale);
  });
  const json b = on_file(a.apply, [&] { return held_out_figures(p, before, a.bins); });
  const json c = on_file(a.apply, [&] { return held_out_figures(p, after, a.bins); });
  const json result = {{"method", a.method},
                       {"recalibrator", recalibrator.describe()},
                       {"fit", a.fit},
                       {"apply", a.apply},
                       {"n", p.n},
                       {"out", a.out.empty() ? json(nullptr) : json(a.out)},
                       {"before", b},
                       {"after", c}};
  OutputBatch outputs;  // both outputs are replaced, or neither is
  outputs.add(a.out, [&] { return calibrated_csv(held_out, after, a.columns); });
  outputs.add(a.json.file(), [&] { return json_text(result); });
  outputs.commit();

  const auto show = [](const json& v) { return v.is_number() ? fmt::format("{:.4f}", v.get<double>()) : "null"; };
  fmt::print(stderr, "dpeval calibrate: {} fitted on {} rows of {}; on {} ({} rows): ECE {} -> {}, log loss {} -> {}\n",
             a.method, recalibrator.fit_rows, a.fit, a.apply, p.n, show(b["ece"]), show(c["ece"]),
             show(b["log_loss"]), show(c["log_loss"]));
  if (!a.out.empty()) fmt::print(stderr, "dpeval calibrate: calibrated predictions -> {}\n", a.out);
  a.json.print(result);
  return kExitOk;
}

}  // namespace

Command add_calibrate_command(CLI::App& root) {
  auto args = std::make_shared<CalibrateArgs>();
  CalibrateArgs& a = *args;
  CLI::App* app = root.add_subcommand("calibrate", "Fit a recalibration map on one prediction file, apply it to another");
  app->footer(R"(Examples:
  dpeval calibrate --method temperature --fit val.csv --apply test.csv --out calibrated.csv
  dpeval calibrate --task binary --method platt --fit val.csv --apply test.csv --out calibrated.csv --json
  dpeval calibrate --task binary --method isotonic --fit val.csv --apply test.csv --json-out report.json

Files are prediction CSVs as `dpeval eval` reads them. Multiclass files may carry logits as
logit_0..logit_{K-1} (used for temperature scaling when present; log-probabilities work as
logits too), otherwise prob_0..prob_{K-1}. Methods: temperature (one T, keeps the argmax),
platt (a sigmoid on logit(p); one-vs-rest for multiclass), isotonic (monotone PAV curve).
The output keeps the held-out file's other columns. ECE is reported before and after.
Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input.)");
  app->add_option("--method", a.method, "temperature, platt or isotonic")
      ->check(CLI::IsMember({"temperature", "platt", "isotonic"}))
      ->capture_default_str();
  app->add_option("--fit", a.fit, "Labelled predictions to fit on (a validation set)")->required();
  app->add_option("--apply", a.apply, "Labelled predictions to recalibrate and report on")->required();
  app->add_option("--out", a.out, "Write the recalibrated predictions here (atomically)");
  app->add_option("--task", a.task, "binary or multiclass")->capture_default_str();
  app->add_option("--label-col", a.columns.label, "Label column")->capture_default_str();
  app->add_option("--score-col", a.columns.score, "Binary score column")->capture_default_str();
  app->add_option("--prob-prefix", a.columns.prob_prefix, "Probability column prefix")->capture_default_str();
  app->add_option("--logit-prefix", a.columns.logit_prefix, "Logit column prefix")->capture_default_str();
  app->add_option("--bins", a.bins, "Calibration bins for ECE")->check(integer_in(1, 1000))->capture_default_str();
  a.json.add_options(*app);
  return {app, [args] { return run_calibrate(*args); }};
}

}  // namespace dpeval::cli
