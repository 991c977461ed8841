// `dpeval eval` as a user runs it: the result document, gates and their exit
// codes, bad input naming file, line and column, the HTML and Markdown files,
// and evaluating one of our checkpoints directly.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "cli/cli_test_util.h"

namespace {

using namespace dpeval::testing;
namespace fs = std::filesystem;
using nlohmann::json;

// 400 rows: half of region north's positives are scored 0.3 (missed), so its recall is 0.5.
std::string binary_csv() {
  std::string text = "label,score,region\n";
  for (int r = 0; r < 400; ++r) {
    const int label = r % 2;
    const bool north = r % 4 < 2;
    const bool wrong = north && r % 8 == 1;
    const double score = label == 1 ? (wrong ? 0.3 : 0.8 + 0.001 * (r % 50)) : 0.1 + 0.001 * (r % 50);
    text += std::to_string(label) + "," + std::to_string(score) + "," + (north ? "north" : "south") + "\n";
  }
  return text;
}

TEST(EvalCli, BinaryDocumentSlicesAndGates) {
  const fs::path csv = write("eval_binary.csv", binary_csv());
  const fs::path html = test_dir() / "report.html", md = test_dir() / "summary.md";
  CliRun r = run_dpeval("eval --predictions " + csv.string() +
                        " --task binary --slice-by region --bootstrap-resamples 200 --seed 3 --json --html " +
                        html.string() + " --md " + md.string() +
                        " --fail-if 'accuracy < 0.5' --fail-if 'slice:region=south:recall < 0.9'");
  ASSERT_EQ(r.code, 0) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["task"], "binary");
  EXPECT_EQ(doc["n"], 400);
  // 50 of 200 positives are scored 0.3: recall 0.75, accuracy 350/400.
  EXPECT_DOUBLE_EQ(doc["metrics"]["recall"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(doc["metrics"]["accuracy"].get<double>(), 350.0 / 400.0);
  EXPECT_EQ(doc["confusion_matrix"], json::parse("[[200, 0], [50, 150]]"));
  EXPECT_TRUE(doc["calibration"]["ece"].is_number());
  EXPECT_EQ(doc["calibration"]["reliability"].size(), 15u);
  EXPECT_FALSE(doc["curves"]["roc"].empty());
  const json& region = doc["slices"]["columns"]["region"];
  ASSERT_EQ(region.size(), 2u);
  for (const json& s : region) {
    const double expected = s["value"] == "north" ? 0.5 : 1.0;
    EXPECT_DOUBLE_EQ(s["metrics"]["recall"].get<double>(), expected) << s["value"];
    EXPECT_EQ(s["n"], 200);
  }
  const double lo = doc["intervals"]["accuracy"]["lo"].get<double>(),
               hi = doc["intervals"]["accuracy"]["hi"].get<double>();
  EXPECT_LT(lo, 0.875);
  EXPECT_GT(hi, 0.875);
  ASSERT_EQ(doc["gates"].size(), 2u);
  EXPECT_TRUE(doc["gates"][0]["passed"].get<bool>());
  EXPECT_TRUE(doc["gates"][1]["passed"].get<bool>());
  EXPECT_NE(dpeval::read_file(html).find("<svg"), std::string::npos);
  EXPECT_NE(dpeval::read_file(md).find("accuracy"), std::string::npos);

  // Same seed, same document.
  CliRun again = run_dpeval("eval --predictions " + csv.string() +
                            " --task binary --slice-by region --bootstrap-resamples 200 --seed 3 --json");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["intervals"], doc["intervals"]);
}

TEST(EvalCli, AFailedGateExitsFourAndAnUnknownTargetTwo) {
  const fs::path csv = write("eval_gates.csv", binary_csv());
  const fs::path out = test_dir() / "gates.json";
  CliRun r =
      run_dpeval("eval --predictions " + csv.string() + " --task binary --slice-by region --json-out " +
                 out.string() + " --fail-if 'slice:region=north:recall < 0.7' --fail-if 'accuracy < 0.5'");
  EXPECT_EQ(r.code, 4) << r.err;
  const json doc = json::parse(dpeval::read_file(out));
  EXPECT_FALSE(doc["gates"][0]["passed"].get<bool>());
  EXPECT_DOUBLE_EQ(doc["gates"][0]["value"].get<double>(), 0.5);
  EXPECT_TRUE(doc["gates"][1]["passed"].get<bool>());
  EXPECT_NE(r.out.find("FAIL"), std::string::npos) << r.out;

  for (const char* gate : {"'rmse > 1'", "'slice:region=east:recall < 0.7'", "'slice:city=x:recall < 1'",
                           "'fairness:equalized_odds_difference > 0.1'", "'accuracy <'"}) {
    r = run_dpeval("eval --predictions " + csv.string() + " --task binary --slice-by region --fail-if " +
                   gate);
    EXPECT_EQ(r.code, 2) << gate << ": " << r.err;
  }
}

TEST(EvalCli, BadInputExitsThreeNamingLineAndColumn) {
  const fs::path csv = write("eval_bad.csv", "label,score\n1,0.9\n0,1.5\n");
  CliRun r = run_dpeval("eval --predictions " + csv.string() + " --task binary");
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("eval_bad.csv:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("score"), std::string::npos) << r.err;
  const fs::path missing = write("eval_missing.csv", "label,prob\n1,0.9\n");
  r = run_dpeval("eval --predictions " + missing.string() + " --task binary");
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("score"), std::string::npos) << r.err;
  r = run_dpeval("eval --task binary");
  EXPECT_EQ(r.code, 2) << r.err;
}

TEST(EvalCli, RegressionAndMulticlass) {
  const fs::path reg = write("eval_reg.csv", "label,prediction\n1,1.5\n2,2\n3,2.5\n4,4\n");
  CliRun r = run_dpeval("eval --predictions " + reg.string() + " --task regression --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_DOUBLE_EQ(doc["metrics"]["mse"].get<double>(), 0.125);
  EXPECT_DOUBLE_EQ(doc["metrics"]["max_error"].get<double>(), 0.5);
  EXPECT_FALSE(doc.contains("calibration"));

  const fs::path multi =
      write("eval_multi.csv", "label,prob_0,prob_1,prob_2\n0,0.7,0.2,0.1\n1,0.1,0.8,0.1\n2,0.5,0.2,0.3\n");
  r = run_dpeval("eval --predictions " + multi.string() + " --task multiclass --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const json m = json::parse(r.out);
  EXPECT_DOUBLE_EQ(m["metrics"]["accuracy"].get<double>(), 2.0 / 3.0);
  EXPECT_EQ(m["per_class"].size(), 3u);
  EXPECT_EQ(m["num_classes"], 3);
}

TEST(EvalCli, EvaluatesACheckpointDirectly) {
  std::string text = "a,b,city,label\n";
  for (int r = 0; r < 300; ++r) {
    const int label = r % 2;
    text += std::to_string(label * 2.0 + (r % 7) * 0.1) + "," + std::to_string((r % 5) * 0.3) + "," +
            (r % 3 ? "Paris" : "Lyon") + "," + std::to_string(label) + "\n";
  }
  const fs::path csv = write("eval_train.csv", text);
  const fs::path run = test_dir() / "eval_run";
  CliRun r =
      run_dpeval("train --data " + csv.string() + " --epochs 3 --batch 16 --lr 0.05 --out " + run.string());
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_dpeval("eval --checkpoint " + (run / "checkpoint.dpck").string() + " --slice-by city --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["task"], "binary");
  EXPECT_GT(doc["n"].get<int>(), 0);
  EXPECT_TRUE(doc["metrics"]["roc_auc"].is_number());
  EXPECT_EQ(doc["slices"]["columns"]["city"].size(), 2u);
}

// K = 3 logits z of an overconfident model: labels drawn from softmax(z / 2.5).
std::string overconfident_csv(uint32_t seed, int rows) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, 3.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::string text = "label,logit_0,logit_1,logit_2,group\n";
  for (int r = 0; r < rows; ++r) {
    double z[3], p[3], sum = 0;
    for (int k = 0; k < 3; ++k) {
      z[k] = normal(rng);
      p[k] = std::exp(z[k] / 2.5);
      sum += p[k];
    }
    const double u = uniform(rng) * sum;
    const int label = u < p[0] ? 0 : u < p[0] + p[1] ? 1 : 2;
    text += std::to_string(label) + "," + std::to_string(z[0]) + "," + std::to_string(z[1]) + "," +
            std::to_string(z[2]) + "," + (r % 2 ? "a" : "b") + "\n";
  }
  return text;
}

TEST(CalibrateCli, TemperatureFixesAnOverconfidentModelOnHeldOutData) {
  const fs::path val = write("cal_val.csv", overconfident_csv(1, 3000));
  const fs::path test = write("cal_test.csv", overconfident_csv(2, 3000));
  const fs::path out = test_dir() / "calibrated.csv";
  CliRun r = run_dpeval("calibrate --method temperature --fit " + val.string() + " --apply " + test.string() +
                        " --out " + out.string() + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const json doc = json::parse(r.out);
  const double t = doc["recalibrator"]["temperature"].get<double>();
  EXPECT_NEAR(t, 2.5, 0.25);
  EXPECT_GT(doc["before"]["ece"].get<double>(), 0.1);
  EXPECT_LT(doc["after"]["ece"].get<double>(), 0.04);
  EXPECT_LT(doc["after"]["log_loss"].get<double>(), doc["before"]["log_loss"].get<double>());
  // The output is a prediction file dpeval eval reads, with the other columns kept.
  const std::string text = dpeval::read_file(out);
  EXPECT_EQ(text.substr(0, text.find('\n')), "label,prob_0,prob_1,prob_2,group");
  r = run_dpeval("eval --predictions " + out.string() + " --task multiclass --slice-by group --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NEAR(json::parse(r.out)["calibration"]["ece"].get<double>(), doc["after"]["ece"].get<double>(),
              1e-9);

  for (const char* method : {"platt", "isotonic"}) {
    r = run_dpeval(std::string("calibrate --method ") + method + " --fit " + val.string() + " --apply " +
                   test.string() + " --json");
    ASSERT_EQ(r.code, 0) << method << ": " << r.err;
    const json m = json::parse(r.out);
    EXPECT_LT(m["after"]["ece"].get<double>(), m["before"]["ece"].get<double>()) << method;
  }
}

TEST(CalibrateCli, BadMethodIsUsageAndOneClassFitSetIsBadInput) {
  const fs::path test = write("cal_test2.csv", overconfident_csv(3, 100));
  CliRun r = run_dpeval("calibrate --method magic --fit " + test.string() + " --apply " + test.string());
  EXPECT_EQ(r.code, 2) << r.err;
  const fs::path one = write("cal_one.csv", "label,logit_0,logit_1,logit_2\n1,0.1,2,0.3\n1,0.5,1,0\n");
  r = run_dpeval("calibrate --fit " + one.string() + " --apply " + test.string());
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("one class"), std::string::npos) << r.err;
}

// dpeval compare (eval/compare.h): 0 promotes, 4 keeps the champion, 3 for
// files of different rows, 2 for an unknown metric; the JSON says why.
TEST(CompareCli, ExitCodesSayPromoteOrKeep) {
  std::string weak = "label,prob_0,prob_1\n", strong = weak, other = weak;
  for (int r = 0; r < 400; ++r) {
    const int y = r % 2;
    const bool weak_right = r % 10 < 7, strong_right = r % 10 < 9;
    auto row = [&](bool right) {
      const double p1 = (right == (y == 1)) ? 0.8 : 0.2;
      return std::to_string(y) + "," + std::to_string(1 - p1) + "," + std::to_string(p1) + "\n";
    };
    weak += row(weak_right);
    strong += row(strong_right);
    other += r == 101 ? std::string("0,0.5,0.5\n") : row(strong_right);  // row 102: label 0, not 1
  }
  const fs::path a = write("cmp_weak.csv", weak), b = write("cmp_strong.csv", strong),
                 c = write("cmp_other.csv", other);
  const fs::path out = test_dir() / "compare.json";
  CliRun r = run_dpeval("compare --a " + a.string() + " --b " + b.string() + " --json-out " + out.string());
  EXPECT_EQ(r.code, 0) << r.err;
  const auto doc = nlohmann::json::parse(dpeval::read_file(out));
  EXPECT_TRUE(doc["promote"].get<bool>());
  EXPECT_NEAR(doc["gain"].get<double>(), 0.2, 1e-12);
  EXPECT_EQ(doc["only_challenger_right"], 80);
  r = run_dpeval("compare --a " + b.string() + " --b " + a.string());
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(r.err.find("KEEP THE CHAMPION"), std::string::npos) << r.err;
  r = run_dpeval("compare --a " + a.string() + " --b " + c.string());
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("row 102"), std::string::npos) << r.err;
  r = run_dpeval("compare --a " + a.string() + " --b " + b.string() + " --metric f1");
  EXPECT_EQ(r.code, 2) << r.err;
  r = run_dpeval("compare --a " + a.string() + " --b " + b.string() + " --bootstrap 0");
  EXPECT_EQ(r.code, 2) << r.err;
  r = run_dpeval("compare --a " + a.string() + " --b " + b.string() + " --json-out " + a.string());
  EXPECT_EQ(r.code, 2) << r.err;  // an output onto an input
}

}  // namespace
