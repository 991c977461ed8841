#include "dpeval/run/summary.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>

#include "dpeval/core/document_schema.h"
#include "dpeval/core/enum_text.h"
#include "dpeval/core/error.h"
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

using nlohmann::json;

// Reads one summary, naming its source and the key's path in every error.
class SummaryReader {
 public:
  explicit SummaryReader(std::string_view source) : source_(source) {}

  [[noreturn]] void bad(std::string_view path, std::string_view expected) const {
    throw InputError(fmt::format("{}: run summary key '{}': expected {}", source_, path, expected));
  }

  const json& member(const json& object, std::string_view key, std::string_view path) const {
    if (!object.is_object()) bad(path, "an object");
    const auto it = object.find(key);
    if (it == object.end()) bad(path, "to be present (is this a dpeval train summary?)");
    return *it;
  }

  // A number; null reads as NaN (summaries write undefined numbers as null).
  double number(const json& object, std::string_view key, std::string_view path) const {
    const json& v = member(object, key, path);
    if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();
    if (!v.is_number()) bad(path, "a number");
    return v.get<double>();
  }

  // A number or null, or absent (a field newer than the summary: not recorded).
  std::optional<double> optional_number(const json& object, std::string_view key,
                                        std::string_view path) const {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) return std::nullopt;
    if (!it->is_number()) bad(path, "a number or null");
    return it->get<double>();
  }

  template <typename Int>
  Int integer(const json& object, std::string_view key, std::string_view path) const {
    return integer_value<Int>(member(object, key, path), path);
  }

  template <typename Int>
  Int integer_value(const json& v, std::string_view path) const {
    if (!v.is_number_integer() || v.get<long double>() < 0 ||
        v.get<long double>() > static_cast<long double>(std::numeric_limits<Int>::max())) {
      bad(path, "a whole number >= 0");
    }
    return v.get<Int>();
  }

  // A string member; absent reads as `absent` when that is given.
  std::string text(const json& object, std::string_view key, std::string_view path,
                   std::optional<std::string> absent = std::nullopt) const {
    const auto it = object.find(key);
    if (it == object.end() && absent) return *absent;
    const json& v = member(object, key, path);
    if (!v.is_string()) bad(path, "a string");
    return v.get<std::string>();
  }

  template <typename E>
  E spelled(const json& object, std::string_view key, std::string_view path) const {
    const std::string t = text(object, key, path);
    const std::optional<E> value = find_enum<E>(t);
    if (!value) bad(path, "one of " + enum_choices<E>() + ", not '" + t + "'");
    return *value;
  }

  uint64_t hex(const json& object, std::string_view key, std::string_view path) const {
    const std::string t = text(object, key, path);
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value, 16);
    if (t.empty() || ec != std::errc() || end != t.data() + t.size()) bad(path, "a hexadecimal hash");
    return value;
  }

  parallel::StepBreakdown breakdown(const json& b, std::string_view path) const {
    parallel::StepBreakdown out;
    out.data_ms = number(b, "data", fmt::format("{}.data", path));
    out.compute_ms = number(b, "compute", fmt::format("{}.compute", path));
    out.comm_wait_ms = number(b, "comm_wait", fmt::format("{}.comm_wait", path));
    out.optimizer_ms = number(b, "optimizer", fmt::format("{}.optimizer", path));
    return out;
  }

  parallel::EpochRecord epoch(const json& e, size_t i) const {
    const std::string path = fmt::format("epochs[{}]", i);
    parallel::EpochRecord record;
    const json& n = member(e, "epoch", path + ".epoch");
    if (!n.is_number_integer() || n.get<int64_t>() < 1 || n.get<int64_t>() > 100000) {
      bad(path + ".epoch", "an integer in [1, 100000]");
    }
    record.epoch = n.get<int>();
    record.train_loss = number(e, "train_loss", path + ".train_loss");
    record.test_loss = number(e, "test_loss", path + ".test_loss");
    record.test_accuracy = number(e, "test_accuracy", path + ".test_accuracy");
    record.seconds = optional_number(e, "seconds", path + ".seconds");
    record.train_seconds_cumulative =
        optional_number(e, "train_seconds_cumulative", path + ".train_seconds_cumulative");
    record.samples_per_s = optional_number(e, "samples_per_s", path + ".samples_per_s");
    if (const auto it = e.find("steps"); it != e.end() && !it->is_null()) {
      record.steps = integer<uint64_t>(e, "steps", path + ".steps");
    }
    if (const auto it = e.find("step_breakdown_ms"); it != e.end() && !it->is_null()) {
      record.step_breakdown = breakdown(*it, path + ".step_breakdown_ms");
    }
    return record;
  }

 private:
  std::string_view source_;
};

}  // namespace

RunSummary read_run_summary(const json& j, std::string_view source) {
  check_document_schema(j, kSummarySchema, source);
  const SummaryReader S(source);
  RunSummary summary;
  parallel::TrainResult& r = summary.train;
  try {
    r.config = parallel::TrainConfig::from_json(S.member(j, "config", "config"));
  } catch (const InputError& e) {
    S.bad("config", std::string("a training config (") + e.what() + ")");
  } catch (const ConfigError& e) {
    S.bad("config", std::string("a training config (") + e.what() + ")");
  }
  r.world = S.integer<int>(j, "workers", "workers");
  if (r.world < 1) S.bad("workers", "an integer >= 1");
  r.backend = S.spelled<comm::Backend>(j, "backend", "backend");
  r.params = S.integer<size_t>(j, "params", "params");
  r.dataset_hash = S.hex(j, "dataset_hash", "dataset_hash");
  r.optimizer_state_bytes =
      S.integer<size_t>(j, "optimizer_state_bytes_per_rank", "optimizer_state_bytes_per_rank");
  r.update = S.spelled<parallel::UpdateKind>(j, "optimizer_update", "optimizer_update");
  r.buckets = S.integer<size_t>(j, "buckets", "buckets");
  if (const auto it = j.find("bucket_bytes"); it != j.end()) {
    if (!it->is_array()) S.bad("bucket_bytes", "a list");
    for (size_t i = 0; i < it->size(); ++i) {
      r.bucket_bytes.push_back(S.integer_value<size_t>((*it)[i], fmt::format("bucket_bytes[{}]", i)));
    }
  }
  if (j.contains("bytes_reduced_per_step")) {
    r.bytes_reduced_per_step = S.integer<size_t>(j, "bytes_reduced_per_step", "bytes_reduced_per_step");
  }
  const json& epochs = S.member(j, "epochs", "epochs");
  if (!epochs.is_array()) S.bad("epochs", "a list");
  for (size_t i = 0; i < epochs.size(); ++i) r.epochs.push_back(S.epoch(epochs[i], i));
  r.samples_per_s = S.number(j, "samples_per_s", "samples_per_s");
  r.samples_per_s_all_steps = S.number(j, "samples_per_s_all_steps", "samples_per_s_all_steps");
  r.steps_run = S.integer<uint64_t>(j, "steps_run", "steps_run");
  r.steady_steps = S.integer<uint64_t>(j, "steady_steps", "steady_steps");
  const json& step_ms = S.member(j, "step_ms", "step_ms");
  r.step_ms_p50 = S.number(step_ms, "p50", "step_ms.p50");
  r.step_ms_p90 = S.number(step_ms, "p90", "step_ms.p90");
  r.step_ms_p95 = S.number(step_ms, "p95", "step_ms.p95");
  r.breakdown =
      S.breakdown(S.member(j, "step_breakdown_ms_p50", "step_breakdown_ms_p50"), "step_breakdown_ms_p50");
  r.breakdown.allreduce_gbps = S.number(j, "allreduce_gbps", "allreduce_gbps");
  r.train_seconds = S.number(j, "train_seconds", "train_seconds");
  r.eval_seconds = S.number(j, "eval_seconds", "eval_seconds");
  r.resumed_from_epoch = S.integer<int>(j, "resumed_from_epoch", "resumed_from_epoch");
  r.checkpoint_path = S.text(j, "checkpoint", "checkpoint");
  r.blas = S.text(j, "blas", "blas", "");
  if (const auto it = j.find("trace"); it != j.end() && !it->is_null())
    r.trace_path = S.text(j, "trace", "trace");
  summary.peak_rss_mb = S.number(j, "peak_rss_mb", "peak_rss_mb");
  summary.dpeval_version = S.text(j, "dpeval_version", "dpeval_version");
  return summary;
}

RunSummary summarize(const parallel::TrainResult& result) {
  RunSummary summary;
  summary.train = result;
  summary.peak_rss_mb = parallel::peak_rss_mb();
  summary.dpeval_version = dpeval::kVersion;
  return summary;
}

nlohmann::json train_summary_json(const parallel::TrainResult& result) {
  return run_summary_json(summarize(result));
}

nlohmann::json run_summary_json(const RunSummary& summary) {
  const parallel::TrainResult& r = summary.train;
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
  j["dpeval_version"] = summary.dpeval_version;
  j["model"] = r.config.model_name;
  j["params"] = r.params;
  j["seed"] = r.config.seed;
  j["config_hash"] = hex64(r.config.config_hash());
  j["config"] = r.config.to_json();
  j["data"] = r.config.data;
  j["dataset_hash"] = hex64(r.dataset_hash);
  j["workers"] = r.world;
  j["backend"] = enum_text(r.backend);
  j["batch"] = r.config.batch;
  j["accumulate"] = r.config.accumulate;
  j["global_batch"] = r.config.global_batch();
  j["zero"] = r.config.zero;
  j["grad_dtype"] = enum_text(r.config.grad_dtype);
  j["optimizer_state_bytes_per_rank"] = r.optimizer_state_bytes;
  j["optimizer_update"] = enum_text(r.update);  // Note [Update plan]
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
  j["peak_rss_mb"] = summary.peak_rss_mb;
  j["resumed_from_epoch"] = r.resumed_from_epoch;
  j["checkpoint"] = r.checkpoint_path.string();
  j["blas"] = r.blas;
  j["trace"] = r.trace_path ? nlohmann::json(r.trace_path->string()) : nlohmann::json(nullptr);
  return j;
}

}  // namespace dpeval::run
