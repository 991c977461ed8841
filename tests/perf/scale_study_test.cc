// The scaling study's arithmetic on hand-computed cases: efficiency (against 1
// worker and against the smallest count), time to target, seconds and cost per
// epoch, the recommendation and its fallback, oversubscription, the worker-list
// parser, reading a run summary, and the scale.json shape.
#include "dpeval/perf/scale_study.h"

#include <gtest/gtest.h>

#include <cmath>
#include <utility>
#include <vector>

#include "dpeval/core/error.h"
#include "dpeval/nn/model_spec.h"
#include "dpeval/run/summary.h"

namespace dpeval::perf {
namespace {

// A run with `epochs` as (test accuracy, cumulative training seconds) pairs;
// train_seconds is the last cumulative time.
ScaleRun make_run(int workers, double samples_per_s, std::vector<std::pair<double, double>> epochs) {
  ScaleRun run;
  run.workers = workers;
  run.global_batch = 64 * workers;
  run.samples_per_s = samples_per_s;
  run.step_ms_p50 = 10.0 / workers;
  run.step_ms_p95 = 12.0 / workers;
  run.breakdown.comm_wait_ms = workers > 1 ? 0.5 : 0;
  for (size_t i = 0; i < epochs.size(); ++i) {
    parallel::EpochRecord e;
    e.epoch = static_cast<int>(i) + 1;
    e.test_accuracy = epochs[i].first;
    e.test_loss = 1 - epochs[i].first;
    e.train_seconds_cumulative = epochs[i].second;
    run.epochs.push_back(e);
    run.train_seconds = epochs[i].second;
  }
  if (!epochs.empty()) {
    run.final_test_accuracy = epochs.back().first;
    run.final_test_loss = 1 - epochs.back().first;
  }
  run.out_dir = "runs/s/w" + std::to_string(workers);
  return run;
}

ScaleStudyOptions options_with(std::optional<double> target, std::optional<double> price,
                               unsigned cores = 64) {
  ScaleStudyOptions o;
  o.model = "mlp";
  o.data = "fashion-mnist";
  o.backend = "threads";
  o.epochs = 2;
  o.target_accuracy = target;
  o.price_per_core_hour = price;
  o.cores = cores;
  return o;
}

const ScaleRow& row_of(const ScaleStudy& study, int workers) {
  for (const ScaleRow& r : study.rows) {
    if (r.run.workers == workers) return r;
  }
  throw std::runtime_error("no row");
}

TEST(ScaleStudy, EfficiencyAgainstOneWorker) {
  // 1000, 1900, 3200 samples/s: 1900 / (2 x 1000) = 0.95, 3200 / (4 x 1000) = 0.8.
  const ScaleStudy s = analyze_scale_study(
      {make_run(4, 3200, {{0.5, 5}}), make_run(1, 1000, {{0.5, 10}}), make_run(2, 1900, {{0.5, 6}})},
      options_with(std::nullopt, std::nullopt));
  ASSERT_EQ(s.rows.size(), 3u);
  EXPECT_EQ(s.rows[0].run.workers, 1);  // sorted ascending
  EXPECT_EQ(s.rows[2].run.workers, 4);
  EXPECT_EQ(s.efficiency_baseline_workers, 1);
  EXPECT_DOUBLE_EQ(*row_of(s, 1).efficiency, 1.0);
  EXPECT_DOUBLE_EQ(*row_of(s, 2).efficiency, 0.95);
  EXPECT_DOUBLE_EQ(*row_of(s, 4).efficiency, 0.8);
}

TEST(ScaleStudy, EfficiencyBaselineIsTheSmallestCountWhenOneIsAbsent) {
  // 2 workers 2000/s, 4 workers 3600/s: 3600 / (4/2 x 2000) = 0.9; 8 workers 6000/s: 6000 / (4 x 2000) =
  // 0.75.
  const ScaleStudy s = analyze_scale_study(
      {make_run(2, 2000, {{0.5, 5}}), make_run(4, 3600, {{0.5, 3}}), make_run(8, 6000, {{0.5, 2}})},
      options_with(std::nullopt, std::nullopt));
  EXPECT_EQ(s.efficiency_baseline_workers, 2);
  EXPECT_DOUBLE_EQ(*row_of(s, 2).efficiency, 1.0);
  EXPECT_DOUBLE_EQ(*row_of(s, 4).efficiency, 0.9);
  EXPECT_DOUBLE_EQ(*row_of(s, 8).efficiency, 0.75);
  EXPECT_EQ(scale_study_json(s)["efficiency_baseline_workers"], 2);
  EXPECT_NE(scale_study_table(s).find("relative to 2 workers"), std::string::npos);
}

TEST(ScaleStudy, EfficiencyIsNullWithoutAThroughput) {
  const ScaleStudy s = analyze_scale_study({make_run(1, 0, {{0.5, 1}}), make_run(2, 1500, {{0.5, 1}})},
                                           options_with(std::nullopt, std::nullopt));
  EXPECT_FALSE(row_of(s, 1).efficiency.has_value());
  EXPECT_FALSE(row_of(s, 2).efficiency.has_value());  // its baseline has none
  ASSERT_FALSE(s.warnings.empty());
  EXPECT_NE(s.warnings[0].find("1 worker"), std::string::npos) << s.warnings[0];
  EXPECT_TRUE(scale_study_json(s)["runs"][0]["efficiency"].is_null());
}

TEST(ScaleStudy, TimeToTargetIsTheFirstEpochAtOrAboveTheTarget) {
  const ScaleStudy s = analyze_scale_study(
      {make_run(1, 1000, {{0.70, 10}, {0.80, 20}, {0.85, 30}}),  // reaches 0.8 exactly at epoch 2: 20 s
       make_run(2, 1900, {{0.75, 6}, {0.81, 12}, {0.79, 18}}),   // 12 s (a later dip does not matter)
       make_run(4, 3200, {{0.60, 4}, {0.70, 8}, {0.75, 12}})},   // never
      options_with(0.8, std::nullopt));
  EXPECT_DOUBLE_EQ(*row_of(s, 1).time_to_target_s, 20);
  EXPECT_DOUBLE_EQ(*row_of(s, 2).time_to_target_s, 12);
  EXPECT_FALSE(row_of(s, 4).time_to_target_s.has_value());
  EXPECT_TRUE(scale_study_json(s)["runs"][2]["time_to_target_s"].is_null());
  EXPECT_EQ(s.recommendation_metric, "time_to_target_s");
  EXPECT_EQ(s.recommended_workers, 2);
  EXPECT_NE(s.recommendation.find("4 workers did not reach it"), std::string::npos) << s.recommendation;
}

TEST(ScaleStudy, TimeToTargetIsNullWithoutATarget) {
  const ScaleStudy s =
      analyze_scale_study({make_run(1, 1000, {{0.9, 10}})}, options_with(std::nullopt, std::nullopt));
  EXPECT_FALSE(s.rows[0].time_to_target_s.has_value());
  const nlohmann::json j = scale_study_json(s);
  EXPECT_TRUE(j["target_accuracy"].is_null());
  EXPECT_TRUE(j["runs"][0]["time_to_target_s"].is_null());
}

TEST(ScaleStudy, SecondsAndCostPerEpoch) {
  // 2 workers, 12 s over 3 epochs = 4 s per epoch; 2 cores x 4 s / 3600 x 0.05 = 1/9000.
  const ScaleStudy priced = analyze_scale_study({make_run(2, 1900, {{0.5, 4}, {0.6, 8}, {0.7, 12}})},
                                                options_with(std::nullopt, 0.05));
  EXPECT_DOUBLE_EQ(*priced.rows[0].seconds_per_epoch, 4.0);
  EXPECT_NEAR(*priced.rows[0].cost_per_epoch, 2 * 4.0 / 3600 * 0.05, 1e-15);
  EXPECT_NEAR(*priced.rows[0].cost_per_epoch, 1.0 / 9000, 1e-15);
  // Without a price the key is there and null.
  const ScaleStudy free =
      analyze_scale_study({make_run(2, 1900, {{0.5, 4}})}, options_with(std::nullopt, std::nullopt));
  EXPECT_FALSE(free.rows[0].cost_per_epoch.has_value());
  const nlohmann::json row = scale_study_json(free)["runs"][0];
  ASSERT_TRUE(row.contains("cost_per_epoch"));
  EXPECT_TRUE(row["cost_per_epoch"].is_null());
}

TEST(ScaleStudy, RecommendsTheSmallestCountWithinFivePercentOfTheBestTime) {
  // Times to 0.8: 40 s, 20.9 s, 20 s. 20.9 <= 1.05 x 20 = 21, so 2 workers.
  const ScaleStudy s = analyze_scale_study(
      {make_run(1, 1000, {{0.8, 40}}), make_run(2, 1900, {{0.8, 20.9}}), make_run(4, 2000, {{0.8, 20}})},
      options_with(0.8, std::nullopt));
  EXPECT_EQ(s.recommended_workers, 2);
  EXPECT_EQ(s.recommendation,
            "2 workers: within 5 % of the best time to 80 % accuracy (20.9 s vs 20.0 s at 4 workers)");
  // 21.1 s is more than 5 % slower: the best, 4 workers, is recommended.
  const ScaleStudy t = analyze_scale_study(
      {make_run(1, 1000, {{0.8, 40}}), make_run(2, 1900, {{0.8, 21.1}}), make_run(4, 2000, {{0.8, 20}})},
      options_with(0.8, std::nullopt));
  EXPECT_EQ(t.recommended_workers, 4);
  EXPECT_EQ(t.recommendation,
            "4 workers: the best time to 80 % accuracy (20.0 s); no fewer workers come within 5 %");
  // More workers slower still: 1 worker.
  const ScaleStudy u = analyze_scale_study({make_run(1, 1000, {{0.8, 10}}), make_run(2, 900, {{0.8, 11}})},
                                           options_with(0.8, std::nullopt));
  EXPECT_EQ(u.recommended_workers, 1);
  EXPECT_EQ(u.recommendation,
            "1 worker: the best time to 80 % accuracy (10.0 s); more workers were no faster");
  // Only one count reached the target; a single count measured.
  const ScaleStudy v = analyze_scale_study({make_run(1, 1000, {{0.7, 10}}), make_run(2, 1900, {{0.8, 6}})},
                                           options_with(0.8, std::nullopt));
  EXPECT_EQ(v.recommended_workers, 2);
  EXPECT_EQ(v.recommendation,
            "2 workers: the only count that reached 80 % accuracy (6.00 s); 1 worker did not reach it");
  const ScaleStudy w =
      analyze_scale_study({make_run(1, 1000, {{0.5, 3}})}, options_with(std::nullopt, std::nullopt));
  EXPECT_EQ(w.recommended_workers, 1);
  EXPECT_EQ(
      w.recommendation,
      "1 worker: the only count measured (3.00 s per epoch); judged by seconds per epoch: no target accuracy "
      "was given");
}

TEST(ScaleStudy, FallsBackToSecondsPerEpoch) {
  // Seconds per epoch (2 epochs each): 1: 20, 2: 10.4, 4: 10 -> 2 workers (10.4 <= 10.5).
  const std::vector<ScaleRun> runs = {make_run(1, 1000, {{0.5, 20}, {0.6, 40}}),
                                      make_run(2, 1900, {{0.5, 10.4}, {0.6, 20.8}}),
                                      make_run(4, 2000, {{0.5, 10}, {0.6, 20}})};
  const ScaleStudy none = analyze_scale_study(runs, options_with(std::nullopt, std::nullopt));
  EXPECT_EQ(none.recommendation_metric, "seconds_per_epoch");
  EXPECT_EQ(none.recommended_workers, 2);
  EXPECT_EQ(none.recommendation,
            "2 workers: within 5 % of the best seconds per epoch (10.4 s vs 10.0 s at 4 workers); judged by "
            "seconds "
            "per epoch: no target accuracy was given");
  const ScaleStudy missed = analyze_scale_study(runs, options_with(0.99, std::nullopt));
  EXPECT_EQ(missed.recommendation_metric, "seconds_per_epoch");
  EXPECT_EQ(missed.recommended_workers, 2);
  EXPECT_NE(missed.recommendation.find("no run reached 99 % accuracy"), std::string::npos)
      << missed.recommendation;
}

TEST(ScaleStudy, OversubscribedCountsAreFlaggedAndMentioned) {
  const ScaleStudy s = analyze_scale_study(
      {make_run(1, 1000, {{0.5, 10}}), make_run(2, 1900, {{0.5, 5.5}}), make_run(4, 1500, {{0.5, 7}})},
      options_with(std::nullopt, std::nullopt, /*cores=*/2));
  EXPECT_FALSE(row_of(s, 1).oversubscribed);
  EXPECT_FALSE(row_of(s, 2).oversubscribed);  // N == cores is not oversubscribed
  EXPECT_TRUE(row_of(s, 4).oversubscribed);
  EXPECT_NE(s.recommendation.find("4 workers oversubscribed"), std::string::npos) << s.recommendation;
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("2 hardware threads"), std::string::npos);
  EXPECT_NE(scale_study_table(s).find("4*"), std::string::npos);
  EXPECT_EQ(scale_study_json(s)["runs"][2]["oversubscribed"], true);
  // Unknown core count (0): nothing is flagged.
  const ScaleStudy unknown =
      analyze_scale_study({make_run(64, 1000, {{0.5, 10}})}, options_with(std::nullopt, std::nullopt, 0));
  EXPECT_FALSE(unknown.rows[0].oversubscribed);
}

TEST(ScaleStudy, JsonHasOneListAndEveryKey) {
  const ScaleStudy s = analyze_scale_study({make_run(1, 1000, {{0.8, 10}}), make_run(2, 1900, {{0.8, 5.5}})},
                                           options_with(0.8, 0.05));
  const nlohmann::json j = scale_study_json(s);
  int lists = 0;
  for (const auto& [key, value] : j.items()) lists += value.is_array() ? 1 : 0;
  EXPECT_EQ(lists, 1);
  for (const char* key :
       {"model", "data", "backend", "epochs", "target_accuracy", "price_per_core_hour", "cores",
        "dpeval_version", "efficiency_baseline_workers", "recommended_workers", "recommendation"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  ASSERT_EQ(j["runs"].size(), 2u);
  for (const char* key :
       {"workers", "global_batch", "samples_per_s", "efficiency", "step_ms", "step_breakdown_ms",
        "allreduce_gbps", "time_to_target_s", "final_test_accuracy", "final_test_loss", "seconds_per_epoch",
        "cost_per_epoch", "oversubscribed", "out_dir"}) {
    EXPECT_TRUE(j["runs"][1].contains(key)) << key;
  }
  EXPECT_EQ(j["runs"][1]["step_ms"]["p95"], 6.0);
  EXPECT_EQ(j["runs"][1]["step_breakdown_ms"]["comm_wait"], 0.5);
  EXPECT_EQ(j["runs"][1]["out_dir"], "runs/s/w2");
  EXPECT_EQ(j["recommended_workers"], 2);
}

TEST(ScaleStudy, ParsesWorkerCounts) {
  EXPECT_EQ(parse_worker_counts("1,2,4"), (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(parse_worker_counts("8, 2,2 ,1"), (std::vector<int>{1, 2, 8}));
  EXPECT_EQ(parse_worker_counts("3"), (std::vector<int>{3}));
  for (const char* bad : {"", "1,x", "0", "-1", "1,,2", "1,", "2.5", "99999999999", "1 2"}) {
    EXPECT_FALSE(parse_worker_counts(bad).has_value()) << bad;
  }
}

// A run reaches the study as a typed summary: its figures are the trainer's.
TEST(ScaleStudy, TakesARunSummary) {
  run::RunSummary summary;
  parallel::TrainResult& r = summary.train;
  r.config.model_spec = nn::load_model_spec("mlp");
  r.config.batch = 32;
  r.config.workers = 2;
  r.config.accumulate = 2;
  r.world = 2;
  r.samples_per_s = 1900.5;
  r.step_ms_p50 = 3.0;
  r.step_ms_p95 = 4.0;
  r.breakdown = {0.1, 2.5, 0.2, 0.2, 3.25};
  r.train_seconds = 12.0;
  parallel::EpochRecord e1, e2;
  e1.epoch = 1;
  e1.test_accuracy = 0.75;
  e1.seconds = 7.0;
  e1.train_seconds_cumulative = 6.0;
  e2.epoch = 2;
  e2.test_accuracy = 0.81;
  e2.test_loss = std::nan("");
  r.epochs = {e1, e2};
  const ScaleRun run = scale_run_from(summary, "out/w2");
  EXPECT_EQ(run.workers, 2);
  EXPECT_EQ(run.global_batch, 128);
  EXPECT_DOUBLE_EQ(run.samples_per_s, 1900.5);
  EXPECT_DOUBLE_EQ(run.step_ms_p95, 4.0);
  EXPECT_DOUBLE_EQ(run.breakdown.compute_ms, 2.5);
  EXPECT_DOUBLE_EQ(run.breakdown.allreduce_gbps, 3.25);
  EXPECT_EQ(run.final_test_accuracy, 0.81);
  EXPECT_FALSE(run.final_test_loss.has_value());
  EXPECT_EQ(run.out_dir, "out/w2");
  ASSERT_EQ(run.epochs.size(), 2u);
  EXPECT_EQ(run.epochs[0].train_seconds_cumulative, 6.0);
  EXPECT_FALSE(run.epochs[1].train_seconds_cumulative.has_value());
  // One timed epoch: 12 s per epoch.
  const ScaleStudy s = analyze_scale_study({run}, options_with(0.8, std::nullopt));
  EXPECT_DOUBLE_EQ(*s.rows[0].seconds_per_epoch, 12.0);
  EXPECT_FALSE(s.rows[0].time_to_target_s.has_value());  // the epoch that reached 0.8 has no time

  // An mpirun run's summary comes from its file: read back, it gives the same run.
  const ScaleRun read =
      scale_run_from(run::read_run_summary(run::run_summary_json(summary), "run.json"), "out/w2");
  EXPECT_EQ(read.samples_per_s, run.samples_per_s);
  EXPECT_EQ(read.global_batch, run.global_batch);
  EXPECT_EQ(read.breakdown.allreduce_gbps, run.breakdown.allreduce_gbps);
  EXPECT_EQ(read.final_test_accuracy, run.final_test_accuracy);
  EXPECT_EQ(read.epochs[0].train_seconds_cumulative, run.epochs[0].train_seconds_cumulative);
}

}  // namespace
}  // namespace dpeval::perf
