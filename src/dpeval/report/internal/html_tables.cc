// The table-shaped sections of the HTML report: headline metric cards, gates,
// fairness and warnings; and the small pieces every section shares.
#include <algorithm>

#include "dpeval/report/internal/html_sections.h"
#include "dpeval/report/internal/text.h"

namespace dpeval::report::internal {
namespace {

std::string metric_card(const Metric& metric) {
  std::string name = escape_html(metric.name);
  std::string card = R"(<div class="card" data-metric=")" + name + R"("><div class="name">)" + name +
                     R"(</div><div class="value">)" + html_number(metric.value) + "</div>";
  if (metric.interval) card += R"(<div class="interval">)" + html_interval(*metric.interval) + "</div>";
  return card + "</div>";
}

std::string fairness_summary(const Fairness& fairness) {
  std::string rows;
  for (const Metric& m : fairness.summary) {
    rows += R"(<tr data-fairness=")" + escape_html(m.name) + R"("><th>)" + html_key_text(m.name) +
            R"(</th><td class="num">)" + html_number(m.value) + "</td></tr>";
  }
  return rows.empty() ? "" : R"(<table class="summary">)" + rows + "</table>";
}

std::string fairness_groups(const Fairness& fairness) {
  if (fairness.groups.empty()) return "";
  std::string out =
      "<table><thead><tr><th>group</th><th class=\"num\">n</th><th class=\"num\">selection rate</th>"
      "<th class=\"num\">TPR</th><th class=\"num\">FPR</th><th class=\"num\">FNR</th></tr></thead><tbody>";
  for (const FairnessGroup& g : fairness.groups) {
    out += "<tr><td>" + escape_html(g.value) + R"(</td><td class="num">)" + html_count(g.n) + "</td>";
    for (const auto& rate : {g.selection_rate, g.tpr, g.fpr, g.fnr})
      out += R"(<td class="num">)" + html_number(rate) + "</td>";
    out += "</tr>";
  }
  return out + "</tbody></table>";
}

std::string gate_row(const Gate& gate) {
  const char* verdict = gate.passed ? R"(<td class="pass">✔ pass</td>)" : R"(<td class="fail">✘ fail</td>)";
  return std::string(R"(<tr data-passed=")") + (gate.passed ? "true" : "false") + "\">" + verdict +
         "<td><code>" + escape_html(gate.expression) + R"(</code></td><td class="num">)" +
         html_number(gate.value) + "</td></tr>";
}

}  // namespace

std::string html_number(std::optional<double> value) {
  if (!value) return R"(<span class="undefined" title="undefined">—</span>)";
  return format_number(*value);
}

std::string html_count(std::optional<double> count) {
  return count ? format_count_value(*count) : html_number(count);
}

std::string html_interval(const Interval& interval) {
  return format_number(interval.lo) + " – " + format_number(interval.hi);
}

std::string html_section(std::string_view id, std::string_view heading, std::string_view body) {
  return "<section id=\"" + std::string(id) + "\"><h2>" + escape_html(heading) + "</h2>" + std::string(body) +
         "</section>\n";
}

std::string html_key_text(std::string_view key) {
  std::string text(key);
  std::replace(text.begin(), text.end(), '_', ' ');
  return escape_html(text);
}

std::string html_metrics_section(const Json& doc) {
  std::vector<Metric> metrics = read_metrics(doc);
  if (metrics.empty()) return "";
  std::string body = R"(<div class="cards">)";
  for (const Metric& m : metrics) body += metric_card(m);
  body += "</div>";
  std::string bootstrap = bootstrap_text(doc);
  if (!bootstrap.empty()) body += R"(<p class="note">)" + escape_html(bootstrap) + "</p>";
  return html_section("metrics", "Metrics", body);
}

std::string html_fairness_section(const Json& doc) {
  std::optional<Fairness> fairness = read_fairness(doc);
  if (!fairness) return "";
  std::string body;
  if (!fairness->sensitive.empty())
    body += "<p>Sensitive column: <code>" + escape_html(fairness->sensitive) + "</code></p>";
  body += R"(<div class="charts">)" + fairness_summary(*fairness) + fairness_groups(*fairness) + "</div>";
  return html_section("fairness", "Fairness", body);
}

std::string html_gates_section(const Json& doc) {
  std::vector<Gate> gates = read_gates(doc);
  if (gates.empty()) return "";
  auto passed = std::count_if(gates.begin(), gates.end(), [](const Gate& g) { return g.passed; });
  bool all_passed = passed == static_cast<long>(gates.size());
  std::string body = std::string("<p class=\"") + (all_passed ? "pass" : "fail") + "\">" +
                     std::to_string(passed) + " of " + std::to_string(gates.size()) + " gates passed</p>";
  body += "<table><thead><tr><th>result</th><th>gate</th><th class=\"num\">value</th></tr></thead><tbody>";
  for (const Gate& gate : gates) body += gate_row(gate);
  return html_section("gates", "Gates", body + "</tbody></table>");
}

std::string html_warnings_section(const Json& doc) {
  std::vector<std::string> warnings = read_warnings(doc);
  if (warnings.empty()) return "";
  std::string body = R"(<ul class="warnings">)";
  for (const std::string& w : warnings) body += "<li>" + escape_html(w) + "</li>";
  return html_section("warnings", "Warnings", body + "</ul>");
}

}  // namespace dpeval::report::internal
