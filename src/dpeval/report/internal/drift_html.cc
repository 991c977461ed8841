// The drift page's HTML sections (see drift_sections.h): the verdict, the
// model-based drift, the label and prediction entries and one article per
// column, most drifted first (Note [Drift order] in drift_data.h).
#include <string>
#include <vector>

#include "dpeval/report/internal/drift_sections.h"
#include "dpeval/report/internal/html_sections.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report::internal {
namespace {

// The undefined mark with why: "—" titled with the notes that name `key`, else "undefined".
std::string undefined_mark(const DriftColumn& column, std::string_view key) {
  std::string reason = drift_null_reason(column, key);
  return R"(<span class="undefined" title=")" + escape_html(reason.empty() ? "undefined" : reason) +
         R"(">—</span>)";
}

std::string column_number(const DriftColumn& column, std::optional<double> value, std::string_view key) {
  return value ? format_number(*value) : undefined_mark(column, key);
}

std::string column_p_value(const DriftColumn& column) {
  if (column.test == DriftTest::kDistance && !column.p_value)
    return R"(<span class="distance" title="a distance method: no p-value">distance</span>)";
  return column.p_value ? escape_html(format_p_value(*column.p_value)) : undefined_mark(column, "p_value");
}

std::string column_p_adjusted(const DriftColumn& column) {
  if (column.p_value_adjusted) return escape_html(format_p_value(*column.p_value_adjusted));
  if (column.test == DriftTest::kDistance)
    return R"(<span class="undefined" title="distance methods are not corrected">—</span>)";
  return undefined_mark(column, "p_value_adjusted");
}

// Drift or not: "yes" in the failing colour, "no" in the passing one.
std::string yes_no(std::optional<bool> value) {
  if (!value) return R"(<span class="undefined" title="undefined">—</span>)";
  return *value ? R"(<span class="fail">yes</span>)" : R"(<span class="pass">no</span>)";
}

std::string drift_flag(bool drift) {
  return drift ? R"(<span class="flag drift">drift</span>)" : R"(<span class="flag stable">no drift</span>)";
}

std::string card(std::string_view field, std::string_view name, const std::string& value,
                 const std::string& detail = "") {
  std::string out = R"(<div class="card" data-field=")" + std::string(field) + R"("><div class="name">)" +
                    escape_html(name) + R"(</div><div class="value">)" + value + "</div>";
  if (!detail.empty()) out += R"(<div class="interval">)" + detail + "</div>";
  return out + "</div>";
}

std::string code_list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names)
    out += (out.empty() ? "" : ", ") + ("<code>" + escape_html(name) + "</code>");
  return out;
}

std::string fact_row(std::string_view field, std::string_view label, const std::string& value) {
  return R"(<tr data-field=")" + std::string(field) + R"("><th>)" + escape_html(label) + "</th><td>" + value +
         "</td></tr>";
}

std::string facts_table(const DriftColumn& c) {
  std::string out = R"(<table class="facts"><tbody>)";
  out += fact_row("kind", "kind", escape_html(c.kind.empty() ? "—" : c.kind));
  if (!c.role.empty() && c.role != "feature") out += fact_row("role", "role", escape_html(c.role));
  out += fact_row("method", "method", "<code>" + escape_html(c.method.empty() ? "—" : c.method) + "</code>");
  out += fact_row("statistic", "statistic", column_number(c, c.statistic, "statistic"));
  out += fact_row("p_value", "p-value", column_p_value(c));
  out += fact_row("p_value_adjusted", "BH-adjusted p-value", column_p_adjusted(c));
  out += fact_row("drift_after_correction", "drifted after correction",
                  c.drift_after_correction
                      ? yes_no(c.drift_after_correction)
                      : R"(<span class="undefined" title="not part of the correction">—</span>)");
  std::string threshold = column_number(c, c.threshold, "threshold");
  if (c.threshold) threshold += c.test == DriftTest::kPValue ? " on the p-value" : " on the statistic";
  out += fact_row("threshold", "threshold", threshold);
  out += fact_row("verdict", "verdict",
                  c.drift ? R"(<span class="fail">drift</span>)" : R"(<span class="pass">no drift</span>)");
  if (c.n_reference || c.n_current)
    out += fact_row("rows", "rows",
                    html_count(c.n_reference) + " reference, " + html_count(c.n_current) + " current");
  if (c.missing_reference || c.missing_current) {
    out += fact_row(
        "missing", "missing",
        html_count(c.missing_reference) + " reference, " + html_count(c.missing_current) + " current");
  }
  return out + "</tbody></table>";
}

// Every metric as one row of cells under their names (data-metric="<key>" on the value cell).
std::string metrics_table(const DriftColumn& c) {
  if (c.metrics.empty()) return "";
  std::string names, values;
  for (const DriftMetric& m : c.metrics) {
    names += R"(<th class="num">)" + html_key_text(m.key) + "</th>";
    values += R"(<td class="num" data-metric=")" + escape_html(m.key) + "\">" +
              column_number(c, m.value, m.key) + "</td>";
  }
  return R"(<table class="metrics"><thead><tr>)" + names + "</tr></thead><tbody><tr>" + values +
         "</tr></tbody></table>";
}

std::string column_article(const DriftColumn& c) {
  std::string name = escape_html(c.name);
  std::string out = R"(<article class="column)" + std::string(c.drift ? " drifted" : "") +
                    R"(" data-column=")" + name + R"(" data-drift=")" + (c.drift ? "true" : "false") +
                    R"("><h3><code>)" + name + "</code> " + drift_flag(c.drift) + "</h3>";
  out += R"(<div class="charts">)" + facts_table(c);
  std::string chart = html_drift_chart(c);
  out += chart.empty() ? R"(<p class="note">No distribution recorded.</p>)" : chart;
  out += "</div>" + metrics_table(c);
  if (!c.notes.empty()) {
    out += R"(<ul class="notes">)";
    for (const std::string& note : c.notes) out += "<li>" + escape_html(note) + "</li>";
    out += "</ul>";
  }
  return out + "</article>\n";
}

std::string overview_table(const std::vector<DriftColumn>& columns) {
  std::string out =
      R"(<table class="drift-overview"><thead><tr><th>column</th><th>kind</th><th>method</th>)"
      R"(<th class="num">statistic</th><th class="num">p-value</th><th class="num">BH-adjusted</th>)"
      R"(<th class="num">threshold</th><th>drift</th></tr></thead><tbody>)";
  for (const DriftColumn& c : columns) {
    out += std::string("<tr") + (c.drift ? R"( class="drifted")" : "") + "><td><code>" + escape_html(c.name) +
           "</code></td><td>" + escape_html(c.kind) + "</td><td>" + escape_html(c.method) +
           R"(</td><td class="num">)" + column_number(c, c.statistic, "statistic") +
           R"(</td><td class="num">)" + column_p_value(c) + R"(</td><td class="num">)" +
           column_p_adjusted(c) + R"(</td><td class="num">)" + column_number(c, c.threshold, "threshold") +
           "</td><td>" + drift_flag(c.drift) + "</td></tr>";
  }
  return out + "</tbody></table>";
}

}  // namespace

std::string html_drift_verdict_section(const DriftDocument& doc) {
  std::string body = R"(<div class="cards">)";
  body += card("dataset_drift", "dataset drift", yes_no(doc.dataset_drift));
  body += card("n_drifted", "drifted columns",
               format_count_value(doc.n_drifted) + " of " + format_count_value(doc.n_columns));
  body += card("share_drifted", "share drifted", html_number(doc.share_drifted),
               doc.drift_share ? "drift share " + format_number(*doc.drift_share) : "");
  if (doc.model_drift && doc.model_drift->auc)
    body += card("model_drift_auc", "domain classifier AUC", html_number(doc.model_drift->auc),
                 "model drift " + yes_no(doc.model_drift->drift));
  body += "</div>";
  // data-dataset-drift "true", "false", or "" when the document leaves it undefined.
  std::string verdict = "Dataset drift undefined", value;
  if (doc.dataset_drift) {
    verdict = *doc.dataset_drift ? "Dataset drift" : "No dataset drift";
    value = *doc.dataset_drift ? "true" : "false";
  }
  body += R"(<p class="verdict" data-dataset-drift=")" + value + R"("><b class=")" +
          (doc.dataset_drift.value_or(false) ? "fail" : "pass") + "\">" + verdict +
          "</b>: " + escape_html(drift_count_text(doc)) + ".</p>";
  if (!doc.drifted_columns.empty()) body += "<p>Drifted columns: " + code_list(doc.drifted_columns) + ".</p>";
  if (doc.multiple_testing) {
    body += R"(<p class="note" data-field="multiple_testing">)" +
            escape_html(drift_correction_text(*doc.multiple_testing));
    if (!doc.multiple_testing->drifted_after_correction.empty())
      body += ": " + code_list(doc.multiple_testing->drifted_after_correction);
    body += ".</p>";
  }
  std::vector<std::string> settings;
  if (!doc.method.empty()) settings.push_back("method " + doc.method);
  if (doc.n_reference || doc.n_current)
    settings.push_back("compared " + (doc.n_reference ? format_count_value(*doc.n_reference) : "—") +
                       " reference with " + (doc.n_current ? format_count_value(*doc.n_current) : "—") +
                       " current rows");
  if (!settings.empty()) {
    std::string text;
    for (const std::string& s : settings) text += (text.empty() ? "" : "; ") + s;
    body += R"(<p class="note">)" + escape_html(text) + ".</p>";
  }
  return html_section("verdict", "Verdict", body);
}

std::string html_model_drift_section(const DriftDocument& doc) {
  if (!doc.model_drift) return "";
  const ModelDrift& m = *doc.model_drift;
  std::string interval;
  if (m.auc_interval) {
    interval = html_interval(*m.auc_interval);
    if (m.confidence) interval += " (" + format_coord(*m.confidence * 100) + "%)";
  }
  std::string body = R"(<div class="cards">)" + card("auc", "AUC", html_number(m.auc), interval) +
                     card("threshold", "threshold", html_number(m.threshold)) +
                     card("model_drift", "model drift", yes_no(m.drift)) + "</div>";
  std::string bar = svg_auc_bar(m);
  if (!bar.empty()) {
    body += "<figure>" + bar +
            "<figcaption>The AUC (mark) with its interval (bar) against the threshold "
            "(dashed).</figcaption></figure>";
  }
  body +=
      R"(<p class="note">)" + escape_html(model_drift_details(m)) +
      ". A classifier trained to tell current rows from reference rows: an AUC near 0.5 means it cannot, so "
      "the two look alike; drift when the AUC passes the threshold.</p>";
  return html_section("model-drift", "Model-based drift", body);
}

std::string html_label_prediction_section(const DriftDocument& doc) {
  if (!doc.label && doc.predictions.empty()) return "";
  std::string body;
  if (doc.label) body += column_article(*doc.label);
  for (const DriftColumn& p : doc.predictions) body += column_article(p);
  return html_section("label-prediction", "Label and prediction drift", body);
}

std::string html_drift_columns_section(const DriftDocument& doc) {
  std::string body =
      R"(<p class="note">Most drifted first: drifted columns, then by how far past the threshold )"
      R"((smaller p-value, larger statistic / threshold).</p>)";
  if (doc.columns.empty()) return html_section("columns", "Columns", body + "<p>No columns compared.</p>");
  body += overview_table(doc.columns);
  for (const DriftColumn& c : doc.columns) body += column_article(c);
  return html_section("columns", "Columns", body);
}

}  // namespace dpeval::report::internal
