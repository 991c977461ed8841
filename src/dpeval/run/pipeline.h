// One training run end to end, as a library: train -> evaluate the final model
// on the test split (predictions, temperature scaling fitted on the
// validation split) -> audit the data -> DIR/summary.json and the run report.
// `dpeval train` parses its options into a RunRequest and calls run_training;
// `dpeval report --run DIR` calls write_run_report.
//
// The run directory DIR holds, when it is done:
//   checkpoint.dpck  the model after the last epoch (parallel/train_checkpoint.h)
//   eval.json        the final model on the test split (docs/EVAL.md; schema dpeval.eval/1)
//   audit.json       the data audit (docs/AUDIT.md; schema dpeval.audit/1), and audit.html
//   summary.json     the run (run/summary.h; schema dpeval.summary/1)
//   report.html      the run report (report/run_report.h), and report.md
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dpeval/parallel/train_config.h"
#include "dpeval/parallel/trainer.h"

namespace dpeval::run {

struct RunRequest {
  parallel::TrainConfig config;  // validated; manifest_hash set when `manifest` was verified
  parallel::TrainRunOptions train;  // out_dir, backend, progress, resume, ...
  std::string manifest;             // the verified manifest's path, or empty
  bool audit = true;                // audit the data as part of the run (--audit off: false)
  std::vector<std::string> class_names;  // --class-names; empty: the data's (Fashion-MNIST's, a CSV's label texts)
  std::optional<double> baseline_samples_per_s;  // a 1-worker figure, for the scaling efficiency
  std::string command;              // the command line that reproduces the run
};

struct RunOutcome {
  parallel::TrainResult train;
  nlohmann::json summary;  // what DIR/summary.json holds; null on ranks other than 0
};

// Trains, then (rank 0) evaluates, audits and writes the run's files. Throws
// what parallel::train throws; InputError when the data changed during the
// run. An audit that fails on the data is recorded as skipped with the reason
// (the model's figures stand on their own).
RunOutcome run_training(const RunRequest& request);

// Rebuilds DIR/report.html and DIR/report.md from DIR/summary.json,
// DIR/eval.json and DIR/audit.json (the last two optional, as the summary
// says), both replaced or neither. InputError naming the file when one is
// missing, unreadable, or of another schema version (Note [Document versions]).
void write_run_report(const std::filesystem::path& dir);

// The data audit's headline for the report: {"rows", "duplicates",
// "leakage" (exact test rows also in train), "near_duplicates",
// "imbalance_ratio", "pii" (null when not scanned)} from an audit document.
nlohmann::json audit_headline(const nlohmann::json& audit);

// Pretty JSON text with a trailing newline (what the run's files hold).
std::string json_file_text(const nlohmann::json& j);

}  // namespace dpeval::run
