// dpeval profile and dpeval drift as a user runs them: exit codes (0 ok, 2
// usage, 3 bad input, 4 a gate failed), a profile that drifts like its file,
// the reports, and outputs that may not land on inputs.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_test_util.h"

namespace dpeval::testing {
namespace {

using json = nlohmann::json;

// 1200 rows: the reference is large enough for the distance methods.
std::string table(double shift, bool with_text_in_b = false) {
  std::ostringstream t;
  t << "a,b,colour,y\n";
  for (int i = 0; i < 1200; ++i) {
    const double a = (i * 37 % 1000) / 100.0 + shift;
    t << a << "," << (with_text_in_b && i == 7 ? std::string("oops") : std::to_string(i % 50)) << ","
      << (i % 3 == 0 ? "red" : (i % 3 == 1 ? "green" : "blue")) << "," << (i % 2) << "\n";
  }
  return t.str();
}

json read_json(const fs::path& p) { return json::parse(dpeval::read_file(p)); }

TEST(DriftCli, ProfileThenDriftEqualsDriftAgainstTheFile) {
  const fs::path ref = write("d_ref.csv", table(0)), cur = write("d_cur.csv", table(3));
  const fs::path profile = test_dir() / "ref.profile.json";
  CliRun r = run_dpeval("profile --data " + ref.string() + " --label-col y --out " + profile.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const json p = read_json(profile);
  EXPECT_EQ(p["schema"], "dpeval.profile/1");
  EXPECT_EQ(p["source"]["sha256"].get<std::string>().size(), 64u);
  const fs::path raw_out = test_dir() / "raw.json", prof_out = test_dir() / "prof.json";
  r = run_dpeval("drift --reference " + ref.string() + " --current " + cur.string() +
                 " --label-col y --json-out " + raw_out.string());
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_dpeval("drift --reference " + profile.string() + " --current " + cur.string() +
                 " --label-col y --json-out " + prof_out.string());
  ASSERT_EQ(r.code, 0) << r.err;
  json a = read_json(raw_out), b = read_json(prof_out);
  EXPECT_EQ(a["drifted_columns"], json::array({"a"}));
  EXPECT_FALSE(a["dataset_drift"].get<bool>());  // 1 of 3 features
  EXPECT_EQ(a["label"]["name"], "y");
  a.erase("reference");
  b.erase("reference");
  EXPECT_EQ(a, b);
}

TEST(DriftCli, GatesExitFourAndUnknownNamesAreUsageErrors) {
  const fs::path ref = write("g_ref.csv", table(0)), cur = write("g_cur.csv", table(3));
  const std::string base = "drift --reference " + ref.string() + " --current " + cur.string();
  EXPECT_EQ(run_dpeval(base + " --fail-if \"dataset_drift == 1\"").code, 0);  // 1 of 4 columns
  EXPECT_EQ(run_dpeval(base + " --drift-share 0.25 --fail-if \"dataset_drift == 1\"").code, 4);
  EXPECT_EQ(run_dpeval(base + " --fail-if \"share_drifted > 0.99\"").code, 0);
  EXPECT_EQ(run_dpeval(base + " --fail-if \"psi.a > 0.2\"").code, 4);
  const CliRun bad = run_dpeval(base + " --fail-if \"psi.nope > 0.2\"");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("share_drifted"), std::string::npos) << bad.err;
  EXPECT_EQ(run_dpeval(base + " --fail-if \"psi.a >\"").code, 2);
}

TEST(DriftCli, BadInputIsExitThreeNamingFileAndColumn) {
  const fs::path ref = write("b_ref.csv", table(0));
  const fs::path missing = write("b_missing.csv", "a,colour,y\n1,red,0\n2,blue,1\n");
  CliRun r = run_dpeval("drift --reference " + ref.string() + " --current " + missing.string());
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("b_missing.csv"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'b'"), std::string::npos) << r.err;
  const fs::path typed = write("b_typed.csv", table(0, true));
  r = run_dpeval("drift --reference " + ref.string() + " --current " + typed.string());
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("'b'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("b_typed.csv"), std::string::npos) << r.err;
  const fs::path ragged = write("b_ragged.csv", "a,b,colour,y\n1,2,red,0\n1,2\n");
  r = run_dpeval("drift --reference " + ref.string() + " --current " + ragged.string());
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("b_ragged.csv:3"), std::string::npos) << r.err;
  const fs::path empty = write("b_empty.csv", "");
  EXPECT_EQ(run_dpeval("drift --reference " + empty.string() + " --current " + ref.string()).code, 3);
  const fs::path other = write("b_other.profile.json", R"({"schema": "dpeval.profile/9", "columns": []})");
  r = run_dpeval("drift --reference " + other.string() + " --current " + ref.string());
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("b_other.profile.json"), std::string::npos) << r.err;
}

TEST(DriftCli, OptionsAreBounded) {
  const fs::path ref = write("o_ref.csv", table(0)), cur = write("o_cur.csv", table(0));
  const std::string base = "drift --reference " + ref.string() + " --current " + cur.string();
  EXPECT_EQ(run_dpeval(base + " --method magic").code, 2);
  EXPECT_EQ(run_dpeval(base + " --threshold -1").code, 2);
  EXPECT_EQ(run_dpeval(base + " --threshold nan").code, 2);
  EXPECT_EQ(run_dpeval(base + " --drift-share 0").code, 2);
  EXPECT_EQ(run_dpeval(base + " --drift-share 1.5").code, 2);
  EXPECT_EQ(run_dpeval(base + " --method domain-classifier").code, 2);  // not images
  EXPECT_EQ(run_dpeval("drift --reference " + ref.string() + " --current x.profile.json").code, 2);
  EXPECT_EQ(run_dpeval(base + " --method ks --threshold 0.01").code, 0);
}

TEST(DriftCli, OutputsMayNotLandOnInputsAndReportsAreWritten) {
  const fs::path ref = write("w_ref.csv", table(0)), cur = write("w_cur.csv", table(1));
  const std::string before = dpeval::read_file(cur);
  const std::string base = "drift --reference " + ref.string() + " --current " + cur.string();
  EXPECT_EQ(run_dpeval(base + " --json-out " + cur.string()).code, 2);
  EXPECT_EQ(run_dpeval(base + " --html " + ref.string()).code, 2);
  EXPECT_EQ(dpeval::read_file(cur), before);
  const fs::path html = test_dir() / "drift.html", md = test_dir() / "drift.md";
  const CliRun r = run_dpeval(base + " --html " + html.string() + " --md " + md.string() + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["schema"], "dpeval.drift/1");
  EXPECT_NE(dpeval::read_file(html).find("data-column=\"a\""), std::string::npos);
  EXPECT_NE(dpeval::read_file(md).find("Dataset drift"), std::string::npos);
  EXPECT_EQ(run_dpeval("profile --data " + ref.string() + " --out " + ref.string()).code, 2);
}

// A model's reference predictions travel in the profile; a predictions file
// of new data (dpeval predict's prob_* columns) drifts against them.
TEST(DriftCli, ProfileWithACheckpointHoldsTheReferencePredictions) {
  std::ostringstream t;
  t << "a,b,y\n";
  for (int i = 0; i < 400; ++i)
    t << (i % 2 ? 1.0 : -1.0) + (i * 37 % 100) / 100.0 << "," << (i * 13 % 50) / 10.0 << "," << i % 2 << "\n";
  const fs::path csv = write("p_train.csv", t.str());
  const fs::path run = test_dir() / "p_run";
  CliRun r = run_dpeval("train --data " + csv.string() + " --label-col y --epochs 2 --batch 16 --out " +
                        run.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const fs::path profile = test_dir() / "p.profile.json";
  r = run_dpeval("profile --data " + csv.string() + " --label-col y --checkpoint " +
                 (run / "checkpoint.dpck").string() + " --out " + profile.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const json model = read_json(profile)["model"];
  EXPECT_EQ(model["num_classes"], 2);
  EXPECT_GT(model["accuracy"].get<double>(), 0.5);
  EXPECT_TRUE(model["ece"].is_number());
  EXPECT_GT(model["temperature"].get<double>(), 0);
  EXPECT_NEAR(model["predicted_share"][0].get<double>() + model["predicted_share"][1].get<double>(), 1.0,
              1e-12);
  const fs::path predictions = test_dir() / "p_predictions.csv";
  r = run_dpeval("predict --checkpoint " + (run / "checkpoint.dpck").string() + " --data " + csv.string() +
                 " --out " + predictions.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const fs::path out = test_dir() / "p_drift.json";
  r = run_dpeval("drift --reference " + profile.string() + " --current " + predictions.string() +
                 " --predictions-only " + "--json-out " + out.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const json doc = read_json(out);
  ASSERT_EQ(doc["predictions"].size(), 2u) << doc["predictions"].dump();
  EXPECT_EQ(doc["predictions"][0]["name"], "prob_0");
  EXPECT_EQ(doc["reference_model"]["num_classes"], 2);
}

}  // namespace
}  // namespace dpeval::testing
