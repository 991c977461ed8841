#include "dpeval/run/summary.h"

#include <cmath>

#include "dpeval/core/hash.h"
#include "dpeval/core/version.h"

namespace dpeval::run {
namespace {

// JSON has no NaN: undefined numbers are null.
nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json optional_number(const std::optional<double>& v) {
  return v ? number_or_null(*v) : nlohmann::json(nullptr);
}

nlohmann::json breakdown_json(const parallel::StepBreakdown& b) {
  return {{"data", b.data_ms},
          {"compute", b.compute_ms},
          {"comm_wait", b.comm_wait_ms},
          {"optimizer", b.optimizer_ms}};
}

}  // namespace

nlohmann::json train_summary_json(const parallel::TrainResult& r) {
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& e : r.epochs) {
    epochs.push_back(
        {{"epoch", e.epoch},
         {"train_loss", number_or_null(e.train_loss)},
         {"test_loss", number_or_null(e.test_loss)},
         {"test_accuracy", number_or_null(e.test_accuracy)},
         {"seconds", e.seconds ? nlohmann::json(*e.seconds) : nlohmann::json(nullptr)},
         {"train_seconds_cumulative",
          e.train_seconds_cumulative ? nlohmann::json(*e.train_seconds_cumulative) : nlohmann::json(nullptr)},
         {"samples_per_s", optional_number(e.samples_per_s)},
         {"steps", e.steps ? nlohmann::json(*e.steps) : nlohmann::json(nullptr)},
         {"step_breakdown_ms",
          e.step_breakdown ? breakdown_json(*e.step_breakdown) : nlohmann::json(nullptr)}});
  }
  nlohmann::json j;
  j["schema"] = kSummarySchema;
  j["dpeval_version"] = dpeval::kVersion;
  j["model"] = r.config.model_name;
  j["params"] = r.params;
  j["seed"] = r.config.seed;
  j["config_hash"] = hex64(r.config.config_hash());
  j["config"] = r.config.to_json();
  j["data"] = r.config.data;
  j["dataset_hash"] = hex64(r.dataset_hash);
  j["workers"] = r.world;
  j["backend"] = r.backend;
  j["batch"] = r.config.batch;
  j["accumulate"] = r.config.accumulate;
  j["global_batch"] = r.config.global_batch();
  j["zero"] = r.config.zero;
  j["grad_dtype"] = r.config.grad_dtype;
  j["optimizer_state_bytes_per_rank"] = r.optimizer_state_bytes;
  j["optimizer_update"] = r.split_update ? "split" : "replicated";
  j["buckets"] = r.buckets;
  j["bucket_bytes"] = r.bucket_bytes;
  j["bytes_reduced_per_step"] = r.bytes_reduced_per_step;
  j["epochs"] = epochs;
  j["final_test_accuracy"] =
      r.epochs.empty() ? nlohmann::json(nullptr) : number_or_null(r.epochs.back().test_accuracy);
  j["final_test_loss"] =
      r.epochs.empty() ? nlohmann::json(nullptr) : number_or_null(r.epochs.back().test_loss);
  j["samples_per_s"] = r.samples_per_s;
  // Over every step including warm-up: the figure a run too short for the steady state has.
  j["samples_per_s_all_steps"] = r.samples_per_s_all_steps;
  j["steps_run"] = r.steps_run;
  j["step_ms"] = {{"p50", r.step_ms_p50}, {"p90", r.step_ms_p90}, {"p95", r.step_ms_p95}};
  j["step_breakdown_ms_p50"] = breakdown_json(r.breakdown);
  j["allreduce_gbps"] = r.breakdown.allreduce_gbps;
  j["steady_steps"] = r.steady_steps;
  j["warmup_steps_excluded"] = parallel::kWarmupStepsExcluded;
  j["train_seconds"] = r.train_seconds;
  j["eval_seconds"] = r.eval_seconds;
  j["peak_rss_mb"] = parallel::peak_rss_mb();
  j["resumed_from_epoch"] = r.resumed_from_epoch;
  j["checkpoint"] = r.checkpoint_path.string();
  j["blas"] = r.blas;
  j["trace"] = r.trace_path ? nlohmann::json(r.trace_path->string()) : nlohmann::json(nullptr);
  return j;
}

}  // namespace dpeval::run
