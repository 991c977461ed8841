// Implements the scaling study's arithmetic: a run from its summary,
// efficiency against a baseline, time to target, cost per epoch, the
// recommendation, and the scale.json object and stderr table.
#include "dpeval/perf/scale_study.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include "dpeval/core/check.h"
#include "dpeval/core/document_schema.h"
#include "dpeval/core/error.h"
#include "dpeval/core/version.h"

namespace dpeval::perf {

// Note [Scale study figures]
// Each figure is a plain formula over one run's summary, so a reader can check
// scale.json by hand:
//   efficiency        = samples_per_s(N) / ((N / N0) x samples_per_s(N0)), where
//                       N0 is 1 when measured, else the smallest count
//                       measured (efficiency_baseline_workers says which);
//                       1.0 is perfect linear scaling.
//   time_to_target_s  = train_seconds_cumulative of the first epoch whose test
//                       accuracy >= target: training time only, evaluation
//                       excluded, so it measures the parallelism, not the
//                       evaluation set's size.
//   seconds_per_epoch = train_seconds / epochs timed (epochs restored from a
//                       checkpoint have no time and are not counted).
//   cost_per_epoch    = N x seconds_per_epoch / 3600 x price_per_core_hour:
//                       each worker holds one core (one BLAS thread per worker).
// The recommendation compares time to target when a target was given and some
// run reached it — the figure a user pays for — and otherwise seconds per
// epoch; among the runs that have the figure it picks the SMALLEST worker
// count within kScaleRecommendTolerance of the best, because a few percent of
// speed rarely pays for more cores (and their cost rises with N).

namespace {

using nlohmann::json;

json optional_json(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? json(*v) : json(nullptr);
}

json finite_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

std::string workers_text(int n) { return fmt::format("{} worker{}", n, n == 1 ? "" : "s"); }

// {8} -> "8 workers", {4, 8} -> "4 and 8 workers", {2, 4, 8} -> "2, 4 and 8 workers".
std::string counts_text(const std::vector<int>& counts) {
  std::string text;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (i > 0) text += i + 1 == counts.size() ? " and " : ", ";
    text += std::to_string(counts[i]);
  }
  return text + (counts.size() == 1 && counts[0] == 1 ? " worker" : " workers");
}

// 0.88 -> "88 %", 0.885 -> "88.5 %", 0.8875 -> "88.75 %".
std::string percent_text(double share) { return fmt::format("{:g} %", std::round(share * 1e4) / 100); }

std::string seconds_text(double s) {
  return s < 10 ? fmt::format("{:.2f} s", s) : fmt::format("{:.1f} s", s);
}

std::optional<double> time_to_target(const ScaleRun& run, double target) {
  for (const parallel::EpochRecord& e : run.epochs) {
    if (std::isfinite(e.test_accuracy) && e.test_accuracy >= target) return e.train_seconds_cumulative;
  }
  return std::nullopt;
}

void recommend(ScaleStudy& study) {
  const ScaleStudyOptions& o = study.options;
  const bool by_target =
      o.target_accuracy && std::any_of(study.rows.begin(), study.rows.end(),
                                       [](const ScaleRow& r) { return r.time_to_target_s.has_value(); });
  study.recommendation_metric = by_target ? "time_to_target_s" : "seconds_per_epoch";
  auto figure = [&](const ScaleRow& r) { return by_target ? r.time_to_target_s : r.seconds_per_epoch; };

  const ScaleRow* best = nullptr;
  for (const ScaleRow& r : study.rows) {
    if (figure(r) && (!best || *figure(r) < *figure(*best))) best = &r;
  }
  std::string line;
  if (!best) {
    line = "no recommendation: no run has a measured training time";
  } else {
    const double limit = *figure(*best) * (1 + kScaleRecommendTolerance);
    const ScaleRow* pick = nullptr;
    for (const ScaleRow& r : study.rows) {
      if (figure(r) && *figure(r) <= limit) {
        pick = &r;
        break;
      }
    }
    DPEVAL_CHECK(pick != nullptr);
    study.recommended_workers = pick->run.workers;
    const std::string what = by_target ? "time to " + percent_text(*o.target_accuracy) + " accuracy"
                                       : std::string("seconds per epoch");
    const int tolerance_pct = static_cast<int>(std::lround(kScaleRecommendTolerance * 100));
    const auto has_figure = [&](const ScaleRow& r) { return figure(r).has_value(); };
    const auto with_figure = std::count_if(study.rows.begin(), study.rows.end(), has_figure);
    const ScaleRow* fewest = &*std::find_if(study.rows.begin(), study.rows.end(), has_figure);
    if (pick != best) {
      line = fmt::format("{}: within {} % of the best {} ({} vs {} at {})", workers_text(pick->run.workers),
                         tolerance_pct, what, seconds_text(*figure(*pick)), seconds_text(*figure(*best)),
                         workers_text(best->run.workers));
    } else if (study.rows.size() == 1) {
      line = fmt::format(
          "{}: the only count measured ({} {})", workers_text(pick->run.workers),
          seconds_text(*figure(*pick)),
          by_target ? "to " + percent_text(*o.target_accuracy) + " accuracy" : std::string("per epoch"));
    } else if (with_figure == 1) {
      line = fmt::format("{}: the only count that {} ({})", workers_text(pick->run.workers),
                         by_target ? "reached " + percent_text(*o.target_accuracy) + " accuracy"
                                   : std::string("has a training time"),
                         seconds_text(*figure(*pick)));
    } else if (pick == fewest) {
      line = fmt::format("{}: the best {} ({}); more workers were no faster", workers_text(pick->run.workers),
                         what, seconds_text(*figure(*pick)));
    } else {
      line = fmt::format("{}: the best {} ({}); no fewer workers come within {} %",
                         workers_text(pick->run.workers), what, seconds_text(*figure(*pick)), tolerance_pct);
    }
  }
  if (!by_target) {
    line += o.target_accuracy ? fmt::format("; judged by seconds per epoch: no run reached {} accuracy",
                                            percent_text(*o.target_accuracy))
                              : std::string("; judged by seconds per epoch: no target accuracy was given");
  } else {
    std::vector<int> missed;
    for (const ScaleRow& r : study.rows) {
      if (!r.time_to_target_s) missed.push_back(r.run.workers);
    }
    if (!missed.empty()) {
      line += fmt::format("; {} did not reach it", counts_text(missed));
    }
  }
  std::vector<int> over;
  for (const ScaleRow& r : study.rows) {
    if (r.oversubscribed) over.push_back(r.run.workers);
  }
  if (!over.empty()) {
    line += fmt::format("; {} oversubscribed (more than the {} cores here)", counts_text(over), o.cores);
    study.warnings.push_back(fmt::format(
        "{} exceed this machine's {} hardware threads: workers share cores, so those timings understate what "
        "the count could do on enough cores",
        counts_text(over), o.cores));
  }
  study.recommendation = std::move(line);
}

}  // namespace

ScaleRun scale_run_from(const run::RunSummary& summary, std::string out_dir) {
  const parallel::TrainResult& result = summary.train;
  ScaleRun run;
  run.out_dir = std::move(out_dir);
  run.workers = result.world;
  run.global_batch = result.config.global_batch();
  run.samples_per_s = result.samples_per_s;
  run.step_ms_p50 = result.step_ms_p50;
  run.step_ms_p95 = result.step_ms_p95;
  run.breakdown = result.breakdown;
  run.train_seconds = result.train_seconds;
  if (!result.epochs.empty()) {
    const parallel::EpochRecord& last = result.epochs.back();
    if (std::isfinite(last.test_accuracy)) run.final_test_accuracy = last.test_accuracy;
    if (std::isfinite(last.test_loss)) run.final_test_loss = last.test_loss;
  }
  run.epochs = result.epochs;
  return run;
}

std::optional<std::vector<int>> parse_worker_counts(std::string_view text) {
  std::vector<int> counts;
  size_t begin = 0;
  while (begin <= text.size()) {
    const size_t comma = std::min(text.find(',', begin), text.size());
    std::string_view item = text.substr(begin, comma - begin);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    int n = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size() || n < 1) return std::nullopt;
    counts.push_back(n);
    begin = comma + 1;
  }
  std::sort(counts.begin(), counts.end());
  counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
  return counts;
}

ScaleStudy analyze_scale_study(std::vector<ScaleRun> runs, const ScaleStudyOptions& options) {
  DPEVAL_CHECK(!runs.empty()) << "a scale study needs at least one run";
  std::sort(runs.begin(), runs.end(),
            [](const ScaleRun& a, const ScaleRun& b) { return a.workers < b.workers; });
  for (size_t i = 0; i < runs.size(); ++i) {
    DPEVAL_CHECK(runs[i].workers >= 1) << "workers " << runs[i].workers;
    DPEVAL_CHECK(i == 0 || runs[i].workers != runs[i - 1].workers)
        << "two runs with " << runs[i].workers << " workers";
  }
  ScaleStudy study;
  study.options = options;
  const ScaleRun& base = runs.front();
  study.efficiency_baseline_workers = base.workers;
  std::vector<int> untimed;
  for (ScaleRun& run : runs) {
    ScaleRow row;
    const double n = run.workers, n0 = base.workers;
    if (run.samples_per_s > 0 && base.samples_per_s > 0) {
      row.efficiency = run.samples_per_s / (n / n0 * base.samples_per_s);
    }
    if (run.samples_per_s <= 0) untimed.push_back(run.workers);
    if (options.target_accuracy) row.time_to_target_s = time_to_target(run, *options.target_accuracy);
    const auto timed =
        std::count_if(run.epochs.begin(), run.epochs.end(),
                      [](const parallel::EpochRecord& e) { return e.train_seconds_cumulative.has_value(); });
    if (timed > 0 && std::isfinite(run.train_seconds)) {
      row.seconds_per_epoch = run.train_seconds / static_cast<double>(timed);
    }
    if (options.price_per_core_hour && row.seconds_per_epoch) {
      row.cost_per_epoch = n * *row.seconds_per_epoch / 3600 * *options.price_per_core_hour;
    }
    row.oversubscribed = options.cores > 0 && static_cast<unsigned>(run.workers) > options.cores;
    row.run = std::move(run);
    study.rows.push_back(std::move(row));
  }
  if (!untimed.empty()) {
    study.warnings.push_back(
        fmt::format("{}: no steady-state throughput (the first {} steps are not timed and the run had no "
                    "more), so efficiency "
                    "is null; give it more data or epochs",
                    counts_text(untimed), parallel::kWarmupStepsExcluded));
  }
  recommend(study);
  return study;
}

double one_worker_samples_per_s(const json& scale, std::string_view source) {
  check_document_schema(scale, kScaleSchema, source);
  const auto runs = scale.find("runs");
  if (runs != scale.end() && runs->is_array()) {
    for (const json& run : *runs) {
      if (!run.is_object() || run.value("workers", json()) != 1) continue;
      const auto sps = run.find("samples_per_s");
      if (sps != run.end() && sps->is_number() && sps->get<double>() > 0 &&
          std::isfinite(sps->get<double>())) {
        return sps->get<double>();
      }
      throw InputError(fmt::format(
          "{}: the 1-worker run has no steady-state samples_per_s (too few steps timed)", source));
    }
  }
  throw InputError(
      fmt::format("{}: no 1-worker run in \"runs\" (run dpeval scale with --workers 1,...)", source));
}

json scale_study_json(const ScaleStudy& study) {
  const ScaleStudyOptions& o = study.options;
  json rows = json::array();
  for (const ScaleRow& r : study.rows) {
    const ScaleRun& run = r.run;
    const auto timed =
        std::count_if(run.epochs.begin(), run.epochs.end(),
                      [](const parallel::EpochRecord& e) { return e.train_seconds_cumulative.has_value(); });
    rows.push_back(
        {{"workers", run.workers},
         {"global_batch", run.global_batch},
         {"samples_per_s", finite_or_null(run.samples_per_s)},
         {"efficiency", optional_json(r.efficiency)},
         {"step_ms", {{"p50", finite_or_null(run.step_ms_p50)}, {"p95", finite_or_null(run.step_ms_p95)}}},
         {"step_breakdown_ms",
          {{"compute", finite_or_null(run.breakdown.compute_ms)},
           {"comm_wait", finite_or_null(run.breakdown.comm_wait_ms)},
           {"optimizer", finite_or_null(run.breakdown.optimizer_ms)},
           {"data", finite_or_null(run.breakdown.data_ms)}}},
         {"allreduce_gbps", finite_or_null(run.breakdown.allreduce_gbps)},
         {"time_to_target_s", optional_json(r.time_to_target_s)},
         {"final_test_accuracy", optional_json(run.final_test_accuracy)},
         {"final_test_loss", optional_json(run.final_test_loss)},
         {"epochs_timed", timed},
         {"train_seconds", finite_or_null(run.train_seconds)},
         {"seconds_per_epoch", optional_json(r.seconds_per_epoch)},
         {"cost_per_epoch", optional_json(r.cost_per_epoch)},
         {"oversubscribed", r.oversubscribed},
         {"out_dir", run.out_dir}});
  }
  json j;
  j["schema"] = kScaleSchema;
  j["dpeval_version"] = kVersion;
  j["model"] = o.model;
  j["data"] = o.data;
  j["backend"] = o.backend;
  j["epochs"] = o.epochs;
  j["target_accuracy"] = optional_json(o.target_accuracy);
  j["price_per_core_hour"] = optional_json(o.price_per_core_hour);
  j["cores"] = o.cores;
  j["efficiency_baseline_workers"] = study.efficiency_baseline_workers;
  j["recommendation_metric"] = study.recommendation_metric;
  j["recommended_workers"] = study.recommended_workers ? json(*study.recommended_workers) : json(nullptr);
  j["recommendation"] = study.recommendation;
  j["runs"] = std::move(rows);
  return j;
}

std::string scale_study_table(const ScaleStudy& study) {
  auto or_dash = [](const std::optional<double>& v, auto&& format) -> std::string {
    return v && std::isfinite(*v) ? format(*v) : std::string("-");
  };
  const std::string target_header = study.options.target_accuracy
                                        ? "to " + percent_text(*study.options.target_accuracy)
                                        : std::string("to target");
  std::string text = fmt::format("{:>8} {:>12} {:>10} {:>10} {:>10} {:>10} {:>10} {:>9} {:>11}\n", "workers",
                                 "global batch", "samples/s", "efficiency", "step p50", "comm wait",
                                 target_header, "accuracy", "cost/epoch");
  for (const ScaleRow& r : study.rows) {
    const ScaleRun& run = r.run;
    text += fmt::format(
        "{:>8} {:>12} {:>10.0f} {:>10} {:>10} {:>10} {:>10} {:>9} {:>11}\n",
        std::to_string(run.workers) + (r.oversubscribed ? "*" : ""), run.global_batch, run.samples_per_s,
        or_dash(r.efficiency, [](double v) { return fmt::format("{:.3f}", v); }),
        fmt::format("{:.2f} ms", run.step_ms_p50), fmt::format("{:.2f} ms", run.breakdown.comm_wait_ms),
        or_dash(r.time_to_target_s, seconds_text),
        or_dash(run.final_test_accuracy, [](double v) { return fmt::format("{:.4f}", v); }),
        or_dash(r.cost_per_epoch, [](double v) { return fmt::format("{:.4g}", v); }));
  }
  if (study.efficiency_baseline_workers != 1) {
    text += fmt::format("efficiency is relative to {} (1 worker was not measured)\n",
                        workers_text(study.efficiency_baseline_workers));
  }
  if (std::any_of(study.rows.begin(), study.rows.end(), [](const ScaleRow& r) { return r.oversubscribed; })) {
    text += fmt::format("* oversubscribed: more workers than the {} cores here\n", study.options.cores);
  }
  return text;
}

}  // namespace dpeval::perf
