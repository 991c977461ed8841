#include "dpeval/cli/summary.h"

#include <cmath>

#include "dpeval/core/hash.h"
#include "dpeval/cli/version.h"

namespace dpeval::cli {
namespace {

// JSON has no NaN: undefined numbers are null.
nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace

nlohmann::json train_summary_json(const parallel::TrainResult& r) {
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& e : r.epochs) {
    epochs.push_back({{"epoch", e.epoch},
                      {"train_loss", number_or_null(e.train_loss)},
                      {"test_loss", number_or_null(e.test_loss)},
                      {"test_accuracy", number_or_null(e.test_accuracy)},
                      {"seconds", e.seconds ? nlohmann::json(*e.seconds) : nlohmann::json(nullptr)}});
  }
  nlohmann::json j;
  j["dpeval_version"] = kVersion;
  j["model"] = r.config.model_name;
  j["params"] = r.params;
  j["seed"] = r.config.seed;
  j["config_hash"] = hex64(r.config.config_hash());
  j["config"] = r.config.to_json();
  j["data"] = r.config.data;
  j["dataset_hash"] = hex64(r.dataset_hash);
  j["workers"] = 1;
  j["backend"] = "threads";
  j["batch"] = r.config.batch;
  j["global_batch"] = r.config.batch;
  j["epochs"] = epochs;
  j["final_test_accuracy"] = r.epochs.empty() ? nlohmann::json(nullptr) : number_or_null(r.epochs.back().test_accuracy);
  j["final_test_loss"] = r.epochs.empty() ? nlohmann::json(nullptr) : number_or_null(r.epochs.back().test_loss);
  j["samples_per_s"] = r.samples_per_s;
  j["step_ms"] = {{"p50", r.step_ms_p50}, {"p90", r.step_ms_p90}};
  j["steady_steps"] = r.steady_steps;
  j["warmup_steps_excluded"] = parallel::kWarmupStepsExcluded;
  j["train_seconds"] = r.train_seconds;
  j["eval_seconds"] = r.eval_seconds;
  j["peak_rss_mb"] = parallel::peak_rss_mb();
  j["resumed_from_epoch"] = r.resumed_from_epoch;
  j["checkpoint"] = r.checkpoint_path.string();
  j["blas"] = r.blas;
  return j;
}

}  // namespace dpeval::cli
