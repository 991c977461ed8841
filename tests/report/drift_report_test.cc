// render_drift_html / render_drift_markdown on tests/report/sample_drift.json
// (a CSV run with label, predictions and gates) and on small documents made
// here: the sections and their order, the columns sorted by drift (Note
// [Drift order]) with their data-drift attributes, both chart kinds, every
// string escaped, null numbers as "—" with the note that explains them, the
// Markdown's content, a document with none of the optional parts, an image
// run with model-based drift only, and InputError for what is not a drift
// document.
#include "dpeval/report/drift_report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "dpeval/core/atomic_file.h"
#include "dpeval/core/error.h"
#include "dpeval/report/internal/drift_data.h"
#include "report/report_test_util.h"

namespace dpeval::report {
namespace {

using nlohmann::json;
using testing::count_of;
using testing::tag_balance_error;

const char kHostile[] = "<script>document.title='pwned'</script>";

json sample_drift() {
  return json::parse(read_file(std::string(DPEVAL_SOURCE_DIR) + "/tests/report/sample_drift.json"));
}

// The part of `html` inside <section id="id">, or "" when there is none.
std::string section(const std::string& html, const std::string& id) {
  size_t open = html.find("<section id=\"" + id + "\">");
  if (open == std::string::npos) return "";
  return html.substr(open, html.find("</section>", open) - open);
}

// The section ids of <main>, in order.
std::vector<std::string> section_ids(const std::string& html) {
  std::vector<std::string> ids;
  const std::string tag = "<section id=\"";
  for (size_t at = html.find(tag); at != std::string::npos; at = html.find(tag, at + 1)) {
    size_t begin = at + tag.size();
    ids.push_back(html.substr(begin, html.find('"', begin) - begin));
  }
  return ids;
}

// The values of attribute `name` in `markup`, in order (still escaped).
std::vector<std::string> attribute_values(const std::string& markup, const std::string& name) {
  std::vector<std::string> values;
  const std::string needle = " " + name + "=\"";
  for (size_t at = markup.find(needle); at != std::string::npos; at = markup.find(needle, at + 1)) {
    size_t begin = at + needle.size();
    values.push_back(markup.substr(begin, markup.find('"', begin) - begin));
  }
  return values;
}

// The <article> of column `escaped_name` (its name as the page writes it).
std::string article(const std::string& html, const std::string& escaped_name) {
  size_t open = html.find("data-column=\"" + escaped_name + "\"");
  if (open == std::string::npos) return "";
  return html.substr(open, html.find("</article>", open) - open);
}

// The cell of fact row data-field="field" in `markup`.
std::string fact(const std::string& markup, const std::string& field) {
  size_t row = markup.find("<tr data-field=\"" + field + "\">");
  if (row == std::string::npos) return "<no row " + field + ">";
  size_t td = markup.find("<td>", row), end = markup.find("</td></tr>", row);
  return markup.substr(td + 4, end - td - 4);
}

json histogram(std::vector<double> edges, std::vector<double> reference, std::vector<double> current) {
  return {{"type", "histogram"}, {"edges", edges}, {"reference", reference}, {"current", current}};
}

json column(const std::string& name, const std::string& method, json statistic, json p_value,
            double threshold, bool drift) {
  return {{"name", name},
          {"kind", "numeric"},
          {"role", "feature"},
          {"method", method},
          {"statistic", statistic},
          {"p_value", p_value},
          {"p_value_adjusted", nullptr},
          {"threshold", threshold},
          {"drift", drift},
          {"drift_after_correction", nullptr},
          {"n_reference", 100},
          {"n_current", 100},
          {"missing_reference", 0},
          {"missing_current", 0},
          {"metrics", json::object()},
          {"notes", json::array()},
          {"distribution", histogram({0, 1, 2}, {0.5, 0.5}, {0.4, 0.6})}};
}

// A document with none of the optional parts: no label, predictions, model drift or gates.
json minimal(json columns) {
  size_t drifted = 0;
  for (const json& c : columns) drifted += c["drift"].get<bool>();
  return {{"schema", "dpeval.drift/1"},
          {"dpeval_version", "0.9.0"},
          {"reference",
           {{"source", "ref.csv"}, {"kind", "csv"}, {"sha256", "00112233445566778899"}, {"rows", 100}}},
          {"current",
           {{"source", "cur.csv"}, {"kind", "csv"}, {"sha256", "ffeeddccbbaa99887766"}, {"rows", 100}}},
          {"n_reference", 100},
          {"n_current", 100},
          {"method", "auto"},
          {"drift_share", 0.5},
          {"columns", columns},
          {"n_columns", columns.size()},
          {"n_drifted", drifted},
          {"share_drifted", columns.empty() ? 0.0 : static_cast<double>(drifted) / columns.size()},
          {"dataset_drift", 2 * drifted >= columns.size() && drifted > 0},
          {"label", nullptr},
          {"predictions", json::array()},
          {"model_drift", nullptr}};
}

// `dpeval drift` on Fashion-MNIST train against its test split: two image
// summaries and the domain classifier; no label, predictions or gates.
json image_run() {
  std::vector<double> edges, reference, current;
  for (int i = 0; i <= 20; ++i) edges.push_back(i / 20.0);
  for (int i = 0; i < 20; ++i) {
    reference.push_back(i < 10 ? 0.07 : 0.03);
    current.push_back(i < 10 ? 0.06 : 0.04);
  }
  json mean = column("mean_intensity", "ks", 0.0231, 0.0042, 0.05, true);
  mean["role"] = "image_summary";
  mean["distribution"] = histogram(edges, reference, current);
  json std_dev = column("std_intensity", "ks", 0.0112, 0.3114, 0.05, false);
  std_dev["role"] = "image_summary";
  std_dev["distribution"] = histogram(edges, current, reference);
  json doc = minimal({mean, std_dev});
  doc["reference"] = {{"source", "fashion-mnist"},
                      {"kind", "fashion-mnist"},
                      {"sha256", "a1b2c3d4e5f60718293a"},
                      {"rows", 60000}};
  doc["current"] = {{"source", "fashion-mnist test"},
                    {"kind", "fashion-mnist-test"},
                    {"sha256", "0f1e2d3c4b5a69788796"},
                    {"rows", 10000}};
  doc["model_drift"] = {{"method", "domain-classifier"},
                        {"auc", 0.97},
                        {"auc_ci", {0.96, 0.98}},
                        {"confidence", 0.95},
                        {"threshold", 0.55},
                        {"drift", true},
                        {"n_train", 10000},
                        {"n_test", 10000},
                        {"n_reference", 10000},
                        {"n_current", 10000},
                        {"seed", 0},
                        {"bootstrap_resamples", 1000},
                        {"model", "mlp 784-64-1"},
                        {"epochs", 3}};
  return doc;
}

// ---- The sample: structure, order, charts.

TEST(DriftHtml, SampleHasTheSectionsInReadingOrder) {
  std::string html = render_drift_html(sample_drift());
  EXPECT_EQ(section_ids(html), (std::vector<std::string>{"verdict", "gates", "label-prediction", "columns"}));
  EXPECT_EQ(tag_balance_error(html), "");
  EXPECT_NE(html.find("<title>Drift of credit_2024q2.csv against credit_2023q4.csv</title>"),
            std::string::npos);
  // The header: sources, kinds, sha256 prefixes (the whole hash as the tooltip), rows.
  EXPECT_NE(
      html.find(
          "reference <code data-field=\"reference\">credit_2023q4.csv</code> (csv, sha256 <code "
          "title=\"9c1185a5c5e9fc54612808977ee8f548b2258d31e3b0c44298fc1c149afbf4c8\">9c1185a5c5e9</code>, "
          "1,000 rows)"),
      std::string::npos);
  EXPECT_NE(html.find("current <code data-field=\"current\">credit_2024q2.csv</code> (csv, sha256"),
            std::string::npos);
  // The verdict: no dataset drift, 3 of 9, share against drift share, the correction.
  std::string verdict = section(html, "verdict");
  EXPECT_NE(
      verdict.find("data-dataset-drift=\"false\"><b class=\"pass\">No dataset drift</b>: 3 of 9 columns "
                   "drifted (share drifted 0.3333 vs drift share 0.5000).</p>"),
      std::string::npos);
  EXPECT_NE(verdict.find("Drifted columns: <code>age</code>, <code>income</code>, <code>occupation</code>."),
            std::string::npos);
  EXPECT_NE(verdict.find("Benjamini-Hochberg at α 0.0500 over 5 p-value tests: 2 columns stay drifted after "
                         "correction: <code>age</code>, <code>occupation</code>."),
            std::string::npos);
  // Gates as on the eval page.
  EXPECT_EQ(attribute_values(section(html, "gates"), "data-passed"),
            (std::vector<std::string>{"true", "false"}));
  // Label first, then the predictions in document order.
  EXPECT_EQ(attribute_values(section(html, "label-prediction"), "data-column"),
            (std::vector<std::string>{"default", "score", "predicted_default"}));
  // No model drift in a CSV run, no script, no address.
  EXPECT_EQ(html.find("model-drift"), std::string::npos);
  EXPECT_EQ(count_of(html, "<script"), 0u);
  EXPECT_EQ(html.find("http"), std::string::npos);
}

TEST(DriftHtml, ColumnsSortedByDrift) {
  std::string columns = section(render_drift_html(sample_drift()), "columns");
  // Drifted: occupation (p 2.3e-14), age (0.05 / 0.0121 = 4.1), income (wasserstein 0.231 / 0.1 = 2.3);
  // the others: education (psi 0.62), the hostile one (js 0.31), sex (0.18), hours (0.12), tenure
  // (0.05), loyalty_score last (no p-value).
  EXPECT_EQ(attribute_values(columns, "data-column"),
            (std::vector<std::string>{"occupation", "age", "income", "education",
                                      "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;", "sex",
                                      "hours_per_week", "tenure_months", "loyalty_score"}));
  EXPECT_EQ(attribute_values(columns, "data-drift"),
            (std::vector<std::string>{"true", "true", "true", "false", "false", "false", "false", "false",
                                      "false"}));
  // The overview table lists them in the same order, drifted rows marked.
  EXPECT_EQ(count_of(columns, "<tr class=\"drifted\"><td><code>"), 3u);
  EXPECT_LT(columns.find("<td><code>occupation</code>"), columns.find("<td><code>age</code>"));
  EXPECT_LT(columns.find("<td><code>tenure_months</code>"), columns.find("<td><code>loyalty_score</code>"));
}

TEST(DriftHtml, ColumnArticleHoldsEveryFact) {
  std::string html = render_drift_html(sample_drift());
  std::string age = article(html, "age");
  EXPECT_NE(age.find("data-drift=\"true\""), std::string::npos);
  EXPECT_EQ(fact(age, "kind"), "numeric");
  EXPECT_EQ(fact(age, "method"), "<code>ks</code>");
  EXPECT_EQ(fact(age, "statistic"), "0.0779");
  EXPECT_EQ(fact(age, "p_value"), "0.012");
  EXPECT_EQ(fact(age, "p_value_adjusted"), "0.030");
  EXPECT_EQ(fact(age, "drift_after_correction"), "<span class=\"fail\">yes</span>");
  EXPECT_EQ(fact(age, "threshold"), "0.0500 on the p-value");
  EXPECT_EQ(fact(age, "verdict"), "<span class=\"fail\">drift</span>");
  EXPECT_EQ(fact(age, "rows"), "1,000 reference, 800 current");
  // Every metric: the tests' statistics and p-values, then the distances.
  EXPECT_EQ(attribute_values(age, "data-metric"),
            (std::vector<std::string>{"ks_statistic", "ks_pvalue", "ks_pvalue_exact", "wasserstein",
                                      "wasserstein_normed", "psi", "js_distance", "kl_divergence"}));
  EXPECT_NE(age.find("<th class=\"num\">wasserstein normed</th>"), std::string::npos);
  EXPECT_NE(age.find("<td class=\"num\" data-metric=\"wasserstein_normed\">0.2134</td>"), std::string::npos);
  // A distance method: "distance" for the p-value, its threshold on the statistic.
  std::string income = article(html, "income");
  EXPECT_NE(fact(income, "p_value").find(">distance</span>"), std::string::npos);
  EXPECT_EQ(fact(income, "threshold"), "0.1000 on the statistic");
  EXPECT_EQ(fact(income, "missing"), "12 reference, 9 current");
  // A p-value below 1e-4.
  EXPECT_EQ(fact(article(html, "occupation"), "p_value"), "&lt; 0.0001");
  // Notes are listed.
  EXPECT_NE(article(html, "tenure_months")
                .find("<ul class=\"notes\"><li>constant reference column: wasserstein_normed uses std "
                      "0.001</li></ul>"),
            std::string::npos);
}

TEST(DriftHtml, ChartsDrawBothDistributions) {
  json doc = sample_drift();
  std::string html = render_drift_html(doc);
  // One chart per entry with a distribution: 8 of the 9 columns, the label and 2 predictions.
  EXPECT_EQ(count_of(html, "<svg class=\"dist-chart\""), 11u);
  EXPECT_NE(article(html, "loyalty_score").find("No distribution recorded."), std::string::npos);
  // Equal bins: the heights are shares; each nonzero share is one translucent bar per side.
  std::string age = article(html, "age");
  EXPECT_EQ(count_of(age, "class=\"hist series-0\"><title>reference, ["), 20u);
  EXPECT_EQ(count_of(age, "class=\"hist series-1\"><title>current, ["), 20u);
  EXPECT_NE(age.find("<title>reference, [17.00, 20.65): share 0.0354</title>"), std::string::npos);
  EXPECT_NE(age.find(">share</text>"), std::string::npos);
  // Quantile bins (unequal widths): densities, Note [Drift histogram].
  std::string income = article(html, "income");
  EXPECT_NE(income.find(">share per mean bin width</text>"), std::string::npos);
  EXPECT_NE(income.find("a bar&#39;s height is its share per mean bin width (24000)"), std::string::npos);
  // The first bin, [0, 9800): share 0.05 at 24000 / 9800 the mean width.
  EXPECT_NE(income.find("<title>reference, [0.0000, 9800): share 0.0500, 0.1224 per mean bin width</title>"),
            std::string::npos);
  // Categories: grouped bars, one pair per category and (other).
  std::string occupation = article(html, "occupation");
  EXPECT_EQ(count_of(occupation, "class=\"hist series-0\"><title>reference, "), 9u);
  EXPECT_EQ(count_of(occupation, "class=\"hist series-1\"><title>current, "), 9u);
  EXPECT_NE(occupation.find("<title>current, (other): share 0.1700</title>"), std::string::npos);
  EXPECT_NE(occupation.find("8 categories and (other)"), std::string::npos);
  // The legend names both sides.
  EXPECT_NE(age.find(">reference</text>"), std::string::npos);
  EXPECT_NE(age.find(">current</text>"), std::string::npos);
}

TEST(DriftHtml, EdgesThatDoNotIncreaseAreDrawnByIndex) {
  json c = column("constant", "ks", 0.0, 1.0, 0.05, false);
  c["distribution"] = histogram({3, 3, 3}, {1, 0}, {1, 0});
  std::string html = render_drift_html(minimal({c}));
  EXPECT_NE(html.find(">bin (edges do not increase)</text>"), std::string::npos);
  EXPECT_EQ(count_of(html, "class=\"hist series-0\""), 2u);  // the bar and the legend swatch
}

// ---- Escaping and nulls.

TEST(DriftHtml, EveryDocumentStringIsEscaped) {
  json doc = sample_drift();
  doc["current"]["source"] = "<b>cur</b>.csv";
  doc["gates"][0]["expression"] = "share_drifted < 0.5 && \"x\"";
  std::string html = render_drift_html(doc);
  EXPECT_EQ(tag_balance_error(html), "");
  EXPECT_EQ(count_of(html, "<script"), 0u);
  EXPECT_EQ(count_of(html, "<img"), 0u);
  EXPECT_EQ(count_of(html, "<b>cur"), 0u);
  std::string hostile = article(html, "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;");
  ASSERT_NE(hostile, "");
  EXPECT_NE(hostile.find("<h3><code>&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;</code>"),
            std::string::npos);
  EXPECT_NE(hostile.find("<title>reference, &lt;img src=x onerror=alert(1)&gt;: share 0.4100</title>"),
            std::string::npos);
  EXPECT_NE(hostile.find("<li>values like &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quotes&quot; stay text</li>"),
            std::string::npos);
  EXPECT_NE(html.find("<title>Drift of &lt;b&gt;cur&lt;/b&gt;.csv against credit_2023q4.csv</title>"),
            std::string::npos);
  EXPECT_NE(html.find("share_drifted &lt; 0.5 &amp;&amp; &quot;x&quot;"), std::string::npos);

  std::string md = render_drift_markdown(doc);
  EXPECT_EQ(count_of(md, "<script"), 0u);
  EXPECT_EQ(count_of(md, "<b>"), 0u);
  EXPECT_NE(md.find("| &lt;script&gt;document.title='pwned'&lt;/script&gt; |"), std::string::npos);
}

TEST(DriftHtml, NullNumbersAreUndefinedWithTheNoteThatSaysWhy) {
  std::string html = render_drift_html(sample_drift());
  std::string loyalty = article(html, "loyalty_score");
  const std::string why =
      "<span class=\"undefined\" title=\"current column has no values (800 of 800 missing): statistic and "
      "p_value undefined\">—</span>";
  EXPECT_EQ(fact(loyalty, "statistic"), why);
  EXPECT_EQ(fact(loyalty, "p_value"), why);
  EXPECT_EQ(fact(loyalty, "missing"), "0 reference, 800 current");
  // A null metric no note names: plain "undefined"; one a note names: that note.
  EXPECT_NE(loyalty.find("<td class=\"num\" data-metric=\"psi\"><span class=\"undefined\" "
                         "title=\"undefined\">—</span></td>"),
            std::string::npos);
  EXPECT_NE(article(html, "age")
                .find("<td class=\"num\" data-metric=\"ks_pvalue_exact\"><span "
                      "class=\"undefined\" title=\"ks_pvalue_exact not computed"),
            std::string::npos);
  // Not part of the correction.
  EXPECT_NE(fact(article(html, "income"), "drift_after_correction").find("not part of the correction"),
            std::string::npos);
  // A null verdict number and a null model AUC.
  json doc = image_run();
  doc["share_drifted"] = nullptr;
  doc["dataset_drift"] = nullptr;
  doc["model_drift"]["auc"] = nullptr;
  doc["model_drift"]["auc_ci"] = {nullptr, nullptr};
  std::string nulls = render_drift_html(doc);
  EXPECT_EQ(tag_balance_error(nulls), "");
  EXPECT_NE(nulls.find("data-field=\"share_drifted\"><div class=\"name\">share drifted</div><div "
                       "class=\"value\"><span class=\"undefined\" title=\"undefined\">—</span>"),
            std::string::npos);
  EXPECT_NE(nulls.find("Dataset drift undefined"), std::string::npos);
  EXPECT_EQ(nulls.find("auc-bar"), std::string::npos);  // no AUC, no bar
  EXPECT_NE(render_drift_markdown(doc).find("**Model-based drift: yes** — AUC —"), std::string::npos);
}

// ---- Documents with fewer or other parts.

TEST(DriftHtml, WithoutLabelPredictionsModelDriftOrGates) {
  json doc =
      minimal({column("x", "ks", 0.3, 0.001, 0.05, true), column("y", "psi", 0.02, nullptr, 0.1, false)});
  doc.erase("label");
  doc.erase("predictions");
  doc.erase("model_drift");
  std::string html = render_drift_html(doc);
  EXPECT_EQ(section_ids(html), (std::vector<std::string>{"verdict", "columns"}));
  EXPECT_EQ(tag_balance_error(html), "");
  EXPECT_EQ(attribute_values(section(html, "columns"), "data-column"), (std::vector<std::string>{"x", "y"}));
  std::string md = render_drift_markdown(doc);
  EXPECT_EQ(md.find("Gates"), std::string::npos);
  EXPECT_EQ(md.find("Model-based"), std::string::npos);
  EXPECT_EQ(md.find("Label and prediction"), std::string::npos);
  EXPECT_NE(md.find("**Dataset drift: yes** — 1 of 2 columns drifted"), std::string::npos);
  // No columns at all still renders.
  std::string empty = render_drift_html(minimal(json::array()));
  EXPECT_NE(section(empty, "columns").find("No columns compared."), std::string::npos);
}

TEST(DriftHtml, ImageRunWithModelDriftOnly) {
  std::string html = render_drift_html(image_run());
  EXPECT_EQ(section_ids(html), (std::vector<std::string>{"verdict", "model-drift", "columns"}));
  EXPECT_EQ(tag_balance_error(html), "");
  std::string model = section(html, "model-drift");
  EXPECT_NE(
      model.find("data-field=\"auc\"><div class=\"name\">AUC</div><div class=\"value\">0.9700</div><div "
                 "class=\"interval\">0.9600 – 0.9800 (95%)</div>"),
      std::string::npos);
  EXPECT_NE(model.find("data-field=\"threshold\"><div class=\"name\">threshold</div><div "
                       "class=\"value\">0.5500</div>"),
            std::string::npos);
  EXPECT_NE(model.find("data-field=\"model_drift\"><div class=\"name\">model drift</div><div "
                       "class=\"value\"><span class=\"fail\">yes</span>"),
            std::string::npos);
  EXPECT_NE(model.find("<svg class=\"interval-bar auc-bar\""), std::string::npos);
  EXPECT_NE(model.find("<title>AUC 0.9700, interval 0.9600 – 0.9800, threshold 0.5500</title>"),
            std::string::npos);
  EXPECT_NE(
      model.find("domain-classifier (mlp 784-64-1, 3 epochs, 10,000 train / 10,000 test rows, from 10,000 "
                 "reference and 10,000 current rows, seed 0, 1,000 bootstrap resamples)"),
      std::string::npos);
  // The verdict repeats the AUC; the image summaries are the columns, drifted first.
  EXPECT_NE(section(html, "verdict").find("data-field=\"model_drift_auc\""), std::string::npos);
  EXPECT_EQ(attribute_values(section(html, "columns"), "data-column"),
            (std::vector<std::string>{"mean_intensity", "std_intensity"}));
  EXPECT_EQ(fact(article(html, "mean_intensity"), "role"), "image_summary");
  EXPECT_NE(html.find("reference <code data-field=\"reference\">fashion-mnist</code> (fashion-mnist, sha256"),
            std::string::npos);

  std::string md = render_drift_markdown(image_run());
  EXPECT_NE(
      md.find("**Model-based drift: yes** — AUC 0.9700 (95% interval 0.9600 – 0.9800) vs threshold 0.5500; "
              "domain-classifier (mlp 784-64-1, 3 epochs, "),
      std::string::npos);
  EXPECT_EQ(md.find("Label and prediction"), std::string::npos);
  EXPECT_LT(md.find("| `mean_intensity` |"), md.find("| `std_intensity` |"));
}

// ---- Note [Drift order] on its own.

TEST(DriftOrder, DriftedFirstThenHowFarPastTheThreshold) {
  json columns = {
      column("p_far", "ks", 0.2, 0.0001, 0.05, true),                 // 500
      column("dist_near", "psi", 0.12, nullptr, 0.1, true),           // 1.2
      column("p_zero", "chisquare", 90.0, 0.0, 0.05, true),           // inf
      column("dist_far", "js", 0.9, nullptr, 0.1, true),              // 9
      column("calm_p", "ks", 0.01, 0.9, 0.05, false),                 // 0.056
      column("calm_dist", "wasserstein", 0.05, nullptr, 0.1, false),  // 0.5
      column("no_p", "ks", nullptr, nullptr, 0.05, false),            // undefined: last
      column("calm_tie", "wasserstein", 0.05, nullptr, 0.1, false),   // 0.5: after calm_dist
  };
  std::string html = render_drift_html(minimal(columns));
  EXPECT_EQ(attribute_values(section(html, "columns"), "data-column"),
            (std::vector<std::string>{"p_zero", "p_far", "dist_far", "dist_near", "calm_dist", "calm_tie",
                                      "calm_p", "no_p"}));
  internal::DriftDocument read = internal::read_drift_document(minimal(columns));
  EXPECT_EQ(read.columns[1].name, "p_far");
  EXPECT_DOUBLE_EQ(*internal::drift_excess(read.columns[1]), 500);
  EXPECT_DOUBLE_EQ(*internal::drift_excess(read.columns[2]), 9);
  EXPECT_FALSE(internal::drift_excess(read.columns.back()).has_value());
}

// ---- Markdown.

TEST(DriftMarkdown, SameContentMinusCharts) {
  std::string md = render_drift_markdown(sample_drift());
  EXPECT_TRUE(md.starts_with(
      "### dpeval drift: Drift of credit\\_2024q2.csv against credit\\_2023q4.csv\n\n"
      "reference credit\\_2023q4.csv (csv, sha256 9c1185a5c5e9, 1,000 rows) · current "
      "credit\\_2024q2.csv (csv, sha256 3f79bb7b435b, 800 rows) · method auto · dpeval 0.9.0\n\n"))
      << md.substr(0, 400);
  EXPECT_NE(
      md.find(
          "**Dataset drift: no** — 3 of 9 columns drifted (share drifted 0.3333 vs drift share 0.5000)\n"),
      std::string::npos);
  EXPECT_NE(md.find("Drifted columns: `age`, `income`, `occupation`\n"), std::string::npos);
  EXPECT_NE(
      md.find("Benjamini-Hochberg at α 0.0500 over 5 p-value tests: 2 columns stay drifted after correction: "
              "`age`, `occupation`\n"),
      std::string::npos);
  EXPECT_NE(md.find("**Gates: 1 of 2 passed**"), std::string::npos);
  EXPECT_EQ(md.find("Model-based"), std::string::npos);
  // The columns in the page's order, with the same cells.
  size_t table = md.find("**Columns**, most drifted first");
  ASSERT_NE(table, std::string::npos);
  std::vector<size_t> at;
  for (const char* name : {"| `occupation` |", "| `age` |", "| `income` |", "| `education` |", "| `sex` |",
                           "| `hours_per_week` |", "| `tenure_months` |", "| `loyalty_score` |"})
    at.push_back(md.find(name, table));
  for (size_t i = 0; i + 1 < at.size(); ++i) EXPECT_LT(at[i], at[i + 1]) << i;
  EXPECT_NE(md.find("| `age` | numeric | ks | 0.0779 | 0.012 | 0.030 | stays drifted | 0.0500 | **yes** | "
                    "ks\\_pvalue\\_exact not computed"),
            std::string::npos);
  EXPECT_NE(md.find("| `income` | numeric | wasserstein | 0.2310 | distance | — | — | 0.1000 | **yes** |  |"),
            std::string::npos);
  EXPECT_NE(
      md.find(
          "| `loyalty_score` | numeric | ks | — | — | — | — | 0.0500 | no | current column has no values"),
      std::string::npos);
  // Label and predictions with their role; the metrics table.
  EXPECT_NE(md.find("**Label and prediction drift**\n\n| column | role |"), std::string::npos);
  EXPECT_NE(md.find("| `default` | label | binary | z | 2.410 | 0.016 |"), std::string::npos);
  EXPECT_NE(md.find("| `score` | prediction | numeric | psi |"), std::string::npos);
  EXPECT_NE(
      md.find(
          "| `occupation` | chi2 statistic 86.43, chi2 pvalue 2.300e-14, psi 0.2315, js distance 0.1629 |"),
      std::string::npos);
  EXPECT_TRUE(md.ends_with("\n"));
  EXPECT_FALSE(md.ends_with("\n\n"));
}

// ---- Not a drift document.

TEST(DriftReport, NotADriftDocumentThrowsNamingWhatIsWrong) {
  auto message = [](const json& doc) {
    try {
      render_drift_html(doc);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no InputError");
  };
  EXPECT_EQ(message(json::array()), "drift document: (top level): expected an object, got array");
  EXPECT_EQ(
      message(testing::sample_doc()),
      "drift document: schema: expected \"dpeval.drift/1\", got nothing (not a `dpeval drift` document)");
  json doc = sample_drift();
  doc["schema"] = "dpeval.profile/1";
  EXPECT_EQ(
      message(doc),
      "drift document: schema: expected \"dpeval.drift/1\", got \"dpeval.profile/1\" (not a `dpeval drift` "
      "document)");
  doc = sample_drift();
  doc.erase("columns");
  EXPECT_EQ(message(doc), "drift document: columns: expected an array of column entries, got null");
  doc["columns"] = json::object();
  EXPECT_EQ(message(doc), "drift document: columns: expected an array of column entries, got object");
  doc = sample_drift();
  doc["columns"][1]["p_value"] = "0.01";
  EXPECT_EQ(message(doc), "drift document: columns[1].p_value: expected a number or null, got string");
  doc = sample_drift();
  doc["columns"][0]["distribution"]["current"] = {0.5, 0.5};
  EXPECT_NE(
      message(doc).find("drift document: columns[0].distribution: expected reference and current shares for "
                        "each of the edges - 1 bins, got 21 edges, 20 reference and 2 current shares"),
      std::string::npos);
  doc = sample_drift();
  doc["columns"][0]["distribution"]["type"] = "kde";
  EXPECT_EQ(
      message(doc),
      "drift document: columns[0].distribution.type: expected \"histogram\" or \"categories\", got string");
  doc = sample_drift();
  doc["gates"][0]["passed"] = "yes";
  EXPECT_EQ(message(doc), "drift document: gates[0].passed: expected true or false, got string");
  EXPECT_THROW(render_drift_markdown(json::array()), InputError);
}

TEST(DriftReport, WritersWriteTheRenderedText) {
  json doc = sample_drift();
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("dpeval_drift_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  write_drift_html(dir / "drift.html", doc);
  write_drift_markdown(dir / "drift.md", doc);
  EXPECT_EQ(read_file(dir / "drift.html"), render_drift_html(doc));
  EXPECT_EQ(read_file(dir / "drift.md"), render_drift_markdown(doc));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dpeval::report
