// dpeval train: parses the options into a run::RunRequest and runs it
// (run/pipeline.h: train, evaluate the final model, audit the data, write
// DIR/summary.json and the run report).
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/cli/json_output.h"
#include "dpeval/cli/options.h"
#include "dpeval/cli/progress.h"
#include "dpeval/run/pipeline.h"
#include "dpeval/cli/train_manifest.h"
#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/core/hash.h"
#include "dpeval/core/timer.h"
#include "dpeval/data/split.h"
#include "dpeval/eval/document.h"
#include "dpeval/eval/recalibrate.h"
#include "dpeval/nn/model_spec.h"
#include "dpeval/parallel/launch.h"
#include "dpeval/parallel/run_data.h"
#include "dpeval/parallel/train_checkpoint.h"
#include "dpeval/parallel/trainer.h"

namespace dpeval::cli {
namespace {

struct TrainArgs {
  std::string model = "mlp";
  std::string out = "runs/latest";
  std::string resume;
  uint64_t max_steps = 0;
  parallel::TrainConfig config;
  std::string optimizer = "sgd";
  float weight_decay = 0;
  std::string backend = "threads";
  double bucket_mb = 25;
  double comm_timeout_s = 300;
  std::string trace;
  std::string inject_fault;
  std::string manifest;
  std::string audit = "on";
  std::vector<std::string> class_names;
  double baseline_samples_per_s = 0;
  JsonOutput json;
};

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
bool quiet_mpi_rank(const std::string& backend) {
  const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
  return backend == "mpi" && rank && std::string(rank) != "0";
}

// Copies options the user set explicitly onto `config`; with `only_explicit`
// false every option is applied (a fresh run).
void apply_options(const CLI::App& app, const TrainArgs& a, parallel::TrainConfig& config, bool only_explicit) {
  auto given = [&](const char* name) { return !only_explicit || app.get_option(name)->count() > 0; };
  if (given("--model")) {
    config.model_name = a.model;
    config.model_spec = nn::load_model_spec(a.model);
  }
  if (given("--data")) config.data = a.config.data;
  if (given("--label-col")) config.label_col = a.config.label_col;
  if (given("--labels")) config.labels = a.config.labels;
  if (given("--test-fraction")) config.test_fraction = a.config.test_fraction;
  if (given("--val-fraction")) config.val_fraction = a.config.val_fraction;
  if (given("--epochs")) config.epochs = a.config.epochs;
  if (given("--batch")) config.batch = a.config.batch;
  if (given("--lr")) config.lr = a.config.lr;
  if (given("--optimizer")) {
    config.optimizer.name = a.optimizer;
  }
  if (given("--momentum")) config.optimizer.momentum = a.config.optimizer.momentum;
  if (given("--nesterov")) config.optimizer.nesterov = a.config.optimizer.nesterov;
  if (app.get_option("--weight-decay")->count() > 0) {
    config.optimizer.weight_decay = a.weight_decay;
  }
  if (given("--schedule")) config.schedule.kind = a.config.schedule.kind;
  if (given("--warmup-steps")) config.schedule.warmup_steps = a.config.schedule.warmup_steps;
  if (given("--step-size")) config.schedule.step_size = a.config.schedule.step_size;
  if (given("--gamma")) config.schedule.gamma = a.config.schedule.gamma;
  if (given("--min-lr")) config.schedule.min_lr = a.config.schedule.min_lr;
  if (given("--label-smoothing")) config.label_smoothing = a.config.label_smoothing;
  if (given("--seed")) config.seed = a.config.seed;
  if (given("--eval-batch")) config.eval_batch = a.config.eval_batch;
  if (given("--workers")) config.workers = a.config.workers;
  if (given("--accumulate")) config.accumulate = a.config.accumulate;
  if (given("--zero")) config.zero = a.config.zero;
  if (given("--grad-dtype")) config.grad_dtype = a.config.grad_dtype;
  if (given("--lr-scaling")) config.lr_scaling = a.config.lr_scaling;
  if (given("--warmup-epochs")) config.warmup_epochs = a.config.warmup_epochs;
  if (given("--remainder")) config.remainder = a.config.remainder;
  if (given("--trust-coefficient")) config.optimizer.trust_coefficient = a.config.optimizer.trust_coefficient;
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
  if (!a.resume.empty() && file_identity(a.resume) != file_identity(checkpoint)) files.input("--resume", a.resume);
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
  const bool plain = !text.empty() && text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                             "0123456789_./:=,+-") == std::string::npos;
  if (plain) return text;
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// The command that reproduces the run, every training setting spelled out
// (defaults included, so it means the same under a later dpeval's defaults).
std::string reproduce_command(const TrainArgs& a, const parallel::TrainConfig& c) {
  std::string cmd = a.backend == "mpi" ? fmt::format("mpirun -np {} dpeval train", c.workers) : "dpeval train";
  const auto add = [&](std::string_view flag, const std::string& value) {
    cmd += " ";
    cmd += flag;
    cmd += " ";
    cmd += shell_word(value);
  };
  add("--model", c.model_name);
  add("--data", c.data);
  if (!c.labels.empty()) add("--labels", c.labels);
  if (c.data.ends_with(".csv") || c.data.ends_with(".tsv") || c.data.ends_with(".gz")) add("--label-col", c.label_col);
  if (!a.manifest.empty()) add("--manifest", a.manifest);
  add("--test-fraction", fmt::format("{}", c.test_fraction));
  add("--val-fraction", fmt::format("{}", c.val_fraction));
  add("--epochs", std::to_string(c.epochs));
  add("--batch", std::to_string(c.batch));
  add("--lr", fmt::format("{}", c.lr));
  add("--optimizer", c.optimizer.name);
  add("--momentum", fmt::format("{}", c.optimizer.momentum));
  if (c.optimizer.nesterov) cmd += " --nesterov";
  if (c.optimizer.weight_decay) add("--weight-decay", fmt::format("{}", *c.optimizer.weight_decay));
  add("--schedule", c.schedule.kind);
  add("--warmup-steps", std::to_string(c.schedule.warmup_steps));
  add("--step-size", std::to_string(c.schedule.step_size));
  add("--gamma", fmt::format("{}", c.schedule.gamma));
  add("--min-lr", fmt::format("{}", c.schedule.min_lr));
  add("--label-smoothing", fmt::format("{}", c.label_smoothing));
  add("--seed", std::to_string(c.seed));
  if (a.backend != "mpi") add("--workers", std::to_string(c.workers));
  add("--backend", a.backend);
  add("--accumulate", std::to_string(c.accumulate));
  add("--zero", std::to_string(c.zero));
  add("--grad-dtype", c.grad_dtype);
  add("--lr-scaling", c.lr_scaling);
  add("--warmup-epochs", fmt::format("{}", c.warmup_epochs));
  add("--remainder", c.remainder);
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
  if (a.baseline_samples_per_s > 0) add("--baseline-samples-per-s", fmt::format("{}", a.baseline_samples_per_s));
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

int run_train(const CLI::App& app, const TrainArgs& a) {
  parallel::check_launch(a.backend);
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
  run.workers_from_backend = a.backend == "mpi" && app.get_option("--workers")->count() == 0;
  if (!a.resume.empty()) {
    // Resume: the checkpoint's config is the base; options given now must agree
    // with it (only --epochs may change), checked again inside train().
    config = parallel::load_train_state(a.resume).config;
    const parallel::TrainConfig saved = config;
    apply_options(app, a, config, /*only_explicit=*/true);
    config.check_resumable_from(saved);
    run.resume_from = a.resume;
  } else {
    config = a.config;
    apply_options(app, a, config, /*only_explicit=*/false);
    validate_options(config);
  }
  if (!a.manifest.empty()) config.manifest_hash = verify_train_manifest(a.manifest, config);
  declare_files(a, config).check();
  // Note [One run per directory] in parallel/launch.h: held until the last file is written.
  const std::unique_ptr<DirLock> out_lock = parallel::lock_run_dir(a.out, a.backend);

  const bool quiet = quiet_mpi_rank(a.backend);
  StderrProgress progress;
  if (!quiet) {
    run.progress = &progress;
    progress.on_message(fmt::format(
        "dpeval train: model {} on {}, {} epochs, batch {} x {} {} workers, {} lr {}, seed {} -> {}", config.model_name,
        config.data, config.epochs, config.batch, run.workers_from_backend ? std::string("mpirun's") : std::to_string(config.workers),
        a.backend, config.optimizer.name, config.lr, config.seed, a.out));
  }
  run::RunRequest request;
  request.config = config;
  request.train = run;
  request.manifest = a.manifest;
  request.audit = a.audit == "on";
  request.class_names = a.class_names;
  if (a.baseline_samples_per_s > 0) request.baseline_samples_per_s = a.baseline_samples_per_s;
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
  if (summary["audit"].contains("json")) progress.on_message("audit:      " + (out_dir / "audit.html").string());
  progress.on_message("summary:    " + (out_dir / "summary.json").string());
  progress.on_message("report:     " + (out_dir / "report.html").string() + " (and " + (out_dir / "report.md").string() + ")");
  return kExitOk;
}

}  // namespace

Command add_train_command(CLI::App& root) {
  auto args = std::make_shared<TrainArgs>();
  TrainArgs& a = *args;
  CLI::App* app = root.add_subcommand("train", "Train a model, evaluating it on held-out data after every epoch");
  app->footer(R"(Examples:
  dpeval train --model mlp --data fashion-mnist --epochs 10 --out runs/mlp
  dpeval train --model cnn --data fashion-mnist --epochs 5 --batch 64 --lr 0.05 --out runs/cnn --json-out runs/cnn.json
  dpeval train --model my_model.toml --data table.csv --label-col y --optimizer adamw --lr 0.001 --out runs/t
  dpeval train --out runs/mlp --epochs 20 --resume runs/mlp/checkpoint.dpck
  dpeval train --model mlp --workers 2 --out runs/dp2 --trace runs/dp2/trace.json
  dpeval train --model cnn --workers 4 --zero 1 --lr-scaling linear --warmup-epochs 1 --out runs/z
  mpirun -np 2 dpeval train --backend mpi --model mlp --out runs/mpi   (see docs/MPI.md)

Writes DIR/checkpoint.dpck after every epoch. At the end it evaluates the final model on the
test split (metrics, calibration before and after temperature scaling, slices by the table's
categorical columns) into DIR/eval.json, audits the data into DIR/audit.json and audit.html
(--audit off to skip), writes DIR/summary.json and the run report DIR/report.html and
DIR/report.md (run, training, parallelism, data, model; `dpeval report --run DIR` rebuilds
it). See docs/EVAL.md and docs/REPORT.md.
Exit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input data or config.)");
  app->add_option("--model", a.model, "Model: preset 'mlp' or 'cnn', or a model .toml file")->capture_default_str();
  app->add_option("--data", a.config.data, "Dataset: 'fashion-mnist', a .csv/.tsv table, or .npy / IDX features with --labels")->capture_default_str();
  app->add_option("--label-col", a.config.label_col, "Label column of a CSV table")->capture_default_str();
  app->add_option("--labels", a.config.labels, "Labels file (.npy or IDX) for .npy or IDX features");
  app->add_option("--manifest", a.manifest, "Verify the data against this manifest before training (exit 3 if not)");
  app->add_option("--test-fraction", a.config.test_fraction, "Held-out share of a table that has no test split")
      ->check(number_in(0, 1, true, true))
      ->capture_default_str();
  app->add_option("--val-fraction", a.config.val_fraction,
                  "Share of the train split held out as the validation split (never trained on; temperature "
                  "scaling is fitted on it); 0: none")
      ->check(number_in(0, 0.5))
      ->capture_default_str();
  app->add_option("--epochs", a.config.epochs, "Number of epochs")
      ->check(integer_in(1, 100000))
      ->capture_default_str();
  app->add_option("--batch", a.config.batch, "Batch size (per worker)")
      ->check(integer_in(1, 1 << 20))
      ->capture_default_str();
  app->add_option("--lr", a.config.lr, "Base learning rate")
      ->check(number_in(0, 1000, true))
      ->capture_default_str();
  app->add_option("--optimizer", a.optimizer, "sgd, adamw or lars (layer-wise trust ratio, for large batches)")
      ->check(CLI::IsMember({"sgd", "adamw", "lars"}))
      ->capture_default_str();
  app->add_option("--momentum", a.config.optimizer.momentum, "SGD momentum")
      ->check(number_in(0, 1, false, true))
      ->capture_default_str();
  app->add_flag("--nesterov", a.config.optimizer.nesterov, "Nesterov momentum (SGD)");
  app->add_option("--weight-decay", a.weight_decay, "Weight decay (default: 0 for sgd, 0.01 for adamw)")
      ->check(number_in(0, 10));
  app->add_option("--schedule", a.config.schedule.kind, "LR schedule: constant, step or cosine")
      ->check(CLI::IsMember({"constant", "step", "cosine"}))
      ->capture_default_str();
  app->add_option("--warmup-steps", a.config.schedule.warmup_steps, "Linear LR warmup steps")
      ->check(integer_in(0, kMaxSteps))
      ->capture_default_str();
  app->add_option("--step-size", a.config.schedule.step_size, "Steps between decays (schedule step; 0 = one epoch)")
      ->check(integer_in(0, kMaxSteps))
      ->capture_default_str();
  app->add_option("--gamma", a.config.schedule.gamma, "Decay factor (schedule step)")
      ->check(number_in(0, 1, true))
      ->capture_default_str();
  app->add_option("--min-lr", a.config.schedule.min_lr, "Final LR (schedule cosine)")
      ->check(number_in(0, 1000))
      ->capture_default_str();
  app->add_option("--label-smoothing", a.config.label_smoothing, "Label smoothing in [0, 1)")
      ->check(number_in(0, 1, false, true))
      ->capture_default_str();
  add_seed_option(*app, a.config.seed, "Random seed (init, shuffling, dropout)");
  app->add_option("--eval-batch", a.config.eval_batch, "Evaluation batch size")
      ->check(integer_in(1, 1 << 20))
      ->capture_default_str();
  app->add_option("--out", a.out, "Output directory")->capture_default_str();
  app->add_option("--resume", a.resume, "Continue exactly from a checkpoint (DIR/checkpoint.dpck)");
  app->add_option("--max-steps", a.max_steps,
                  "Throughput runs: stop after N steps (the cut epoch is evaluated, not checkpointed)")
      ->check(integer_in(0, kMaxSteps));
  app->add_option("--trust-coefficient", a.config.optimizer.trust_coefficient, "LARS trust coefficient (eta)")
      ->check(number_in(0, 10, true))
      ->capture_default_str();
  app->add_option("--workers", a.config.workers, "Data-parallel workers (threads backend; mpi: mpirun's -np)")
      ->check(integer_in(1, 1024))
      ->capture_default_str();
  app->add_option("--backend", a.backend, "How workers talk: threads (one process) or mpi (under mpirun)")
      ->check(CLI::IsMember({"threads", "mpi"}))
      ->capture_default_str();
  app->add_option("--bucket-mb", a.bucket_mb,
                  "Gradient bucket cap in MiB (first bucket 1 MiB); 0: one bucket after backward, no overlap")
      ->check(number_in(0, 4096))
      ->capture_default_str();
  app->add_option("--accumulate", a.config.accumulate,
                  "Micro-batches per optimizer step (gradient accumulation; communicates on the last only)")
      ->check(integer_in(1, 4096))
      ->capture_default_str();
  app->add_option("--zero", a.config.zero, "1: ZeRO-1, optimizer state sharded across workers")
      ->check(CLI::IsMember({0, 1}))
      ->capture_default_str();
  app->add_option("--grad-dtype", a.config.grad_dtype, "Gradients on the wire: fp32, fp16 or bf16")
      ->check(CLI::IsMember({"fp32", "fp16", "bf16"}))
      ->capture_default_str();
  app->add_option("--lr-scaling", a.config.lr_scaling,
                  "linear: lr x (global batch / batch), Goyal et al.; none: lr as given")
      ->check(CLI::IsMember({"none", "linear"}))
      ->capture_default_str();
  app->add_option("--warmup-epochs", a.config.warmup_epochs,
                  "With --lr-scaling linear: ramp from lr to the scaled lr over these epochs")
      ->check(number_in(0, 100000))
      ->capture_default_str();
  app->add_option("--remainder", a.config.remainder,
                  "Rows that do not fill workers x batch: pad (repeat a few rows; default) or drop")
      ->check(CLI::IsMember({"pad", "drop"}))
      ->capture_default_str();
  app->add_option("--comm-timeout-s", a.comm_timeout_s,
                  "Deadline of every collective: a lost worker fails the job after this, naming its rank")
      ->check(number_in(0.001, kMaxCommTimeoutS))
      ->capture_default_str();
  app->add_option("--trace", a.trace, "Write a Chrome-trace timeline (chrome://tracing, Perfetto) to FILE.json");
  app->add_option("--audit", a.audit, "Audit the data as part of the run (DIR/audit.json, audit.html): on or off")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  app->add_option("--class-names", a.class_names,
                  "The classes' names in class order, comma-separated (default: the data's: Fashion-MNIST's "
                  "ten, a table's label texts)")
      ->delimiter(',');
  app->add_option("--baseline-samples-per-s", a.baseline_samples_per_s,
                  "A 1-worker run's samples/s (from dpeval scale): the report's scaling efficiency")
      ->check(number_in(0, 1e12, true));
  app->add_option("--inject-fault", a.inject_fault, "")->group("");  // RANK:STEP:throw|hang, for drills
  a.json.add_options(*app);
  return {app, [app, args] { return run_train(*app, *args); }};
}

}  // namespace dpeval::cli
