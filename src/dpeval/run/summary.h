// A training run's summary, typed (RunSummary) and as JSON (DIR/summary.json
// and `train --json`). perf/ and the run pipeline take the struct; the JSON is
// only the file: run_summary_json writes it, read_run_summary reads it back
// (the schema checked), so a run from another process (an mpirun job's rank 0)
// reaches the scaling study as the same struct as a run in this one.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "dpeval/parallel/trainer.h"

namespace dpeval::run {

// The version of summary.json ("schema"; Note [Document versions] in core/document_schema.h).
inline constexpr const char* kSummarySchema = "dpeval.summary/1";

struct RunSummary {
  parallel::TrainResult train;  // what the trainer measured, rank 0's view
  double peak_rss_mb = 0;       // this process's peak resident set when summarized
  std::string dpeval_version;   // the dpeval that trained
};

// The summary of `result` in this process (peak RSS now, this dpeval's version).
RunSummary summarize(const parallel::TrainResult& result);

// Keys: schema, dpeval_version, model, params, seed, config_hash, config, data,
// workers, backend, batch, global_batch, zero, grad_dtype,
// optimizer_state_bytes_per_rank, optimizer_update (Note [Update plan]),
// buckets, bucket_bytes (each bucket's wire bytes, in bucket order),
// bytes_reduced_per_step, epochs [{epoch, train_loss, test_loss, test_accuracy,
// seconds, train_seconds_cumulative, samples_per_s, steps, step_breakdown_ms
// {data, compute, comm_wait, optimizer}}] (the last four null for epochs
// restored from a checkpoint), final_test_accuracy, final_test_loss,
// samples_per_s, samples_per_s_all_steps, steps_run, step_ms {p50, p90, p95},
// step_breakdown_ms_p50, allreduce_gbps, steady_steps, warmup_steps_excluded,
// train_seconds, eval_seconds, peak_rss_mb, resumed_from_epoch, checkpoint,
// dataset_hash, blas, trace. Undefined numbers are null.
//
// run_training (pipeline.h) adds "evaluation", the final model on the test
// split: {"eval_json", "report_html", "report_md" (paths), "test_rows", "ece",
// "ece_after_temperature", "temperature" (numbers, null when undefined or not
// fitted), "temperature_fit": {"split": "train", "fraction", "seed", "rows",
// "held_out_from_training": false}}, or {"skipped": reason} when the final
// model is not checkpointed (--max-steps) or the test split is empty. See
// Note [Temperature fit rows] in pipeline.cc. Every value in it is
// deterministic. It also adds the run's facts (pipeline.h: RunFacts).
nlohmann::json run_summary_json(const RunSummary& summary);

// run_summary_json(summarize(result)).
nlohmann::json train_summary_json(const parallel::TrainResult& result);

// The summary `j` holds (what run_summary_json wrote; the pipeline's additions
// are not read). Throws InputError naming `source` and the key (a path such as
// "epochs[1].test_accuracy") when the schema is not kSummarySchema, a key is
// missing, or a value has the wrong type or an unknown spelling.
RunSummary read_run_summary(const nlohmann::json& j, std::string_view source);

}  // namespace dpeval::run
