// render_markdown / write_markdown: the summary's tables, worst five slices
// that are not too small, escaping for Markdown tables, parts only when present.
#include "dpeval/report/markdown.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "dpeval/core/error.h"
#include "dpeval/report/internal/text.h"
#include "report/report_test_util.h"

namespace dpeval::report {
namespace {

using nlohmann::json;
using testing::count_of;
using testing::sample_doc;

TEST(RenderMarkdown, FullSample) {
  json doc = sample_doc();
  std::string md = render_markdown(doc);
  EXPECT_TRUE(md.starts_with("### dpeval eval: preds\\_val.csv\n\nbinary · n = 10,000 · 2 classes\n\n"));
  EXPECT_NE(md.find("| accuracy | " + internal::format_number(doc["metrics"]["accuracy"]) + " | "),
            std::string::npos);
  EXPECT_NE(md.find("95% bootstrap intervals (poisson, 1,000 resamples, seed 0)"), std::string::npos);
  size_t passed = 0;
  for (const json& g : doc["gates"]) passed += g["passed"].get<bool>();
  EXPECT_EQ(count_of(md, "| ✅ |"), passed);
  EXPECT_EQ(count_of(md, "| ❌ |"), doc["gates"].size() - passed);
  EXPECT_NE(md.find("**Worst slices** by accuracy (higher is better), slices with n ≥ 30"),
            std::string::npos);
  EXPECT_NE(md.find("**Fairness** by sex"), std::string::npos);
  EXPECT_NE(md.find("| equalized odds difference | " +
                    internal::format_number(doc["fairness"]["equalized_odds_difference"]) + " |"),
            std::string::npos);
  EXPECT_NE(md.find("**Warnings**\n\n- "), std::string::npos);
  EXPECT_TRUE(md.ends_with("\n"));
  EXPECT_FALSE(md.ends_with("\n\n"));
  EXPECT_EQ(md.find("<script"), std::string::npos);  // the sample's hostile browser value
}

json slice(const std::string& value, double accuracy, int n = 100, bool too_small = false) {
  return {{"value", value}, {"n", n}, {"too_small", too_small}, {"metrics", {{"accuracy", accuracy}}}};
}

TEST(RenderMarkdown, WorstFiveSlicesSkipTooSmall) {
  json rows = json::array();
  for (int i = 0; i < 8; ++i)
    rows.push_back(slice(std::string("v").append(std::to_string(i)), 0.5 + 0.05 * i));
  rows.push_back(slice("tiny", 0.1, 5, true));
  std::string md = render_markdown({{"slices", {{"columns", {{"col", rows}}}}}});
  EXPECT_EQ(md.find("tiny"), std::string::npos);
  for (int i = 0; i < 5; ++i)
    EXPECT_NE(md.find(std::string("| col = v").append(std::to_string(i)).append(" |")), std::string::npos)
        << i;
  EXPECT_EQ(md.find("v5"), std::string::npos);
  EXPECT_LT(md.find("v0"), md.find("v4"));
}

TEST(RenderMarkdown, EscapesTableBreakersAndHtml) {
  json doc = {
      {"slices", {{"columns", {{"a|b", json::array({slice("<script>x</script>|*y*", 0.5)})}}}}},
      {"gates",
       json::array({{{"expression", "f1 < 0.5 | recall_macro"}, {"value", nullptr}, {"passed", false}}})},
      {"warnings", json::array({"line one\nline two"})}};
  std::string md = render_markdown(doc);
  EXPECT_NE(md.find("| a\\|b = &lt;script&gt;x&lt;/script&gt;\\|\\*y\\* |"), std::string::npos) << md;
  EXPECT_NE(md.find("| ❌ | f1 &lt; 0.5 \\| recall\\_macro | — |"), std::string::npos) << md;
  EXPECT_NE(md.find("- line one line two\n"), std::string::npos);
}

TEST(RenderMarkdown, OnlyPartsPresent) {
  EXPECT_EQ(render_markdown(json::object()), "### dpeval eval\n");
  std::string md = render_markdown({{"metrics", {{"rmse", 2.5}, {"r2", nullptr}}}, {"task", "regression"}});
  EXPECT_NE(md.find("| metric | value |\n|:--|--:|\n| rmse | 2.500 |\n| r2 | — |\n"), std::string::npos)
      << md;
  EXPECT_EQ(md.find("Gates"), std::string::npos);
  EXPECT_EQ(md.find("slices"), std::string::npos);
  EXPECT_EQ(md.find("Fairness"), std::string::npos);
  EXPECT_EQ(md.find("Warnings"), std::string::npos);
}

TEST(RenderMarkdown, MalformedIsInputError) {
  EXPECT_THROW(render_markdown(json::array()), InputError);
  EXPECT_THROW(render_markdown({{"gates", "all"}}), InputError);
  EXPECT_THROW(render_markdown({{"fairness", {{"groups", 3}}}}), InputError);
}

TEST(WriteMarkdown, WritesTheSummary) {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("dpeval_md_" + std::to_string(::getpid()) + ".md");
  json doc = sample_doc();
  write_markdown(path, doc);
  EXPECT_EQ(read_file(path), render_markdown(doc));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace dpeval::report
