// A training run end to end; see pipeline.h.
#include "dpeval/run/pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string_view>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/document_schema.h"
#include "dpeval/core/error.h"
#include "dpeval/core/float_text.h"
#include "dpeval/core/hash.h"
#include "dpeval/core/timer.h"
#include "dpeval/eval/document.h"
#include "dpeval/eval/recalibrate.h"
#include "dpeval/govern/audit.h"
#include "dpeval/parallel/run_data.h"
#include "dpeval/parallel/train_checkpoint.h"
#include "dpeval/report/audit_html.h"
#include "dpeval/report/html.h"
#include "dpeval/report/markdown.h"
#include "dpeval/report/run_report.h"
#include "dpeval/run/checkpoint_model.h"
#include "dpeval/run/summary.h"

namespace dpeval::run {
namespace {

using nlohmann::json;

// Note [Temperature fit rows]
// Temperature scaling must be fitted on labelled rows other than the ones it
// is judged on and other than the ones the model was trained on: rows the
// model was fitted to are more often right than unseen ones, so a T fitted
// there is biased low. `dpeval train` fits T on its validation split (Note
// [Validation split] in parallel/run_data.cc: --val-fraction of the train
// split, never trained on) and judges it on the test split. With
// --val-fraction 0 there are no such rows and T is not fitted; eval.json and
// the summary say so.
constexpr size_t kEvalBins = 15;

json number_or_null(std::optional<double> v) { return v && std::isfinite(*v) ? json(*v) : json(nullptr); }

void say(const RunRequest& request, std::string_view line) {
  if (request.train.progress != nullptr) request.train.progress->on_message(line);
}

// Why the run's final model cannot be evaluated from its checkpoint, or
// nullopt when it can (the checkpoint holds the last epoch of `result`).
std::optional<std::string> why_not_evaluated(const parallel::TrainResult& result,
                                             const std::optional<parallel::TrainState>& state) {
  if (result.epochs.empty()) return "no epoch was trained";
  if (!state || state->epochs_done != result.epochs.back().epoch) {
    return "--max-steps cut the last epoch short; an incomplete epoch is not checkpointed, so the final "
           "model is not on disk to evaluate";
  }
  return std::nullopt;
}

struct Evaluation {
  json summary;                  // summary.json's "evaluation"
  std::optional<json> document;  // eval.json, when the model was evaluated
  std::vector<std::string> class_names;
};

// The final model (the checkpoint just written, bitwise the trained
// parameters) on the test split, with temperature scaling fitted on the
// validation split (Note [Temperature fit rows]).
Evaluation evaluate_final_model(const RunRequest& request, const parallel::TrainResult& result) {
  const Stopwatch clock;
  std::optional<parallel::TrainState> state;
  if (std::filesystem::exists(result.checkpoint_path))
    state = parallel::load_train_state(result.checkpoint_path);
  if (auto why = why_not_evaluated(result, state)) {
    say(request, "evaluation skipped: " + *why);
    return {{{"skipped", *why}}, std::nullopt, {}};
  }
  const parallel::TrainConfig& config = state->config;
  const parallel::RunData sets = parallel::load_run_data(config);
  if (sets.train.content_hash() != state->dataset_hash) {
    throw InputError(config.data + ": the data changed while training ran (dataset hash " +
                     hex64(state->dataset_hash) + ", now " + hex64(sets.train.content_hash()) + ")");
  }
  const auto k = static_cast<size_t>(state->num_classes);
  std::vector<std::string> names = request.class_names.empty() ? state->class_names : request.class_names;
  parallel::check_class_names(names, k, config.data);
  if (sets.test.size() == 0) {
    say(request, "evaluation skipped: the test split is empty");
    return {{{"skipped", "the test split is empty"}}, std::nullopt, names};
  }
  const std::string checkpoint = result.checkpoint_path.string();
  nn::Model model = build_checkpoint_model(*state, checkpoint);

  // The document: every categorical column of the data (CSV tables) is a slice.
  eval::EvalOptions options;
  options.bins = kEvalBins;
  options.class_names = names;
  for (const data::CategoricalColumn& column : sets.test.categorical_columns()) {
    options.slice_by.push_back(column.name);
  }
  const eval::Predictions test = model_predictions(
      model, sets.test, k,
      fmt::format("{} ({}) on the test split of {}", checkpoint, config.model_name, config.data),
      options.slice_by, config.eval_batch);
  json doc = eval::evaluate_document(test, options);

  // Temperature scaling, fitted on the validation split.
  const data::Dataset& fit_set = sets.validation;
  std::optional<double> temperature, ece_after;
  if (fit_set.size() == 0) {
    const std::string why =
        "temperature scaling not fitted: the run has no validation split (--val-fraction 0)";
    doc["warnings"].push_back(why);
    say(request, why);
  } else {
    try {
      const eval::Predictions fit =
          model_predictions(model, fit_set, k, "validation split", {}, config.eval_batch);
      using eval::RecalibrationMethod, eval::ScoreScale;
      const eval::Recalibrator recalibrator =
          k == 2 ? eval::fit_binary(RecalibrationMethod::kTemperature, fit.labels, fit.scores)
                 : eval::fit_multiclass(RecalibrationMethod::kTemperature, fit.labels, fit.probs, k,
                                        ScoreScale::kProbability);
      const std::vector<double> after =
          k == 2 ? recalibrator.apply_binary(test.scores)
                 : recalibrator.apply_multiclass(test.probs, k, ScoreScale::kProbability);
      json after_json = eval::calibration_json(test.task, test.labels, after, k, kEvalBins);
      after_json["method"] = "temperature";
      after_json["temperature"] = recalibrator.temperature;
      after_json["fit_rows"] = recalibrator.fit_rows;
      after_json["fit_rows_from"] = fmt::format(
          "the validation split: {} rows of the train split held out of training (--val-fraction {}, seed "
          "{})",
          fit_set.size(), config.val_fraction, config.seed);
      after_json["fit_nll_before"] = number_or_null(recalibrator.fit_nll_before);
      after_json["fit_nll_after"] = number_or_null(recalibrator.fit_nll_after);
      doc["calibration"]["after_recalibration"] = after_json;
      for (const std::string& w : recalibrator.warnings)
        doc["warnings"].push_back("temperature scaling: " + w);
      temperature = recalibrator.temperature;
      if (after_json["ece"].is_number()) ece_after = after_json["ece"].get<double>();
    } catch (const InputError& e) {  // e.g. one class only among the validation rows
      doc["warnings"].push_back(std::string("temperature scaling not fitted: ") + e.what());
      say(request, std::string("temperature scaling not fitted: ") + e.what());
    }
  }
  const std::optional<double> ece = doc["calibration"]["ece"].is_number()
                                        ? std::optional(doc["calibration"]["ece"].get<double>())
                                        : std::nullopt;
  say(request, fmt::format("evaluation of the final model on {} test rows: ECE {:.4f}, after temperature "
                           "scaling (T = {:.4f}, fitted on {} validation rows) {:.4f} ({:.1f} s)",
                           test.n, ece.value_or(NAN), temperature.value_or(NAN), fit_set.size(),
                           ece_after.value_or(NAN), clock.seconds()));
  const std::filesystem::path& dir = request.train.out_dir;
  json summary = {{"eval_json", (dir / "eval.json").string()},
                  {"report_html", (dir / "report.html").string()},
                  {"report_md", (dir / "report.md").string()},
                  {"test_rows", test.n},
                  {"ece", number_or_null(ece)},
                  {"ece_after_temperature", number_or_null(ece_after)},
                  {"temperature", number_or_null(temperature)},
                  {"temperature_fit",
                   {{"split", "validation"},
                    {"fraction", config.val_fraction},
                    {"seed", config.seed},
                    {"rows", fit_set.size()},
                    {"held_out_from_training", true}}}};
  return {std::move(summary), std::move(doc), std::move(names)};
}

struct Audit {
  json summary;                  // summary.json's "audit"
  std::optional<json> document;  // audit.json
  std::string html;              // audit.html
};

// The data audit (docs/AUDIT.md) of the run's data: Fashion-MNIST with its
// test split, a table or .npy/IDX features with their labels. An audit that
// cannot run on the data is recorded as skipped, with why.
Audit audit_data(const RunRequest& request) {
  if (!request.audit) return {{{"skipped", "--audit off"}}, std::nullopt, {}};
  const Stopwatch clock;
  const parallel::TrainConfig& config = request.config;
  const auto skipped = [&](const std::exception& e) -> Audit {
    say(request, std::string("data audit skipped: ") + e.what());
    return {{{"skipped", e.what()}}, std::nullopt, {}};
  };
  govern::AuditOptions options;
  options.train = config.data;
  options.train_labels = config.labels;
  options.label_col = config.label_col;
  try {
    json doc = govern::run_audit(options);
    std::string page = report::render_audit_html(doc);
    const json headline = audit_headline(doc);
    // A figure the audit did not measure (no test file, no text columns) says so, not "null".
    const auto said = [&](const char* key, const std::string& measured, const char* unmeasured) {
      return headline[key].is_null() ? std::string(unmeasured) : headline[key].dump() + measured;
    };
    say(request,
        fmt::format("data audit of {}: {}, {}, {} ({:.1f} s)", config.data,
                    said("duplicates", " duplicate rows", "duplicates not checked"),
                    said("leakage", " test rows also in train", "leakage not checked (no test file)"),
                    said("pii", " PII matches", "PII not scanned (no text columns)"), clock.seconds()));
    return {{{"json", "audit.json"}, {"html", "audit.html"}, {"headline", headline}},
            std::move(doc),
            std::move(page)};
  } catch (const InputError& e) {  // data the model trained on but the audit cannot read: say why
    return skipped(e);
  } catch (const ConfigError& e) {
    return skipped(e);
  }
}

// The CPU's model name (/proc/cpuinfo), or "unknown".
std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("model name")) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(colon + 1);
        while (!name.empty() && name.front() == ' ') name.erase(name.begin());
        return name;
      }
    }
  }
  return "unknown";
}

const json* check_member(const json& check, const char* key) {
  const auto it = check.find(key);
  return it != check.end() && !it->is_null() ? &*it : nullptr;
}

// Renders the run report (report/run_report.h) from its documents: report.html and report.md.
std::pair<std::string, std::string> render_run_report(const json& summary, const json* eval_doc,
                                                      const json* audit_doc) {
  const std::string link =
      audit_doc != nullptr && summary.contains("audit") && summary["audit"].contains("html") ? "audit.html"
                                                                                             : "";
  const report::RunReportInput input{summary, eval_doc, audit_doc, link};
  return {report::render_run_html(input), report::render_run_markdown(input)};
}

// The learning rate over the run's steps, at most kLrPoints of them evenly
// spaced (the first and the last included): [{"step", "lr"}], from the
// schedule the workers used (TrainConfig::lr_at) and the steps an epoch took;
// null when no epoch of this run recorded its steps (a run restored and not
// continued).
constexpr uint64_t kLrPoints = 200;

json lr_series(const parallel::TrainConfig& config, const parallel::TrainResult& result) {
  uint64_t steps_per_epoch = 0;  // a full epoch's; an epoch cut by --max-steps has fewer
  for (const parallel::EpochRecord& e : result.epochs)
    steps_per_epoch = std::max(steps_per_epoch, e.steps.value_or(0));
  if (steps_per_epoch == 0) return nullptr;
  const uint64_t total = steps_per_epoch * static_cast<uint64_t>(config.epochs);
  const uint64_t points = std::min(total, kLrPoints);
  json out = json::array();
  for (uint64_t i = 0; i < points; ++i) {
    const uint64_t step = points == 1 ? 0 : i * (total - 1) / (points - 1);
    out.push_back({{"step", step}, {"lr", as_typed(config.lr_at(step, steps_per_epoch, total))}});
  }
  return out;
}

}  // namespace

std::string json_file_text(const json& j) { return j.dump(2) + "\n"; }

json audit_headline(const json& audit) {
  json h = {{"rows", audit.value("rows", json(nullptr))},
            {"duplicates", nullptr},
            {"leakage", nullptr},
            {"near_duplicates", nullptr},
            {"imbalance_ratio", nullptr},
            {"pii", nullptr}};
  const auto checks = audit.find("checks");
  if (checks == audit.end() || !checks->is_array()) return h;
  int64_t pii = 0;
  bool pii_ran = false;
  for (const json& c : *checks) {
    if (!c.is_object() || !c.contains("id") || !c["id"].is_string()) continue;
    const std::string id = c["id"].get<std::string>();
    const json* count = check_member(c, "count");
    const bool ran = !c.value("skipped", false);
    if (id == "quality.duplicates" && count && ran) h["duplicates"] = *count;
    if (id == "leakage.exact" && count && ran) h["leakage"] = *count;
    if (id == "leakage.near_duplicates" && count && ran) h["near_duplicates"] = *count;
    if (id == "imbalance.classes" && ran) {
      if (const json* figures = check_member(c, "figures"); figures && figures->contains("ratio")) {
        h["imbalance_ratio"] = (*figures)["ratio"];
      } else if (const json* value = check_member(c, "value")) {
        h["imbalance_ratio"] = *value;
      }
    }
    if (id.starts_with("pii.") && ran && count && count->is_number_integer()) {
      pii += count->get<int64_t>();
      pii_ran = true;
    }
  }
  if (pii_ran) h["pii"] = pii;
  return h;
}

RunOutcome run_training(const RunRequest& request) {
  const Stopwatch wall;
  RunOutcome out;
  parallel::TrainRunOptions train_options = request.train;
  train_options.class_names = request.class_names;  // checked before step 0
  out.train = parallel::train(request.config, train_options);
  const parallel::TrainResult& result = out.train;
  if (result.rank != 0) return out;  // rank 0 evaluates and writes the run's files
  const std::filesystem::path& dir = request.train.out_dir;

  json summary = train_summary_json(result);
  if (!request.manifest.empty()) {
    summary["manifest"] = {{"path", request.manifest}, {"sha256", request.config.manifest_hash}};
  }
  Evaluation evaluation = evaluate_final_model(request, result);
  Audit audit = audit_data(request);
  summary["evaluation"] = evaluation.summary;
  summary["audit"] = audit.summary;
  summary["class_names"] = evaluation.class_names;
  summary["lr"] = lr_series(request.config, result);
  summary["command"] = request.command;
  summary["cpu"] = cpu_name();
  summary["baseline_samples_per_s"] = number_or_null(request.baseline_samples_per_s);
  summary["scaling_efficiency"] =
      request.baseline_samples_per_s && *request.baseline_samples_per_s > 0 && result.samples_per_s > 0
          ? json(result.samples_per_s / (result.world * *request.baseline_samples_per_s))
          : json(nullptr);
  summary["wall_seconds"] = wall.seconds();

  const auto [page, markdown] =
      render_run_report(summary, evaluation.document ? &*evaluation.document : nullptr,
                        audit.document ? &*audit.document : nullptr);
  const std::string summary_text = json_file_text(summary);
  const std::string eval_text = evaluation.document ? json_file_text(*evaluation.document) : std::string();
  const std::string audit_text = audit.document ? json_file_text(*audit.document) : std::string();
  std::vector<FileText> files = {{dir / "summary.json", summary_text}};
  if (evaluation.document) files.push_back({dir / "eval.json", eval_text});
  if (audit.document) {
    files.push_back({dir / "audit.json", audit_text});
    files.push_back({dir / "audit.html", audit.html});
  }
  files.push_back({dir / "report.html", page});
  files.push_back({dir / "report.md", markdown});
  write_files_atomic(files);  // all of them, or none
  out.summary = std::move(summary);
  return out;
}

void write_run_report(const std::filesystem::path& dir) {
  const json summary = read_json_document(dir / "summary.json");
  check_document_schema(summary, kSummarySchema, (dir / "summary.json").string());
  std::optional<json> eval_doc, audit_doc;
  if (summary.contains("evaluation") && summary["evaluation"].is_object() &&
      !summary["evaluation"].contains("skipped")) {
    eval_doc = read_json_document(dir / "eval.json");
    check_document_schema(*eval_doc, eval::kEvalSchema, (dir / "eval.json").string());
  }
  if (summary.contains("audit") && summary["audit"].is_object() && !summary["audit"].contains("skipped")) {
    audit_doc = read_json_document(dir / "audit.json");
    check_document_schema(*audit_doc, govern::kAuditSchema, (dir / "audit.json").string());
  }
  const auto [page, markdown] =
      render_run_report(summary, eval_doc ? &*eval_doc : nullptr, audit_doc ? &*audit_doc : nullptr);
  const FileText files[] = {{dir / "report.html", page}, {dir / "report.md", markdown}};
  write_files_atomic(files);
}

}  // namespace dpeval::run
