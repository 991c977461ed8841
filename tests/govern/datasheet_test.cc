// Datasheets: every Gebru et al. section, answers from provenance and the
// audit, and the unanswered questions listed at the end.
#include "dpeval/govern/datasheet.h"

#include <gtest/gtest.h>

#include <string>

#include "dpeval/core/error.h"

namespace dpeval::govern {
namespace {

Manifest sample_manifest() {
  Manifest m;
  ManifestFile f;
  f.path = "train.csv";
  f.size = 1234;
  f.sha256 = std::string(64, 'a');
  f.format = "csv";
  f.rows = 100;
  f.columns = nlohmann::json::array(
      {{{"name", "age"},
        {"type", "integer"},
        {"missing", 3},
        {"distinct", 40},
        {"distinct_capped", false},
        {"min", 18},
        {"max", 90},
        {"mean", 41.5}},
       {{"name", "label"}, {"type", "string"}, {"missing", 0}, {"distinct", 2}, {"distinct_capped", false}}});
  m.files.push_back(f);
  m.provenance = {{"origin", "A city survey, 2021"},
                  {"license", "CC-BY-4.0"},
                  {"name", "Survey"},
                  {"intended_use", "Teaching | demos"}};
  m.datasheet = "datasheet.toml";
  return m;
}

const char* const kAudit = R"({"schema": "dpeval.audit/1", "rows": {"train": 100},
  "checks": [
    {"id": "quality.missing", "severity": "warn", "count": 3, "value": 0.03, "message": "3 missing ages", "examples": []},
    {"id": "quality.duplicates", "severity": "info", "count": 0, "value": 0, "message": "no duplicates"},
    {"id": "leakage.exact", "severity": "fail", "count": 2, "value": null, "message": "2 test rows in train"},
    {"id": "pii.email", "severity": "fail", "count": 5, "message": "5 emails in note"}
  ],
  "gates": []})";

TEST(DatasheetTest, SectionsAnswersAndUnansweredQuestions) {
  const Manifest m = sample_manifest();
  const AuditSummary audit = parse_audit_json(kAudit, "audit.json");
  DatasheetInputs in{&m, "data.manifest.json", &audit, "audit.json"};
  const Datasheet d = render_datasheet(in);
  const std::string& md = d.markdown;
  size_t at = 0;
  for (const char* section : {"# Datasheet: Survey", "## Motivation", "## Composition",
                              "## Collection process", "## Preprocessing/cleaning/labeling", "## Uses",
                              "## Distribution", "## Maintenance", "## Unanswered questions"}) {
    const size_t pos = md.find(section);
    ASSERT_NE(pos, std::string::npos) << section;
    EXPECT_GT(pos + 1, at) << section << " out of order";
    at = pos;
  }
  EXPECT_NE(md.find("A city survey, 2021"), std::string::npos);
  EXPECT_NE(md.find("CC-BY-4.0"), std::string::npos);
  EXPECT_NE(md.find("| age | integer | 3 | 40 | 18 | 90 | 41.5 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| quality.missing | warn | 3 | 0.03 | 3 missing ages |"), std::string::npos) << md;
  EXPECT_NE(md.find("| leakage.exact | fail | 2 | - | 2 test rows in train |"), std::string::npos);
  EXPECT_NE(md.find("| pii.email | fail | 5 | - | 5 emails in note |"), std::string::npos);
  EXPECT_NE(md.find(m.content_hash()), std::string::npos);
  // Unanswered: no provenance for these, and the audit has no imbalance check.
  const std::string tail = md.substr(md.find("## Unanswered questions"));
  for (const char* field : {"`motivation`", "`collection_process`", "`labeling_process`", "`known_biases`",
                            "`maintainer`", "the audit has no such check"}) {
    EXPECT_NE(tail.find(field), std::string::npos) << field;
  }
  for (const char* answered : {"`origin`", "`license`", "`intended_use`"}) {
    EXPECT_EQ(tail.find(answered), std::string::npos) << answered;
  }
  EXPECT_EQ(d.unanswered.size(), 13u);
}

TEST(DatasheetTest, WithoutAnAuditTheMeasuredQuestionsAreOpen) {
  const Manifest m = sample_manifest();
  DatasheetInputs in{&m, "m.json", nullptr, ""};
  const Datasheet d = render_datasheet(in);
  EXPECT_NE(d.markdown.find("no audit results were given"), std::string::npos);
  EXPECT_EQ(d.unanswered.size(), 17u);
  EXPECT_EQ(render_datasheet(in).markdown, d.markdown);
}

std::string input_error(std::string_view text) {
  try {
    parse_audit_json(text, "audit.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

TEST(DatasheetTest, MalformedAuditNamesTheField) {
  EXPECT_NE(input_error("{oops").find("audit.json: malformed JSON"), std::string::npos);
  EXPECT_NE(input_error(R"({"schema": "dpeval.audit/1"})").find("audit.json: checks: missing"),
            std::string::npos);
  EXPECT_NE(input_error("{}").find("audit.json: no \"schema\" field"), std::string::npos);
  EXPECT_NE(input_error(R"({"schema": "dpeval.audit/9", "checks": []})").find("not one this dpeval reads"),
            std::string::npos);
  EXPECT_NE(input_error(R"({"schema": "dpeval.audit/1", "checks": {}})")
                .find("checks: is object, expected an array"),
            std::string::npos);
  EXPECT_NE(
      input_error(R"({"schema": "dpeval.audit/1", "checks": [{"severity": "warn"}]})").find("checks[0].id"),
      std::string::npos);
  EXPECT_NE(input_error(R"({"schema": "dpeval.audit/1", "checks": [{"id": "x", "count": "3"}]})")
                .find("checks[0].count: is string"),
            std::string::npos);
}

}  // namespace
}  // namespace dpeval::govern
