// `dpeval train` evaluates its final model: DIR/eval.json (the eval result
// document with the calibration after temperature scaling), DIR/report.html,
// DIR/report.md and summary.json's "evaluation" object; deterministic, the
// same after a resume, and skipped (saying why) when --max-steps leaves the
// final model uncheckpointed.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"

namespace {

using namespace dpeval::testing;
namespace fs = std::filesystem;
using nlohmann::json;

// Three overlapping Gaussian blobs in 4 features (so neither accuracy nor
// confidence is perfect and the temperature lands inside its bracket), with a
// categorical column to slice by.
std::string blobs_csv(int rows) {
  std::mt19937 gen(11);
  std::normal_distribution<double> noise(0.0, 1.2);
  std::string text = "a,b,c,d,city,label\n";
  for (int r = 0; r < rows; ++r) {
    const int label = r % 3;
    for (int f = 0; f < 4; ++f) text += std::to_string((f % 3 == label ? 1.5 : 0.0) + noise(gen)) + ",";
    text += std::string(r % 4 ? "Paris" : "Lyon") + "," + std::to_string(label) + "\n";
  }
  return text;
}

json read_json(const fs::path& p) { return json::parse(dpeval::read_file(p)); }

TEST(TrainEval, WritesTheDocumentReportsAndSummaryEvaluation) {
  const fs::path csv = write("train_eval.csv", blobs_csv(600));
  const fs::path run = test_dir() / "train_eval_run";
  const std::string args =
      "train --data " + csv.string() + " --epochs 3 --batch 16 --lr 0.05 --seed 4 --val-fraction 0.1 --out ";
  CliRun r = run_dpeval(args + run.string());
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* file : {"eval.json", "report.html", "report.md", "summary.json"}) {
    EXPECT_TRUE(fs::exists(run / file)) << file;
  }
  const json summary = read_json(run / "summary.json");
  ASSERT_TRUE(summary.contains("evaluation")) << summary.dump(1);
  const json& e = summary["evaluation"];
  EXPECT_EQ(e["eval_json"], (run / "eval.json").string());
  EXPECT_EQ(e["report_html"], (run / "report.html").string());
  EXPECT_EQ(e["report_md"], (run / "report.md").string());
  ASSERT_TRUE(e["ece"].is_number()) << e.dump();
  ASSERT_TRUE(e["ece_after_temperature"].is_number()) << e.dump();
  ASSERT_TRUE(e["temperature"].is_number()) << e.dump();
  const double t = e["temperature"].get<double>();
  EXPECT_TRUE(std::isfinite(t) && t > 0) << t;
  // 480 train rows after the 20 % test split: the seeded 10 % of them are the
  // validation split, held out of training.
  EXPECT_EQ(e["temperature_fit"]["rows"], 48);
  EXPECT_EQ(e["temperature_fit"]["split"], "validation");
  EXPECT_EQ(e["temperature_fit"]["held_out_from_training"], true);
  EXPECT_EQ(summary["config"]["val_fraction"], 0.1);
  EXPECT_EQ(e["test_rows"], 120);

  const json doc = read_json(run / "eval.json");
  EXPECT_EQ(doc["task"], "multiclass");
  EXPECT_EQ(doc["n"], 120);
  EXPECT_EQ(doc["calibration"]["bins"], 15);
  EXPECT_EQ(doc["calibration"]["ece"], e["ece"]);
  const json& after = doc["calibration"]["after_recalibration"];
  EXPECT_EQ(after["method"], "temperature");
  EXPECT_EQ(after["temperature"], e["temperature"]);
  EXPECT_EQ(after["fit_rows"], 48);
  EXPECT_EQ(after["ece"], e["ece_after_temperature"]);
  EXPECT_EQ(after["reliability"].size(), 15u);
  // The table's categorical column is a slice.
  EXPECT_EQ(doc["slices"]["columns"]["city"].size(), 2u);
  // The trainer's last test accuracy and the document's come from the same
  // parameters (the checkpoint holds them bitwise) on the same rows; both take
  // the argmax, the trainer of the logits, the document of the softmax, which
  // keeps their order (a tie made by rounding in the softmax could differ;
  // none occurs here).
  EXPECT_NEAR(doc["metrics"]["accuracy"].get<double>(), summary["final_test_accuracy"].get<double>(), 1e-6);

  // The reports show both reliability diagrams and the figures.
  const std::string html = dpeval::read_file(run / "report.html");
  EXPECT_NE(html.find("id=\"calibration\""), std::string::npos);
  EXPECT_NE(html.find("temperature"), std::string::npos);
  EXPECT_NE(dpeval::read_file(run / "report.md").find("accuracy"), std::string::npos);

  // The last lines on stderr say where the summary and the report are; the report's path ends the output.
  EXPECT_NE(r.err.find("summary:    " + (run / "summary.json").string() + "\n"), std::string::npos) << r.err;
  const std::string last = "report:     " + (run / "report.html").string() + " (and " + (run / "report.md").string() + ")\n";
  ASSERT_GE(r.err.size(), last.size()) << r.err;
  EXPECT_EQ(r.err.substr(r.err.size() - last.size()), last) << r.err;

  // Same seed, same evaluation, bitwise; and a run resumed from epoch 2 ends
  // with the same model and so the same evaluation.
  const fs::path again = test_dir() / "train_eval_again";
  ASSERT_EQ(run_dpeval(args + again.string()).code, 0);
  json e2 = read_json(again / "summary.json")["evaluation"];
  for (const char* key : {"ece", "ece_after_temperature", "temperature", "temperature_fit", "test_rows"}) {
    EXPECT_EQ(e2[key], e[key]) << key;
  }
  json doc2 = read_json(again / "eval.json");
  doc2.erase("source");
  json doc1 = doc;
  doc1.erase("source");
  EXPECT_EQ(doc1, doc2);

  const fs::path first = test_dir() / "train_eval_two";
  ASSERT_EQ(run_dpeval("train --data " + csv.string() +
                       " --epochs 2 --batch 16 --lr 0.05 --seed 4 --val-fraction 0.1 --out " + first.string())
                .code,
            0);
  const fs::path resumed = test_dir() / "train_eval_resumed";
  r = run_dpeval("train --resume " + (first / "checkpoint.dpck").string() + " --epochs 3 --out " +
                 resumed.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const json e3 = read_json(resumed / "summary.json")["evaluation"];
  for (const char* key : {"ece", "ece_after_temperature", "temperature", "temperature_fit", "test_rows"}) {
    EXPECT_EQ(e3[key], e[key]) << key;
  }
}

TEST(TrainEval, BinaryTablesGetABinaryDocument) {
  std::string text = "x,y,label\n";
  std::mt19937 gen(5);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (int r = 0; r < 400; ++r) {
    const int label = r % 2;
    text += std::to_string(label + noise(gen)) + "," + std::to_string(noise(gen)) + "," +
            std::to_string(label) + "\n";
  }
  const fs::path csv = write("train_eval_binary.csv", text);
  const fs::path run = test_dir() / "train_eval_binary";
  CliRun r =
      run_dpeval("train --data " + csv.string() + " --epochs 2 --batch 16 --lr 0.05 --out " + run.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const json doc = read_json(run / "eval.json");
  EXPECT_EQ(doc["task"], "binary");
  EXPECT_TRUE(doc["curves"].contains("roc"));
  EXPECT_FALSE(doc.contains("slices"));  // no categorical column
  EXPECT_TRUE(doc["calibration"]["after_recalibration"]["ece"].is_number());
  const json summary = read_json(run / "summary.json");
  EXPECT_NEAR(doc["metrics"]["accuracy"].get<double>(), summary["final_test_accuracy"].get<double>(), 1e-6);
  EXPECT_GT(summary["evaluation"]["temperature"].get<double>(), 0);
}

TEST(TrainEval, WithoutAValidationSplitTemperatureIsNotFittedAndTheDocumentSaysWhy) {
  const fs::path csv = write("train_eval_noval.csv", blobs_csv(300));
  const fs::path run = test_dir() / "train_eval_noval";
  CliRun r = run_dpeval("train --data " + csv.string() + " --epochs 1 --batch 16 --val-fraction 0 --out " +
                        run.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const json e = read_json(run / "summary.json")["evaluation"];
  EXPECT_TRUE(e["temperature"].is_null()) << e.dump();
  EXPECT_TRUE(e["ece_after_temperature"].is_null()) << e.dump();
  EXPECT_TRUE(e["ece"].is_number()) << e.dump();
  EXPECT_EQ(e["temperature_fit"]["rows"], 0);
  const json doc = read_json(run / "eval.json");
  EXPECT_FALSE(doc["calibration"].contains("after_recalibration"));
  EXPECT_NE(doc["warnings"].dump().find("no validation split"), std::string::npos) << doc["warnings"];
}

// An option out of its range is a usage error (exit 2) naming the option, in
// train as in every command.
TEST(TrainEval, AValidationFractionOutsideItsRangeIsAUsageError) {
  const fs::path csv = write("train_eval_badval.csv", blobs_csv(60));
  for (const char* bad : {"0.7", "-0.1", "nan"}) {
    CliRun r = run_dpeval("train --data " + csv.string() + " --epochs 1 --val-fraction " + bad + " --out " +
                          (test_dir() / "train_eval_badval").string());
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("--val-fraction"), std::string::npos) << r.err;
  }
}

TEST(TrainEval, MaxStepsSkipsTheEvaluationAndSaysWhy) {
  const fs::path csv = write("train_eval_cut.csv", blobs_csv(300));
  const fs::path run = test_dir() / "train_eval_cut";
  CliRun r = run_dpeval("train --data " + csv.string() + " --epochs 2 --batch 16 --max-steps 3 --out " +
                        run.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const json summary = read_json(run / "summary.json");
  EXPECT_NE(summary["evaluation"]["skipped"].get<std::string>().find("--max-steps"), std::string::npos)
      << summary["evaluation"];
  EXPECT_FALSE(fs::exists(run / "eval.json"));
  EXPECT_NE(r.err.find("evaluation skipped"), std::string::npos) << r.err;
}

}  // namespace
