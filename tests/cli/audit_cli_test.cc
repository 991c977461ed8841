// `dpeval audit` as a user runs it: the JSON document on stdout or in a file,
// gates and their exit codes (0 pass, 4 fail, 2 unknown name), bad input
// naming file and line (exit 3), and the self-contained HTML report.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"
#include "govern/audit_json.h"

namespace {

using namespace dpeval::testing;
namespace fs = std::filesystem;
using nlohmann::json;

// 3 duplicate rows (the last three copy rows 0..2), one email.
std::string train_csv() {
  std::string s = "x,cat,notes,label\n";
  for (int i = 0; i < 60; ++i) s += std::to_string(i) + "," + (i % 2 ? "a" : "b") + ",note " + std::to_string(i) + "," + std::to_string(i % 3) + "\n";
  s += "60,a,mail ann@example.com,0\n";
  for (int i = 0; i < 3; ++i) s += std::to_string(i) + "," + (i % 2 ? "a" : "b") + ",note " + std::to_string(i) + "," + std::to_string(i % 3) + "\n";
  return s;
}

// 20 new rows and 2 copied from train rows 10 and 11.
std::string test_csv() {
  std::string s = "x,cat,notes,label\n";
  for (int i = 100; i < 120; ++i) s += std::to_string(i) + ",a,other " + std::to_string(i) + "," + std::to_string(i % 3) + "\n";
  s += "10,b,note 10,1\n11,a,note 11,2\n";
  return s;
}

const json& check(const json& doc, const std::string& id) { return dpeval::testing::audit_check(doc, id); }

TEST(AuditCli, JsonOnStdoutAndPassingGates) {
  const fs::path train = write("audit_train.csv", train_csv()), test = write("audit_test.csv", test_csv());
  const CliRun r = run_dpeval("audit --train " + train.string() + " --test " + test.string() +
                              " --json --fail-if 'quality.duplicates.count > 3' --fail-if 'rows.test != 22'");
  ASSERT_EQ(r.code, 0) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["rows"]["train"], 64);
  EXPECT_EQ(check(doc, "quality.duplicates")["count"], 3);
  EXPECT_EQ(check(doc, "leakage.exact")["count"], 2);
  EXPECT_EQ(check(doc, "pii.email")["count"], 1);
  ASSERT_EQ(doc["gates"].size(), 2u);
  EXPECT_EQ(doc["gates"][0]["expression"], "quality.duplicates.count > 3");
  EXPECT_EQ(doc["gates"][0]["value"], 3.0);
  EXPECT_EQ(doc["gates"][0]["passed"], true);
}

// A gzip-compressed table is audited as the table it holds (not as an IDX array).
TEST(AuditCli, GzippedCsvIsAuditedAsATable) {
  const fs::path train = write("audit_gz.csv", train_csv());
  ASSERT_EQ(std::system(("gzip -kf " + train.string()).c_str()), 0);
  const CliRun r = run_dpeval("audit --train " + train.string() + ".gz --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["rows"]["train"], 64);
  EXPECT_EQ(check(doc, "quality.duplicates")["count"], 3);
  EXPECT_EQ(check(doc, "pii.email")["count"], 1);
}

TEST(AuditCli, FailingGatesExitFourAndAreAllListed) {
  const fs::path train = write("audit_train.csv", train_csv()), test = write("audit_test.csv", test_csv());
  const fs::path out = test_dir() / "audit.json";
  const CliRun r = run_dpeval("audit --train " + train.string() + " --test " + test.string() + " --json-out " +
                              out.string() + " --fail-if 'leakage.test_share > 0' --fail-if 'pii.count > 0'" +
                              " --fail-if 'quality.duplicates.count > 0' --fail-if 'leakage.near_duplicates.count > 0'");
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(r.err.find("4 of 4 gates failed"), std::string::npos) << r.err;
  const json doc = json::parse(dpeval::read_file(out));
  ASSERT_EQ(doc["gates"].size(), 4u);
  EXPECT_DOUBLE_EQ(doc["gates"][0]["value"].get<double>(), 2.0 / 22);
  EXPECT_FALSE(doc["gates"][0]["passed"]);
  EXPECT_FALSE(doc["gates"][1]["passed"]);
  EXPECT_FALSE(doc["gates"][2]["passed"]);
  EXPECT_TRUE(doc["gates"][3]["value"].is_null());  // not images: skipped, so the gate fails
  EXPECT_FALSE(doc["gates"][3]["passed"]);
  EXPECT_NE(r.out.find("gate FAIL pii.count > 0"), std::string::npos) << r.out;
}

TEST(AuditCli, UnknownGateNameIsAUsageError) {
  const fs::path train = write("audit_train.csv", train_csv());
  const CliRun r = run_dpeval("audit --train " + train.string() + " --fail-if 'quality.dupes > 0'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no audit figure 'quality.dupes'"), std::string::npos) << r.err;
  const CliRun bad = run_dpeval("audit --train " + train.string() + " --fail-if 'quality.duplicates.count >'");
  EXPECT_EQ(bad.code, 2);
}

TEST(AuditCli, BadInputNamesFileAndLine) {
  const fs::path bad = write("audit_bad.csv", "x,label\n1,0\n2,1\n3,1,9\n");
  const CliRun r = run_dpeval("audit --train " + bad.string());
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find(bad.string() + ":4: record has 3 fields, expected 2"), std::string::npos) << r.err;
  const CliRun missing = run_dpeval("audit --train " + (test_dir() / "nope.csv").string());
  EXPECT_EQ(missing.code, 3);
  EXPECT_NE(missing.err.find("nope.csv: cannot open"), std::string::npos) << missing.err;
  const fs::path schema = write("audit_schema.toml", "[columns.x]\ntype = \"integr\"\n");
  const fs::path good = write("audit_train.csv", train_csv());
  const CliRun s = run_dpeval("audit --train " + good.string() + " --schema " + schema.string());
  EXPECT_EQ(s.code, 3);
  EXPECT_NE(s.err.find(schema.string() + ":2:8: type must be one of"), std::string::npos) << s.err;
}

TEST(AuditCli, HtmlReportIsSelfContainedAndEscaped) {
  const fs::path train = write("audit_html.csv", "x,\"<b>col</b>\",label\n1,<script>,0\n2,b,1\n1,<script>,0\n");
  const fs::path html = test_dir() / "audit.html";
  const CliRun r = run_dpeval("audit --train " + train.string() + " --html " + html.string() +
                              " --fail-if 'quality.duplicates.count > 0'");
  EXPECT_EQ(r.code, 4) << r.err;
  const std::string page = dpeval::read_file(html);
  EXPECT_NE(page.find("data-check=\"quality.duplicates\""), std::string::npos);
  EXPECT_NE(page.find("id=\"gates\""), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("<b>col"), std::string::npos);
  EXPECT_EQ(page.find("http"), std::string::npos);
  EXPECT_EQ(page.find("src="), std::string::npos);
}

}  // namespace
