// The run directory of `dpeval train` as a whole (run/pipeline.h): versioned
// documents, class names, the data audit, the command that reproduces the run,
// and `dpeval report --run DIR` rebuilding the report or refusing, exit 3 and
// naming the file, a directory it cannot read.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "cli/cli_test_util.h"

namespace {

using namespace dpeval::testing;
namespace fs = std::filesystem;
using nlohmann::json;

json read_json(const fs::path& p) { return json::parse(dpeval::read_file(p)); }

// Three Gaussian blobs in 3 features, an email column (PII for the audit) and
// a duplicated row.
std::string blobs_csv(int rows) {
  std::mt19937 gen(5);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::string text = "a,b,c,contact,label\n";
  for (int r = 0; r < rows; ++r) {
    const int label = r % 3;
    for (int f = 0; f < 3; ++f) text += std::to_string((f == label ? 2.0 : 0.0) + noise(gen)) + ",";
    text += (r % 10 == 0 ? "user" + std::to_string(r) + "@example.com" : std::string("none")) + "," +
            std::to_string(label) + "\n";
  }
  text += "1.5,0.25,0.5,none,0\n1.5,0.25,0.5,none,0\n";
  return text;
}

// One trained run shared by the tests below (training is the slow part).
const fs::path& trained_run() {
  static const fs::path run = [] {
    const fs::path csv = write("run_report.csv", blobs_csv(300));
    const fs::path dir = test_dir() / "run_report_run";
    const CliRun r = run_dpeval(
        "train --data " + csv.string() +
        " --epochs 2 --batch 16 --seed 3 --workers 2 --class-names cat,dog,fox --out " + dir.string());
    EXPECT_EQ(r.code, 0) << r.err;
    return dir;
  }();
  return run;
}

// --class-names of the wrong count is refused before training starts: no
// checkpoint is written and no epoch is spent.
TEST(RunReport, ClassNamesOfTheWrongCountAreRefusedBeforeTraining) {
  const fs::path csv = write("run_report_names.csv", blobs_csv(60));
  const fs::path dir = test_dir() / "run_report_names";
  const CliRun r =
      run_dpeval("train --data " + csv.string() + " --epochs 1 --class-names cat,dog --out " + dir.string());
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("--class-names: 2 names for the 3 classes"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "checkpoint.dpck"));
  EXPECT_EQ(r.err.find("epoch 1/"), std::string::npos) << r.err;
}

// The scaling efficiency's 1-worker figure can come from a `dpeval scale`
// study: its 1-worker run's samples/s, the study's version checked first.
TEST(RunReport, BaselineFromAScaleStudy) {
  const fs::path csv = write("run_report_scale.csv", blobs_csv(120));
  const fs::path study = write("scale_study.json", R"({"schema": "dpeval.scale/1", "runs": [
      {"workers": 1, "samples_per_s": 1000.0}, {"workers": 2, "samples_per_s": 1800.0}]})");
  const fs::path dir = test_dir() / "run_report_baseline";
  const std::string base = "train --data " + csv.string() + " --epochs 1 --workers 2 --audit off --out ";
  const CliRun r = run_dpeval(base + dir.string() + " --baseline-scale " + study.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const json summary = read_json(dir / "summary.json");
  EXPECT_EQ(summary["baseline_samples_per_s"], 1000.0);
  EXPECT_NE(summary["command"].get<std::string>().find("--baseline-samples-per-s 1000"), std::string::npos);

  const fs::path old = write("scale_old.json", R"({"runs": [{"workers": 1, "samples_per_s": 1000.0}]})");
  const CliRun refused = run_dpeval(base + (test_dir() / "run_report_baseline_old").string() +
                                    " --baseline-scale " + old.string());
  EXPECT_EQ(refused.code, 3) << refused.err;
  EXPECT_NE(refused.err.find("scale_old.json"), std::string::npos) << refused.err;
  const fs::path none = write("scale_no_one.json", R"({"schema": "dpeval.scale/1", "runs": [
      {"workers": 2, "samples_per_s": 1800.0}]})");
  const CliRun no_one = run_dpeval(base + (test_dir() / "run_report_baseline_none").string() +
                                   " --baseline-scale " + none.string());
  EXPECT_EQ(no_one.code, 3) << no_one.err;
  EXPECT_NE(no_one.err.find("no 1-worker run"), std::string::npos) << no_one.err;
  const CliRun both = run_dpeval(base + (test_dir() / "run_report_baseline_both").string() +
                                 " --baseline-scale " + study.string() + " --baseline-samples-per-s 5");
  EXPECT_EQ(both.code, 2) << both.err;
}

TEST(RunReport, TheRunDirectoryHoldsVersionedDocumentsWithClassNamesAndTheAudit) {
  const fs::path& run = trained_run();
  for (const char* file :
       {"summary.json", "eval.json", "audit.json", "audit.html", "report.html", "report.md"}) {
    EXPECT_TRUE(fs::exists(run / file)) << file;
  }
  const json summary = read_json(run / "summary.json");
  const json eval = read_json(run / "eval.json");
  const json audit = read_json(run / "audit.json");
  EXPECT_EQ(summary["schema"], "dpeval.summary/1");
  EXPECT_EQ(eval["schema"], "dpeval.eval/1");
  EXPECT_EQ(audit["schema"], "dpeval.audit/1");
  EXPECT_EQ(summary["class_names"], json({"cat", "dog", "fox"}));
  EXPECT_EQ(eval["class_names"], json({"cat", "dog", "fox"}));
  ASSERT_EQ(eval["per_class"].size(), 3u);
  EXPECT_EQ(eval["per_class"][2]["name"], "fox");
  const json& headline = summary["audit"]["headline"];
  EXPECT_EQ(summary["audit"]["json"], "audit.json");
  EXPECT_GE(headline["duplicates"].get<int>(), 1) << headline.dump();
  EXPECT_GE(headline["pii"].get<int>(), 30) << headline.dump();  // the 30 emails
  EXPECT_TRUE(summary["wall_seconds"].is_number());
  EXPECT_TRUE(summary["cpu"].is_string());
  EXPECT_TRUE(summary["scaling_efficiency"].is_null());  // no baseline given
  EXPECT_NE(summary["command"].get<std::string>().find(" --class-names cat,dog,fox "), std::string::npos)
      << summary["command"];
}

TEST(RunReport, TheRecordedCommandReproducesTheRun) {
  const fs::path& run = trained_run();
  const json summary = read_json(run / "summary.json");
  std::string command = summary["command"].get<std::string>();
  // Every setting is spelled out; rerun it into another directory.
  ASSERT_EQ(command.rfind("dpeval train ", 0), 0u) << command;
  const std::string out_flag = " --out " + run.string();
  ASSERT_NE(command.find(out_flag), std::string::npos) << command;
  const fs::path again = test_dir() / "run_report_again";
  command.replace(command.find(out_flag), out_flag.size(), " --out " + again.string());
  const CliRun r = run_dpeval(command.substr(std::string("dpeval ").size()));
  ASSERT_EQ(r.code, 0) << r.err;
  json a = read_json(run / "eval.json"), b = read_json(again / "eval.json");
  a.erase("source");
  b.erase("source");
  EXPECT_EQ(a, b);
  EXPECT_EQ(read_json(run / "summary.json")["config_hash"], read_json(again / "summary.json")["config_hash"]);
}

TEST(RunReport, ReportRunRebuildsTheSameReport) {
  const fs::path& run = trained_run();
  const std::string html = dpeval::read_file(run / "report.html"), md = dpeval::read_file(run / "report.md");
  fs::remove(run / "report.html");
  fs::remove(run / "report.md");
  const CliRun r = run_dpeval("report --run " + run.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(dpeval::read_file(run / "report.html"), html);
  EXPECT_EQ(dpeval::read_file(run / "report.md"), md);
}

TEST(RunReport, ReportRunRefusesWhatItCannotReadNamingTheFile) {
  const fs::path& run = trained_run();
  const fs::path copy = test_dir() / "run_report_copy";
  fs::remove_all(copy);
  fs::copy(run, copy);
  const auto expect_refused = [&](const std::string& file, const std::string& why) {
    const CliRun r = run_dpeval("report --run " + copy.string());
    EXPECT_EQ(r.code, 3) << why << ": " << r.err;
    EXPECT_NE(r.err.find((copy / file).string()), std::string::npos) << why << ": " << r.err;
  };
  json summary = read_json(copy / "summary.json");
  // A summary from before versioned documents (no "schema") and one from a later version.
  summary.erase("schema");
  dpeval::write_file_atomic(copy / "summary.json", summary.dump());
  expect_refused("summary.json", "no schema");
  summary["schema"] = "dpeval.summary/2";
  dpeval::write_file_atomic(copy / "summary.json", summary.dump());
  expect_refused("summary.json", "a later version");
  summary["schema"] = "dpeval.summary/1";
  dpeval::write_file_atomic(copy / "summary.json", summary.dump());
  json eval = read_json(copy / "eval.json");
  eval["schema"] = "dpeval.audit/1";
  dpeval::write_file_atomic(copy / "eval.json", eval.dump());
  expect_refused("eval.json", "another kind of document");
  fs::remove(copy / "eval.json");
  expect_refused("eval.json", "missing");
  dpeval::write_file_atomic(copy / "eval.json", "{\"schema\": ");
  expect_refused("eval.json", "not JSON");
  fs::remove(copy / "summary.json");
  expect_refused("summary.json", "no summary");

  // An output aimed at an input (a symlink from report.html to the evaluation) is a usage error, and loses
  // nothing.
  fs::remove_all(copy);
  fs::copy(run, copy);
  fs::remove(copy / "report.html");
  fs::create_symlink(copy / "eval.json", copy / "report.html");
  const std::string eval_bytes = dpeval::read_file(copy / "eval.json");
  const CliRun aimed = run_dpeval("report --run " + copy.string());
  EXPECT_EQ(aimed.code, 2) << aimed.err;
  EXPECT_EQ(dpeval::read_file(copy / "eval.json"), eval_bytes);

  EXPECT_EQ(run_dpeval("report --run " + (test_dir() / "no_such_run").string()).code, 3);
  EXPECT_EQ(run_dpeval("report").code, 2);
}

TEST(RunReport, AuditOffIsRecordedAndTheReportStillBuilds) {
  const fs::path csv = write("run_report_off.csv", blobs_csv(150));
  const fs::path dir = test_dir() / "run_report_off";
  const CliRun r =
      run_dpeval("train --data " + csv.string() + " --epochs 1 --batch 16 --audit off --out " + dir.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const json summary = read_json(dir / "summary.json");
  EXPECT_EQ(summary["audit"]["skipped"], "--audit off");
  EXPECT_FALSE(fs::exists(dir / "audit.json"));
  EXPECT_EQ(summary["class_names"], json({"0", "1", "2"}));
  EXPECT_EQ(run_dpeval("report --run " + dir.string()).code, 0);
  EXPECT_EQ(run_dpeval("train --data " + csv.string() + " --audit maybe --out " + dir.string()).code, 2);
}

}  // namespace
