// The JSON summary of a training run (DIR/summary.json and `train --json`).
#pragma once

#include <nlohmann/json.hpp>

#include "dpeval/parallel/trainer.h"

namespace dpeval::run {

// The version of summary.json ("schema"; Note [Document versions] in schema.h).
inline constexpr const char* kSummarySchema = "dpeval.summary/1";

// Keys: schema, dpeval_version, model, params, seed, config_hash, config, data,
// workers, backend, batch, global_batch, buckets, bucket_bytes (each bucket's
// wire bytes, in bucket order), bytes_reduced_per_step, epochs [{epoch,
// train_loss, test_loss, test_accuracy, seconds, train_seconds_cumulative,
// samples_per_s, steps, step_breakdown_ms {data, compute, comm_wait,
// optimizer}}] (the last four null for epochs restored from a checkpoint),
// final_test_accuracy, final_test_loss,
// samples_per_s, step_ms {p50, p90}, steady_steps, warmup_steps_excluded,
// train_seconds, eval_seconds, peak_rss_mb, resumed_from_epoch, checkpoint,
// dataset_hash, blas.
//
// run_training (pipeline.h) adds "evaluation", the final model on the test
// split: {"eval_json", "report_html", "report_md" (paths), "test_rows", "ece",
// "ece_after_temperature", "temperature" (numbers, null when undefined or not
// fitted), "temperature_fit": {"split": "train", "fraction", "seed", "rows",
// "held_out_from_training": false}}, or {"skipped": reason} when the final
// model is not checkpointed (--max-steps) or the test split is empty. See
// Note [Temperature fit rows] in pipeline.cc. Every value in it is
// deterministic. It also adds the run's facts (pipeline.h: RunFacts).
nlohmann::json train_summary_json(const parallel::TrainResult& result);

}  // namespace dpeval::run
