// dpeval scale: the scaling study. Runs the same training at each worker
// count (threads: in this process; mpi: a child `mpirun -np N dpeval train`),
// reads each run's summary, and writes DIR/scale.json with throughput,
// efficiency, time to target, cost per epoch and a recommendation
// (perf/scale_study.h does the arithmetic). Run N writes into DIR/w<N>.
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dpeval/cli/command_files.h"
#include "dpeval/cli/commands.h"
#include "dpeval/cli/config_options.h"
#include "dpeval/cli/json_output.h"
#include "dpeval/cli/options.h"
#include "dpeval/cli/progress.h"
#include "dpeval/core/atomic_file.h"
#include "dpeval/core/document_schema.h"
#include "dpeval/core/error.h"
#include "dpeval/nn/model_spec.h"
#include "dpeval/parallel/trainer.h"
#include "dpeval/perf/scale_study.h"
#include "dpeval/run/summary.h"

extern char** environ;

namespace dpeval::cli {
namespace {

namespace fs = std::filesystem;

// The training settings a study takes (cli/config_options.h); the rest keep their defaults.
constexpr std::string_view kScaleSettings[] = {"--model",     "--data",          "--epochs", "--label-col",
                                               "--labels",    "--test-fraction", "--batch",  "--lr",
                                               "--optimizer", "--seed"};

struct ScaleArgs {
  std::string workers = "1,2,4";
  std::string backend = "threads";
  double target_accuracy = 0;
  double price_per_core_hour = 0;
  std::string out = "runs/scale";
  uint64_t max_steps = 0;
  double bucket_mb = 25;
  double comm_timeout_s = 300;
  parallel::TrainConfig config;  // the kScaleSettings as parsed
  JsonOutput json;
};

// Training options handed on unchanged (the user's own text) to each mpi child.
constexpr const char* kPassThrough[] = {
    "--label-col", "--labels",        "--lr",        "--optimizer",      "--seed",
    "--batch",     "--test-fraction", "--bucket-mb", "--comm-timeout-s", "--max-steps"};

// Runs argv (argv[0] looked up on PATH) with its stdout sent to our stderr, so
// that `scale --json` keeps stdout for the scale object; returns the wait status.
int spawn_and_wait(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw Error(fmt::format("scale: cannot start {}: {}{}", args[0], std::strerror(rc),
                            rc == ENOENT ? " (is OpenMPI installed? Debian: openmpi-bin)" : ""));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error(fmt::format("scale: waiting for {}: {}", args[0], std::strerror(errno)));
  }
  return status;
}

std::string join(const std::vector<std::string>& args) {
  std::string text;
  for (const std::string& a : args) text += (text.empty() ? "" : " ") + a;
  return text;
}

// One run under mpirun; returns the summary the child wrote.
nlohmann::json run_mpi(const CLI::App& app, const ScaleArgs& a, int workers, unsigned cores,
                       const fs::path& dir) {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("scale: cannot find this executable (/proc/self/exe): " + ec.message());
  std::vector<std::string> args = {"mpirun", "-np", std::to_string(workers)};
  if (cores > 0 && static_cast<unsigned>(workers) > cores) args.push_back("--oversubscribe");
  if (::geteuid() == 0) args.push_back("--allow-run-as-root");
  args.insert(args.end(),
              {self.string(), "train", "--backend", "mpi", "--workers", std::to_string(workers), "--model",
               a.config.model_name, "--data", a.config.data, "--epochs", std::to_string(a.config.epochs)});
  for (const char* name : kPassThrough) {
    const CLI::Option* option = app.get_option(name);
    if (option->count() > 0) args.insert(args.end(), {name, option->results().back()});
  }
  const fs::path json_path = dir / "run.json";
  args.insert(args.end(), {"--out", dir.string(), "--json-out", json_path.string()});
  const int status = spawn_and_wait(args);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = WIFEXITED(status) ? fmt::format("exited with status {}", WEXITSTATUS(status))
                                              : fmt::format("was killed by signal {}", WTERMSIG(status));
    throw Error(
        fmt::format("scale: the {}-worker run failed: mpirun {} (command: {})", workers, how, join(args)));
  }
  return read_json_document(json_path);
}

void validate(const CLI::App& app, const ScaleArgs& a) {
  if (app.get_option("--target-accuracy")->count() > 0 &&
      !(a.target_accuracy > 0 && a.target_accuracy <= 1)) {
    throw UsageError(
        fmt::format("--target-accuracy: expected a number in (0, 1], got {}", a.target_accuracy));
  }
  if (app.get_option("--price-per-core-hour")->count() > 0 &&
      !(std::isfinite(a.price_per_core_hour) && a.price_per_core_hour >= 0)) {
    throw UsageError(
        fmt::format("--price-per-core-hour: expected a number >= 0, got {}", a.price_per_core_hour));
  }
}

int run_scale(const CLI::App& app, const ScaleArgs& a) {
  const std::optional<std::vector<int>> counts = perf::parse_worker_counts(a.workers);
  if (!counts) {
    throw UsageError("--workers: expected a comma-separated list of positive integers like 1,2,4, got '" +
                     a.workers + "'");
  }
  validate(app, a);
  const comm::Backend backend = parse_enum<comm::Backend>(a.backend, "--backend");
  perf::ScaleStudyOptions options;
  options.model = a.config.model_name;
  options.data = a.config.data;
  options.backend = a.backend;
  options.epochs = a.config.epochs;
  if (app.get_option("--target-accuracy")->count() > 0) options.target_accuracy = a.target_accuracy;
  if (app.get_option("--price-per-core-hour")->count() > 0)
    options.price_per_core_hour = a.price_per_core_hour;
  options.cores = std::thread::hardware_concurrency();

  // Everything that can be checked before the first (long) run is checked now.
  parallel::TrainConfig config;
  apply_config_options(app, a.config, config, /*only_given=*/false);
  for (int n : *counts) {
    config.workers = n;
    validate_options(config);
  }
  const fs::path out = a.out;
  CommandFiles files;
  files.data_input("--data", a.config.data);
  files.input("--labels", a.config.labels);
  if (config.model_name.ends_with(".toml")) files.input("--model", config.model_name);
  files.output("the study's scale.json", out / "scale.json");
  for (int n : *counts) {
    const fs::path dir = out / ("w" + std::to_string(n));
    files.output("a run's checkpoint", dir / "checkpoint.dpck");
    files.output("a run's summary", dir / (backend == comm::Backend::kMpi ? "run.json" : "summary.json"));
  }
  a.json.declare(files);
  files.check();
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec)
    throw IoError(fmt::format("{}: cannot create the output directory: {}", out.string(), ec.message()));

  StderrProgress progress;
  std::vector<int> over;
  for (int n : *counts) {
    if (options.cores > 0 && static_cast<unsigned>(n) > options.cores) over.push_back(n);
  }
  if (!over.empty()) {
    std::string list;
    for (int n : over) list += (list.empty() ? "" : ", ") + std::to_string(n);
    const bool one = over.size() == 1;
    progress.on_message(fmt::format(
        "dpeval scale: warning: worker count{} {} exceed{} the {} hardware threads here: {} "
        "oversubscribed",
        one ? "" : "s", list, one ? "s" : "", options.cores, one ? "that run is" : "those runs are"));
  }

  std::vector<perf::ScaleRun> runs;
  for (size_t i = 0; i < counts->size(); ++i) {
    const int n = (*counts)[i];
    const fs::path dir = out / ("w" + std::to_string(n));
    fs::create_directories(dir, ec);
    if (ec)
      throw IoError(fmt::format("{}: cannot create the output directory: {}", dir.string(), ec.message()));
    config.workers = n;
    progress.on_message(
        fmt::format("dpeval scale: run {}/{}: {} worker{} ({} backend), model {} on {}, {} epochs, "
                    "batch {} x {} -> {}",
                    i + 1, counts->size(), n, n == 1 ? "" : "s", a.backend, config.model_name, config.data,
                    config.epochs, config.batch, n, dir.string()));
    if (backend == comm::Backend::kMpi) {
      // The run's summary comes from another process: read back, its version checked.
      const nlohmann::json summary = run_mpi(app, a, n, options.cores, dir);
      runs.push_back(
          perf::scale_run_from(run::read_run_summary(summary, (dir / "run.json").string()), dir.string()));
    } else {
      parallel::TrainRunOptions run;
      run.backend = comm::Backend::kThreads;
      run.out_dir = dir;
      run.max_steps = a.max_steps;
      run.bucket_mb = a.bucket_mb;
      run.comm_timeout_s = a.comm_timeout_s;
      run.progress = &progress;
      const run::RunSummary summary = run::summarize(parallel::train(config, run));
      write_file_atomic(dir / "summary.json", json_text(run::run_summary_json(summary)));
      runs.push_back(perf::scale_run_from(summary, dir.string()));
    }
  }

  const perf::ScaleStudy study = perf::analyze_scale_study(std::move(runs), options);
  const nlohmann::json result = perf::scale_study_json(study);
  const fs::path scale_path = out / "scale.json";
  write_file_atomic(scale_path, json_text(result));
  a.json.emit(result);
  progress.on_message("");
  std::string table = perf::scale_study_table(study);
  if (!table.empty() && table.back() == '\n') table.pop_back();
  progress.on_message(table);
  for (const std::string& w : study.warnings) progress.on_message("dpeval scale: warning: " + w);
  progress.on_message("recommendation: " + study.recommendation);
  progress.on_message("scale study: " + scale_path.string());
  return kExitOk;
}

}  // namespace

Command add_scale_command(CLI::App& root) {
  auto args = std::make_shared<ScaleArgs>();
  ScaleArgs& a = *args;
  CLI::App* app =
      root.add_subcommand("scale", "Scaling study: train at several worker counts, recommend one");
  app->footer(R"(Examples:
  dpeval scale --model mlp --data fashion-mnist --workers 1,2 --epochs 1 --out runs/scale
  dpeval scale --model cnn --workers 1,2,4 --epochs 5 --target-accuracy 0.88 --price-per-core-hour 0.05 --out runs/s
  dpeval scale --model mlp --workers 1,2,4,8 --backend mpi --epochs 3 --out runs/smpi --json-out runs/smpi.json
  dpeval scale --model my_model.toml --data table.csv --label-col y --workers 1,2 --max-steps 200 --out runs/t --json

Runs the same training once per worker count into DIR/w<N> (threads: in this
process; mpi: `mpirun -np N dpeval train --backend mpi ...`), then writes
DIR/scale.json: per count samples/s, efficiency (vs 1 worker, or the smallest
count measured), step time and its breakdown, time to the target accuracy,
seconds and cost per epoch; and the recommended count: the smallest whose time
to target (without a target: seconds per epoch) is within 5 % of the best.
Exit codes: 0 ok, 1 runtime failure (a run failed), 2 usage error, 3 bad input data or config.)");
  add_config_options(*app, a.config, kScaleSettings);
  app->add_option("--workers", a.workers, "Worker counts to measure, comma-separated (e.g. 1,2,4)")
      ->capture_default_str();
  app->add_option("--backend", a.backend,
                  "threads (workers in this process) or mpi (one mpirun job per count)")
      ->check(CLI::IsMember({"threads", "mpi"}))
      ->capture_default_str();
  app->add_option("--target-accuracy", a.target_accuracy,
                  "Test accuracy in (0, 1] for time-to-target (and the recommendation)")
      ->check(number_in(0, 1, true));
  app->add_option("--price-per-core-hour", a.price_per_core_hour,
                  "Price of one core for an hour: adds cost per epoch")
      ->check(number_in(0, 1e6));
  app->add_option("--out", a.out, "Output directory (scale.json; each run in DIR/w<N>)")
      ->capture_default_str();
  app->add_option("--bucket-mb", a.bucket_mb, "Gradient bucket cap in MiB (0: one bucket after backward)")
      ->check(number_in(0, 4096))
      ->capture_default_str();
  app->add_option("--comm-timeout-s", a.comm_timeout_s, "Deadline of every collective")
      ->check(number_in(0.001, kMaxCommTimeoutS))
      ->capture_default_str();
  app->add_option("--max-steps", a.max_steps, "Stop every run after N steps (throughput only)")
      ->check(integer_in(0, kMaxSteps));
  a.json.add_options(*app);
  return {app, [app, args] { return run_scale(*app, *args); }};
}

}  // namespace dpeval::cli
