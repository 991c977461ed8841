// dpeval train: parses the options into a run::RunRequest and runs it
// (run/pipeline.h: train, evaluate the final model, audit the data, write
// DIR/summary.json and the run report).
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>

#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/cli/config_options.h"
#include "dpeval/cli/json_output.h"
#include "dpeval/cli/options.h"
#include "dpeval/cli/progress.h"
#include "dpeval/cli/train_manifest.h"
#include "dpeval/comm/launch.h"
#include "dpeval/core/atomic_file.h"
#include "dpeval/core/document_schema.h"
#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"
#include "dpeval/core/timer.h"
#include "dpeval/data/split.h"
#include "dpeval/eval/document.h"
#include "dpeval/eval/recalibrate.h"
#include "dpeval/govern/signature.h"
#include "dpeval/nn/model_spec.h"
#include "dpeval/parallel/run_data.h"
#include "dpeval/parallel/train_checkpoint.h"
#include "dpeval/parallel/trainer.h"
#include "dpeval/perf/scale_study.h"
#include "dpeval/run/pipeline.h"

namespace dpeval::cli {
namespace {

struct TrainArgs {
  std::string out = "runs/latest";
  std::string resume;
  uint64_t max_steps = 0;
  parallel::TrainConfig config;  // the settings as parsed (cli/config_options.h)
  comm::Backend backend = comm::Backend::kThreads;
  double bucket_mb = 25;
  double comm_timeout_s = 300;
  std::string trace;
  std::string inject_fault;
  std::string manifest;
  std::string require_signature;  // a public key: the manifest must carry its signature
  std::string adv_train;          // --adv-train fgsm|pgd
  double adv_eps = 0.1, adv_step_size = 0;
  int adv_steps = 7;
  std::string audit = "on";
  std::vector<std::string> class_names;
  double baseline_samples_per_s = 0;
  std::string baseline_scale;  // a scale.json whose 1-worker run gives the baseline
  JsonOutput json;
};

// --adv-train and its settings into config (only those given, on resume:
// check_resumable_from then refuses a change). The settings without
// --adv-train are a usage error, not silently ignored.
void apply_adversarial_options(const CLI::App& app, const TrainArgs& a, parallel::TrainConfig& config,
                               bool only_given) {
  const bool given = app.get_option("--adv-train")->count() > 0;
  for (const char* flag : {"--adv-eps", "--adv-steps", "--adv-step-size"}) {
    if (app.get_option(flag)->count() > 0 && !given && config.adv_train.empty()) {
      throw UsageError(fmt::format("{} needs --adv-train fgsm or pgd", flag));
    }
  }
  if (!given && only_given) {
    if (app.get_option("--adv-eps")->count() > 0) config.adv_eps = a.adv_eps;
    if (app.get_option("--adv-steps")->count() > 0) config.adv_steps = a.adv_steps;
    if (app.get_option("--adv-step-size")->count() > 0) config.adv_step_size = a.adv_step_size;
    return;
  }
  if (!given) return;
  config.adv_train = a.adv_train;
  config.adv_eps = a.adv_eps;
  config.adv_steps = a.adv_steps;
  config.adv_step_size = a.adv_step_size;
}

// "RANK:STEP:throw|hang" (hidden --inject-fault, for drills and tests).
parallel::FaultInjection parse_fault(const std::string& text) {
  parallel::FaultInjection f;
  const size_t a = text.find(':'), b = text.find(':', a == std::string::npos ? a : a + 1);
  try {
    if (a == std::string::npos || b == std::string::npos) throw std::invalid_argument("");
    f.rank = std::stoi(text.substr(0, a));
    f.at_step = std::stoull(text.substr(a + 1, b - a - 1));
    const std::string kind = text.substr(b + 1);
    if (kind != "throw" && kind != "hang") throw std::invalid_argument("");
    f.kind = kind == "hang" ? parallel::FaultInjection::Kind::kHang : parallel::FaultInjection::Kind::kThrow;
  } catch (const std::exception&) {
    throw UsageError("--inject-fault: expected RANK:STEP:throw or RANK:STEP:hang, got '" + text + "'");
  }
  return f;
}

// True on an mpirun rank other than 0: it trains but stays quiet.
bool quiet_mpi_rank(comm::Backend backend) {
  return backend == comm::Backend::kMpi && comm::launch_from_environment().rank != 0;
}

// What a run reads and writes (Note [Outputs are not inputs]). Resuming
// replaces the checkpoint it resumes from when that is DIR/checkpoint.dpck.
CommandFiles declare_files(const TrainArgs& a, const parallel::TrainConfig& config) {
  CommandFiles files;
  const std::filesystem::path out(a.out);
  const std::filesystem::path checkpoint = out / "checkpoint.dpck";
  files.data_input("--data", config.data);
  files.input("--labels", config.labels);
  if (config.model_name.ends_with(".toml")) files.input("--model", config.model_name);
  files.input("--manifest", a.manifest);
  files.input("--baseline-scale", a.baseline_scale);
  if (!a.resume.empty() && file_identity(a.resume) != file_identity(checkpoint))
    files.input("--resume", a.resume);
  files.output("the run's checkpoint", checkpoint);
  files.output("the run's summary", out / "summary.json");
  files.output("the run's evaluation", out / "eval.json");
  files.output("the run's report", out / "report.html");
  files.output("the run's report", out / "report.md");
  if (a.audit == "on") {
    files.output("the run's audit", out / "audit.json");
    files.output("the run's audit", out / "audit.html");
  }
  files.output("--trace", a.trace);
  a.json.declare(files);
  return files;
}

// `text` as one shell word.
std::string shell_word(const std::string& text) {
  const bool plain = !text.empty() && text.find_first_not_of(
                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                          "0123456789_./:=,+-") == std::string::npos;
  if (plain) return text;
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// The command that reproduces the run, every training setting spelled out
// (defaults included, so it means the same under a later dpeval's defaults).
std::string reproduce_command(const TrainArgs& a, const parallel::TrainConfig& c) {
  const bool mpi = a.backend == comm::Backend::kMpi;
  std::string cmd = mpi ? fmt::format("mpirun -np {} dpeval train", c.workers) : "dpeval train";
  const auto add = [&](std::string_view flag, const std::string& value) {
    cmd += " ";
    cmd += flag;
    if (value.empty()) return;
    cmd += " ";
    cmd += shell_word(value);
  };
  for (const auto& [flag, value] : config_option_words(c)) add(flag, value);
  if (!a.manifest.empty()) add("--manifest", a.manifest);
  if (!c.adv_train.empty()) {
    add("--adv-train", c.adv_train);
    add("--adv-eps", fmt::format("{}", c.adv_eps));
    add("--adv-steps", fmt::format("{}", c.adv_steps));
    if (c.adv_step_size > 0) add("--adv-step-size", fmt::format("{}", c.adv_step_size));
  }
  add("--backend", std::string(enum_text(a.backend)));
  add("--bucket-mb", fmt::format("{}", a.bucket_mb));
  add("--audit", a.audit);
  if (!a.class_names.empty()) {
    std::string names;
    for (const std::string& n : a.class_names) {
      if (!names.empty()) names += ',';
      names += n;
    }
    add("--class-names", names);
  }
  if (a.baseline_samples_per_s > 0)
    add("--baseline-samples-per-s", fmt::format("{}", a.baseline_samples_per_s));
  add("--out", a.out);
  return cmd;
}

// "N samples/s (steady state)", or what the figure is when the run was too
// short for the steady-state window (see parallel/trainer.h).
std::string throughput_text(const parallel::TrainResult& r) {
  if (r.steps_run == 0) return "samples/s n/a (no training step ran)";
  if (r.steady_steps == 0) {
    return fmt::format(
        "{:.0f} samples/s over all {} steps (too few for the steady state, which skips the first {})",
        r.samples_per_s_all_steps, r.steps_run, parallel::kWarmupStepsExcluded);
  }
  return fmt::format("{:.0f} samples/s (steady state)", r.samples_per_s);
}

int run_train(const CLI::App& app, const TrainArgs& a_in) {
  comm::check_launch(a_in.backend);
  if (a_in.baseline_samples_per_s > 0 && !a_in.baseline_scale.empty()) {
    throw UsageError("--baseline-samples-per-s and --baseline-scale both give the 1-worker figure: pass one");
  }
  // --baseline-scale: the study's 1-worker samples/s, read (schema checked) before training; the
  // reproducing command then carries the number itself.
  TrainArgs resolved = a_in;
  std::optional<double> baseline_from_scale;
  if (!a_in.baseline_scale.empty()) {
    baseline_from_scale =
        perf::one_worker_samples_per_s(read_json_document(a_in.baseline_scale), a_in.baseline_scale);
    resolved.baseline_samples_per_s = *baseline_from_scale;
  }
  const TrainArgs& a = resolved;
  parallel::TrainConfig config;
  parallel::TrainRunOptions run;
  run.out_dir = a.out;
  run.max_steps = a.max_steps;
  run.backend = a.backend;
  run.bucket_mb = a.bucket_mb;
  run.comm_timeout_s = a.comm_timeout_s;
  if (!a.trace.empty()) run.trace_path = a.trace;
  if (!a.inject_fault.empty()) run.fault = parse_fault(a.inject_fault);
  // Under mpirun the world size is mpirun's -np unless --workers says it too.
  run.workers_from_backend = a.backend == comm::Backend::kMpi && app.get_option("--workers")->count() == 0;
  if (!a.resume.empty()) {
    // Resume: the checkpoint's config is the base; options given now must agree
    // with it (only --epochs may change), checked again inside train().
    config = parallel::load_train_state(a.resume).config;
    const parallel::TrainConfig saved = config;
    apply_config_options(app, a.config, config, /*only_given=*/true);
    apply_adversarial_options(app, a, config, /*only_given=*/true);
    config.check_resumable_from(saved);
    run.resume_from = a.resume;
  } else {
    apply_config_options(app, a.config, config, /*only_given=*/false);
    apply_adversarial_options(app, a, config, /*only_given=*/false);
    validate_options(config);
  }
  if (!a.require_signature.empty()) {
    if (a.manifest.empty())
      throw UsageError("--require-signature checks the --manifest's signature: give --manifest");
    govern::verify_file(a.manifest, a.require_signature);  // Note [Signed artifacts]: exit 3 when it fails
  }
  if (!a.manifest.empty()) config.manifest_hash = verify_train_manifest(a.manifest, config);
  declare_files(a, config).check();
  // Note [One run per directory] in comm/launch.h: held until the last file is written.
  const std::unique_ptr<DirLock> out_lock = comm::lock_run_dir(a.out, a.backend);

  const bool quiet = quiet_mpi_rank(a.backend);
  StderrProgress progress;
  if (!quiet) {
    run.progress = &progress;
    progress.on_message(fmt::format(
        "dpeval train: model {} on {}, {} epochs, batch {} x {} {} workers, {} lr {}, seed {} -> {}",
        config.model_name, config.data, config.epochs, config.batch,
        run.workers_from_backend ? std::string("mpirun's") : std::to_string(config.workers),
        enum_text(a.backend), enum_text(config.optimizer.kind), config.lr, config.seed, a.out));
  }
  run::RunRequest request;
  request.config = config;
  request.train = run;
  request.manifest = a.manifest;
  request.audit = a.audit == "on";
  request.class_names = a.class_names;
  if (a.baseline_samples_per_s > 0) request.baseline_samples_per_s = a.baseline_samples_per_s;
  if (baseline_from_scale) request.baseline_samples_per_s = *baseline_from_scale;
  request.command = reproduce_command(a, config);
  const run::RunOutcome outcome = run::run_training(request);
  const parallel::TrainResult& result = outcome.train;
  if (result.rank != 0) return kExitOk;  // rank 0 evaluates and writes the summary
  const std::filesystem::path out_dir(a.out);
  progress.on_message(fmt::format("final test accuracy {:.4f}, {}, peak RSS {:.0f} MB",
                                  result.epochs.empty() ? NAN : result.epochs.back().test_accuracy,
                                  throughput_text(result), parallel::peak_rss_mb()));
  const nlohmann::json& summary = outcome.summary;
  a.json.emit(summary);
  progress.on_message("checkpoint: " + result.checkpoint_path.string());
  if (result.trace_path) progress.on_message("trace:      " + result.trace_path->string());
  if (summary["evaluation"].contains("eval_json")) {
    progress.on_message("eval:       " + summary["evaluation"]["eval_json"].get<std::string>());
  }
  if (summary["audit"].contains("json"))
    progress.on_message("audit:      " + (out_dir / "audit.html").string());
  progress.on_message("summary:    " + (out_dir / "summary.json").string());
  progress.on_message("report:     " + (out_dir / "report.html").string() + " (and " +
                      (out_dir / "report.md").string() + ")");
  return kExitOk;
}

}  // namespace

Command add_train_command(CLI::App& root) {
  auto args = std::make_shared<TrainArgs>();
  TrainArgs& a = *args;
  CLI::App* app =
      root.add_subcommand("train", "Train a model, evaluating it on held-out data after every epoch");
  app->footer(R"(Examples:
  dpeval train --model mlp --data fashion-mnist --epochs 10 --out runs/mlp
  dpeval train --model cnn --data fashion-mnist --epochs 5 --batch 64 --lr 0.05 --out runs/cnn --json-out runs/cnn.json
  dpeval train --model my_model.toml --data table.csv --label-col y --optimizer adamw --lr 0.001 --out runs/t
  dpeval train --out runs/mlp --epochs 20 --resume runs/mlp/checkpoint.dpck
  dpeval train --model mlp --workers 2 --out runs/dp2 --trace runs/dp2/trace.json
  dpeval train --model mlp --workers 2 --baseline-scale runs/scale/scale.json --out runs/dp2b
  dpeval train --model cnn --workers 4 --zero 1 --lr-scaling linear --warmup-epochs 1 --out runs/z
  mpirun -np 2 dpeval train --backend mpi --model mlp --out runs/mpi   (see docs/MPI.md)

Writes DIR/checkpoint.dpck after every epoch. At the end it evaluates the final model on the
test split (metrics, calibration before and after temperature scaling, slices by the table's
categorical columns) into DIR/eval.json, audits the data into DIR/audit.json and audit.html
(--audit off to skip), writes DIR/summary.json and the run report DIR/report.html and
DIR/report.md (run, training, parallelism, data, model; `dpeval report --run DIR` rebuilds
it). See docs/EVAL.md and docs/REPORT.md.
Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input data or config.)");
  add_config_options(*app, a.config);
  app->add_option("--manifest", a.manifest,
                  "Verify the data against this manifest before training (exit 3 if not)");
  app->add_option("--adv-train", a.adv_train,
                  "Adversarial training: each batch replaced by its fgsm or pgd attack (inputs in [0, 1])")
      ->check(CLI::IsMember({"fgsm", "pgd"}));
  app->add_option("--adv-eps", a.adv_eps, "Adversarial training's L-infinity budget, in (0, 1]")
      ->check(number_in(0, 1, /*lo_open=*/true))
      ->capture_default_str();
  app->add_option("--adv-steps", a.adv_steps, "Adversarial training's PGD steps, 1 to 1000")
      ->check(integer_in(1, 1000))
      ->capture_default_str();
  app->add_option("--adv-step-size", a.adv_step_size,
                  "Adversarial training's PGD step, in (0, 1] (default 2.5 eps / steps)")
      ->check(number_in(0, 1, /*lo_open=*/true));
  app->add_option("--require-signature", a.require_signature,
                  "Ed25519 public key: the --manifest must be signed with it (MANIFEST.sig; exit 3 if not)");
  app->add_option("--out", a.out, "Output directory")->capture_default_str();
  app->add_option("--resume", a.resume, "Continue exactly from a checkpoint (DIR/checkpoint.dpck)");
  app->add_option("--max-steps", a.max_steps,
                  "Throughput runs: stop after N steps (the cut epoch is evaluated, not checkpointed)")
      ->check(integer_in(0, kMaxSteps));
  app->add_option_function<std::string>(
         "--backend", [args](const std::string& text) { args->backend = *find_enum<comm::Backend>(text); },
         "How workers talk: threads (one process) or mpi (under mpirun)")
      ->check(CLI::IsMember(enum_texts_of<comm::Backend>()))
      ->default_str("threads");
  app->add_option("--bucket-mb", a.bucket_mb,
                  "Gradient bucket cap in MiB (first bucket 1 MiB); 0: one bucket after backward, no overlap")
      ->check(number_in(0, 4096))
      ->capture_default_str();
  app->add_option("--comm-timeout-s", a.comm_timeout_s,
                  "Deadline of every collective: a lost worker fails the job after this, naming its rank")
      ->check(number_in(0.001, kMaxCommTimeoutS))
      ->capture_default_str();
  app->add_option("--trace", a.trace,
                  "Write a Chrome-trace timeline (chrome://tracing, Perfetto) to FILE.json");
  app->add_option("--audit", a.audit,
                  "Audit the data as part of the run (DIR/audit.json, audit.html): on or off")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  app->add_option("--class-names", a.class_names,
                  "The classes' names in class order, comma-separated (default: the data's: Fashion-MNIST's "
                  "ten, a table's label texts)")
      ->delimiter(',');
  app->add_option(
      "--baseline-scale", a.baseline_scale,
      "A dpeval scale result (scale.json): its 1-worker samples/s is the report's scaling baseline");
  app->add_option("--baseline-samples-per-s", a.baseline_samples_per_s,
                  "A 1-worker run's samples/s (from dpeval scale): the report's scaling efficiency")
      ->check(number_in(0, 1e12, true));
  app->add_option("--inject-fault", a.inject_fault, "")->group("");  // RANK:STEP:throw|hang, for drills
  a.json.add_options(*app);
  return {app, [app, args] { return run_train(*app, *args); }};
}

}  // namespace dpeval::cli
