// render_html / write_html: sections present exactly when their data is,
// numbers as Note [Number format] writes them, user strings escaped, no URL or
// external resource, every element closed, malformed parts named.
#include "dpeval/report/html.h"

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
using testing::tag_balance_error;

const char* const kSectionIds[] = {"metrics", "confusion", "calibration", "curves",
                                   "slices",  "fairness",  "gates",       "warnings"};

bool has_section(const std::string& html, const std::string& id) {
  return html.find("<section id=\"" + id + "\">") != std::string::npos;
}

json slice(const std::string& value, json accuracy, int n = 100) {
  return {{"value", value}, {"n", n}, {"too_small", false}, {"metrics", {{"accuracy", accuracy}}}};
}

TEST(RenderHtml, FullSampleHasEverySectionAndChart) {
  std::string html = render_html(sample_doc());
  for (const char* id : kSectionIds) EXPECT_TRUE(has_section(html, id)) << id;
  // Confusion heatmap, two reliability diagrams, ROC and PR: 5 charts, plus one bar per slice.
  json doc = sample_doc();
  size_t slices = 0;
  for (const auto& [column, rows] : doc["slices"]["columns"].items()) slices += rows.size();
  EXPECT_EQ(count_of(html, "<svg"), 5 + slices);
  EXPECT_NE(html.find("<title>Evaluation of preds_val.csv</title>"), std::string::npos);
  EXPECT_NE(html.find("<b data-field=\"n\">10,000</b>"), std::string::npos);
}

TEST(RenderHtml, HeadlineCardsCarryTheirNumbers) {
  json doc = sample_doc();
  std::string html = render_html(doc);
  for (const auto& [name, value] : doc["metrics"].items()) {
    std::string card = "<div class=\"card\" data-metric=\"" + name + "\"><div class=\"name\">" + name +
                       "</div><div class=\"value\">" + internal::format_number(value.get<double>()) +
                       "</div>";
    EXPECT_NE(html.find(card), std::string::npos) << card;
  }
  const json& acc = doc["intervals"]["accuracy"];
  EXPECT_NE(html.find(internal::format_number(acc["lo"]) + " – " + internal::format_number(acc["hi"])),
            std::string::npos);
}

TEST(RenderHtml, HandCheckedNumbersAndUndefined) {
  json doc = {{"metrics", {{"accuracy", 0.91234}, {"log_loss", 12.3456}, {"roc_auc", nullptr}}},
              {"intervals", {{"accuracy", {{"lo", 0.9}, {"hi", 0.92346}}}}}};
  std::string html = render_html(doc);
  EXPECT_NE(html.find(R"(data-metric="accuracy"><div class="name">accuracy</div><div class="value">0.9123<)"),
            std::string::npos);
  EXPECT_NE(html.find(R"(<div class="value">12.35<)"), std::string::npos);
  EXPECT_NE(html.find("0.9000 – 0.9235"), std::string::npos);
  EXPECT_NE(
      html.find(
          R"(data-metric="roc_auc"><div class="name">roc_auc</div><div class="value"><span class="undefined" title="undefined">—</span>)"),
      std::string::npos);
}

TEST(RenderHtml, HeadlineOrderPutsTheUsualKeysFirst) {
  std::string html = render_html({{"metrics", {{"aaa_custom", 1}, {"f1", 0.5}, {"accuracy", 0.7}}}});
  size_t accuracy = html.find("data-metric=\"accuracy\""), f1 = html.find("data-metric=\"f1\"");
  size_t custom = html.find("data-metric=\"aaa_custom\"");
  EXPECT_LT(accuracy, f1);
  EXPECT_LT(f1, custom);
}

// Each part alone renders its section and no other.
TEST(RenderHtml, OnlyThePartsPresentAreRendered) {
  json sample = sample_doc();
  const std::pair<const char*, const char*> kPartSection[] = {
      {"metrics", "metrics"},     {"confusion_matrix", "confusion"},
      {"per_class", "confusion"}, {"calibration", "calibration"},
      {"curves", "curves"},       {"slices", "slices"},
      {"fairness", "fairness"},   {"gates", "gates"},
      {"warnings", "warnings"}};
  for (const auto& [part, section] : kPartSection) {
    json doc = {{"task", "binary"}, {"n", 10}, {part, sample[part]}};
    std::string html = render_html(doc);
    for (const char* id : kSectionIds)
      EXPECT_EQ(has_section(html, id), std::string(id) == section) << part << " " << id;
    EXPECT_EQ(tag_balance_error(html), "") << part;
  }
}

TEST(RenderHtml, EmptyDocumentIsAnEmptyPage) {
  std::string html = render_html(json::object());
  for (const char* id : kSectionIds) EXPECT_FALSE(has_section(html, id)) << id;
  EXPECT_NE(html.find("<title>Evaluation</title>"), std::string::npos);
  EXPECT_EQ(tag_balance_error(html), "");
}

TEST(RenderHtml, OptionsTitle) {
  HtmlOptions options;
  options.title = "Nightly <model>";
  std::string html = render_html({{"source", "x.csv"}}, options);
  EXPECT_NE(html.find("<title>Nightly &lt;model&gt;</title>"), std::string::npos);
}

TEST(RenderHtml, EscapesEveryUserString) {
  json doc = {
      {"source", "\"><script>alert(1)</script>"},
      {"metrics", {{"<b>odd key</b>", 0.5}}},
      {"slices", {{"columns", {{"col\"<u>", json::array({slice("<script>alert(2)</script>", 0.5)})}}}}},
      {"fairness",
       {{"sensitive", "<i>sex</i>"}, {"groups", json::array({{{"value", "<img src=x onerror=alert(3)>"}}})}}},
      {"per_class", json::array({{{"class", "<svg onload=alert(4)>"}, {"precision", 1}}})},
      {"confusion_matrix", json::array({json::array({1})})},
      {"gates", json::array({{{"expression", "x < 1 && y > 2"}, {"value", 1}, {"passed", true}}})},
      {"warnings", json::array({"<img src=x onerror=alert(5)>"})}};
  std::string html = render_html(doc);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(html.find("<u>"), std::string::npos);
  EXPECT_EQ(html.find("<i>"), std::string::npos);
  EXPECT_EQ(html.find("<svg onload"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(2)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("x &lt; 1 &amp;&amp; y &gt; 2"), std::string::npos);
  EXPECT_NE(html.find("data-slice-column=\"col&quot;&lt;u&gt;\""), std::string::npos);
  EXPECT_EQ(tag_balance_error(html), "");
}

TEST(RenderHtml, SelfContained) {
  std::string html = render_html(sample_doc());
  for (const char* banned : {"http://", "https://", "<script", "<link", "url(", "@import", "src=", "href="})
    EXPECT_EQ(html.find(banned), std::string::npos) << banned;
}

TEST(RenderHtml, EveryElementClosed) {
  std::string html = render_html(sample_doc());
  EXPECT_EQ(tag_balance_error(html), "");
  EXPECT_EQ(count_of(html, "<svg"), count_of(html, "</svg>"));
  EXPECT_EQ(count_of(html, "<section"), count_of(html, "</section>"));
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
}

TEST(RenderHtml, SlicesWorstFirstForAccuracy) {
  json rows = json::array({slice("a", 0.9), slice("b", 0.7), slice("c", nullptr), slice("d", 0.8)});
  std::string html = render_html({{"task", "binary"}, {"slices", {{"columns", {{"col", rows}}}}}});
  size_t b = html.find("<td>b</td>"), d = html.find("<td>d</td>"), a = html.find("<td>a</td>");
  size_t c = html.find("<td>c</td>");
  ASSERT_NE(c, std::string::npos);
  EXPECT_LT(b, d);
  EXPECT_LT(d, a);
  EXPECT_LT(a, c);  // undefined last
  EXPECT_NE(html.find("Worst first by accuracy (higher is better)"), std::string::npos);
}

TEST(RenderHtml, SlicesWorstFirstForRegressionRmse) {
  auto row = [](const std::string& v, double rmse) {
    return json{{"value", v}, {"n", 50}, {"metrics", {{"rmse", rmse}, {"mae", 0}}}};
  };
  json doc = {{"task", "regression"},
              {"metrics", {{"rmse", 2.0}}},
              {"slices", {{"columns", {{"col", {row("low", 1.0), row("high", 3.0), row("mid", 2.0)}}}}}}};
  std::string html = render_html(doc);
  EXPECT_LT(html.find("<td>high</td>"), html.find("<td>mid</td>"));
  EXPECT_LT(html.find("<td>mid</td>"), html.find("<td>low</td>"));
  EXPECT_NE(html.find("Worst first by rmse (lower is better)"), std::string::npos);
  EXPECT_NE(html.find("dashed: overall 2.000"), std::string::npos);
  EXPECT_FALSE(has_section(html, "confusion"));
}

TEST(RenderHtml, SliceFlagsAndRowCap) {
  json small = slice("tiny", 0.5, 12);
  small["too_small"] = true;
  json worse = slice("bad", 0.6);
  worse["significantly_worse"] = json::array({"recall"});
  worse["p_values"] = {{"recall", 0.003}};
  json rows = {small, worse, slice("x", 0.7), slice("y", 0.8), slice("z", 0.9)};
  json doc = {{"slices", {{"min_slice_size", 30}, {"columns", {{"col", rows}}}}}};
  std::string html = render_html(doc);
  EXPECT_NE(html.find(R"(title="n below min_slice_size 30">too small</span>)"), std::string::npos);
  EXPECT_NE(html.find(">worse: recall (p 0.0030)</span>"), std::string::npos);
  HtmlOptions options;
  options.slice_rows_max = 2;
  html = render_html(doc, options);
  EXPECT_NE(html.find("… 3 more slices not shown"), std::string::npos);
  EXPECT_EQ(html.find("<td>z</td>"), std::string::npos);
}

TEST(RenderHtml, ConfusionCellsAndClassLabels) {
  json doc = {{"confusion_matrix", {{5, 1, 0}, {2, 7, 1}, {0, 0, 9}}},
              {"per_class", {{{"class", "cat"}}, {{"class", "dog"}}, {{"class", "eel"}}}}};
  std::string html = render_html(doc);
  EXPECT_NE(html.find("true dog, predicted cat: 2 (20% of true dog)"), std::string::npos);
  EXPECT_NE(html.find(">eel</text>"), std::string::npos);
  EXPECT_NE(html.find(">7</text>"), std::string::npos);
}

// Note [Class names]: per_class[i].name, then class_names[i], then per_class[i].class.
TEST(RenderHtml, ClassNamesLabelTheMatrixAndTable) {
  json doc = {{"confusion_matrix", {{5, 1}, {2, 7}}},
              {"class_names", {"Sandal", "Ankle <boot>"}},
              {"per_class", {{{"class", 0}, {"precision", 0.7}}, {{"class", 1}, {"precision", 0.9}}}}};
  std::string html = render_html(doc);
  EXPECT_NE(html.find("<tr><td>Sandal</td>"), std::string::npos);
  EXPECT_NE(html.find("<tr><td>Ankle &lt;boot&gt;</td>"), std::string::npos);
  EXPECT_NE(html.find("true Sandal, predicted Ankle &lt;boot&gt;: 1"), std::string::npos);
  doc["per_class"][0]["name"] = "Flip-flop";
  html = render_html(doc);
  EXPECT_NE(html.find("<tr><td>Flip-flop</td>"), std::string::npos);
  EXPECT_NE(html.find("true Flip-flop, predicted"), std::string::npos);
  // Names without per_class still label the matrix; a count of names that is not K is ignored.
  doc.erase("per_class");
  EXPECT_NE(render_html(doc).find("true Sandal, predicted"), std::string::npos);
  doc["class_names"] = {"only one"};
  EXPECT_NE(render_html(doc).find("true 0, predicted 1"), std::string::npos);
  doc["class_names"] = {"a", 3};
  EXPECT_THROW(render_html(doc), InputError);
}

TEST(RenderHtml, CalibrationBeforeAndAfter) {
  json doc = sample_doc();
  std::string html = render_html(doc);
  EXPECT_NE(html.find("After recalibration (temperature)"), std::string::npos);
  EXPECT_NE(html.find("data-calibration=\"ece\">" + internal::format_number(doc["calibration"]["ece"])),
            std::string::npos);
  EXPECT_NE(html.find("data-calibration=\"ece_after\">" +
                      internal::format_number(doc["calibration"]["after_recalibration"]["ece"])),
            std::string::npos);
  doc["calibration"].erase("after_recalibration");
  html = render_html(doc);
  EXPECT_EQ(html.find("After recalibration"), std::string::npos);
  EXPECT_EQ(count_of(html, "<title>Reliability diagram"), 1u);
}

TEST(RenderHtml, CurvesCaptionsAndGates) {
  json doc = sample_doc();
  std::string html = render_html(doc);
  EXPECT_NE(
      html.find("AUC <span data-curve=\"roc_auc\">" + internal::format_number(doc["metrics"]["roc_auc"])),
      std::string::npos);
  EXPECT_NE(html.find("AP <span data-curve=\"average_precision\">" +
                      internal::format_number(doc["metrics"]["average_precision"])),
            std::string::npos);
  size_t passed = 0;
  for (const json& g : doc["gates"]) passed += g["passed"].get<bool>();
  EXPECT_NE(html.find(std::to_string(passed) + " of 3 gates passed"), std::string::npos);
  EXPECT_EQ(count_of(html, "data-passed=\"true\""), passed);
}

TEST(RenderHtml, MalformedPartsAreInputErrorsNamingThePath) {
  auto message = [](const json& doc) -> std::string {
    try {
      render_html(doc);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no InputError";
  };
  EXPECT_NE(message(json::array()).find("(top level): expected an object"), std::string::npos);
  EXPECT_NE(message({{"metrics", "x"}}).find("metrics: expected an object, got string"), std::string::npos);
  EXPECT_NE(message({{"metrics", {{"accuracy", "high"}}}}).find("metrics.accuracy: expected a number"),
            std::string::npos);
  json bad_slice = {{"slices", {{"columns", {{"region", json::array({{{"value", "n"}, {"n", "many"}}})}}}}}};
  EXPECT_NE(message(bad_slice).find("slices.columns.region[0].n"), std::string::npos);
  EXPECT_NE(message({{"confusion_matrix", json::array({json::array({1, 2}), json::array({3})})}})
                .find("confusion_matrix[1]: expected an array of 2"),
            std::string::npos);
  EXPECT_NE(message({{"gates", json::array({{{"expression", "a"}}})}}).find("gates[0].passed"),
            std::string::npos);
  EXPECT_NE(message({{"curves", {{"roc", json::array({1, 2})}}}}).find("curves.roc[0]"), std::string::npos);
}

TEST(WriteHtml, WritesTheRenderedPageAndNoTemporaryFile) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("dpeval_report_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  json doc = sample_doc();
  write_html(dir / "report.html", doc);
  EXPECT_EQ(read_file(dir / "report.html"), render_html(doc));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()),
            1);
  EXPECT_THROW(write_html(dir / "report.html", json::array()), InputError);
  EXPECT_EQ(read_file(dir / "report.html"), render_html(doc));  // untouched
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dpeval::report
