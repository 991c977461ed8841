// dpeval profile and dpeval drift: a reference profile of a dataset, and
// whether current data still looks like the reference (docs/DRIFT.md).
#include <fmt/format.h>

#include <future>
#include <memory>
#include <optional>

#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/cli/json_output.h"
#include "dpeval/cli/options.h"
#include "dpeval/core/error.h"
#include "dpeval/eval/calibration.h"
#include "dpeval/eval/gates.h"
#include "dpeval/eval/recalibrate.h"
#include "dpeval/kernels/kernels.h"
#include "dpeval/monitor/drift.h"
#include "dpeval/report/drift_report.h"
#include "dpeval/run/checkpoint_model.h"

namespace dpeval::cli {
namespace {

// fashion-mnist-test lives in fashion-mnist's directory.
void declare_source(CommandFiles& files, std::string_view option, const std::string& spec) {
  files.data_input(option, spec == "fashion-mnist-test" ? std::string("fashion-mnist") : spec);
}

// How both commands read a source into a profile.
monitor::ProfileOptions profile_options(const std::vector<std::string>& categorical,
                                        const std::string& label_col, const std::string& prediction_col,
                                        uint64_t seed) {
  monitor::ProfileOptions po;
  po.categorical = categorical;
  po.label_col = label_col;
  po.prediction_col = prediction_col;
  po.seed = seed;
  return po;
}

struct ProfileArgs {
  std::string data;
  std::string checkpoint;
  std::string label_col;
  std::string prediction_col;
  std::vector<std::string> categorical;
  std::string out;
  uint64_t seed = 0;
  size_t threads = 0;
  JsonOutput json;
};

// The reference predictions of a checkpoint on the profiled rows: per class
// the share predicted and the mean probability, accuracy, ECE (15 bins) and
// the fitted temperature; and one prob_<k> column per class in `data`, so that
// a current predictions file (dpeval predict's prob_* columns) is compared
// against them as prediction drift.
nlohmann::json reference_predictions(const std::string& checkpoint, const std::string& spec,
                                     const std::string& label_col, monitor::SourceData& data) {
  run::LoadedCheckpoint loaded =
      run::load_checkpoint(checkpoint, data.is_image() ? "" : spec, "train", label_col);
  const size_t k = static_cast<size_t>(loaded.state.num_classes);
  // Images: the profiled images themselves. A table: the rows the model reads
  // from it (the run's own file: its train split), which may be fewer than
  // the profiled rows; each column of a profile stands on its own rows.
  const data::Dataset& rows = data.is_image() ? data.images : loaded.dataset;
  const bool labelled = data.kind != monitor::SourceKind::kNpy;  // an image array has no labels
  if (static_cast<size_t>(rows.sample_numel()) != static_cast<size_t>(loaded.dataset.sample_numel())) {
    throw InputError(fmt::format("{}: rows of {} values; the checkpoint's model reads {}", spec,
                                 rows.sample_numel(), loaded.dataset.sample_numel()));
  }
  const eval::Predictions p = run::model_predictions(loaded.model, rows, k, checkpoint, {});
  const size_t n = p.n;
  std::vector<double> probs(n * k);
  for (size_t i = 0; i < n; ++i) {
    for (size_t c = 0; c < k; ++c)
      probs[i * k + c] = k == 2 ? (c == 1 ? p.scores[i] : 1 - p.scores[i]) : p.probs[i * k + c];
  }
  std::vector<double> predicted_share(k, 0.0), mean_prob(k, 0.0), confidence(n);
  std::vector<uint8_t> correct(n);
  std::vector<int64_t> labels(n);
  size_t right = 0;
  for (size_t i = 0; i < n; ++i) {
    size_t best = 0;
    for (size_t c = 0; c < k; ++c) {
      mean_prob[c] += probs[i * k + c] / static_cast<double>(n);
      if (probs[i * k + c] > probs[i * k + best]) best = c;
    }
    predicted_share[best] += 1;
    labels[i] = static_cast<int64_t>(p.labels[i]);
    correct[i] = static_cast<size_t>(labels[i]) == best;
    right += correct[i];
    confidence[i] = probs[i * k + best];
  }
  for (double& share : predicted_share) share /= static_cast<double>(n);
  eval::CalibrationOptions co;
  co.bins = 15;
  nlohmann::json accuracy = nullptr, ece = nullptr, temperature = nullptr;
  if (labelled) {
    const eval::Calibration cal = eval::compute_calibration(correct, confidence, co);
    accuracy = static_cast<double>(right) / static_cast<double>(n);
    if (cal.ece) ece = *cal.ece;
    temperature = eval::fit_multiclass(eval::RecalibrationMethod::kTemperature, labels, probs, k,
                                       eval::ScoreScale::kProbability)
                      .temperature;
  }
  for (size_t c = 0; c < k; ++c) {
    monitor::ColumnValues col;
    col.name = fmt::format("prob_{}", c);
    for (size_t i = 0; i < n; ++i) col.numbers.push_back(probs[i * k + c] + 0.0);
    col.first_number_line = 1;
    monitor::sort_values(col.numbers);
    data.columns.push_back(std::move(col));
  }
  return {
      {"checkpoint", checkpoint},
      {"rows", n},
      {"num_classes", k},
      {"class_names", loaded.dataset.class_names()},
      {"predicted_share", predicted_share},
      {"mean_probability", mean_prob},
      {"accuracy", accuracy},
      {"ece", ece},
      {"ece_bins", co.bins},
      {"temperature", temperature},
      {"labels", labelled ? "the data's" : "none (an image array): accuracy, ECE and temperature are null"}};
}

int run_profile(ProfileArgs& a) {
  kernels::blas_stop_threads();  // every core is the profile's
  CommandFiles files;
  declare_source(files, "--data", a.data);
  files.input("--checkpoint", a.checkpoint);
  files.output("--out", a.out);
  a.json.declare(files);
  files.check();
  monitor::ReadOptions read;
  read.threads = a.threads;
  const monitor::ProfileOptions po = profile_options(a.categorical, a.label_col, a.prediction_col, a.seed);
  monitor::SourceData data = monitor::read_source(a.data, read);
  std::optional<nlohmann::json> model;
  if (!a.checkpoint.empty()) model = reference_predictions(a.checkpoint, a.data, a.label_col, data);
  monitor::Profile profile = monitor::build_profile(std::move(data), po);
  profile.model = model;
  const nlohmann::json doc = monitor::profile_to_json(profile);
  // The summary (--json) leaves out the values: the profile file has them.
  nlohmann::json summary = {
      {"schema", doc["schema"]}, {"out", a.out}, {"source", doc["source"]}, {"rows", doc["rows"]}};
  nlohmann::json cols = nlohmann::json::array();
  for (const monitor::ColumnProfile& c : profile.columns) {
    cols.push_back({{"name", c.name},
                    {"role", enum_text(c.role)},
                    {"numeric", c.numeric},
                    {"count", c.count},
                    {"missing", c.missing},
                    {"distinct", c.distinct},
                    {"sampled", c.sampled}});
  }
  summary["columns"] = cols;
  OutputBatch outputs;
  outputs.add(a.out, [&] { return doc.dump() + "\n"; });
  outputs.add(a.json.file(), [&] { return json_text(summary); });
  outputs.commit();
  a.json.print(summary);
  if (!a.json.prints_to_stdout()) {
    fmt::print("profile of {} ({} rows, {} columns) written to {}\n", profile.source, profile.rows,
               profile.columns.size(), a.out);
  }
  return kExitOk;
}

struct DriftArgs {
  std::string reference;
  std::string current;
  std::vector<std::string> columns;
  bool predictions_only = false;
  std::vector<std::string> categorical;
  std::string label_col;
  std::string prediction_col;
  std::string method = "auto";
  double threshold = -1;  // unset
  double drift_share = 0.5;
  uint64_t seed = 0;
  size_t threads = 0;
  std::vector<std::string> fail_if;
  std::string html;
  std::string md;
  JsonOutput json;
};

void print_drift_summary(const nlohmann::json& doc) {
  fmt::print(
      "drift of {} ({} rows) against {} ({} rows): {} of {} columns drifted (share {:.3g}); dataset drift: "
      "{}\n",
      doc["current"]["source"].get<std::string>(), doc["n_current"].get<uint64_t>(),
      doc["reference"]["source"].get<std::string>(), doc["n_reference"].get<uint64_t>(),
      doc["n_drifted"].get<size_t>(), doc["n_columns"].get<size_t>(), doc["share_drifted"].get<double>(),
      doc["dataset_drift"].get<bool>() ? "yes" : "no");
  auto line = [](const nlohmann::json& e) {
    fmt::print("  {:<6} {:<24} {:<12} {:<12} statistic {:<10} p {:<10} threshold {}\n",
               e["drift"].get<bool>() ? "DRIFT" : "ok", e["name"].get<std::string>(),
               e["kind"].get<std::string>(), e["method"].get<std::string>(), e["statistic"].dump(),
               e["p_value"].dump(), e["threshold"].dump());
  };
  for (const auto& e : doc["columns"]) line(e);
  if (doc["label"].is_object()) line(doc["label"]);
  for (const auto& e : doc["predictions"]) line(e);
  if (doc["model_drift"].is_object()) {
    const auto& m = doc["model_drift"];
    fmt::print("  domain classifier: AUC {:.4f} [{:.4f}, {:.4f}] vs threshold {}: {}\n",
               m["auc"].get<double>(), m["auc_ci"][0].get<double>(), m["auc_ci"][1].get<double>(),
               m["threshold"].dump(), m["drift"].get<bool>() ? "DRIFT" : "ok");
  }
  for (const auto& gate : doc.value("gates", nlohmann::json::array())) {
    fmt::print("  gate {} {} (value {})\n", gate["passed"].get<bool>() ? "PASS" : "FAIL",
               gate["expression"].get<std::string>(), gate["value"].dump());
  }
}

int run_drift(DriftArgs& a) {
  kernels::blas_stop_threads();                                // every core is drift's
  for (const std::string& g : a.fail_if) eval::parse_gate(g);  // a typo is a usage error before any work
  monitor::DriftOptions o;
  const std::optional<monitor::DriftMethod> method = find_enum<monitor::DriftMethod>(a.method);
  if (!method) {
    throw UsageError(
        fmt::format("--method '{}': expected {}", a.method, enum_choices<monitor::DriftMethod>()));
  }
  o.method = *method;
  if (a.threshold >= 0) {
    if (o.method == monitor::DriftMethod::kDomainClassifier) {
      if (!(a.threshold >= 0.5 && a.threshold < 1)) {
        throw UsageError(
            fmt::format("--threshold {}: the domain classifier's AUC threshold is in [0.5, 1)", a.threshold));
      }
      o.domain_threshold = a.threshold;
    } else {
      o.threshold = a.threshold;
    }
  }
  o.drift_share = a.drift_share;
  o.columns = a.columns;
  o.predictions_only = a.predictions_only;
  if (a.predictions_only && !a.columns.empty())
    throw UsageError("--predictions-only and --columns exclude each other");
  o.categorical = a.categorical;
  o.label_col = a.label_col;
  o.prediction_col = a.prediction_col;
  o.seed = a.seed;
  o.threads = a.threads;
  const bool reference_is_profile = monitor::looks_like_profile_path(a.reference);
  if (monitor::looks_like_profile_path(a.current)) {
    throw UsageError("--current " + a.current +
                     ": a profile can only be the reference; give the current data itself");
  }
  CommandFiles files;
  if (reference_is_profile) {
    files.input("--reference", a.reference);
  } else {
    declare_source(files, "--reference", a.reference);
  }
  declare_source(files, "--current", a.current);
  files.output("--html", a.html);
  files.output("--md", a.md);
  a.json.declare(files);
  files.check();

  monitor::ReadOptions read;
  read.threads = a.threads;
  const monitor::ProfileOptions po = profile_options(a.categorical, a.label_col, a.prediction_col, a.seed);
  monitor::Profile reference;
  data::Dataset reference_images;
  // The two sides are read side by side (each in parallel parts), so that one
  // side's sort overlaps the other's parse. A reference error is still the one
  // reported first.
  std::future<monitor::SourceData> current_read =
      std::async(std::launch::async, [&] { return monitor::read_source(a.current, read); });
  if (reference_is_profile) {
    reference = monitor::read_profile(a.reference);
    reference_images = reference.images;  // Note [Profile images]
    monitor::declare_categorical(reference, a.categorical, a.label_col);
  } else {
    monitor::SourceData data = monitor::read_source(a.reference, read);
    reference_images = data.images;
    reference = monitor::build_profile(std::move(data), po);
  }
  monitor::SourceData current_data = current_read.get();
  data::Dataset current_images = current_data.images;
  const monitor::ProfileOptions current_po = monitor::current_profile_options(reference, current_data, po);
  const monitor::Profile current = monitor::build_profile(std::move(current_data), current_po);
  nlohmann::json doc = monitor::drift_document(reference, current, o, &reference_images, &current_images);
  const std::vector<eval::GateResult> gates = monitor::evaluate_drift_gates(doc, a.fail_if);
  if (!a.fail_if.empty()) doc["gates"] = eval::gates_to_json(gates);
  OutputBatch outputs;  // every output is replaced, or none is
  outputs.add(a.html, [&] { return report::render_drift_html(doc); });
  outputs.add(a.md, [&] { return report::render_drift_markdown(doc); });
  outputs.add(a.json.file(), [&] { return json_text(doc); });
  outputs.commit();
  a.json.print(doc);
  if (!a.json.prints_to_stdout()) print_drift_summary(doc);
  size_t failed = 0;
  for (const eval::GateResult& g : gates) failed += g.passed ? 0 : 1;
  if (failed > 0) {
    fmt::print(stderr, "dpeval drift: {} of {} gates failed\n", failed, gates.size());
    return kExitGateFailed;
  }
  return kExitOk;
}

}  // namespace

Command add_profile_command(CLI::App& root) {
  auto args = std::make_shared<ProfileArgs>();
  ProfileArgs& a = *args;
  CLI::App* app =
      root.add_subcommand("profile", "Write a reference profile of a dataset for later drift checks");
  app->footer(R"(Examples:
  dpeval profile --data train.csv --label-col y --out ref.profile.json
  dpeval profile --data fashion-mnist --out fmnist.profile.json
  dpeval drift --reference ref.profile.json --current new.csv --json

The profile ("schema": "dpeval.profile/1") holds per column its counts, decile edges and bin counts,
category counts and the sorted values KS and Wasserstein need (all of them up to 1,000,000 per
column, above that a seeded sample), and the source's SHA-256. Drift against a profile equals drift
against the file it was made from. See docs/DRIFT.md.
Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input.)");
  app->add_option("--data", a.data, "A .csv/.tsv[.gz] table, an .npy image array, or fashion-mnist")
      ->required();
  app->add_option("--label-col", a.label_col, "The label column (profiled as categories, role label)");
  app->add_option("--prediction-col", a.prediction_col,
                  "A prediction column (prob_* columns are predictions too)");
  app->add_option(
      "--checkpoint", a.checkpoint,
      "Also the model's reference predictions on --data: prob_<k> columns, accuracy, ECE, temperature");
  app->add_option("--categorical", a.categorical, "Columns to treat as categories whatever their cells")
      ->delimiter(',');
  app->add_option("--out", a.out, "The profile file to write (.json)")->required();
  add_seed_option(*app, a.seed, "Seed of the sample kept above 1,000,000 values");
  add_threads_option(*app, a.threads);
  a.json.add_options(*app);
  return {app, [args] {
            if (!monitor::looks_like_profile_path(args->out)) {
              throw UsageError("--out " + args->out + ": a profile is a .json file");
            }
            return run_profile(*args);
          }};
}

Command add_drift_command(CLI::App& root) {
  auto args = std::make_shared<DriftArgs>();
  DriftArgs& a = *args;
  CLI::App* app = root.add_subcommand(
      "drift", "Does the current data still look like the reference? Per column and overall");
  app->footer(R"(Examples:
  dpeval drift --reference train.csv --current today.csv --json-out drift.json --html drift.html
  dpeval drift --reference ref.profile.json --current today.csv --fail-if "share_drifted > 0.3"
  dpeval drift --reference fashion-mnist --current new_images.npy --fail-if "dataset_drift == 1"

Sources: .csv/.tsv[.gz], a profile .json (reference only), fashion-mnist (train split),
fashion-mnist-test, or an .npy image array (N x 28 x 28 or N x 784, uint8 or float in [0, 1]).
Default method per column as Evidently 0.2-0.4 chooses it: reference <= 1000 values: numeric ks,
categorical chisquare, binary z (drift when p < 0.05); more: numeric wasserstein (normed, >= 0.1),
categorical js (>= 0.1). Images add a domain classifier (drift when its AUC > 0.55).
Gates: dataset_drift, share_drifted, n_drifted, n_columns, auc, <figure>.<column> (psi.income,
p_value.age, drift.x, wasserstein_normed.x, ...); op one of < <= > >= == !=. See docs/DRIFT.md.
Exit codes: 0 ok, 1 runtime failure, 2 usage error (also an unknown gate name), 3 bad input,
4 a gate failed.)");
  app->add_option("--reference", a.reference, "Reference data or a profile (.json)")->required();
  app->add_option("--current", a.current, "Current data")->required();
  app->add_option("--columns", a.columns, "Only these columns (default: every feature column)")
      ->delimiter(',');
  app->add_flag("--predictions-only", a.predictions_only,
                "No feature columns: only label and prediction drift (a dpeval predict file as --current)");
  app->add_option("--categorical", a.categorical, "Columns to treat as categories whatever their cells")
      ->delimiter(',');
  app->add_option("--label-col", a.label_col, "The label column: label drift, reported on its own");
  app->add_option("--prediction-col", a.prediction_col,
                  "A prediction column: prediction drift, on its own (prob_* columns are predictions too)");
  app->add_option("--method", a.method,
                  "auto, ks, wasserstein, psi, js, chisquare, z, kl or domain-classifier")
      ->capture_default_str();
  app->add_option("--threshold", a.threshold,
                  "Every column's threshold (p-value methods: drift when p < it; distances: when >= it; "
                  "domain-classifier: AUC above it)")
      ->check(number_in(0, 1e6));
  app->add_option("--drift-share", a.drift_share, "Dataset drift when this share of columns drifted")
      ->check(number_in(0, 1, true, false))
      ->capture_default_str();
  add_seed_option(*app, a.seed,
                  "Seed of the domain classifier and of the reference sample above 1,000,000 values");
  add_threads_option(*app, a.threads);
  app->add_option("--fail-if", a.fail_if, "Gate; repeatable (exit 4 if any fails)");
  app->add_option("--html", a.html, "Write a self-contained HTML report");
  app->add_option("--md", a.md, "Write a Markdown report");
  a.json.add_options(*app);
  return {app, [args] { return run_drift(*args); }};
}

}  // namespace dpeval::cli
