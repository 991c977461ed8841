// The scaling study: the same training run at several worker counts, reduced
// to the figures that decide how many workers a job deserves — throughput and
// scaling efficiency, time to a target accuracy, cost per epoch — and one
// recommendation. This file only computes; running the trainings is the
// caller's job (cli/cmd_scale.cc), so every figure here can be checked by hand
// from the runs' summaries. See Note [Scale study figures] in scale_study.cc.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dpeval/parallel/trainer.h"
#include "dpeval/run/summary.h"

namespace dpeval::perf {

// A recommendation is the smallest worker count whose figure is within this
// share of the best one: 5 % slower for one worker fewer is worth it.
inline constexpr double kScaleRecommendTolerance = 0.05;

// What one training run at one worker count measured.
struct ScaleRun {
  int workers = 0;           // data-parallel ranks, >= 1
  int global_batch = 0;      // samples per optimizer step, all ranks
  double samples_per_s = 0;  // steady-state throughput; 0 when no step was timed
  double step_ms_p50 = 0, step_ms_p95 = 0;
  parallel::StepBreakdown breakdown;  // p50s on rank 0 (ms) and allreduce GB/s
  // Per-epoch test accuracy and cumulative training seconds (evaluation excluded).
  std::vector<parallel::EpochRecord> epochs;
  std::optional<double> final_test_accuracy, final_test_loss;  // unset when undefined
  double train_seconds = 0;  // training time of the run, evaluation excluded
  std::string out_dir;       // where the run's checkpoint and summary are
};

// What the scaling study needs of a run's summary (run/summary.h): a run in
// this process is summarized from its TrainResult, an mpirun run's summary
// read back from its file with read_run_summary; both arrive here typed.
ScaleRun scale_run_from(const run::RunSummary& summary, std::string out_dir);

// "1,2,4" -> {1, 2, 4}: comma-separated positive integers (spaces around them
// allowed), duplicates removed, sorted ascending. nullopt when the text is not
// such a list (empty, a non-number, zero, negative, overflow).
std::optional<std::vector<int>> parse_worker_counts(std::string_view text);

struct ScaleStudyOptions {
  std::string model, data, backend;  // as given; echoed into the JSON
  int epochs = 0;
  std::optional<double> target_accuracy;      // in (0, 1]; unset: judge by seconds per epoch
  std::optional<double> price_per_core_hour;  // >= 0, any currency; unset: costs are null
  unsigned cores = 0;  // hardware threads of this machine; 0 (unknown): nothing is flagged oversubscribed
};

// One worker count's row: the run and the figures derived from it.
struct ScaleRow {
  ScaleRun run;
  // samples_per_s / (N / N0 x baseline samples_per_s); unset when either
  // throughput is 0 (too few steps timed).
  std::optional<double> efficiency;
  // Training seconds to the end of the first epoch whose test accuracy reached
  // the target; unset without a target, when never reached, or when that epoch
  // was restored from a checkpoint (no time known).
  std::optional<double> time_to_target_s;
  std::optional<double> seconds_per_epoch;  // train_seconds / epochs timed; unset when none was timed
  std::optional<double> cost_per_epoch;     // N x seconds_per_epoch / 3600 x price; unset without a price
  bool oversubscribed = false;              // N > options.cores
};

struct ScaleStudy {
  ScaleStudyOptions options;
  std::vector<ScaleRow> rows;           // ascending worker count
  int efficiency_baseline_workers = 0;  // N0: 1 when measured, else the smallest count
  // The figure the recommendation compared: "time_to_target_s" when a target
  // was given and reached by some run, else "seconds_per_epoch".
  std::string recommendation_metric;
  std::optional<int> recommended_workers;  // unset when no run has the figure
  std::string recommendation;              // one line a person reads, e.g. "2 workers: within 5 % of ..."
  std::vector<std::string> warnings;       // for stderr: oversubscribed counts, untimed runs
};

// Derives every row's figures and the recommendation. `runs` may come in any
// order; each must have a distinct worker count >= 1 (InternalError otherwise)
// and there must be at least one. Pure: no I/O, no clock.
ScaleStudy analyze_scale_study(std::vector<ScaleRun> runs, const ScaleStudyOptions& options);

// The 1-worker run's steady-state samples/s in a scale.json document (what
// `dpeval train --baseline-scale FILE` takes for the run report's scaling
// efficiency). Throws InputError naming `source` when the document is not a
// dpeval.scale/1 study (Note [Document versions]) or has no timed 1-worker run.
double one_worker_samples_per_s(const nlohmann::json& scale, std::string_view source);

// The scale.json object: model, data, backend, epochs, target_accuracy,
// price_per_core_hour, cores, dpeval_version, efficiency_baseline_workers,
// recommendation_metric, recommended_workers, recommendation, and "runs" — its
// only list — of rows {workers, global_batch, samples_per_s, efficiency,
// step_ms {p50, p95}, step_breakdown_ms {compute, comm_wait, optimizer, data},
// allreduce_gbps, time_to_target_s, final_test_accuracy, final_test_loss,
// epochs_timed, train_seconds, seconds_per_epoch, cost_per_epoch,
// oversubscribed, out_dir}. Unknown figures are null; every key is always there.
nlohmann::json scale_study_json(const ScaleStudy& study);

// The version of scale.json ("schema"); readers refuse another.
inline constexpr const char* kScaleSchema = "dpeval.scale/1";

// A fixed-width table for a terminal: workers (* when oversubscribed), global
// batch, samples/s, efficiency, step p50, comm wait, time to target, accuracy,
// cost per epoch; one line per row after a header, each ending in '\n'.
std::string scale_study_table(const ScaleStudy& study);

}  // namespace dpeval::perf
