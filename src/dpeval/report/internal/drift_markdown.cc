// The drift page's Markdown parts (see drift_sections.h): the HTML page's
// content as a verdict line and tables, for a pull-request comment. No charts.
#include <algorithm>
#include <string>
#include <vector>

#include "dpeval/report/internal/drift_sections.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report::internal {
namespace {

std::string md_number(std::optional<double> value) { return value ? format_number(*value) : "—"; }

// A code span when the text can be one inside a table cell, else escaped text.
std::string md_code(const std::string& text) {
  if (text.empty() || text.find_first_of("`|\n\r<>&") != std::string::npos) return escape_markdown(text);
  return "`" + text + "`";
}

std::string md_code_list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + md_code(name);
  return out;
}

std::string md_yes_no(std::optional<bool> value) {
  if (!value) return "—";
  return *value ? "yes" : "no";
}

std::string md_p_adjusted(const DriftColumn& c) {
  return c.p_value_adjusted ? escape_markdown(format_p_value(*c.p_value_adjusted)) : "—";
}

std::string md_notes(const DriftColumn& c) {
  std::string out;
  for (const std::string& note : c.notes) out += (out.empty() ? "" : "; ") + escape_markdown(note);
  return out;
}

std::string md_metrics_text(const DriftColumn& c) {
  std::string out;
  for (const DriftMetric& m : c.metrics) {
    std::string key = m.key;
    std::replace(key.begin(), key.end(), '_', ' ');
    out += (out.empty() ? "" : ", ") + escape_markdown(key) + " " + md_number(m.value);
  }
  return out.empty() ? "—" : out;
}

// One row per column, in the order given; `with_role` adds the role column.
std::string md_column_table(const std::vector<DriftColumn>& columns, bool with_role) {
  std::string out =
      std::string("| column |") + (with_role ? " role |" : "") +
      " kind | method | statistic | p-value | BH-adjusted | after correction | threshold | drift | "
      "notes |\n|:--|" +
      (with_role ? ":--|" : "") + ":--|:--|--:|--:|--:|:--|--:|:-:|:--|\n";
  for (const DriftColumn& c : columns) {
    out += "| " + md_code(c.name) + " | " + (with_role ? escape_markdown(c.role) + " | " : "") +
           escape_markdown(c.kind) + " | " + escape_markdown(c.method) + " | " + md_number(c.statistic) +
           " | " + escape_markdown(drift_p_text(c)) + " | " + md_p_adjusted(c) + " | " +
           drift_correction_verdict(c) + " | " + md_number(c.threshold) + " | " +
           (c.drift ? "**yes**" : "no") + " | " + md_notes(c) + " |\n";
  }
  return out + "\n";
}

std::string md_metrics_table(const std::vector<DriftColumn>& columns) {
  std::string out = "| column | metrics |\n|:--|:--|\n";
  for (const DriftColumn& c : columns) out += "| " + md_code(c.name) + " | " + md_metrics_text(c) + " |\n";
  return out + "\n";
}

}  // namespace

std::string md_drift_header(const DriftDocument& doc) {
  std::string out = "### dpeval drift: " + escape_markdown(drift_title(doc)) + "\n\n";
  out += "reference " + escape_markdown(drift_source_text(doc.reference)) + " · current " +
         escape_markdown(drift_source_text(doc.current));
  if (!doc.method.empty()) out += " · method " + escape_markdown(doc.method);
  if (!doc.version.empty()) out += " · dpeval " + escape_markdown(doc.version);
  return out + "\n\n";
}

std::string md_drift_verdict(const DriftDocument& doc) {
  std::string out = "**Dataset drift: " + md_yes_no(doc.dataset_drift) + "** — " +
                    escape_markdown(drift_count_text(doc)) + "\n\n";
  if (!doc.drifted_columns.empty()) out += "Drifted columns: " + md_code_list(doc.drifted_columns) + "\n\n";
  if (doc.multiple_testing) {
    out += escape_markdown(drift_correction_text(*doc.multiple_testing));
    if (!doc.multiple_testing->drifted_after_correction.empty())
      out += ": " + md_code_list(doc.multiple_testing->drifted_after_correction);
    out += "\n\n";
  }
  return out;
}

std::string md_drift_gates(const DriftDocument& doc) {
  if (doc.gates.empty()) return "";
  auto passed = std::count_if(doc.gates.begin(), doc.gates.end(), [](const Gate& g) { return g.passed; });
  std::string out =
      "**Gates: " + std::to_string(passed) + " of " + std::to_string(doc.gates.size()) + " passed**\n\n";
  out += "| | gate | value |\n|:-:|:--|--:|\n";
  for (const Gate& g : doc.gates)
    out += std::string("| ") + (g.passed ? "✅" : "❌") + " | " + escape_markdown(g.expression) + " | " +
           md_number(g.value) + " |\n";
  return out + "\n";
}

std::string md_model_drift(const DriftDocument& doc) {
  if (!doc.model_drift) return "";
  const ModelDrift& m = *doc.model_drift;
  std::string out = "**Model-based drift: " + md_yes_no(m.drift) + "** — AUC " + md_number(m.auc);
  if (m.auc_interval) {
    out += " (";
    if (m.confidence) out += format_coord(*m.confidence * 100) + "% ";
    out += "interval " + format_number(m.auc_interval->lo) + " – " + format_number(m.auc_interval->hi) + ")";
  }
  if (m.threshold) out += " vs threshold " + format_number(*m.threshold);
  return out + "; " + escape_markdown(model_drift_details(m)) + "\n\n";
}

std::string md_label_prediction(const DriftDocument& doc) {
  std::vector<DriftColumn> entries;
  if (doc.label) entries.push_back(*doc.label);
  entries.insert(entries.end(), doc.predictions.begin(), doc.predictions.end());
  if (entries.empty()) return "";
  return "**Label and prediction drift**\n\n" + md_column_table(entries, true);
}

std::string md_drift_columns(const DriftDocument& doc) {
  if (doc.columns.empty()) return "**Columns**: none compared\n\n";
  return "**Columns**, most drifted first\n\n" + md_column_table(doc.columns, false) + "**Metrics**\n\n" +
         md_metrics_table(doc.columns);
}

}  // namespace dpeval::report::internal
